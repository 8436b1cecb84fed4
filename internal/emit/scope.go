// Package emit builds the code the templates cannot hold: hook bodies built
// for a concrete type (hashers, calls to the user's functions), constructors,
// compile-time guards, and whole output files with their imports.
//
// Code is built with jennifer. Package references go through a Scope, which
// picks each import's name once per file, so that jennifer statements, the
// stenciled template text and the type expressions of the user's types all
// agree on it, and names the locals of emitted code.
package emit

import (
	"go/scanner"
	"go/token"
	"go/types"
	"maps"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"
)

// Scope hands out the names of one output file that the file's code does
// not take from a template: the names under which it imports packages, and
// the locals of the code emitted beside the templates' (constructors,
// benchmarks, wiring), so that no such name captures or shadows another.
//
// An import's name is none of the package's declared names (its files', its
// test files', its directives'), no predeclared identifier, no identifier of
// a template (so that no template local can shadow it) and no name already
// given to a local or another import. A local's name is none of the
// package's declared names and no import's name: emitted code refers to the
// user's types, functions and imports by their own names, and a local by one
// of those names would capture them. Emitted code is never renamed
// afterwards; its locals are named right, from the scope, when it is built.
type Scope struct {
	self     string          // import path of the package being generated
	declared map[string]bool // the package's declared names
	reserved map[string]bool // further names an import may not take
	byPath   map[string]string
	taken    map[string]bool   // names given to imports and locals
	pkgNames map[string]string // path -> package name, when known
	// log is, for a fork, what it read of the scope it was forked from
	// and what it added (see Fork).
	log *forkLog
}

// forkLog is what a fork read of the names of the scope it was forked
// from, and what it added to them: the value read of each key it had not
// added itself, and the keys it added.
type forkLog struct {
	paths    map[string]string // byPath, "" for none
	taken    map[string]bool
	importAs map[string]bool // whether an import had the name
	pkgNames map[string]string
	added    struct {
		paths, pkgNames map[string]string
		taken           map[string]bool
	}
}

// NewScope returns the scope of a file of package self. declared are the
// package-level names of the package, its test files and its directives;
// reserved are further names an import must not take.
func NewScope(self string, declared, reserved map[string]bool) *Scope {
	return &Scope{self: self, declared: declared, reserved: reserved, byPath: map[string]string{}, taken: map[string]bool{}, pkgNames: map[string]string{}}
}

// Fork returns a copy of the scope that names on its own: code built with
// it (in another goroutine) gets the names it would get from the scope as
// it is now. Join takes what the fork named into the scope, if that is
// still what the scope would name.
func (im *Scope) Fork() *Scope {
	f := &Scope{self: im.self, declared: im.declared, reserved: im.reserved,
		byPath: maps.Clone(im.byPath), taken: maps.Clone(im.taken), pkgNames: maps.Clone(im.pkgNames),
		log: &forkLog{paths: map[string]string{}, taken: map[string]bool{}, importAs: map[string]bool{}, pkgNames: map[string]string{}}}
	f.log.added.paths, f.log.added.pkgNames, f.log.added.taken = map[string]string{}, map[string]string{}, map[string]bool{}
	return f
}

// Join adds to the scope the names its fork f added, and reports true, if
// every name f read of the scope it was forked from is still what the
// scope holds (see Holds): code built with f then has the names it would
// have had if built with the scope itself. Otherwise the scope is left as
// it is, and the code must be built again.
func (im *Scope) Join(f *Scope) bool {
	if !im.Holds(f) {
		return false
	}
	l := f.log
	for p, n := range l.added.paths {
		im.byPath[p] = n
	}
	for n := range l.added.taken {
		im.taken[n] = true
	}
	for p, n := range l.added.pkgNames {
		im.pkgNames[p] = n
	}
	return true
}

