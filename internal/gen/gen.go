// Package gen runs monogen: load, resolve directives, stencil, emit. Generate
// computes every output file in memory and touches no file (but for a
// temporary copy of generated code that does not compile, which the
// InternalError names); Write and Check are the only functions that look at
// or change what is on disk.
//
// A run costs in proportion to the code it generates: each template is
// parsed and type-checked once; each directive is stenciled from it, the
// next ones by two goroutines ahead of the one whose code is taken (see
// generator.file), and its code is formatted by two other goroutines
// meanwhile; the type check of the output goes in batches of directives,
// two at a time (see render.go), so memory holds the syntax and types of two
// batches, not of the whole output.
// Packages are generated in waves, in the order of their imports (see
// load.Program.Waves): a package may use what another package generates.
package gen

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/monogen/monogen/internal/directive"
	"github.com/monogen/monogen/internal/emit"
	"github.com/monogen/monogen/internal/kinds"
	"github.com/monogen/monogen/internal/load"
	"github.com/monogen/monogen/internal/model"
	"github.com/monogen/monogen/internal/stencil"
	"github.com/monogen/monogen/templates"
)

// Config is what to generate.
type Config struct {
	Dir      string   // directory to run in (default ".")
	Patterns []string // package patterns (default ".")
	// Output overrides the output file name (one package only).
	Output string
	// Bench emits benchmarks for every directive whose kind has them, as if
	// each had bench=true, but for a directive that cannot be benchmarked as
	// written (a pool without fn=): that one is generated without
	// benchmarks, with a note in Result.Notes.
	Bench bool
	// Tags are extra build tags (unused for now; reserved).
}

// Result is what Generate produced.
type Result struct {
	// Files maps absolute output paths to their contents.
	Files map[string][]byte
	// Stale lists generated files whose directives are gone (or, for a
	// benchmark file, whose directives have no benchmarks now).
	Stale []string
	// Notes are messages for the user that are not errors, one a line,
	// each starting with the position of its directive (file:line:col:),
	// in file order: with Config.Bench, the directives left without
	// benchmarks and why.
	Notes []string
	// Directives lists what was generated, in order, for reporting.
	Directives []*model.Directive
}

// Errors is a list of user errors, each with a position.
type Errors []error

// MaxErrors is how many errors Errors.Error reports before it stops with
// "too many errors", as the compiler does.
const MaxErrors = 10

// Error reports the first MaxErrors errors, one a line; All reports them all.
func (e Errors) Error() string {
	var b strings.Builder
	for i, err := range e {
		if i > 0 {
			b.WriteByte('\n')
		}
		if i == MaxErrors {
			b.WriteString("too many errors")
			break
		}
		b.WriteString(err.Error())
	}
	return b.String()
}

// All reports every error, one a line.
func (e Errors) All() string {
	var b strings.Builder
	for i, err := range e {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(err.Error())
	}
	return b.String()
}

// maxWord is the longest run of non-space bytes an error message shows: a
// message quotes the directive's text, and a longer run (a huge option value,
// a type argument of a megabyte) is cut to its first maxWord bytes and "...".
const maxWord = 80

// shorten cuts every run of non-space bytes in msg longer than maxWord, and
// keeps the punctuation that closes it (a quote, a colon).
func shorten(msg string) string {
	if len(msg) <= maxWord {
		return msg
	}
	var b strings.Builder
	for len(msg) > 0 {
		i := strings.IndexAny(msg, " \t\n")
		if i < 0 {
			i = len(msg)
		}
		word := msg[:i]
		if core := strings.TrimRight(word, `"'):;,.]`); len(core) > maxWord {
			tail := word[len(core):]
			cut := maxWord
			for cut > 0 && !utf8.RuneStart(core[cut]) {
				cut--
			}
			word = core[:cut] + "..." + tail
		}
		b.WriteString(word)
		if i < len(msg) {
			b.WriteByte(msg[i])
			i++
		}
		msg = msg[i:]
	}
	return b.String()
}

// Generate computes every output file. It reads the packages but writes
// nothing. Errors in directives come back as Errors, sorted by position.
func Generate(cfg Config) (*Result, error) {
	dir := cfg.Dir
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if cfg.Output != "" {
		if err := checkOutput(cfg.Output); err != nil {
			return nil, Errors{err}
		}
	}
	prog, err := load.Load(abs, cfg.Patterns)
	if err != nil {
		return nil, err
	}
	g := &generator{prog: prog, cfg: cfg, res: &Result{Files: map[string][]byte{}}, declared: map[string]*model.Directive{}, templates: map[string]*stencil.Template{}, rendered: map[string]*rendered{}, shared: map[string]*sharedFile{}}
	return g.run()
}

type generator struct {
	prog *load.Program
	cfg  Config
	res  *Result
	errs Errors
	// declared maps package directory|Name to the directive generating
	// Name, for options that name another directive (a pool's rate=API).
	// A nil value is a directive that failed to resolve.
	declared map[string]*model.Directive
	// templates are the templates parsed for the run, by directory.
	templates map[string]*stencil.Template
	// rendered are the output files, by path, until they are formatted;
	// renderer parses their chunks.
	rendered map[string]*rendered
	renderer *renderer
	errChunk *chunk // the chunk of the first type error
	// jobs are the directives to generate; shared is the shared code of
	// each package, by declKey(pkg, "") (see shared.go).
	jobs   []*job
	shared map[string]*sharedFile
	// ownCopy caches, by file, whether the directives of a source file keep
	// their own copy of the shared code (a build constraint, cgo): read once
	// per file, not once per directive of it.
	ownCopy map[string]bool
	// notes are the run's notes (see Result.Notes).
	notes []*model.Error
}

// job is one directive ready to generate.
type job struct {
	d     *model.Directive
	kind  *kinds.Kind
	pkg   *load.Package
	types map[string]types.Type
	// bench is set by bench=true (or -bench): emit benchmarks of this
	// directive's type into benchOut. asked is set by bench=true itself:
	// a directive that cannot be benchmarked as written is then an error,
	// where -bench alone skips its benchmarks.
	bench, asked bool
	benchOut     string
	// share is the shared code of the package if the directive may use it
	// (see sharing), and shared the same once it does.
	share, shared *sharedFile
}

func (g *generator) run() (*Result, error) {
	if g.cfg.Output != "" {
		dirs := map[string]bool{}
		for _, pkg := range g.prog.Packages {
			if len(pkg.Directives) > 0 {
				dirs[pkg.Dir+"|"+pkg.Name] = true
			}
		}
		if len(dirs) > 1 {
			return nil, Errors{errors.New("-output names one file, but directives were found in more than one package")}
		}
	}
	// A wave's packages may use what earlier waves generate: they are
	// checked again against that output first.
	for i, wave := range g.prog.Waves() {
		if i > 0 {
			if err := g.prog.Overlay(g.res.Files, wave); err != nil {
				return nil, &InternalError{err}
			}
		}
		if err := g.wave(wave); err != nil {
			return nil, err
		}
	}
	// Stale: our files that this run does not produce.
	for _, pkg := range g.prog.Packages {
		for _, f := range pkg.Generated {
			if _, ok := g.res.Files[f]; !ok && !contains(g.res.Stale, f) {
				g.res.Stale = append(g.res.Stale, f)
			}
		}
	}
	sort.Strings(g.res.Stale)
	sort.SliceStable(g.notes, func(i, j int) bool { return before(g.notes[i], g.notes[j]) })
	for _, n := range g.notes {
		n.Msg = shorten(n.Msg)
		g.res.Notes = append(g.res.Notes, n.Error())
	}
	return g.res, nil
}

