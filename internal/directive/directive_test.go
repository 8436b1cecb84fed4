package directive_test

import (
	"strings"
	"testing"

	"github.com/monogen/monogen/internal/directive"
	"github.com/monogen/monogen/internal/kinds"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		kind    string
		name    string
		args    []string
		options []string // key=value
	}{
		{"//monogen:map SessionStore[SessionID, *Session]", "map", "SessionStore", []string{"SessionID", "*Session"}, nil},
		{"//monogen:map Counts[Key, int64] shards=128", "map", "Counts", []string{"Key", "int64"}, []string{"shards=128"}},
		{"//monogen:semaphore DBSlots n=16", "semaphore", "DBSlots", nil, []string{"n=16"}},
		{"//monogen:pool Resizer[Image, Thumb] workers=8 fn=resize", "pool", "Resizer", []string{"Image", "Thumb"}, []string{"workers=8", "fn=resize"}},
		{"//monogen:pipeline Ingest[[]byte, Event, Stored]", "pipeline", "Ingest", []string{"[]byte", "Event", "Stored"}, nil},
		{"//monogen:map M[map[string]int, func(a, b int) error]", "map", "M", []string{"map[string]int", "func(a, b int) error"}, nil},
		{"//monogen:map M[Pair[int, string], [16]byte]", "map", "M", []string{"Pair[int, string]", "[16]byte"}, nil},
		{"//monogen:map M[struct{ A int `json:\"a,b\"` }, model.User]", "map", "M", []string{"struct{ A int `json:\"a,b\"` }", "model.User"}, nil},
		{"//monogen:map   m[ K ,V ]   shards=1\t", "map", "m", []string{"K", "V"}, []string{"shards=1"}},
		{"//monogen:map M[K, V] // a trailing comment", "map", "M", []string{"K", "V"}, nil},
		{"//monogen:ratelimit API algo=token rate=100/s burst=20", "ratelimit", "API", nil, []string{"algo=token", "rate=100/s", "burst=20"}},
		{"//monogen:map Ünicode[K, V]", "map", "Ünicode", []string{"K", "V"}, nil},
		// Found by FuzzParse: white space other than blanks and tabs before
		// a type argument is trimmed, and its offset must skip it too.
		{"//monogen:map M[\vK, \f\u00a0V]", "map", "M", []string{"K", "V"}, nil},
	}
	for _, tt := range tests {
		d, err := directive.Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if d.Kind != tt.kind || d.Name != tt.name {
			t.Errorf("Parse(%q) = kind %q name %q; want %q %q", tt.in, d.Kind, d.Name, tt.kind, tt.name)
		}
		var args []string
		for _, a := range d.Args {
			args = append(args, a.Text)
			if got := tt.in[a.Off : a.Off+len(a.Text)]; got != a.Text {
				t.Errorf("Parse(%q): arg %q at offset %d reads %q", tt.in, a.Text, a.Off, got)
			}
		}
		if strings.Join(args, "|") != strings.Join(tt.args, "|") {
			t.Errorf("Parse(%q) args = %q; want %q", tt.in, args, tt.args)
		}
		var opts []string
		for _, o := range d.Options {
			opts = append(opts, o.Key+"="+o.Value)
			if !strings.HasPrefix(tt.in[o.KeyOff:], o.Key+"=") || !strings.HasPrefix(tt.in[o.ValueOff:], o.Value) {
				t.Errorf("Parse(%q): option %s offsets %d/%d are wrong", tt.in, o.Key, o.KeyOff, o.ValueOff)
			}
		}
		if strings.Join(opts, " ") != strings.Join(tt.options, " ") {
			t.Errorf("Parse(%q) options = %q; want %q", tt.in, opts, tt.options)
		}
		if d.KindOff != len(directive.Prefix) || !strings.HasPrefix(tt.in[d.NameOff:], d.Name) {
			t.Errorf("Parse(%q): kind/name offsets %d/%d are wrong", tt.in, d.KindOff, d.NameOff)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in  string
		off int    // byte offset the error points at
		msg string // substring of the message
	}{
		{"//monogen:", 10, "missing kind"},
		{"//monogen: map M[K, V]", 10, "missing kind"},
		{"//monogen:map", 13, "missing type name"},
		{"//monogen:map ", 14, "missing type name"},
		{"//monogen:map 9M[K, V]", 14, "must be a Go identifier"},
		{"//monogen:map _[K, V]", 14, "blank identifier"},
		{"//monogen:map func[K, V]", 14, "keyword"},
		{"//monogen:map M[K, V", 15, "missing ]"},
		{"//monogen:map M[K, V)]", 20, "unbalanced"},
		{"//monogen:map M[K, ]", 19, "empty type argument"},
		{"//monogen:map M[, V]", 16, "empty type argument"},
		{"//monogen:map M[K, 1+2]", 19, "not a type expression"},
		{"//monogen:map M[K, V]x", 21, "unexpected"},
		{"//monogen:map M[K, V] shards", 22, "not key=value"},
		{"//monogen:map M[K, V] shards=", 29, "no value"},
		{"//monogen:map M[K, V] =4", 22, "not an identifier"},
		{"//monogen:map M[K, V] shards=1 shards=2", 31, "given twice"},
		{"//monogen:map M[K, map[]]", 23, "not a Go type"},
		{"//monogen:map M[K, V]\n", 21, "one line"},
		{"//monogen:map M[K, \"V]", 19, "unterminated string"},
		{"// monogen:map M[K, V]", 0, "not a monogen directive"},
		// A space before the type arguments said: option "[K," is not key=value.
		{"//monogen:map M [K, V] shards=4", 15, "unexpected space between M and its type arguments: want M[...]"},
	}
	for _, tt := range tests {
		_, err := directive.Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) succeeded; want error %q", tt.in, tt.msg)
			continue
		}
		de, ok := err.(*directive.Error)
		if !ok {
			t.Errorf("Parse(%q) error is %T, want *directive.Error", tt.in, err)
			continue
		}
		if de.Off != tt.off || !strings.Contains(de.Msg, tt.msg) {
			t.Errorf("Parse(%q) = error at %d %q; want at %d containing %q", tt.in, de.Off, de.Msg, tt.off, tt.msg)
		}
	}
}

