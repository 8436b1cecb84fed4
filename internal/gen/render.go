package gen

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"go/types"
	"go/version"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/monogen/monogen/internal/emit"
	"github.com/monogen/monogen/internal/kinds"
	"github.com/monogen/monogen/internal/load"
	"github.com/monogen/monogen/internal/model"
)

// An output file is rendered in pieces: its head (the header, the build line,
// the package clause and the imports) and the code of each directive, a
// chunk. A chunk is a file of its own, with the imports its code uses: a
// goroutine formats each while the next directive is stenciled, and keeps
// only the formatted text. The output is the formatted head followed by the
// formatted code of its chunks: what formatting the whole file gives, since
// gofmt lays out each top-level declaration by itself.
//
// The type check goes in batches of chunks, each with the package's own
// files and the chunks it depends on (the directives it composes with), so
// that the syntax and types of a package's whole output are never in memory
// at once. A batch that does not type-check is checked again with every
// chunk of the package, and only what that check reports is an error.

// rendered is an output file in pieces: head is the header, the build line
// and the package clause, to which formatFile adds the imports of the
// chunks.
type rendered struct {
	head    []byte
	imports *emit.Scope
	chunks  []*chunk
}

// chunk is the code of one directive in an output file.
type chunk struct {
	out     string
	job     *job
	bench   bool   // the directive's benchmarks, not its code
	shared  bool   // the shared code of the package (see shared.go)
	pkg     string // the package clause's name
	src     []byte // the code
	imports *emit.ImportSet
	// Once ready is closed, used are the names the code qualifies
	// identifiers with, paths the paths it imports, and text is the chunk
	// formatted, its code from offset code; or err is set.
	used  map[string]bool
	paths []string
	text  []byte
	code  int
	err   error
	ready chan struct{}
}

// renderer formats the chunks of the run in goroutines of their own.
type renderer struct {
	fset   *token.FileSet
	queue  chan *chunk
	stop   sync.Once
	done   sync.WaitGroup
	chunks []*chunk
}

// newRenderer returns a renderer for n chunks at most: stenciling never
// waits for formatting.
func newRenderer(fset *token.FileSet, n int) *renderer {
	r := &renderer{fset: fset, queue: make(chan *chunk, n)}
	// Formatting costs twice what stenciling does: two goroutines format,
	// so that on two cores both keep up with the stenciling one.
	for range formatters {
		r.done.Add(1)
		go func() {
			defer r.done.Done()
			for c := range r.queue {
				c.err = c.format()
				c.src, c.imports = nil, nil
				close(c.ready)
			}
		}()
	}
	return r
}

// formatters is the number of goroutines formatting chunks.
const formatters = 2

// add queues the code of directive j in output out for formatting: pkg is
// the package clause's name, im the file's scope, which gives the imports
// the code uses.
func (r *renderer) add(out, pkg string, j *job, bench bool, code []byte, im *emit.Scope) *chunk {
	c := &chunk{out: out, job: j, bench: bench, pkg: pkg, src: code, imports: im.Imports(), ready: make(chan struct{})}
	r.chunks = append(r.chunks, c)
	r.queue <- c
	return c
}

// wait waits for every chunk to be formatted and returns the first failure.
// It may be called more than once.
func (r *renderer) wait() error {
	r.stop.Do(func() { close(r.queue) })
	r.done.Wait()
	for _, c := range r.chunks {
		if c.err != nil {
			return c.err
		}
	}
	return nil
}

// format renders a chunk with its imports and formats it. Code that does
// not parse is monogen's bug: see brokenFile.
//
// The code is parsed without its imports into a FileSet of its own: the
// printer looks up a position per token, which in the run's FileSet is a
// search under a lock that every formatting goroutine takes; and
// format.Node, given a file with grouped imports, prints and parses it once
// more to sort them. The imports are formatted apart, and the chunk's text
// is the two, as formatting the whole chunk would give (gofmt lays out each
// top-level declaration by itself).
func (c *chunk) format() error {
	fset := token.NewFileSet()
	clause := fmt.Sprintf("package %s\n", c.pkg)
	src := append([]byte(clause+"\n"), c.src...)
	f, err := parser.ParseFile(fset, c.out, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return parseError(c.out, src, err) // the code without its imports, as the positions are
	}
	c.used = closeUp(fset, f)
	c.paths = c.imports.PathsOf(c.used)
	var b bytes.Buffer
	if err := format.Node(&b, fset, f); err != nil {
		return &InternalError{fmt.Errorf("formatting %s: %v", filepath.Base(c.out), err)}
	}
	pre, err := format.Source([]byte(clause + "\n" + c.imports.DeclOf(c.used)))
	if err != nil || !bytes.HasPrefix(b.Bytes(), []byte(clause)) {
		return &InternalError{fmt.Errorf("formatting %s: the formatted code of %s does not follow its imports", filepath.Base(c.out), c.job.d.Name)}
	}
	code := b.Bytes()[len(clause):]
	c.text = append(append(make([]byte, 0, len(pre)+len(code)), pre...), code...)
	c.code = len(pre)
	return nil
}