// wave generates the code of the directives of pkgs into g.res.
func (g *generator) wave(pkgs []*load.Package) error {
	var jobs []*job
	for _, pkg := range pkgs {
		for _, f := range pkg.Directives {
			if j := g.resolve(pkg, f); j != nil {
				jobs = append(jobs, j)
			}
		}
	}
	// Let each kind check its directive now, once every directive of the
	// package is known (options may name one another), so that all errors
	// of a run are reported together; the real build happens per output
	// file.
	checked := jobs[:0]
	for _, j := range jobs {
		c := &kinds.Context{D: j.d, Types: j.types, Scope: emit.NewScope(j.pkg.Path, map[string]bool{}, map[string]bool{}), Self: j.pkg.Types,
			Spec: newSpec(j.d.Name, j.kind, nil), Lookup: g.lookup(j.pkg)}
		if err := j.kind.Build(c); err != nil {
			g.errs = append(g.errs, err)
			continue
		}
		checked = append(checked, j)
	}
	jobs = checked
	if len(g.errs) > 0 {
		return g.sorted()
	}
	if g.cfg.Output != "" && len(jobs) > 0 {
		if j := jobs[0]; filepath.Dir(j.d.Output) != j.pkg.Dir {
			return Errors{outputError(g.cfg.Output, "want the name of a .go file in the package directory")}
		}
	}
	g.checkNames(jobs)
	if len(g.errs) > 0 {
		return g.sorted()
	}
	g.prefetch(jobs)
	g.jobs = jobs
	for _, j := range jobs {
		sf, err := g.sharing(j)
		if err != nil {
			return err
		}
		j.share = sf
	}

	// Group by output file, in a stable order.
	byFile := map[string][]*job{}
	var files []string
	for _, j := range jobs {
		out := j.d.Output
		if _, ok := byFile[out]; !ok {
			files = append(files, out)
		}
		byFile[out] = append(byFile[out], j)
	}
	sort.Strings(files)
	names := map[string]*job{} // generated top-level names, across files of a package
	// The code of each job, and its benchmarks, is formatted meanwhile; on
	// every return, the formatting goroutine ends.
	g.rendered = map[string]*rendered{}
	g.renderer = newRenderer(g.prog.Fset, 2*len(jobs)+len(g.prog.Packages))
	defer g.renderer.wait()
	for _, out := range files {
		if err := g.file(out, byFile[out], names); err != nil {
			return err
		}
	}
	if len(g.errs) > 0 {
		return g.sorted()
	}
	for out, users := range g.renderShared() {
		byFile[out] = users
	}
	benchFiles := map[string][]*job{}
	var benchNames []string
	for _, j := range jobs {
		if !j.bench {
			continue
		}
		if _, ok := benchFiles[j.benchOut]; !ok {
			benchNames = append(benchNames, j.benchOut)
		}
		benchFiles[j.benchOut] = append(benchFiles[j.benchOut], j)
	}
	sort.Strings(benchNames)
	for _, out := range benchNames {
		coded, err := g.benchFile(out, benchFiles[out])
		if err != nil {
			return err
		}
		// Without a benchmark left, there is no file: one written before
		// is stale.
		if len(coded) == 0 {
			delete(benchFiles, out)
		} else {
			benchFiles[out] = coded
		}
	}
	if len(g.errs) > 0 {
		return g.sorted()
	}
	if err := g.checkAndFormat(byFile, benchFiles); err != nil {
		return err
	}
	for _, j := range jobs {
		g.res.Directives = append(g.res.Directives, j.d)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sorted returns the errors of the run in file order, their messages
// shortened.
func (g *generator) sorted() Errors {
	for _, err := range g.errs {
		if e, ok := err.(*model.Error); ok {
			e.Msg = shorten(e.Msg)
		}
	}
	sort.SliceStable(g.errs, func(i, j int) bool {
		a, _ := g.errs[i].(*model.Error)
		b, _ := g.errs[j].(*model.Error)
		return before(a, b)
	})
	return g.errs
}

// before orders errors in file order, those without a position (nil) last.
func before(a, b *model.Error) bool {
	if a == nil || b == nil {
		return a != nil
	}
	if a.Pos.Filename != b.Pos.Filename {
		return a.Pos.Filename < b.Pos.Filename
	}
	if a.Pos.Line != b.Pos.Line {
		return a.Pos.Line < b.Pos.Line
	}
	return a.Pos.Column < b.Pos.Column
}

func (g *generator) errorf(pos token.Position, format string, args ...any) {
	g.errs = append(g.errs, model.Errorf(pos, format, args...))
}

// resolve parses one directive and resolves its types and options.
func (g *generator) resolve(pkg *load.Package, f *load.Found) *job {
	fset := g.prog.Fset
	at := func(off int) token.Position { return fset.Position(f.Pos + token.Pos(off)) }
	pd, err := directive.Parse(f.Text)
	if err != nil {
		var de *directive.Error
		if errors.As(err, &de) {
			g.errorf(at(de.Off), "%s", de.Msg)
		} else {
			g.errorf(at(0), "%v", err)
		}
		return nil
	}
	if key := declKey(pkg, pd.Name); pd.Name != "" {
		if _, seen := g.declared[key]; !seen {
			g.declared[key] = nil // until it resolves
		}
	}
	switch {
	case pd.Name == "init":
		g.errorf(at(pd.NameOff), "init cannot name a type: it is reserved for package initialization functions; choose another name")
		return nil
	case types.Universe.Lookup(pd.Name) != nil:
		g.errorf(at(pd.NameOff), "%s is predeclared in Go: a type named %s would shadow it in the whole package; choose another name", pd.Name, pd.Name)
		return nil
	}
	kind, ok := kinds.Lookup(pd.Kind)
	if !ok {
		g.errorf(at(pd.KindOff), "unknown directive kind %q; kinds are %s", pd.Kind, strings.Join(kinds.Names(), ", "))
		return nil
	}
	// A key: the kind's keyed variant.
	kind = kind.Variant(len(pd.Args), func(key string) bool {
		for _, o := range pd.Options {
			if o.Key == key {
				return true
			}
		}
		return false
	})
	d := &model.Directive{
		Pos:     at(0),
		Kind:    pd.Kind,
		Name:    pd.Name,
		NamePos: at(pd.NameOff),
		File:    f.File,
		Pkg:     pkg.Types,
	}
	d.Output = outputName(f.File, g.cfg.Output, pkg.Dir)
	if n := len(pd.Args); n < kind.MinArgs || n > len(kind.Params) {
		want := fmt.Sprintf("%d", len(kind.Params))
		if kind.MinArgs == len(kind.Params)-1 {
			want = fmt.Sprintf("%d or %d", kind.MinArgs, len(kind.Params))
		} else if kind.MinArgs < len(kind.Params) {
			want = fmt.Sprintf("%d to %d", kind.MinArgs, len(kind.Params))
		}
		params := "[" + strings.Join(kind.Params, ", ") + "]"
		if n := len(kind.Params); kind.MinArgs < n-1 {
			params = "[" + strings.Join(kind.Params[:kind.MinArgs], ", ") + ", ..., " + kind.Params[n-1] + "]"
		}
		if len(kind.Params) == 0 {
			g.errorf(at(pd.NameOff+len(pd.Name)), "%s takes no type arguments: //monogen:%s %s", kind.Name, kind.Name, pd.Name)
		} else {
			noun := "type arguments"
			if want == "1" {
				noun = "type argument"
			}
			g.errorf(at(pd.NameOff+len(pd.Name)), "%s takes %s %s %s, got %d", kind.Name, want, noun, params, n)
		}
		return nil
	}
	j := &job{d: d, kind: kind, pkg: pkg, types: map[string]types.Type{}}
	for i, a := range pd.Args {
		t, err := g.resolveType(pkg, f, a)
		if err != nil {
			g.errs = append(g.errs, err)
			return nil
		}
		if n := argSizes.Sizeof(t); n < 0 || n > MaxArgSize {
			g.errorf(at(a.Off), "type argument %s takes %s; a type argument may take at most %s (it is passed by value, and sent on channels whose elements Go limits to 64 KiB): use a pointer, *%s",
				a.Text, byteSize(n), byteSize(MaxArgSize), a.Text)
			return nil
		}
		if lock, field := lockIn(t, nil); lock != nil {
			what := "is a lock"
			if field != "" {
				what = fmt.Sprintf("holds a lock, its field %s of type %s", field, types.TypeString(lock, byName(pkg.Types)))
			}
			g.errorf(at(a.Off), "type argument %s %s, which the generated code would copy: it passes %s by value (go vet's copylocks check reports every copy); use a pointer, *%s",
				a.Text, what, a.Text, a.Text)
			return nil
		}
		d.Args = append(d.Args, model.Arg{Text: a.Text, Pos: at(a.Off), Type: t})
		j.types[kind.Params[i]] = t
	}
	ok = true
	j.bench = g.cfg.Bench && kind.Bench != nil
	for _, o := range pd.Options {
		mo := &model.Option{Key: o.Key, Raw: o.Value, KeyPos: at(o.KeyOff), ValuePos: at(o.ValueOff)}
		if o.Key == "bench" {
			// bench= belongs to every kind: the generator handles it.
			b, err := strconv.ParseBool(o.Value)
			switch {
			case err != nil:
				g.errorf(mo.ValuePos, "bad value %q for option bench: want true or false", o.Value)
				ok = false
			case b && kind.Bench == nil:
				g.errorf(mo.KeyPos, "bench=true: the %s kind has no benchmarks yet", kind.Name)
				ok = false
			default:
				j.bench, j.asked = b, b
			}
			continue
		}
		if err := kind.ParseOption(mo, pkg.Types.Scope()); err != nil {
			g.errs = append(g.errs, err)
			ok = false
			continue
		}
		d.Options = append(d.Options, mo)
	}
	if !ok {
		return nil
	}
	if j.bench {
		j.benchOut = benchOutputName(f.File, pkg.Name)
	}
	g.declared[declKey(pkg, d.Name)] = d
	return j
}

// MaxArgSize is the largest size of a type argument, in bytes. Generated
// code passes keys, values, jobs and items by value, and pipelines send them
// on channels, whose element type the compiler limits to 64 KiB (beyond, it
// fails with "channel element type too large"; the other kinds compile up to
// 256 MiB, where a function's arguments exceed the 1 GB stack frame limit).
// Half of the channel limit leaves room for a template that wraps the value
// with a field or two.
const MaxArgSize = 32 << 10

// byName qualifies the names of packages other than self by the package's
// name, as Go source spells them: atomic.Int64.
func byName(self *types.Package) types.Qualifier {
	return func(p *types.Package) string {
		if p == self {
			return ""
		}
		return p.Name()
	}
}

// locker is sync.Locker, built here so that it need not be imported.
var locker = func() *types.Interface {
	sig := types.NewSignatureType(nil, nil, nil, nil, nil, false)
	return types.NewInterfaceType([]*types.Func{
		types.NewFunc(token.NoPos, nil, "Lock", sig),
		types.NewFunc(token.NoPos, nil, "Unlock", sig),
	}, nil).Complete()
}()

// lockIn returns the lock that a value of t holds, as go vet's copylocks
// check finds it: a type whose pointer is a sync.Locker and whose value is
// not (sync.Mutex, sync.WaitGroup's noCopy), in t itself, an element or a
// field, or nil. A type of sync or sync/atomic that holds one is the lock
// (atomic.Int64, not its noCopy field), and field is the field of t that
// holds it: "mu", "Stats.N", "" for t itself.
func lockIn(t types.Type, seen map[types.Type]bool) (lock types.Type, field string) {
	if seen[t] {
		return nil, ""
	}
	if seen == nil {
		seen = map[types.Type]bool{}
	}
	seen[t] = true
	for {
		a, ok := t.Underlying().(*types.Array)
		if !ok {
			break
		}
		t = a.Elem()
	}
	st, ok := t.Underlying().(*types.Struct)
	if !ok {
		return nil, ""
	}
	if types.Implements(types.NewPointer(t), locker) && !types.Implements(t, locker) {
		return t, ""
	}
	for f := range st.Fields() {
		l, w := lockIn(f.Type(), seen)
		if l == nil {
			continue
		}
		if n, ok := types.Unalias(t).(*types.Named); ok && n.Obj().Pkg() != nil && (n.Obj().Pkg().Path() == "sync" || n.Obj().Pkg().Path() == "sync/atomic") {
			return t, ""
		}
		if w != "" {
			return l, f.Name() + "." + w
		}
		return l, f.Name()
	}
	return nil, ""
}

// argSizes are the sizes of the architecture the code is generated for.
var argSizes = func() types.Sizes {
	if s := types.SizesFor("gc", build.Default.GOARCH); s != nil {
		return s
	}
	return types.SizesFor("gc", "amd64")
}()

// byteSize spells a size for a message: 32 KiB, 1 TiB, 100 bytes.
func byteSize(n int64) string {
	if n < 0 {
		return "more than the address space"
	}
	units := []string{"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	u := 0
	for n >= 1024 && n%1024 == 0 && u < len(units)-1 {
		n /= 1024
		u++
	}
	return fmt.Sprintf("%d %s", n, units[u])
}

// lookup returns the Lookup of a kinds.Context for a directive of pkg.
func (g *generator) lookup(pkg *load.Package) func(string) (*model.Directive, bool) {
	return func(name string) (*model.Directive, bool) {
		d, ok := g.declared[declKey(pkg, name)]
		return d, ok
	}
}

// packageNames returns the package-level names of pkg, which no import and
// no local of emitted code may take: the package's own, those of its test
// files, and the Names of its directives, which are package-level names too
// (a directive named sync makes the output import "sync" as sync2).
func (g *generator) packageNames(pkg *load.Package) map[string]bool {
	names := map[string]bool{}
	for _, scope := range scopes(pkg) {
		for _, n := range scope.Names() {
			names[n] = true
		}
	}
	prefix := declKey(pkg, "")
	for key := range g.declared {
		if n, ok := strings.CutPrefix(key, prefix); ok {
			names[n] = true
		}
	}
	return names
}

// scopes returns the package scopes whose names the code generated into
// pkg must not take: the package's, and the package's as go test builds it,
// with the names of its _test.go files.
func scopes(pkg *load.Package) []*types.Scope {
	if pkg.TestTypes != nil {
		return []*types.Scope{pkg.Types.Scope(), pkg.TestTypes.Scope()}
	}
	return []*types.Scope{pkg.Types.Scope()}
}

// declared returns the declaration of name in pkg (test files included),
// or nil.
func declaredIn(pkg *load.Package, name string) types.Object {
	for _, scope := range scopes(pkg) {
		if obj := scope.Lookup(name); obj != nil {
			return obj
		}
	}
	return nil
}

// importedAs describes the import through which a file of pkg (test files
// included) holds name in its file block, or returns "": an import named
// name, or a dot-import of a package that exports it. A package-level name
// may not be both, so output declaring it would not compile.
func (g *generator) importedAs(pkg *load.Package, name string) string {
	for _, scope := range scopes(pkg) {
		for i := range scope.NumChildren() {
			file := scope.Child(i)
			obj := file.Lookup(name)
			if obj == nil {
				continue
			}
			if pn, ok := obj.(*types.PkgName); ok {
				return fmt.Sprintf("the name of the import of %q at %s", pn.Imported().Path(), relPos(g.prog.Fset.Position(pn.Pos())))
			}
			// A dot-import's: the object is the imported package's.
			if obj.Pkg() == nil {
				continue
			}
			at := relPos(g.prog.Fset.Position(file.Pos()))
			if pos, ok := g.dotImport(file.Pos(), obj.Pkg().Path()); ok {
				at = relPos(pos)
			}
			return fmt.Sprintf("declared by package %s, which the dot-import at %s brings into its file", obj.Pkg().Name(), at)
		}
	}
	return ""
}

// dotImport returns the position of the dot-import of path in the file
// that starts at start.
func (g *generator) dotImport(start token.Pos, path string) (token.Position, bool) {
	tf := g.prog.Fset.File(start)
	if tf == nil {
		return token.Position{}, false
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, tf.Name(), nil, parser.ImportsOnly)
	if err != nil {
		return token.Position{}, false
	}
	for _, spec := range f.Imports {
		if p, err := strconv.Unquote(spec.Path.Value); err == nil && p == path && spec.Name != nil && spec.Name.Name == "." {
			return fset.Position(spec.Pos()), true
		}
	}
	return token.Position{}, false
}

// declKey is the key of a directive's Name in generator.declared: a package
// and its external test package share a directory, not their names.
func declKey(pkg *load.Package, name string) string {
	return pkg.Dir + "|" + pkg.Name + "|" + name
}

func newSpec(name string, kind *kinds.Kind, im *emit.Scope) *stencil.Spec {
	spec := kinds.NewSpec(name, kind.Main)
	if im != nil {
		spec.Imports = im.Import
	}
	return spec
}

// resolveType type-checks a type argument in the scope of the directive's file.
func (g *generator) resolveType(pkg *load.Package, f *load.Found, a directive.Arg) (types.Type, error) {
	pos := g.prog.Fset.Position(f.Pos + token.Pos(a.Off))
	// Reparse so that positions in the expression are offsets (+1) into the
	// argument's text, for errors pointing at the right column.
	afset := token.NewFileSet()
	expr, err := parser.ParseExprFrom(afset, "", a.Text, 0)
	if err != nil {
		return nil, model.Errorf(pos, "type argument %q: %v", a.Text, err)
	}
	if f.Cgo {
		var cgo ast.Expr
		ast.Inspect(expr, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && cgo == nil {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == "C" {
					cgo = sel
				}
			}
			return cgo == nil
		})
		if cgo != nil {
			col := pos
			col.Column += int(cgo.Pos()) - 1
			col.Offset += int(cgo.Pos()) - 1
			return nil, model.Errorf(col, "type argument %s: cgo types are not supported; use a Go type (int32 for C.int, a struct with the same fields for a C struct)", a.Text)
		}
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}}
	// In the file's scope, even for a directive in a function body: the
	// output is package-level code, which a function's local types (or its
	// locals hiding package-level names) never reach.
	scopePos := f.Pos
	if tf := g.prog.Fset.File(f.Pos); tf != nil {
		scopePos = token.Pos(tf.Base())
	}
	err = types.CheckExpr(afset, pkg.Types, scopePos, expr, info)
	if err != nil {
		var te types.Error
		if errors.As(err, &te) {
			col := pos
			if te.Pos.IsValid() {
				col.Column += int(te.Pos) - 1
				col.Offset += int(te.Pos) - 1
			}
			if name, ok := strings.CutPrefix(te.Msg, "undefined: "); ok {
				if at, ok := g.directiveNamed(pkg, name); ok {
					return nil, model.Errorf(col, "type argument %s: %s is generated by the directive at %s, in the same package; a type argument may name a type that a directive of another package generates, not one generated beside it: move one of the directives to another package",
						a.Text, name, relPos(at))
				}
				if obj := localObject(pkg, f.Pos, name); obj != nil {
					return nil, model.Errorf(col, "type argument %s: %s is declared in a function, at %s; the generated code is package-level: want a package-level type",
						a.Text, name, relPos(g.prog.Fset.Position(obj.Pos())))
				}
				if at, ok := g.generatedIn(pkg, f.Pos, name); ok {
					return nil, model.Errorf(col, "type argument %s: undefined: %s, which the directive at %s generates: its output is missing or stale; generate both packages in one run, go tool monogen ./... (go generate runs one package at a time)",
						a.Text, name, at)
				}
			}
			return nil, model.Errorf(col, "type argument %s: %s", a.Text, te.Msg)
		}
		return nil, model.Errorf(pos, "type argument %s: %v", a.Text, err)
	}
	tv := info.Types[expr]
	if !tv.IsType() {
		return nil, model.Errorf(pos, "type argument %s is not a type", a.Text)
	}
	if tv.Type == nil || tv.Type == types.Typ[types.Invalid] {
		return nil, model.Errorf(pos, "type argument %s: invalid type", a.Text)
	}
	if tn := uninstantiated(tv.Type); tn != nil {
		// go/types accepts a generic type alone in an expression (it could
		// be instantiated by inference); a type argument cannot.
		return nil, model.Errorf(pos, "type argument %s: cannot use generic type %s without instantiation; want %s[...] with its type arguments",
			a.Text, types.TypeString(tn.Type(), types.RelativeTo(pkg.Types)), tn.Name())
	}
	return tv.Type, nil
}

// generatedIn returns where a directive of another package declares name,
// a qualified identifier (z.Store) in the file of pkg at pos, when that
// package is loaded with its files but not generated in this run.
func (g *generator) generatedIn(pkg *load.Package, pos token.Pos, name string) (string, bool) {
	local, typ, ok := strings.Cut(name, ".")
	if !ok {
		return "", false
	}
	scope := pkg.Types.Scope().Innermost(pos)
	if scope == nil {
		return "", false
	}
	_, obj := scope.LookupParent(local, pos)
	pn, ok := obj.(*types.PkgName)
	if !ok {
		return "", false
	}
	for _, file := range g.prog.GoFiles(pn.Imported().Path()) {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, file, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				if d, err := directive.Parse(c.Text); err == nil && d.Name == typ {
					return fset.Position(c.Pos() + token.Pos(d.NameOff)).String(), true
				}
			}
		}
	}
	return "", false
}

