package main

import "testing"

// TestEndToEndPool generates worker pools in a module outside the repository
// (a bound job function with every option, and an unbound Name[In] pool)
// and runs their users' tests under -race.
func TestEndToEndPool(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test builds a module and runs go test -race; not in -short mode")
	}
	EndToEnd(t, map[string]string{
		"thumbs/thumbs.go": `// Package thumbs makes thumbnails on a worker pool.
package thumbs

import (
	"context"
	"errors"
)

//go:generate go tool monogen

// Image is a picture to shrink.
type Image struct{ W, H int }

// Thumb is a shrunk picture.
type Thumb struct{ W, H int }

// ErrEmpty is the error of an empty image.
var ErrEmpty = errors.New("empty image")

// Resizer shrinks images by half on four workers.
//
//monogen:pool Resizer[Image, Thumb] workers=4 queue=16 fn=resize retries=2 backoff=1ms timeout=2s metrics=true
func resize(ctx context.Context, im Image) (Thumb, error) {
	if im.W == 0 {
		return Thumb{}, ErrEmpty
	}
	return Thumb{im.W / 2, im.H / 2}, ctx.Err()
}

// Uploads runs any upload function: Name[In], no fn=.
//
//monogen:pool Uploads[string]
var _ = 0
`,
		"thumbs/thumbs_test.go": `package thumbs

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

func TestResizer(t *testing.T) {
	var ok, failed atomic.Int64
	r := NewResizer(func(in Image, out Thumb, err error) {
		switch {
		case err == nil && out.W == in.W/2:
			ok.Add(1)
		case errors.Is(err, ErrEmpty) && in.W == 0:
			failed.Add(1)
		default:
			t.Errorf("resize(%v) = %v, %v", in, out, err)
		}
	})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				if err := r.Submit(context.Background(), Image{W: (g*500 + i) % 100, H: 1}); err != nil {
					t.Error(err)
					return
				}
			}
		}(g)
	}
	outs, err := r.Map(context.Background(), []Image{{W: 4}, {W: 8}})
	if err != nil || outs[0].W != 2 || outs[1].W != 4 {
		t.Errorf("Map = %v, %v", outs, err)
	}
	r.Resize(2)
	wg.Wait()
	r.Close()
	if ok.Load() != 1980 || failed.Load() != 20 {
		t.Errorf("ok %d, failed %d; want 1980, 20", ok.Load(), failed.Load())
	}
	st := r.Stats()
	if st.Submitted != 2002 || st.Completed != 1982 || st.Failed != 20 || st.Retried != 40 {
		t.Errorf("Stats = %+v", st)
	}
	if err := r.Submit(context.Background(), Image{}); !errors.Is(err, ErrResizerClosed) {
		t.Errorf("Submit after Close = %v", err)
	}
}

func TestUploadsShutdown(t *testing.T) {
	release := make(chan struct{})
	var delivered atomic.Int64
	u := NewUploads(func(ctx context.Context, name string) error {
		<-release
		return nil
	}, func(name string, err error) { delivered.Add(1) })
	u.Resize(1)
	accepted := 0
	for i := 0; i < 100; i++ {
		if err := u.TrySubmit("f"); err == nil {
			accepted++
		} else if !errors.Is(err, ErrUploadsFull) {
			t.Fatal(err)
		}
	}
	close(release)
	unrun, err := u.Shutdown(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := int(delivered.Load()) + len(unrun); got != accepted {
		t.Fatalf("delivered %d + unrun %d != accepted %d", delivered.Load(), len(unrun), accepted)
	}
}
`,
	}, "thumbs/thumbs_monogen.go")
}
