package pool_test

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/monogen/monogen/templates/pool"
)

func Example() {
	upper := func(_ context.Context, s string) (string, error) {
		return strings.ToUpper(s), nil
	}
	var mu sync.Mutex
	got := map[string]string{}
	p := pool.New(upper, func(in, out string, err error) {
		mu.Lock() // the handler runs on the workers, concurrently
		defer mu.Unlock()
		got[in] = out
	}, pool.Config{Workers: 4, Retries: 2})

	for _, s := range []string{"a", "b", "c"} {
		if err := p.Submit(context.Background(), s); err != nil {
			panic(err)
		}
	}
	outs, err := p.Map(context.Background(), []string{"x", "y"})
	p.Close() // runs every queued job, then stops the workers

	fmt.Println(got["a"], got["b"], got["c"], outs, err)
	// Output: A B C [X Y] <nil>
}