// localObject returns the object that name denotes at pos, in a
// function's scope, or nil: a local type, which a directive in a function
// body sees and the package-level output does not.
func localObject(pkg *load.Package, pos token.Pos, name string) types.Object {
	for i := range pkg.Types.Scope().NumChildren() {
		file := pkg.Types.Scope().Child(i)
		inner := file.Innermost(pos)
		if inner == nil {
			continue
		}
		for s := inner; s != nil && s != file; s = s.Parent() {
			if obj := s.Lookup(name); obj != nil && obj.Pos() <= pos {
				return obj
			}
		}
		return nil
	}
	return nil
}

// directiveNamed returns the position of the directive of pkg whose Name
// is name.
func (g *generator) directiveNamed(pkg *load.Package, name string) (token.Position, bool) {
	for _, f := range pkg.Directives {
		if d, err := directive.Parse(f.Text); err == nil && d.Name == name {
			return g.prog.Fset.Position(f.Pos + token.Pos(d.NameOff)), true
		}
	}
	return token.Position{}, false
}

// uninstantiated returns the generic type t is, if it is one without its
// type arguments.
func uninstantiated(t types.Type) *types.TypeName {
	switch t := t.(type) {
	case *types.Named:
		if t.TypeParams().Len() > 0 && t.TypeArgs().Len() == 0 {
			return t.Obj()
		}
	case *types.Alias:
		if t.TypeParams().Len() > 0 && t.TypeArgs().Len() == 0 {
			return t.Obj()
		}
	}
	return nil
}

