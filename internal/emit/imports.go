// Package emit builds the code the templates cannot hold: hook bodies built
// for a concrete type (hashers, calls to the user's functions), constructors,
// compile-time guards, and whole output files with their imports.
//
// Code is built with jennifer. Package references go through Imports, which
// picks each import's name once per file, so that jennifer statements, the
// stenciled template text and the type expressions of the user's types all
// agree on it.
package emit

import (
	"go/types"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"
)

// Imports allocates the names under which one output file imports packages.
// A name never collides with a package-level name of the user's package, with
// an identifier the templates use (so no template local can shadow it), or
// with another import.
type Imports struct {
	self     string            // import path of the package being generated
	reserved map[string]bool   // names that may not be used
	byPath   map[string]string // path -> chosen name
	taken    map[string]bool
	pkgNames map[string]string // path -> package name, when known
}

// NewImports returns an allocator for a file of package self. reserved are the
// names an import must not take.
func NewImports(self string, reserved map[string]bool) *Imports {
	return &Imports{self: self, reserved: reserved, byPath: map[string]string{}, taken: map[string]bool{}, pkgNames: map[string]string{}}
}

// Known records a package's real name (model.v2 may be package model).
func (im *Imports) Known(p *types.Package) { im.pkgNames[p.Path()] = p.Name() }

// Name returns the name under which the file refers to the package at path.
func (im *Imports) Name(p string) string {
	if n, ok := im.byPath[p]; ok {
		return n
	}
	base := im.pkgNames[p]
	if base == "" {
		base = PathBase(p)
	}
	name := base
	for i := 2; im.reserved[name] || im.taken[name]; i++ {
		name = base + strconv.Itoa(i)
	}
	im.byPath[p] = name
	im.taken[name] = true
	return name
}

// Paths returns the import paths used, sorted.
func (im *Imports) Paths() []string {
	var out []string
	for p := range im.byPath {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Decl renders the import declaration.
func (im *Imports) Decl() string {
	paths := im.Paths()
	if len(paths) == 0 {
		return ""
	}
	var std, other []string
	for _, p := range paths {
		line := strconv.Quote(p)
		base := im.pkgNames[p]
		if base == "" {
			base = PathBase(p)
		}
		if n := im.byPath[p]; n != base || n != path.Base(p) {
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
func (im *Imports) Qualifier() types.Qualifier {
	return func(p *types.Package) string {
		if p.Path() == im.self {
			return ""
		}
		im.Known(p)
		return im.Name(p.Path())
	}
}

// Type spells t for this file.
func (im *Imports) Type(t types.Type) string { return types.TypeString(t, im.Qualifier()) }

// Qual returns the jennifer code for path.name under the allocated name.
func (im *Imports) Qual(p, name string) *jen.Statement {
	return jen.Id(im.Name(p)).Dot(name)
}

// TypeNames lists the unqualified names a type expression uses (types of
// the package itself), which template locals must not shadow.
func TypeNames(t types.Type, self string) []string {
	seen := map[string]bool{}
	var walk func(t types.Type)
	walk = func(t types.Type) {
		switch t := t.(type) {
		case *types.Alias:
			if t.Obj().Pkg() != nil && t.Obj().Pkg().Path() == self {
				seen[t.Obj().Name()] = true
			}
			if args := t.TypeArgs(); args != nil {
				for i := 0; i < args.Len(); i++ {
					walk(args.At(i))
				}
			}
		case *types.Named:
			if t.Obj().Pkg() != nil && t.Obj().Pkg().Path() == self {
				seen[t.Obj().Name()] = true
			}
			if args := t.TypeArgs(); args != nil {
				for i := 0; i < args.Len(); i++ {
					walk(args.At(i))
				}
			}
		case *types.Pointer:
			walk(t.Elem())
		case *types.Slice:
			walk(t.Elem())
		case *types.Array:
			walk(t.Elem())
		case *types.Map:
			walk(t.Key())
			walk(t.Elem())
		case *types.Chan:
			walk(t.Elem())
		case *types.Signature:
			for i := 0; i < t.Params().Len(); i++ {
				walk(t.Params().At(i).Type())
			}
			for i := 0; i < t.Results().Len(); i++ {
				walk(t.Results().At(i).Type())
			}
		case *types.Struct:
			for i := 0; i < t.NumFields(); i++ {
				walk(t.Field(i).Type())
			}
		case *types.Basic:
			seen[t.Name()] = true // a local named int would shadow it too
		}
	}
	walk(t)
	var out []string
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
