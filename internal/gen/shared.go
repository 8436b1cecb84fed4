package gen

import (
	"bytes"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/monogen/monogen/internal/emit"
	"github.com/monogen/monogen/internal/kinds"
	"github.com/monogen/monogen/internal/load"
	"github.com/monogen/monogen/internal/stencil"
)

// Shared code (see docs/shared.md): the declarations of a template that do
// not depend on a directive (stencil.Spec.Shared) are emitted once per
// package, in a file of their own, and used by every directive of the
// package that shares them:
//
//   - monogen_shared.go, or monogen_shared_test.go when only directives of
//     _test.go files use it, or monogen_shared_<name>_test.go for an
//     external test package <name>_test;
//   - the -output file itself, with -output.
//
// Only directives of files without a build constraint share (without
// -output): the shared file then has none either, so it builds in every
// configuration where a directive uses it, and it is the same in all of
// them. A directive in a file with a constraint (x_linux.go, //go:build
// integration, import "C") keeps its own copy of everything. A shared file that no
// directive uses any more is stale, and deleted like any other.

// sharedFile is the shared code of one package.
type sharedFile struct {
	dir, pkgName string
	pkg          *load.Package
	scope        *emit.Scope
	prefixes     map[string]string // by kind
	decls        map[stencil.SharedKey]*stencil.Shared
	kindOf       map[stencil.SharedKey]string
	users        []*job
	chunk        *chunk
}

// sharing returns the shared code of j's package if j may share it, or
// nil. It runs for each directive in turn, before any is stenciled; with
// -output, the scope is the output file's, set when it is made.
func (g *generator) sharing(j *job) (*sharedFile, error) {
	if g.cfg.Output == "" {
		own, err := g.keepsOwnCopy(j.d.File)
		if err != nil {
			return nil, err
		}
		if own {
			return nil, nil
		}
	}
	key := declKey(j.pkg, "")
	sf := g.shared[key]
	if sf == nil {
		sf = &sharedFile{dir: j.pkg.Dir, pkgName: j.pkg.Name, pkg: j.pkg, prefixes: map[string]string{},
			decls: map[stencil.SharedKey]*stencil.Shared{}, kindOf: map[stencil.SharedKey]string{}}
		if g.cfg.Output == "" {
			var all []*job
			for _, o := range g.jobs {
				if declKey(o.pkg, "") == key {
					all = append(all, o)
				}
			}
			scope, err := g.fileScope(j.pkg, all)
			if err != nil {
				return nil, err
			}
			sf.scope = scope
		}
		g.shared[key] = sf
	}
	if _, ok := sf.prefixes[j.kind.Template]; !ok {
		sf.prefixes[j.kind.Template] = g.sharedPrefix(j.pkg, sharedBase(j.kind))
	}
	for _, t := range j.kind.Uses {
		if _, ok := sf.prefixes[t]; !ok {
			sf.prefixes[t] = g.sharedPrefix(j.pkg, templateBase(t))
		}
	}
	return sf, nil
}

// keepsOwnCopy reports whether the directives of file keep their own copy
// of the shared code: the file has a build constraint or uses cgo.
func (g *generator) keepsOwnCopy(file string) (bool, error) {
	if own, ok := g.ownCopy[file]; ok {
		return own, nil
	}
	src, err := os.ReadFile(file)
	if err != nil {
		return false, err
	}
	e, err := load.Constraint(file, src)
	if err != nil {
		return false, fmt.Errorf("%s: %v", file, err)
	}
	own := e != nil || importsC(file, src)
	if g.ownCopy == nil {
		g.ownCopy = map[string]bool{}
	}
	g.ownCopy[file] = own
	return own, nil
}

// importsC reports whether a file uses cgo, which builds it only where cgo
// is enabled: a constraint of its own.
func importsC(name string, src []byte) bool {
	f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly)
	if err != nil {
		return false
	}
	for _, imp := range f.Imports {
		if imp.Path.Value == `"C"` {
			return true
		}
	}
	return false
}

// sharedPrefix returns the prefix of the shared names of a template in
// pkg, whose first word is base (see templateBase): base (poolWorker),
// unless a name of the package, or an unexported name of one of its
// directives (a directive Pool generates poolWorker too), could be a
// shared name; then poolShared, poolShared2, ...
func (g *generator) sharedPrefix(pkg *load.Package, base string) string {
	names := g.packageNames(pkg)
	imported := fileNames(pkg)
	for i := 1; ; i++ {
		prefix := base
		switch {
		case i == 2:
			prefix += "Shared"
		case i > 2:
			prefix += fmt.Sprintf("Shared%d", i-1)
		}
		clash := false
		for n := range names {
			for _, form := range []string{n, stencil.Rename("x", "", n)} {
				if rest, ok := strings.CutPrefix(form, prefix); ok {
					r, _ := utf8.DecodeRuneInString(rest)
					if rest == "" || unicode.IsUpper(r) || unicode.IsDigit(r) {
						clash = true
					}
				}
			}
		}
		// A name a file imports (an import's, a dot-import's) may not be
		// declared in the package either; every shared name has a word
		// after the prefix.
		for n := range imported {
			if rest, ok := strings.CutPrefix(n, prefix); ok && rest != "" {
				if r, _ := utf8.DecodeRuneInString(rest); unicode.IsUpper(r) || unicode.IsDigit(r) {
					clash = true
				}
			}
		}
		if !clash {
			return prefix
		}
	}
}