// checkOutput checks the name given to -output: a .go file that the go
// command builds, in the package directory (a relative name has no
// directory; an absolute one is checked against the package's once loaded).
func checkOutput(name string) error {
	base := filepath.Base(name)
	switch {
	case !strings.HasSuffix(name, ".go") || base == ".go":
		return outputError(name, "want the name of a .go file in the package directory")
	case !filepath.IsAbs(name) && filepath.Clean(name) != base:
		return outputError(name, "want the name of a .go file in the package directory")
	case strings.HasPrefix(base, "_") || strings.HasPrefix(base, "."):
		return outputError(name, "the go command ignores files whose names begin with _ or .; want another name")
	}
	return nil
}

// outputError is an error about -output name, ending with a name that
// would do.
func outputError(name, what string) error {
	base := filepath.Base(name)
	if !strings.HasSuffix(base, ".go") || strings.TrimLeft(base, "_.") != base {
		base = strings.TrimLeft(strings.TrimSuffix(base, filepath.Ext(base)), "_.")
		if base == "" {
			base = "x"
		}
		base += "_monogen.go"
	}
	return fmt.Errorf("-output %s: %s, such as %s", name, what, base)
}

// outputName: x.go -> x_monogen.go, x_test.go -> x_monogen_test.go.
func outputName(src, override, dir string) string {
	if override != "" {
		if filepath.IsAbs(override) {
			return override
		}
		return filepath.Join(dir, override)
	}
	base := strings.TrimSuffix(src, ".go")
	if strings.HasSuffix(base, "_test") {
		return strings.TrimSuffix(base, "_test") + "_monogen_test.go"
	}
	return base + "_monogen.go"
}

