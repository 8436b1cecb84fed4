package kinds

import "time"

// sharedStore holds the options of a kind whose state can live in a store
// shared with other processes (store=shared): ratelimit and semaphore.
type sharedStore struct {
	mode     string // onfail=: open, closed or local
	onfail   string // the template's FailMode constant for mode
	replicas int64
	timeout  time.Duration
	lease    int64         // ratelimit: the largest lease
	ttl      time.Duration // semaphore: a holder's lease in the store
}

// sharedStoreOptions checks store=, onfail=, replicas= and timeout=, and
// that the kind's own store options (extra) come only with store=shared. It
// returns nil for a directive without store=shared. what names the shared
// state in messages (bucket, semaphore).
func sharedStoreOptions(c *Context, what string, extra []string) (*sharedStore, error) {
	store := c.D.Option("store")
	if store == nil || store.Value.(string) == "local" {
		if o := anyOption(c.D, append([]string{"onfail", "replicas", "timeout"}, extra...)); o != nil {
			return nil, c.OptionErrorf(o, "option %s is for store=shared", o.Key)
		}
		return nil, nil
	}
	s := &sharedStore{replicas: 1, timeout: 100 * time.Millisecond}
	o := c.D.Option("onfail")
	if o == nil {
		return nil, c.OptionErrorf(store, "store=shared needs onfail=open, onfail=closed or onfail=local: what %s does while the store fails", c.D.Name)
	}
	s.mode = o.Value.(string)
	s.onfail = map[string]string{"open": "0", "closed": "1", "local": "2"}[s.mode] // FailOpen, FailClosed, FailLocal
	r := c.D.Option("replicas")
	switch {
	case s.mode == "local" && r == nil:
		return nil, c.OptionErrorf(o, "onfail=local needs replicas=N: the share of the %s this process keeps while the store fails is 1/N", what)
	case s.mode != "local" && r != nil:
		return nil, c.OptionErrorf(r, "replicas= is for onfail=local")
	case r != nil:
		s.replicas = r.Value.(int64)
	}
	if o := c.D.Option("timeout"); o != nil {
		s.timeout = o.Value.(time.Duration)
		if s.timeout <= 0 {
			return nil, c.OptionErrorf(o, "timeout=%s must be positive", o.Raw)
		}
	}
	return s, nil
}

// sharedOptionSpecs are the options of sharedStoreOptions; what names the
// shared state, and the kind adds its own.
func sharedOptionSpecs(what string) []OptionSpec {
	return []OptionSpec{
		{Key: "store", Type: Enum, Enum: []string{"local", "shared"}, Doc: "shared keeps the " + what + " in a store other processes share, such as Redis (default local)"},
		{Key: "onfail", Type: Enum, Enum: []string{"open", "closed", "local"}, Doc: "store=shared: while the store fails, admit freely, refuse, or keep this process's 1/replicas share (required with store=shared)"},
		{Key: "replicas", Type: Int, Min: 1, Doc: "onfail=local: how many processes share the " + what + " (required with onfail=local)"},
		{Key: "timeout", Type: Duration, Doc: "store=shared: how long a call to the store may take before it counts as failed (default 100ms)"},
	}
}