// fileNames returns the names that the files of pkg (test files included)
// import into their file blocks: the names of their imports, and the names
// their dot-imports bring in.
func fileNames(pkg *load.Package) map[string]bool {
	names := map[string]bool{}
	for _, scope := range scopes(pkg) {
		for i := range scope.NumChildren() {
			for _, n := range scope.Child(i).Names() {
				names[n] = true
			}
		}
	}
	return names
}

// sharedBase returns the first word of the shared names of kind: its name,
// or, for a variant of a kind with a template of its own (the keyed
// semaphore's keyedsem beside the semaphore's), the template's name, so that
// the two templates' declarations never take the same name.
func sharedBase(kind *kinds.Kind) string {
	if base, ok := kinds.Lookup(kind.Name); ok && base.Template != kind.Template {
		return kind.Template
	}
	return kind.Name
}

// templateBase returns the first word of the shared names of a template:
// that of the kind whose template it is (see sharedBase), or, for a
// template that no kind has as its own (the histogram, which kinds
// stencil beside theirs), the template's name.
func templateBase(template string) string {
	if k := templateKind(template); k != nil {
		return sharedBase(k)
	}
	return template
}

// templateKind returns the kind whose template is template, or nil.
func templateKind(template string) *kinds.Kind {
	for _, n := range kinds.Names() {
		if k, _ := kinds.Lookup(n); k.Template == template {
			return k
		}
	}
	return nil
}

// add records the shared declarations of j's code. Two directives give the
// same text for a declaration, or it would not be shared.
func (sf *sharedFile) add(j *job, shared []stencil.Shared) error {
	if len(shared) == 0 {
		return nil
	}
	if !contains2(sf.users, j) {
		sf.users = append(sf.users, j)
	}
	for i := range shared {
		s := &shared[i]
		if prev, ok := sf.decls[s.Key]; ok {
			if prev.Text != s.Text {
				return &InternalError{fmt.Errorf("the shared declaration %s differs between directives of package %s:\n%s\n---\n%s", strings.Join(s.Declared, ", "), sf.pkgName, prev.Text, s.Text)}
			}
			continue
		}
		sf.decls[s.Key] = s
		sf.kindOf[s.Key] = j.kind.Name
		if s.Key.Dir != j.kind.Template {
			// A template stenciled beside the kind's (kinds.Also).
			sf.kindOf[s.Key] = s.Key.Dir
			if k := templateKind(s.Key.Dir); k != nil {
				sf.kindOf[s.Key] = k.Name
			}
		}
	}
	return nil
}

func contains2(list []*job, j *job) bool {
	for _, x := range list {
		if x == j {
			return true
		}
	}
	return false
}

// path returns the shared file's name: see the top of this file.
func (sf *sharedFile) path() string {
	if strings.HasSuffix(sf.pkgName, "_test") {
		return filepath.Join(sf.dir, "monogen_shared_"+sf.pkgName+".go")
	}
	for _, j := range sf.users {
		if !strings.HasSuffix(j.d.File, "_test.go") {
			return filepath.Join(sf.dir, "monogen_shared.go")
		}
	}
	return filepath.Join(sf.dir, "monogen_shared_test.go")
}

// code returns the shared declarations, by kind and in template order.
func (sf *sharedFile) code() []byte {
	keys := make([]stencil.SharedKey, 0, len(sf.decls))
	for k := range sf.decls {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		ka, kb := sf.kindOf[keys[a]], sf.kindOf[keys[b]]
		if ka != kb {
			return ka < kb
		}
		return keys[a].Less(keys[b])
	})
	var body bytes.Buffer
	kind := ""
	for _, k := range keys {
		if sf.kindOf[k] != kind {
			kind = sf.kindOf[k]
			if _, ok := kinds.Lookup(kind); ok {
				fmt.Fprintf(&body, "\n// Shared by the %s directives of package %s: code that depends on none\n// of their types and options.\n\n", kind, sf.pkgName)
			} else {
				fmt.Fprintf(&body, "\n// Shared by the directives of package %s that use the %s code:\n// code that depends on none of their types and options.\n\n", sf.pkgName, kind)
			}
		}
		body.WriteString(sf.decls[k].Text)
		body.WriteString("\n\n")
	}
	return body.Bytes()
}

// renderShared queues the shared code of every package for formatting:
// into a file of its own, or with -output into the output file, and
// returns the paths of the shared files with the directives using each.
func (g *generator) renderShared() map[string][]*job {
	files := map[string][]*job{}
	var keys []string
	for k, sf := range g.shared {
		if len(sf.decls) > 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		sf := g.shared[k]
		code := sf.code()
		j := sf.users[0]
		if g.cfg.Output != "" {
			out := j.d.Output
			r := g.rendered[out]
			sf.chunk = g.renderer.add(out, sf.pkgName, j, false, code, sf.scope)
			sf.chunk.shared = true
			r.chunks = append(r.chunks, sf.chunk)
			continue
		}
		out := sf.path()
		g.render(out, load.Header+"\n\n", sf.pkgName, []*job{j}, false, [][]byte{code}, sf.scope)
		sf.chunk = g.rendered[out].chunks[0]
		sf.chunk.shared = true
		files[out] = sf.users
	}
	return files
}
