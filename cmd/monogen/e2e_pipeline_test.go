package main

import "testing"

// TestEndToEndPipeline generates a three-stage pipeline in a module outside
// this repository, with bound and unbound stages, and runs its tests under
// -race: ordering, filtering, collected failures, cancellation.
func TestEndToEndPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test builds a module and runs go test -race; not in -short mode")
	}
	EndToEnd(t, map[string]string{
		"ingest/ingest.go": `// Package ingest parses, enriches and stores lines.
package ingest

//go:generate go tool monogen

import (
	"context"
	"strconv"
	"strings"
)

// Event is a parsed line.
type Event struct{ N int }

// Enriched is an event with a tag.
type Enriched struct {
	E   Event
	Tag string
}

// Stored is a stored record.
type Stored string

func parse(line string) (Event, error) {
	if strings.TrimSpace(line) == "" {
		return Event{}, ErrIngestSkip
	}
	n, err := strconv.Atoi(line)
	return Event{n}, err
}

func store(_ context.Context, e Enriched) Stored { return Stored(e.Tag + strconv.Itoa(e.E.N)) }

// Ingest is the pipeline.
//
//monogen:pipeline Ingest[string, Event, Enriched, Stored] workers=1,4,2 buffer=64 stages=parse,enrich,store ordered=true errors=collect retries=2 backoff=1ms batch=16 metrics=true
var _ = 0
`,
		"ingest/ingest_test.go": `package ingest

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
)

func enrich(_ context.Context, e Event) (Enriched, error) {
	if e.N%100 == 42 {
		return Enriched{}, errors.New("no")
	}
	return Enriched{E: e, Tag: "#"}, nil
}

func TestIngest(t *testing.T) {
	p := NewIngest(enrich)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := make([]string, 5000)
			for i := range in {
				in[i] = strconv.Itoa(i)
				if i%10 == 9 {
					in[i] = " "
				}
			}
			out, err := p.RunSlice(context.Background(), in)
			var fs IngestFailures
			if !errors.As(err, &fs) || len(fs) != 50 {
				t.Errorf("err = %v, want 50 failures", err)
				return
			}
			j := 0
			for i := range in {
				if i%10 == 9 || i%100 == 42 {
					continue
				}
				if out[j] != Stored("#"+strconv.Itoa(i)) {
					t.Errorf("out[%d] = %s, want #%d", j, out[j], i)
					return
				}
				j++
			}
			if j != len(out) {
				t.Errorf("%d outputs, want %d", len(out), j)
			}
		}()
	}
	wg.Wait()
	if st := p.Stats(); len(st) != 3 || st[0].In != 20000 || st[1].Failed != 200 {
		t.Fatalf("stats %+v", st)
	}

	ctx, cancel := context.WithCancel(context.Background())
	in := make(chan string)
	go func() {
		defer close(in) // the run drains in until it is closed
		for i := 0; ; i++ {
			select {
			case in <- strconv.Itoa(i):
			case <-ctx.Done():
				return
			}
		}
	}()
	out, run := p.Start(ctx, in)
	for range 10 {
		<-out
	}
	cancel()
	if err := run.Wait(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait = %v, want context.Canceled", err)
	}
}
`,
	}, "ingest/ingest_monogen.go")
}
