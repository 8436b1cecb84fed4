package gen

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/monogen/monogen/internal/emit"
	"github.com/monogen/monogen/internal/kinds"
	"github.com/monogen/monogen/internal/load"
	"github.com/monogen/monogen/internal/model"
)

// benchFile renders x_monogen_bench_test.go: for each directive with
// bench=true, benchmarks of the generated type against the template
// instantiated with the same types. It returns the jobs whose benchmarks
// the file holds: with -bench alone, a directive that cannot be
// benchmarked as written (kinds.NoBenchError) is left out with a note, and
// bench=true on it is an error. With none left, there is no file.
func (g *generator) benchFile(out string, jobs []*job) ([]*job, error) {
	pkg := jobs[0].pkg
	type bench struct {
		decls []string
		err   error
	}
	var im *emit.Scope
	var benches []bench
	for {
		var err error
		im, err = g.fileScope(pkg, jobs)
		if err != nil {
			return nil, err
		}
		benches = benches[:0]
		var kept []*job
		for _, j := range jobs {
			c := &kinds.Context{D: j.d, Types: j.types, Scope: im, Self: j.pkg.Types, Spec: newSpec(j.d.Name, j.kind, im), Lookup: g.lookup(j.pkg)}
			decls, err := j.kind.Bench(c)
			var nb *kinds.NoBenchError
			if errors.As(err, &nb) {
				if !j.asked {
					g.notes = append(g.notes, model.Errorf(nb.Err.Pos, "note: -bench: no benchmarks for %s: %s", j.d.Name, nb.Err.Msg))
					j.bench = false
					continue
				}
				err = nb.Err
			}
			kept = append(kept, j)
			benches = append(benches, bench{decls, err})
		}
		if len(kept) == 0 {
			return nil, nil
		}
		if len(kept) == len(jobs) {
			break
		}
		// The scope of the file, and what the benchmarks of the others
		// made of it, are those of a file without the directives left out.
		jobs = kept
	}
	var codes [][]byte
	var coded []*job
	for i, j := range jobs {
		if err := benches[i].err; err != nil {
			g.errs = append(g.errs, err)
			continue
		}
		decls := benches[i].decls
		if g.benchClash(j, decls) {
			continue
		}
		var body bytes.Buffer
		body.WriteString("\n")
		for _, d := range decls {
			body.WriteString(d)
			body.WriteString("\n\n")
		}
		codes = append(codes, body.Bytes())
		coded = append(coded, j)
	}
	if len(coded) < len(jobs) {
		return nil, nil // errors, reported
	}
	build, err := g.buildLine(jobs, false)
	if err != nil {
		return nil, err
	}
	g.render(out, load.Header+"\n\n"+build, pkg.Name, coded, true, codes, im)
	return coded, nil
}

// typeCheckBench checks benchmark files with the package of their
// directives and the new generated files it compiles with, as typeCheck
// chooses them: a package's outputs, its internal test's (which has the
// package's files too), or its external test's (x_test.go in package
// x_test: the benchmarks call constructors generated into x_monogen_test.go).
func (g *generator) typeCheckBench(byFile map[string][]*job, benchFiles map[string][]*job) error {
	for out, jobs := range benchFiles {
		pkg := jobs[0].pkg
		var names []string
		for gout, gjobs := range byFile {
			if compilesWith(pkg, gjobs) {
				names = append(names, gout)
			}
		}
		sort.Strings(names)
		// Errors in the main output are typeCheck's to report.
		first, err := g.checkChunks(pkg, g.rendered[out].chunks, g.chunksOf(names))
		if err != nil {
			return err
		}
		if first != nil {
			if msg := first.Error(); strings.Contains(msg, kinds.TemplatePath) && strings.Contains(msg, "vendor") {
				// The module requires monogen, but its vendor directory
				// has only the templates that some file imported when
				// go mod vendor last ran.
				return fmt.Errorf("%s: bench=true imports the templates of github.com/monogen/monogen, which the vendor directory lacks: generate with -mod=mod (GOFLAGS=-mod=mod go generate; the module must require monogen), then run go mod vendor: %v", jobs[0].d.Pos, first)
			}
			if strings.Contains(first.Error(), kinds.TemplatePath) {
				return fmt.Errorf("%s: bench=true imports the templates of github.com/monogen/monogen: the module must require it (go get -tool github.com/monogen/monogen/cmd/monogen): %v", jobs[0].d.Pos, first)
			}
			return g.chunkError(first)
		}
	}
	return nil
}

// benchClash reports, and returns true for, a name that j's benchmark
// declarations decls declare and that the package (its test files
// included) declares or imports too: the user's own BenchmarkStore.
func (g *generator) benchClash(j *job, decls []string) bool {
	clash := false
	for _, d := range decls {
		for _, n := range declNames(d) {
			if obj := declaredIn(j.pkg, n); obj != nil {
				g.errorf(j.d.NamePos, "generated benchmark name %s is already declared in package %s at %s; rename the directive or that declaration, or generate without benchmarks",
					n, j.pkg.Name, relPos(g.prog.Fset.Position(obj.Pos())))
				clash = true
			} else if imp := g.importedAs(j.pkg, n); imp != "" {
				g.errorf(j.d.NamePos, "generated benchmark name %s is already %s; rename the directive or that declaration, or generate without benchmarks", n, imp)
				clash = true
			}
		}
	}
	return clash
}