// closeUp moves the closing brace of a struct type up to the line after
// its last field when only blank lines stand between them: a field that an
// option removes (with its comment) leaves no gap before the brace.
//
// It returns the identifiers that f's code puts before a dot (x of x.f and
// of x.(T)): the package qualifiers, among others, as emit.Qualifiers
// finds them in the source, without scanning it again.
func closeUp(fset *token.FileSet, f *ast.File) (qualifiers map[string]bool) {
	qualifiers = map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok {
				qualifiers[id.Name] = true
			}
		case *ast.TypeAssertExpr:
			if id, ok := n.X.(*ast.Ident); ok {
				qualifiers[id.Name] = true
			}
		}
		st, ok := n.(*ast.StructType)
		if !ok || st.Fields == nil || len(st.Fields.List) == 0 {
			return true
		}
		last := st.Fields.List[len(st.Fields.List)-1]
		end := last.End()
		if last.Comment != nil {
			end = last.Comment.End()
		}
		if fset.Position(st.Fields.Closing).Line-fset.Position(end).Line < 2 {
			return true
		}
		for _, cg := range f.Comments {
			if cg.Pos() >= end && cg.Pos() < st.Fields.Closing {
				return true // a comment of its own before the brace stays
			}
		}
		st.Fields.Closing = end
		return true
	})
	return qualifiers
}

// render renders an output file: head is its header and build line, pkg
// its package's name, codes the code of each of jobs (queued for
// formatting), im its scope.
func (g *generator) render(out, head, pkg string, jobs []*job, bench bool, codes [][]byte, im *emit.Scope) {
	r := g.open(out, pkg, im)
	r.setHead(head, pkg)
	for i, code := range codes {
		r.chunks = append(r.chunks, g.renderer.add(out, pkg, jobs[i], bench, code, im))
	}
}

// open starts an output file of package pkg whose scope is im: its chunks
// are added as its directives are stenciled, and its head set then.
func (g *generator) open(out, pkg string, im *emit.Scope) *rendered {
	r := &rendered{imports: im}
	g.rendered[out] = r
	return r
}

// setHead sets the head of r: head is the header and the build line.
func (r *rendered) setHead(head, pkg string) {
	r.head = []byte(fmt.Sprintf("%spackage %s\n\n", head, pkg))
}

// formatFile formats an output file, once its chunks are: its head with the
// imports the chunks use, then the chunks.
func formatFile(out string, r *rendered) ([]byte, error) {
	used := map[string]bool{}
	for _, c := range r.chunks {
		for n := range c.used {
			used[n] = true
		}
	}
	src := append(r.head, r.imports.DeclOf(used)...)
	head, err := format.Source(src)
	if err != nil {
		return nil, parseError(out, src, err)
	}
	n := len(head)
	for _, c := range r.chunks {
		n += len(c.text) - c.code
	}
	b := make([]byte, 0, n)
	b = append(b, head...)
	for _, c := range r.chunks {
		b = append(b, c.text[c.code:]...)
	}
	return b, nil
}

// maxBatch is the least code a batch of the type check holds, in bytes:
// about 50,000 lines, whose syntax and types take some 50 MB.
const maxBatch = 2 << 20

// checkers is the number of batches type-checked at once. Each holds the
// syntax and types of its batch.
var checkers = min(runtime.GOMAXPROCS(0), 2)