// benchOutputName: x.go and x_test.go -> x_monogen_bench_test.go; a file x.go
// or x_test.go of an external test package p_test ->
// x_monogen_bench_p_test.go, as its shared code goes to
// monogen_shared_p_test.go: x.go in package p and x_test.go in package p_test
// cannot share a file.
func benchOutputName(src, pkgName string) string {
	base := strings.TrimSuffix(strings.TrimSuffix(src, ".go"), "_test")
	if strings.HasSuffix(pkgName, "_test") {
		return base + "_monogen_bench_" + pkgName + ".go"
	}
	return base + "_monogen_bench_test.go"
}

// checkNames rejects directive names that the package already declares and
// two directives generating the same name, or the same unexported names.
func (g *generator) checkNames(jobs []*job) {
	seen := map[string]*job{}
	prefixes := map[string]*job{}
	for _, j := range jobs {
		key := j.pkg.Dir + "|" + j.d.Name
		if prev, ok := seen[key]; ok {
			g.errorf(j.d.NamePos, "%s is already generated by the directive at %s", j.d.Name, relPos(prev.d.NamePos))
			continue
		}
		seen[key] = j
		// Unexported names are the directive's name with its first letter
		// lowered (Store: storeEntry), so Store and store clash in all of
		// them: one problem, reported once.
		prefix := strings.TrimSuffix(stencil.Rename("x", "", j.d.Name), "X")
		if prev, ok := prefixes[j.pkg.Dir+"|"+prefix]; ok {
			g.errorf(j.d.NamePos, "%s and the directive %s at %s differ only in case, so the unexported names both generate (%s...) clash; choose another name",
				j.d.Name, prev.d.Name, relPos(prev.d.NamePos), prefix)
			continue
		}
		prefixes[j.pkg.Dir+"|"+prefix] = j
		if obj := declaredIn(j.pkg, j.d.Name); obj != nil {
			g.errorf(j.d.NamePos, "%s is already declared in package %s at %s; choose another name", j.d.Name, j.pkg.Name, relPos(g.prog.Fset.Position(obj.Pos())))
		} else if imp := g.importedAs(j.pkg, j.d.Name); imp != "" {
			g.errorf(j.d.NamePos, "%s is already %s; choose another name", j.d.Name, imp)
		}
	}
}

func relPos(p token.Position) string {
	p.Filename = filepath.Base(p.Filename)
	return p.String()
}

