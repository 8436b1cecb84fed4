package gen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/monogen/monogen/internal/load"
)

// Change is what Write did to one file.
type Change struct {
	Path   string
	Action string // "wrote", "unchanged", "deleted"
}

// Write puts a Result on disk. Every target is checked first: a file that
// exists without monogen's header is never overwritten or deleted, and then
// nothing at all is written. Each write is atomic (temporary file, then
// rename); a file whose bytes would not change is left alone, mtime included.
func Write(res *Result) ([]Change, error) {
	paths := sortedKeys(res.Files)
	for _, p := range paths {
		if err := checkOurs(p); err != nil {
			return nil, err
		}
	}
	for _, p := range res.Stale {
		if err := checkOurs(p); err != nil {
			return nil, err
		}
	}
	var changes []Change
	for _, p := range paths {
		old, err := os.ReadFile(p)
		if err == nil && bytes.Equal(old, res.Files[p]) {
			changes = append(changes, Change{p, "unchanged"})
			continue
		}
		if err := writeAtomic(p, res.Files[p]); err != nil {
			return changes, err
		}
		changes = append(changes, Change{p, "wrote"})
	}
	for _, p := range res.Stale {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return changes, err
		}
		changes = append(changes, Change{p, "deleted"})
	}
	return changes, nil
}

// checkOurs fails when path exists and monogen did not write it. It reads
// the header only: Write reads the whole file once, to compare.
func checkOurs(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, len(load.Header)+1)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return err
	}
	if !load.IsGenerated(head[:n]) {
		return fmt.Errorf("%s exists and was not written by monogen (its first line is not %q); refusing to overwrite it: rename it or choose another -output", path, load.Header)
	}
	return nil
}

func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(name, 0o644)
	}
	if werr == nil {
		werr = os.Rename(name, path)
	}
	if werr != nil {
		os.Remove(name)
		return werr
	}
	return nil
}

// Check compares a Result with the disk and writes a unified diff of every
// stale file to w. It reports whether everything is up to date.
func Check(res *Result, w io.Writer, rel func(string) string) (bool, error) {
	ok := true
	for _, p := range sortedKeys(res.Files) {
		old, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, err
		}
		if bytes.Equal(old, res.Files[p]) {
			continue
		}
		ok = false
		w.Write(diff.Diff(rel(p)+" (on disk)", old, rel(p)+" (generated)", res.Files[p]))
	}
	for _, p := range res.Stale {
		ok = false
		why := "its directives are gone"
		if strings.Contains(filepath.Base(p), "_monogen_bench_") {
			why = "none of its directives has benchmarks now"
		}
		fmt.Fprintf(w, "%s is stale: %s; monogen would delete it\n", rel(p), why)
	}
	return ok, nil
}

func sortedKeys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
