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
// last item, and Wait reports how the run ended. The producer closes the
// input channel when done.
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

// A producer may send without selecting on a context. When a failure stops
// the run (errors=stop, the default), Wait returns at once, and the run goes
// on receiving and discarding the input until the producer closes it: the
// producer finishes, and then nothing of the run is left.
func ExamplePipeline_Start_stop() {
	parse := pipeline.NewStage("parse", func(_ context.Context, s string) (int, error) {
		return strconv.Atoi(s)
	}, pipeline.Config{})
	p := pipeline.From(parse)

	lines := make([]string, 1000)
	for i := range lines {
		lines[i] = strconv.Itoa(i)
	}
	lines[3] = "x"

	in := make(chan string)
	produced := make(chan struct{})
	go func() {
		defer close(produced)
		for _, line := range lines {
			in <- line // no select: a stopped run still receives
		}
		close(in)
	}()
	out, run := p.Start(context.Background(), in)
	for range out {
	}
	fmt.Println(run.Wait())
	<-produced
	fmt.Println("the producer sent every line")
	// Output:
	// pipeline: stage parse: strconv.Atoi: parsing "x": invalid syntax
	// the producer sent every line
}