// Holds reports whether every name the fork f read of the scope it was
// forked from is still what the scope holds, so that Join would take it:
// code built with two forks, of two scopes, is kept only if both hold.
func (im *Scope) Holds(f *Scope) bool {
	l := f.log
	for p, n := range l.paths {
		if im.byPath[p] != n {
			return false
		}
	}
	for n, v := range l.taken {
		if im.taken[n] != v {
			return false
		}
	}
	for n, v := range l.importAs {
		if im.byPathName(n) != v {
			return false
		}
	}
	for p, n := range l.pkgNames {
		if im.pkgNames[p] != n {
			return false
		}
	}
	return true
}

// path returns the name of the import of p, if any.
func (im *Scope) path(p string) (string, bool) {
	n, ok := im.byPath[p]
	if l := im.log; l != nil {
		if _, mine := l.added.paths[p]; !mine {
			l.paths[p] = n
		}
	}
	return n, ok
}

// isTaken reports whether name is given to an import or a local.
func (im *Scope) isTaken(name string) bool {
	t := im.taken[name]
	if l := im.log; l != nil && !l.added.taken[name] {
		l.taken[name] = t
	}
	return t
}

// take marks name as given.
func (im *Scope) take(name string) {
	if l := im.log; l != nil && !im.taken[name] {
		l.added.taken[name] = true
	}
	im.taken[name] = true
}

// pkgName returns the real name of the package at p, if known.
func (im *Scope) pkgName(p string) string {
	n := im.pkgNames[p]
	if l := im.log; l != nil {
		if _, mine := l.added.pkgNames[p]; !mine {
			l.pkgNames[p] = n
		}
	}
	return n
}

// Known records a package's real name (model.v2 may be package model).
func (im *Scope) Known(p *types.Package) {
	if im.pkgName(p.Path()) == p.Name() {
		return
	}
	im.pkgNames[p.Path()] = p.Name()
	if im.log != nil {
		im.log.added.pkgNames[p.Path()] = p.Name()
	}
}

// Import returns the name under which the file refers to the package at path.
func (im *Scope) Import(p string) string {
	if n, ok := im.path(p); ok {
		return n
	}
	base := im.pkgName(p)
	if base == "" {
		base = PathBase(p)
	}
	name := base
	for i := 2; im.declared[name] || im.reserved[name] || im.isTaken(name); i++ {
		name = base + strconv.Itoa(i)
	}
	im.byPath[p] = name
	if im.log != nil {
		im.log.added.paths[p] = name
	}
	im.take(name)
	return name
}

// Func returns the scope of the locals of one emitted function.
func (im *Scope) Func() *Locals {
	return &Locals{file: im, own: map[string]bool{}, given: map[string]string{}}
}

// Locals names the locals of one emitted function (its parameters, its
// variables, those of its function literals): each is the name asked for,
// with underscores appended while that is a declared name of the package,
// an import's or another local's of the function.
type Locals struct {
	file  *Scope
	own   map[string]bool
	given map[string]string
}

// Name returns the name of the local that would be called want; the same
// name each time want is asked for.
func (l *Locals) Name(want string) string {
	if n, ok := l.given[want]; ok {
		return n
	}
	n := want
	for l.file.declared[n] || l.own[n] || l.file.byPathName(n) {
		n += "_"
	}
	l.own[n] = true
	l.given[want] = n
	l.file.take(n) // imports chosen later avoid it
	return n
}

// Reserve takes names for locals of the function named so by necessity (a
// parameter named after a stage): Name gives no other local those names.
func (l *Locals) Reserve(names ...string) {
	for _, n := range names {
		l.own[n] = true
		l.file.take(n)
	}
}

// Names returns Name of each of want.
func (l *Locals) Names(want ...string) []string {
	out := make([]string, len(want))
	for i, w := range want {
		out[i] = l.Name(w)
	}
	return out
}

// byPathName reports whether name is an import's.
func (im *Scope) byPathName(name string) bool {
	for p, n := range im.byPath {
		if n == name {
			if l := im.log; l != nil {
				if _, mine := l.added.paths[p]; !mine {
					l.importAs[name] = true
				}
			}
			return true
		}
	}
	if im.log != nil {
		im.log.importAs[name] = false
	}
	return false
}