// fuzzSeeds are directives of every kind, with the text after the prefix
// only: FuzzParse adds the prefix to each input.
var fuzzSeeds = []string{
	"map SessionStore[SessionID, *Session] shards=64",
	"map M[struct{ A int `json:\"a\"` }, func(a, b int) (int, error)]",
	"map M[map[string]func(a, b int) error, chan<- [4]struct{}] // why",
	"pool Resizer[Image, Thumb] workers=8 fn=resize retries=3 backoff=10ms",
	"pool P[In] fn=f queue=8 metrics=true",
	"pipeline Ingest[[]byte, Event, Enriched, Stored] workers=1,4,2 stages=parse,enrich,store",
	"semaphore S n=16",
	"ratelimit API algo=token rate=100/s burst=20",
	"ratelimit R algo=window limit=1000 window=1m",
	"breaker WorkBreaker[int, int] fn=Work",
	"limiter WorkLimiter[int, int] fn=Work min=2 max=256",
	"batcher Flush[Event] size=5 flush=1ms workers=3 retries=1",
	"respool Conns[*Conn] max=3 new=dial close=closeConn check=check",
	"queue Jobs[Job] size=1024 policy=drop-newest",
	"map\tÜnicode[(K), *pkg.V]\ta=1 b=2",
}

// TestFuzzSeedsParse keeps FuzzParse's seeds valid directives, so that the
// fuzzer starts from inputs that reach every part of the parser.
func TestFuzzSeedsParse(t *testing.T) {
	seeded := map[string]bool{}
	for _, s := range fuzzSeeds {
		d, err := directive.Parse(directive.Prefix + s)
		if err != nil {
			t.Errorf("seed %q does not parse: %v", s, err)
			continue
		}
		seeded[d.Kind] = true
	}
	for _, k := range kinds.Names() {
		if !seeded[k] {
			t.Errorf("no seed of kind %s", k)
		}
	}
}

// FuzzParse checks that no input panics, that errors point inside the
// input, and that what parses round-trips through its own offsets.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		in := directive.Prefix + s
		d, err := directive.Parse(in)
		if err != nil {
			de, ok := err.(*directive.Error)
			if !ok {
				t.Fatalf("Parse(%q): error of type %T", in, err)
			}
			if de.Off < 0 || de.Off > len(in) {
				t.Fatalf("Parse(%q): error offset %d outside the input", in, de.Off)
			}
			return
		}
		if in[d.NameOff:d.NameOff+len(d.Name)] != d.Name {
			t.Fatalf("Parse(%q): name offset wrong", in)
		}
		for _, a := range d.Args {
			if in[a.Off:a.Off+len(a.Text)] != a.Text || a.Expr == nil {
				t.Fatalf("Parse(%q): arg %q offset wrong", in, a.Text)
			}
		}
		for _, o := range d.Options {
			if in[o.KeyOff:o.KeyOff+len(o.Key)] != o.Key || in[o.ValueOff:o.ValueOff+len(o.Value)] != o.Value {
				t.Fatalf("Parse(%q): option %q offsets wrong", in, o.Key)
			}
		}
	})
}
