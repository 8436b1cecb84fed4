package gen

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/monogen/monogen/internal/kinds"
	"github.com/monogen/monogen/internal/load"
)

// benchFile renders x_monogen_bench_test.go: for each directive with
// bench=true, benchmarks of the generated type against the template
// instantiated with the same types.
func (g *generator) benchFile(out string, jobs []*job) error {
	pkg := jobs[0].pkg
	im, err := g.fileScope(pkg, jobs)
	if err != nil {
		return err
	}
	var codes [][]byte
	var coded []*job
	for _, j := range jobs {
		c := &kinds.Context{D: j.d, Types: j.types, Scope: im, Self: j.pkg.Types, Spec: newSpec(j.d.Name, j.kind, im), Lookup: g.lookup(j.pkg)}
		decls, err := j.kind.Bench(c)
		if err != nil {
			g.errs = append(g.errs, err)
			continue
		}
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
	build, err := g.buildLine(jobs, false)
	if err != nil {
		return err
	}
	g.render(out, load.Header+"\n\n"+build, pkg.Name, coded, true, codes, im)
	return nil
}

// typeCheckBench checks benchmark files with the package and its new
// generated files, as the package's internal test would compile them.
func (g *generator) typeCheckBench(byFile map[string][]*job, benchFiles map[string][]*job) error {
	for out, jobs := range benchFiles {
		pkg := jobs[0].pkg
		var names []string
		for gout, gjobs := range byFile {
			if gjobs[0].pkg == pkg && !strings.HasSuffix(gout, "_test.go") {
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