// Paths returns the import paths used, sorted.
func (im *Scope) Paths() []string {
	var out []string
	for p := range im.byPath {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Decl renders the declaration of the imports code uses: those whose names
// qualify an identifier in it (a name is never a local's, see Scope).
func (im *Scope) Decl(code []byte) string { return im.DeclOf(Qualifiers(code)) }

// DeclOf renders the declaration of the imports whose names are in used.
func (im *Scope) DeclOf(used map[string]bool) string { return im.Imports().DeclOf(used) }

// ImportSet is the imports of a file as a Scope has named them so far. It
// does not change when the Scope names more, so another goroutine may use
// it.
type ImportSet struct {
	byPath, pkgNames map[string]string
}

// Imports returns the imports named so far.
func (im *Scope) Imports() *ImportSet {
	return &ImportSet{byPath: maps.Clone(im.byPath), pkgNames: maps.Clone(im.pkgNames)}
}

// PathsOf returns the paths of the imports whose names are in used, sorted.
func (s *ImportSet) PathsOf(used map[string]bool) []string {
	var paths []string
	for p, n := range s.byPath {
		if used[n] {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	return paths
}

// DeclOf renders the declaration of the imports whose names are in used.
func (s *ImportSet) DeclOf(used map[string]bool) string {
	paths := s.PathsOf(used)
	if len(paths) == 0 {
		return ""
	}
	var std, other []string
	for _, p := range paths {
		line := strconv.Quote(p)
		base := s.pkgNames[p]
		if base == "" {
			base = PathBase(p)
		}
		if n := s.byPath[p]; n != base || n != path.Base(p) {
			line = n + " " + line
		}
		if isStd(p) {
			std = append(std, line)
		} else {
			other = append(other, line)
		}
	}
	var b strings.Builder
	b.WriteString("import (\n")
	for _, l := range std {
		b.WriteString("\t" + l + "\n")
	}
	if len(std) > 0 && len(other) > 0 {
		b.WriteString("\n")
	}
	for _, l := range other {
		b.WriteString("\t" + l + "\n")
	}
	b.WriteString(")\n")
	return b.String()
}

func isStd(p string) bool {
	first, _, _ := strings.Cut(p, "/")
	return !strings.Contains(first, ".")
}

// PathBase guesses a package's name from its path: math/rand/v2 -> rand.
func PathBase(p string) string {
	b := path.Base(p)
	if len(b) > 1 && b[0] == 'v' && strings.Trim(b[1:], "0123456789") == "" {
		b = path.Base(path.Dir(p))
	}
	b = strings.TrimPrefix(b, "go-")
	if i := strings.IndexAny(b, ".-"); i > 0 {
		b = b[:i]
	}
	return b
}

// Qualifier returns a types.Qualifier that spells types of other packages
// with the allocated names.
func (im *Scope) Qualifier() types.Qualifier {
	return func(p *types.Package) string {
		if p.Path() == im.self {
			return ""
		}
		im.Known(p)
		return im.Import(p.Path())
	}
}

// Type spells t for this file.
func (im *Scope) Type(t types.Type) string { return types.TypeString(t, im.Qualifier()) }

// Qual returns the jennifer code for path.name under the allocated name.
func (im *Scope) Qual(p, name string) *jen.Statement {
	return jen.Id(im.Import(p)).Dot(name)
}

// Qualifiers returns the identifiers of src followed by a dot: the package
// qualifiers, among others (x of x.f).
func Qualifiers(src []byte) map[string]bool {
	used := map[string]bool{}
	var sc scanner.Scanner
	fset := token.NewFileSet()
	sc.Init(fset.AddFile("", -1, len(src)), src, nil, 0)
	prev := ""
	for {
		_, tok, lit := sc.Scan()
		if tok == token.EOF {
			return used
		}
		if tok == token.PERIOD && prev != "" {
			used[prev] = true
		}
		prev = ""
		if tok == token.IDENT {
			prev = lit
		}
	}
}