// fileScope returns the scope of an output file of pkg whose code comes
// from the templates of jobs: imports take none of the package's names, no
// predeclared name and no identifier of those templates, so that no
// template local can shadow an import.
func (g *generator) fileScope(pkg *load.Package, jobs []*job) (*emit.Scope, error) {
	reserved := map[string]bool{}
	for _, n := range types.Universe.Names() {
		reserved[n] = true
	}
	for _, j := range jobs {
		for _, dir := range append([]string{j.kind.Template}, j.kind.Uses...) {
			tpl, err := g.template(dir)
			if err != nil {
				return nil, err
			}
			for _, id := range tpl.Identifiers() {
				reserved[id] = true
			}
		}
	}
	return emit.NewScope(pkg.Path, g.packageNames(pkg), reserved), nil
}

// prefetch reads the export data of the packages the templates of jobs
// import with one go list: type-checking each template would ask for them
// one go list at a time (for a package whose earlier output is not loaded,
// as on its first generation). An error is left for the template's import
// to report.
func (g *generator) prefetch(jobs []*job) {
	seen := map[string]bool{}
	var paths []string
	fset := token.NewFileSet()
	var dirs []string
	for _, j := range jobs {
		dirs = append(dirs, j.kind.Template)
		dirs = append(dirs, j.kind.Uses...)
	}
	for _, dir := range dirs {
		if seen[dir] {
			continue
		}
		seen[dir] = true
		files, _ := fs.Glob(templates.Sources(), dir+"/*.go")
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			src, err := fs.ReadFile(templates.Sources(), name)
			if err != nil {
				continue
			}
			f, err := parser.ParseFile(fset, name, src, parser.ImportsOnly)
			if err != nil {
				continue
			}
			for _, imp := range f.Imports {
				// Another template is parsed from the sources (see template).
				if p, err := strconv.Unquote(imp.Path.Value); err == nil && !seen[p] && !strings.HasPrefix(p, kinds.TemplatePath) {
					seen[p] = true
					paths = append(paths, p)
				}
			}
		}
	}
	_ = g.prog.ImportStd(paths)
}

// template returns the parsed, type-checked template in dir, parsed once for
// the run.
func (g *generator) template(dir string) (*stencil.Template, error) {
	if tpl, ok := g.templates[dir]; ok {
		return tpl, nil
	}
	tpl, err := stencil.Parse(templates.Sources(), dir, g.templateImporter())
	if err != nil {
		return nil, &InternalError{err}
	}
	g.templates[dir] = tpl
	return tpl, nil
}

