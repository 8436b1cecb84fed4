package kinds

import (
	"fmt"
	"go/types"
	"math/bits"

	"github.com/dave/jennifer/jen"

	"github.com/monogen/monogen/internal/stencil"
)

// //monogen:queue Name[T] size=N policy=block|drop-newest|drop-oldest|error
func init() {
	Register(&Kind{
		Name:     "queue",
		Template: "queue",
		Main:     "Queue",
		Params:   []string{"T"},
		Doc:      "bounded lock-free MPMC queue with backpressure: Name[T] size=N policy=block|drop-newest|drop-oldest|error",
		Options: []OptionSpec{
			{Key: "size", Type: Int, Min: 2, Max: queueMaxSize, Doc: "capacity, a power of two from 2 to 1073741824 (default 1024)"},
			{Key: "policy", Type: Enum, Enum: queuePolicies, Doc: "what Push does when the queue is full (default block)"},
			configOption,
			{Key: "ondrop", Type: Func, Doc: "func(T) called with each item a full queue drops under policy=drop-newest or drop-oldest, on the goroutine of the Push that dropped it, before Push returns (default: no hook code)"},
		},
		Build: buildQueue,
		Bench: benchQueue,
	})
}

// queueMaxSize bounds a queue's capacity: a ring of 2^30 slots is already
// gigabytes.
const queueMaxSize = 1 << 30

// queuePolicies are the policy= values, in the order of the template's
// Policy constants (Block, DropNewest, DropOldest, Error).
var queuePolicies = []string{"block", "drop-newest", "drop-oldest", "error"}

func buildQueue(c *Context) error {
	// The size must be a power of two: the ring maps a position to its slot
	// with a mask. The template's New rounds up at run time; a directive is
	// rejected instead, so that Cap() is the number the user wrote.
	size := int64(1024)
	if o := c.D.Option("size"); o != nil {
		size = o.Value.(int64)
		if size&(size-1) != 0 {
			up := int64(1) << bits.Len64(uint64(size))
			return c.OptionErrorf(o, "option size=%d is not a power of two; want %d or %d (the ring indexes its slots with a mask)", size, up/2, up)
		}
	}
	c.Spec.Config["Size"] = fmt.Sprint(size)

	// The policy is the template constant's value as a literal, so that
	// q.cfg.Policy == DropNewest folds to a constant and the branches of
	// the other policies disappear.
	policy := 0
	if o := c.D.Option("policy"); o != nil {
		for i, p := range queuePolicies {
			if p == o.Value.(string) {
				policy = i
			}
		}
	}
	c.Spec.Config["Policy"] = fmt.Sprint(policy)
	c.Spec.Conds["drops"] = policy == 1 || policy == 2
	if err := queueOnDrop(c, policy); err != nil {
		return err
	}

	c.Spec.Rename["ErrClosed"] = errName(c.D.Name, "Closed")
	c.Spec.Rename["ErrFull"] = errName(c.D.Name, "Full")
	// The size is fixed by the directive: the default has no use. So is
	// the policy: the generated queue has no Policy type or constants.
	c.Spec.Drop = append(c.Spec.Drop, "DefaultSize", "Policy", "Block", "DropNewest", "DropOldest", "Error")
	c.Spec.Keep = append(c.Spec.Keep, "Queue.init")

	name := c.D.Name
	ctor := newName(c)
	// func NewOrders() *Orders {
	//	q := &Orders{}
	//	q.init()
	//	return q
	// }
	locals := c.Scope.Func()
	var params, body []jen.Code
	fields := jen.Dict{}
	doc := docLines(fmt.Sprintf("// %s returns an empty %s of capacity %d; when it is full, Push %s.",
		ctor, name, size, queuePolicyDoc[policy]))
	if runtimeConfig(c) {
		param, cfg, defaults := keepConfig(c, locals, runtimeField{"Size", fmt.Sprint(size),
			"Size is the capacity: a power of two from 2 to 1<<30. " + zeroTakes(c, "size", "1024")})
		params, body = []jen.Code{param}, defaults
		fields[jen.Id("cfg")] = jen.Id(cfg)
		doc = docLines(fmt.Sprintf("// %s returns an empty %s of capacity %s.Size; when it is full, Push %s. It panics unless %s.Size is a power of two from 2 to 1<<30.",
			ctor, name, cfg, queuePolicyDoc[policy], cfg))
	}
	q := locals.Name("q")
	body = append(body,
		jen.Id(q).Op(":=").Op("&").Id(name).Values(fields),
		jen.Id(q).Dot("init").Call(),
		jen.Return(jen.Id(q)),
	)
	fn := jen.Func().Id(ctor).Params(params...).Op("*").Id(name).Block(body...)
	c.Emit = append(c.Emit, doc+"\n"+fmt.Sprintf("%#v", fn))
	return nil
}

// queueOnDrop binds ondrop= to a direct call in the drop hook; without it
// the queue has no hook code.
func queueOnDrop(c *Context, policy int) error {
	o := c.D.Option("ondrop")
	c.Spec.Config["hookDrop"] = fmt.Sprint(o != nil)
	if o == nil {
		return nil
	}
	if policy != 1 && policy != 2 {
		return c.OptionErrorf(o, "option ondrop=%s needs policy=drop-newest or policy=drop-oldest: under policy=%s a queue drops nothing", o.Raw, queuePolicies[policy])
	}
	body, err := bindForms(c, o, "drop hook", []sigForm{
		{newSig([]types.Type{c.Types["T"]}, nil), "%s(v)"},
	})
	if err != nil {
		return err
	}
	c.Spec.Hooks["Queue.discarded"] = body
	c.Spec.HookDocs["Queue.discarded"] = fmt.Sprintf("discarded calls %s, the directive's ondrop=, with an item the policy\ndropped.", stencil.User(o.Raw))
	return nil
}

// queuePolicyDoc says what Push does under each policy, for the constructor's
// doc comment.
var queuePolicyDoc = []string{
	"waits for room",
	"discards the new item",
	"discards the oldest item to make room",
	"returns an error",
}