// checkChunks type-checks the chunks subjects with the files of pkg, in
// batches, each with the chunks of pool that its chunks depend on, and
// returns the first error inside a subject, as the check of the package with
// every chunk of both reports it.
func (g *generator) checkChunks(pkg *load.Package, subjects, pool []*chunk) (error, error) {
	// Each batch checks the package's own files again: a batch holds at
	// least as much generated code, so that this at most doubles the work.
	user := 0
	for _, f := range pkg.Syntax {
		user += g.prog.Fset.File(f.Pos()).Size()
	}
	limit := max(maxBatch, user)
	// The check waits for the formatting of every chunk: checking
	// batches while the formatting goes on had the two hold memory at once
	// (three times the peak, for 1,000 maps).
	main := map[string]*chunk{} // by directive name, the code of each directive
	for _, c := range append(append([]*chunk(nil), pool...), subjects...) {
		if <-c.ready; c.err != nil {
			return nil, c.err
		}
		if !c.bench && !c.shared {
			main[c.job.d.Name] = c
		}
	}
	type batch struct {
		files, subjects []*chunk
		first, err      error
	}
	var batches []*batch
	var subj []*chunk
	size := 0
	for i, c := range subjects {
		subj = append(subj, c)
		size += len(c.text)
		if size < limit && i < len(subjects)-1 {
			continue
		}
		in := map[*chunk]bool{}
		var files []*chunk
		var add func(c *chunk)
		add = func(c *chunk) {
			if in[c] {
				return
			}
			in[c] = true
			files = append(files, c)
			for _, d := range dependencies(c, main) {
				add(d)
			}
		}
		for _, c := range subj {
			add(c)
		}
		batches = append(batches, &batch{files: files, subjects: subj})
		subj, size = nil, 0
	}
	// The batches are independent: checkers goroutines check them, each
	// taking the next batch until none is left or one fails. What they
	// import is imported first, so that none reads export data (a path
	// that fails to import fails again in the check, which reports it).
	var paths []string
	for _, c := range main {
		paths = append(paths, c.paths...)
	}
	for _, c := range subjects {
		paths = append(paths, c.paths...)
	}
	slices.Sort(paths)
	g.prog.Import(pkg, slices.Compact(paths))
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range min(checkers, len(batches)) {
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(1)) - 1
				if i >= len(batches) {
					return
				}
				b := batches[i]
				b.first, _, b.err = g.check(pkg, b.files, b.subjects)
				if b.first != nil || b.err != nil {
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	if failed.Load() {
		// Only the check of the whole output says.
		first, at, err := g.check(pkg, append(append([]*chunk(nil), pool...), subjects...), subjects)
		g.errChunk = at
		return first, err
	}
	return nil, nil
}

// dependencies returns the chunks c needs besides itself: the package's
// shared code, the code of the directives it composes with (a pool's
// rate=API), and for benchmarks the code of the directive they measure.
func dependencies(c *chunk, main map[string]*chunk) []*chunk {
	var out []*chunk
	if sf := c.job.shared; sf != nil && sf.chunk != nil && !c.shared {
		out = append(out, sf.chunk)
	}
	if c.bench {
		if d := main[c.job.d.Name]; d != nil {
			out = append(out, d)
		}
	}
	for _, spec := range c.job.kind.Options {
		if spec.Type != kinds.Ref {
			continue
		}
		if o := c.job.d.Option(spec.Key); o != nil {
			if name, ok := o.Value.(string); ok && main[name] != nil {
				out = append(out, main[name])
			}
		}
	}
	return out
}

// check type-checks the files of pkg with chunks, once they are formatted,
// and returns the first error inside one of subjects and that subject. It
// may run in several goroutines at once.
func (g *generator) check(pkg *load.Package, chunks, subjects []*chunk) (first error, at *chunk, err error) {
	for _, c := range chunks {
		if <-c.ready; c.err != nil {
			return nil, nil, c.err
		}
	}
	files := append([]*ast.File{}, pkg.Syntax...)
	of := map[*token.File]*chunk{}
	for _, c := range chunks {
		f, err := parser.ParseFile(g.prog.Fset, c.out, c.text, parser.SkipObjectResolution)
		if err != nil {
			return nil, nil, parseError(c.out, c.text, err)
		}
		files = append(files, f)
		of[g.prog.Fset.File(f.Pos())] = c
	}
	subject := map[*chunk]bool{}
	for _, c := range subjects {
		subject[c] = true
	}
	need := "" // the newest language version an error asks for
	conf := types.Config{
		Importer: g.prog.Importer(pkg),
		Error: func(err error) {
			te, ok := err.(types.Error)
			if !ok || !subject[of[te.Fset.File(te.Pos)]] {
				return
			}
			if first == nil {
				first, at = err, of[te.Fset.File(te.Pos)]
			}
			if m := requiresGo.FindStringSubmatch(te.Msg); m != nil && (need == "" || version.Compare(m[1], need) > 0) {
				need = m[1]
			}
		},
	}
	// The language version of the package's module, as the go command
	// compiles it: generated code that needs a newer one is the module's
	// to raise (see langError).
	if pkg.GoVersion != "" {
		conf.GoVersion = "go" + pkg.GoVersion
	}
	conf.Check(pkg.Path, g.prog.Fset, files, nil)
	if need != "" {
		first = &langError{need: need, err: first}
	}
	return first, at, nil
}

// requiresGo matches a type error about a language feature newer than the
// package's go line: "cannot range over n (...): requires go1.22 or later".
var requiresGo = regexp.MustCompile(`requires (go1\.\d+) or later`)

// langError is a type error of generated code that needs a newer language
// version than the go line of the package's module: the user's to fix.
type langError struct {
	need string // the newest version the errors ask for: go1.23
	err  error  // the first error
}

func (e *langError) Error() string { return e.err.Error() }

func (e *langError) Unwrap() error { return e.err }

// chunkError is the InternalError of generated code that does not
// type-check: first is the first error inside the chunk g.errChunk.
func (g *generator) chunkError(first error) error {
	c := g.errChunk
	var le *langError
	if errors.As(first, &le) && c != nil && c.job != nil {
		pkg := c.job.pkg
		module := "the module"
		if pkg.Module != "" {
			module = "module " + pkg.Module
		}
		v := strings.TrimPrefix(le.need, "go")
		return model.Errorf(c.job.d.Pos, "the code generated for %s needs %s or later, but %s says go %s in its go.mod; raise it: go mod edit -go=%s",
			c.job.d.Name, le.need, module, pkg.GoVersion, v)
	}
	if c == nil {
		return &InternalError{first}
	}
	return typeError(c.out, c.text, first)
}