// templateImporter imports the packages of a template: the standard
// library, and another template (the shardmap a keyed kind's reference
// uses) as the generator parsed it, so that both templates' code has one
// set of types.
func (g *generator) templateImporter() types.Importer {
	std := g.prog.Importer(nil)
	return importerFunc(func(path string) (*types.Package, error) {
		if dir, ok := strings.CutPrefix(path, kinds.TemplatePath); ok {
			tpl, err := g.template(dir)
			if err != nil {
				return nil, err
			}
			return tpl.Pkg, nil
		}
		return std.Import(path)
	})
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

// checkAndFormat type-checks every package with its new files, whose
// chunks are being formatted meanwhile, and puts the formatted files in the
// result.
func (g *generator) checkAndFormat(byFile, benchFiles map[string][]*job) error {
	if err := g.typeCheck(byFile); err != nil {
		return err
	}
	if err := g.typeCheckBench(byFile, benchFiles); err != nil {
		return err
	}
	if err := g.renderer.wait(); err != nil {
		return err
	}
	for out, r := range g.rendered {
		b, err := formatFile(out, r)
		if err != nil {
			return err
		}
		g.res.Files[out] = b
	}
	return nil
}

// file renders one output file.
//
// Its directives are stenciled in order, each into the file's scope (the
// names of its imports and of the locals of emitted code), and their code
// is queued for formatting as it comes. Stenciling a directive costs more
// than all the rest, so goroutines stencil the next directives meanwhile,
// each with a fork of the scope (see emit.Scope.Fork): taken in order, a
// directive's code is kept when the names its fork read are still what the
// scope holds, as for all but a few of them (they name the same imports
// and locals), and is stenciled again with the scope itself otherwise. So
// the output is what stenciling one directive after the other gives.
func (g *generator) file(out string, jobs []*job, names map[string]*job) error {
	pkg := jobs[0].pkg
	im, err := g.fileScope(pkg, jobs)
	if err != nil {
		return err
	}
	r := g.open(out, pkg.Name, im)
	// The shared code of the package names its imports in its own file's
	// scope, or with -output in this one.
	for _, j := range jobs {
		if j.share != nil && j.share.scope == nil {
			j.share.scope = im
		}
	}
	sharedScope := func(j *job, im *emit.Scope) *emit.Scope {
		if j.share == nil || g.cfg.Output != "" {
			return im
		}
		return j.share.scope
	}

	// ahead are the directives being stenciled ahead, in order: each with
	// a fork of the file's scope, and of the shared file's when it is
	// another.
	type ahead struct {
		j           *job
		fork, sfork *emit.Scope
		res         stenciled
		done        chan struct{}
	}
	queue := make(chan *ahead, stencilAhead)
	var pending []*ahead
	var workers sync.WaitGroup
	for range stencilers {
		workers.Go(func() {
			for a := range queue {
				a.res = g.stencil(a.j, a.fork, a.sfork)
				close(a.done)
			}
		})
	}
	defer func() {
		close(queue)
		workers.Wait()
	}()
	next := 1 // the first is stenciled with the scope itself
	fill := func() {
		for ; next < len(jobs) && len(pending) < stencilAhead; next++ {
			a := &ahead{j: jobs[next], fork: im.Fork(), done: make(chan struct{})}
			a.sfork = a.fork
			if sc := sharedScope(a.j, im); sc != im {
				a.sfork = sc.Fork()
			}
			pending = append(pending, a)
			queue <- a
		}
	}
	for i, j := range jobs {
		var res stenciled
		if i == 0 {
			// The first directive names the imports and locals that the
			// others mostly share: forks taken before it would be stale.
			res = g.stencil(j, im, sharedScope(j, im))
		} else if len(pending) == 0 {
			res = g.stencil(j, im, sharedScope(j, im)) // nothing stenciled ahead
		} else {
			a := pending[0]
			pending = pending[1:]
			<-a.done
			res = a.res
			// Kept only if both scopes hold what the forks read.
			sc := sharedScope(j, im)
			kept := false
			if a.sfork == a.fork {
				kept = im.Join(a.fork)
			} else if sc.Holds(a.sfork) && im.Join(a.fork) {
				kept = sc.Join(a.sfork)
			}
			if !kept {
				res = g.stencil(j, im, sc)
			}
		}
		fill()
		if res.err != nil {
			return res.err
		}
		if res.userErr != nil {
			g.errs = append(g.errs, res.userErr)
			continue
		}
		// Shared code is added in the directives' order: the shared file
		// is the same however they were stenciled.
		if len(res.shared) > 0 {
			j.shared = j.share
			if err := j.share.add(j, res.shared); err != nil {
				return err
			}
		}
		g.checkGenerated(j, res.code.declared, names)
		g.checkMethods(j, res.code)
		var body bytes.Buffer
		fmt.Fprintf(&body, "\n// %s: generated from the %s directive in %s.\n\n", j.d.Name, j.d.Kind, filepath.Base(j.d.File))
		for _, d := range res.code.decls {
			body.WriteString(d)
			body.WriteString("\n\n")
		}
		r.chunks = append(r.chunks, g.renderer.add(out, pkg.Name, j, false, body.Bytes(), im))
	}
	build, err := g.buildLine(jobs, g.cfg.Output != "")
	if err != nil {
		return err
	}
	r.setHead(load.Header+"\n\n"+build, pkg.Name)
	return nil
}

// stencilers is the number of goroutines stenciling directives ahead of
// the one whose code is taken, and stencilAhead the most directives
// stenciled ahead (0: each is stenciled in turn, as a test compares).
const stencilers = 2

var stencilAhead = 2 * stencilers

// buildLine returns the //go:build line (and a blank line) of an output
// file of jobs: the build constraint of the files holding their directives
// (see load.Constraint), so that the output builds exactly where the types
// and functions it uses are declared. An output file of directives from
// several files (-output, or a benchmark file of x.go and x_test.go) builds
// where all of them do; with same, they must have the same constraint.
func (g *generator) buildLine(jobs []*job, same bool) (string, error) {
	var expr constraint.Expr
	first := map[string]string{} // constraint -> the first file that has it
	var files []string
	for _, j := range jobs {
		if contains(files, j.d.File) {
			continue
		}
		files = append(files, j.d.File)
		src, err := os.ReadFile(j.d.File)
		if err != nil {
			return "", err
		}
		e, err := load.Constraint(j.d.File, src)
		if err != nil {
			return "", fmt.Errorf("%s: %v", j.d.File, err)
		}
		key := describe(e)
		if _, ok := first[key]; ok {
			continue
		}
		first[key] = j.d.File
		if same && len(first) > 1 {
			other := describe(expr)
			return "", Errors{fmt.Errorf("-output puts the code of %s and %s in one file, but their build constraints differ (%s and %s); generate without -output",
				filepath.Base(first[other]), filepath.Base(j.d.File), other, key)}
		}
		switch {
		case e == nil:
		case expr == nil:
			expr = e
		default:
			expr = &constraint.AndExpr{X: expr, Y: e}
		}
	}
	if expr == nil {
		return "", nil
	}
	return "//go:build " + expr.String() + "\n\n", nil
}

// describe spells a constraint for a message.
func describe(e constraint.Expr) string {
	if e == nil {
		return "none"
	}
	return e.String()
}

// checkGenerated reports the names a directive generates that the package
// declares or another directive generates: one line per clash with a
// declaration of the package and one per other directive, naming the first
// clashing name and counting the rest.
func (g *generator) checkGenerated(j *job, declared []string, names map[string]*job) {
	pkg := j.pkg
	type clash struct {
		first string
		more  int
		at    token.Position
	}
	var withPkg []*clash             // with the package's declarations, in order
	var imported []string            // with the names the package's files import
	byDirective := map[*job]*clash{} // with other directives
	var others []*job
	for _, n := range declared {
		if obj := declaredIn(pkg, n); obj != nil && n != j.d.Name {
			withPkg = append(withPkg, &clash{first: n, at: g.prog.Fset.Position(obj.Pos())})
		} else if imp := g.importedAs(pkg, n); imp != "" && n != j.d.Name {
			imported = append(imported, fmt.Sprintf("generated name %s is already %s; choose another name", n, imp))
		}
		key := pkg.Dir + "|" + n
		if prev, ok := names[key]; ok && prev != j {
			if c := byDirective[prev]; c != nil {
				c.more++
			} else {
				byDirective[prev] = &clash{first: n, at: prev.d.NamePos}
				others = append(others, prev)
			}
		}
		names[key] = j
	}
	for _, c := range withPkg {
		g.errorf(j.d.NamePos, "generated name %s is already declared in package %s at %s; choose another name", c.first, pkg.Name, relPos(c.at))
	}
	for _, msg := range imported {
		g.errorf(j.d.NamePos, "%s", msg)
	}
	for _, prev := range others {
		c := byDirective[prev]
		more := ""
		if c.more > 0 {
			more = fmt.Sprintf(" (and %d more)", c.more)
		}
		g.errorf(j.d.NamePos, "generated name %s%s is also generated by the directive at %s; choose another name", c.first, more, relPos(c.at))
	}
}

// checkMethods rejects a method that the package declares on a type the
// directive generates (func (s *Store) Len() int, beside //monogen:map
// Store[...]) with the name of one of that type's generated methods or
// fields: the output would declare it twice. Other methods on generated
// types are the user's to add.
func (g *generator) checkMethods(j *job, c *code) {
	generated := map[string]bool{}
	for _, n := range c.declared {
		generated[n] = true
	}
	var userMethods []*ast.FuncDecl
	seen := map[*ast.FuncDecl]bool{}
	for _, f := range append(j.pkg.Syntax, j.pkg.TestSyntax()...) {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv != nil && generated[recvName(fd)] && !seen[fd] {
				seen[fd] = true
				userMethods = append(userMethods, fd)
			}
		}
	}
	if len(userMethods) == 0 {
		return
	}
	// The generated members, by type: its methods, and its fields, which
	// a method may not be named after either.
	members := map[string]map[string]string{}
	add := func(typ, name, kind string) {
		if members[typ] == nil {
			members[typ] = map[string]string{}
		}
		members[typ][name] = kind
	}
	for _, src := range c.decls {
		f, err := parser.ParseFile(token.NewFileSet(), "", "package p\n"+src, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv != nil {
					add(recvName(d), d.Name.Name, "method")
				}
			case *ast.GenDecl:
				for _, sp := range d.Specs {
					ts, ok := sp.(*ast.TypeSpec)
					if !ok {
						continue
					}
					st, ok := ts.Type.(*ast.StructType)
					if !ok {
						continue
					}
					for _, fl := range st.Fields.List {
						for _, n := range fl.Names {
							add(ts.Name.Name, n.Name, "field")
						}
						if len(fl.Names) == 0 {
							add(ts.Name.Name, embeddedName(fl.Type), "field")
						}
					}
				}
			}
		}
	}
	for _, fd := range userMethods {
		typ := recvName(fd)
		if kind, ok := members[typ][fd.Name.Name]; ok {
			g.errorf(j.d.NamePos, "generated %s %s.%s is already declared as a method at %s; rename that method",
				kind, typ, fd.Name.Name, relPos(g.prog.Fset.Position(fd.Name.Pos())))
		}
	}
}

// recvName returns the name of the type of a method's receiver: Store for
// (s *Store) and (s Set[T]).
func recvName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) != 1 {
		return ""
	}
	return embeddedName(fd.Recv.List[0].Type)
}

// embeddedName returns the name of a type expression as an embedded field
// or a receiver has it: T for T, *T, p.T, T[X].
func embeddedName(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.Ident:
			return x.Name
		case *ast.StarExpr:
			e = x.X
		case *ast.ParenExpr:
			e = x.X
		case *ast.SelectorExpr:
			return x.Sel.Name
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		default:
			return ""
		}
	}
}

