package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/monogen/monogen/templates/pipeline"
)

// Three stages: parse lines into numbers, dropping blank ones, square them
// on four workers, format them. Ordered keeps the input order despite the
// fan-out; Collect reports the bad line and goes on.
func ExampleThen() {
	cfg := pipeline.Config{Ordered: true, Collect: true}
	parse := pipeline.NewStage("parse", func(_ context.Context, line string) (int, error) {
		if strings.TrimSpace(line) == "" {
			return 0, pipeline.ErrSkip
		}
		return strconv.Atoi(line)
	}, cfg)
	square := pipeline.NewStage("square", func(_ context.Context, n int) (int, error) {
		return n * n, nil
	}, pipeline.Config{Ordered: true, Collect: true, Workers: 4})
	format := pipeline.NewStage("format", func(_ context.Context, n int) (string, error) {
		return "<" + strconv.Itoa(n) + ">", nil
	}, cfg)
	p := pipeline.Then(pipeline.Then(pipeline.From(parse), square), format)

	out, err := p.RunSlice(context.Background(), []string{"1", "2", "", "x", "4"})
	fmt.Println(out)
	var fs pipeline.Failures
	if errors.As(err, &fs) {
		for _, f := range fs {
			fmt.Printf("stage %s failed on %q\n", f.Stage, f.Item)
		}
	}
	// Output:
	// [<1> <4> <16>]
	// stage parse failed on "x"
}

// Start runs a pipeline on a channel; the output channel closes after the
// last item, and Wait reports how the run ended.
func ExamplePipeline_Start() {
	double := pipeline.NewStage("double", func(_ context.Context, n int) (int, error) {
		return 2 * n, nil
	}, pipeline.Config{})
	p := pipeline.From(double)

	in := make(chan int)
	go func() {
		defer close(in)
		for i := range 3 {
			in <- i
		}
	}()
	out, run := p.Start(context.Background(), in)
	sum := 0
	for n := range out {
		sum += n
	}
	fmt.Println(sum, run.Wait())
	// Output: 6 <nil>
}