// declNames returns the top-level names a declaration's source declares.
func declNames(src string) []string {
	f, err := parser.ParseFile(token.NewFileSet(), "", "package p\n"+src, parser.SkipObjectResolution)
	if err != nil {
		return nil
	}
	var out []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil && d.Name.Name != "_" && d.Name.Name != "init" {
				out = append(out, d.Name.Name)
			}
		case *ast.GenDecl:
			for _, sp := range d.Specs {
				switch sp := sp.(type) {
				case *ast.TypeSpec:
					out = append(out, sp.Name.Name)
				case *ast.ValueSpec:
					for _, n := range sp.Names {
						if n.Name != "_" {
							out = append(out, n.Name)
						}
					}
				}
			}
		}
	}
	return out
}

// code is one directive's declarations and the package-level names they
// declare.
type code struct {
	decls, declared []string
}

// stenciled is what stenciling a directive gave: its code and the
// declarations it shares with the package's other directives, or the
// user's error that stopped it, or monogen's.
type stenciled struct {
	code         *code
	shared       []stencil.Shared
	userErr, err error
}

// stencil generates one directive's declarations, naming its imports and
// locals in im and the imports of its shared declarations in sim (the
// shared file's scope, or im itself with -output). It changes nothing but
// im and sim and may run in several goroutines at once, each with scopes
// of its own.
func (g *generator) stencil(j *job, im, sim *emit.Scope) stenciled {
	tpl, err := g.template(j.kind.Template)
	if err != nil {
		return stenciled{err: err}
	}
	spec := newSpec(j.d.Name, j.kind, im)
	for _, p := range j.kind.Params {
		if t, ok := j.types[p]; ok {
			spec.Types[p] = im.Type(t)
		}
	}
	c := &kinds.Context{D: j.d, Types: j.types, Scope: im, Self: j.pkg.Types, Spec: spec, Lookup: g.lookup(j.pkg)}
	if err := j.kind.Build(c); err != nil {
		return stenciled{userErr: err}
	}
	share := func(spec *stencil.Spec) {
		if sf := j.share; sf != nil {
			spec.Shared, spec.SharedImports = sf.prefixes[j.kind.Template], sim.Import
		}
	}
	share(spec)
	// The templates stenciled beside the directive's go first: what their
	// declarations became, the directive's own or shared code, names them
	// in the directive's template (kinds.Also.Links).
	var also []*stencil.Output
	for _, a := range c.Also {
		atpl, err := g.template(a.Template)
		if err != nil {
			return stenciled{err: err}
		}
		a.Spec.Imports = im.Import
		if sf := j.share; sf != nil {
			a.Spec.Shared, a.Spec.SharedImports = sf.prefixes[a.Template], sim.Import
		}
		o, err := stencil.Stencil(atpl, a.Spec)
		if err != nil {
			return stenciled{err: &InternalError{err}}
		}
		if err := g.checkPredeclared(j, o.Predeclared); err != nil {
			return stenciled{userErr: err}
		}
		also = append(also, o)
		link(o, a.Links, append([]*stencil.Spec{spec}, c.More...))
	}
	out, err := stencil.Stencil(tpl, spec)
	if err != nil {
		return stenciled{err: &InternalError{err}}
	}
	shared := out.Shared
	if err := g.checkPredeclared(j, out.Predeclared); err != nil {
		return stenciled{userErr: err}
	}
	c2 := &code{decls: out.Decls, declared: out.Declared}
	for _, more := range c.More {
		more.Imports = im.Import
		share(more)
		o, err := stencil.Stencil(tpl, more)
		if err != nil {
			return stenciled{err: &InternalError{err}}
		}
		shared = append(shared, o.Shared...)
		if err := g.checkPredeclared(j, o.Predeclared); err != nil {
			return stenciled{userErr: err}
		}
		c2.decls = append(c2.decls, o.Decls...)
		c2.declared = append(c2.declared, o.Declared...)
	}
	for _, o := range also {
		shared = append(shared, o.Shared...)
		c2.decls = append(c2.decls, o.Decls...)
		c2.declared = append(c2.declared, o.Declared...)
	}
	// Emitted code is final: it spells every name as the output has it.
	for _, e := range c.Emit {
		c2.decls = append(c2.decls, e)
		c2.declared = append(c2.declared, declNames(e)...)
	}
	return stenciled{code: c2, shared: shared}
}

// link renames, in each spec that names them, the names of links to what
// their declarations of o became, and marks those that are shared code.
func link(o *stencil.Output, links map[string]string, specs []*stencil.Spec) {
	shared := map[string]bool{}
	for _, sh := range o.Shared {
		for _, n := range sh.Declared {
			shared[n] = true
		}
	}
	for from, to := range links {
		name, ok := o.Names[to]
		if !ok {
			continue // not in the output: nothing names it
		}
		for _, spec := range specs {
			if _, ok := spec.Rename[from]; !ok {
				continue
			}
			spec.Rename[from] = name
			if shared[name] {
				if spec.SharedRefs == nil {
					spec.SharedRefs = map[string]bool{}
				}
				spec.SharedRefs[from] = true
			}
		}
	}
}

// checkPredeclared refuses a directive whose generated code refers to a
// predeclared identifier (new, close, any) that the package declares
// itself: in the package, the name is the package's, and the code breaks.
func (g *generator) checkPredeclared(j *job, names []string) error {
	for _, n := range names {
		if obj := declaredIn(j.pkg, n); obj != nil {
			return model.Errorf(j.d.NamePos, "the code generated for %s uses Go's predeclared %s, which package %s declares at %s; rename that declaration",
				j.d.Name, n, j.pkg.Name, relPos(g.prog.Fset.Position(obj.Pos())))
		}
	}
	return nil
}

// chunksOf returns the chunks of the output files named.
func (g *generator) chunksOf(outs []string) []*chunk {
	var out []*chunk
	for _, name := range outs {
		out = append(out, g.rendered[name].chunks...)
	}
	return out
}

// compilesWith reports whether the output file of jobs compiles with pkg:
// it holds code of a directive of pkg, or of one in a file of pkg (an
// internal test has the package's own files).
func compilesWith(pkg *load.Package, jobs []*job) bool {
	for _, j := range jobs {
		if j.pkg == pkg || contains(pkg.Files, j.d.File) {
			return true
		}
	}
	return false
}

// typeCheck checks each package together with its new generated files.
// Errors inside generated code are monogen's bugs; errors in the user's
// code are the user's and are ignored here (the package may be mid-edit).
func (g *generator) typeCheck(byFile map[string][]*job) error {
	for _, pkg := range g.prog.Packages {
		var ours []string
		for out, jobs := range byFile {
			if compilesWith(pkg, jobs) {
				ours = append(ours, out)
			}
		}
		if len(ours) == 0 {
			continue
		}
		sort.Strings(ours)
		first, err := g.checkChunks(pkg, g.chunksOf(ours), nil)
		if err != nil {
			return err
		}
		if first != nil {
			return g.chunkError(first)
		}
	}
	return nil
}
