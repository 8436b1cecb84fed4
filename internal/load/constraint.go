package load

import (
	"go/build"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"io"
	"path/filepath"
	"strings"
)

// Constraint returns the build constraint of a Go source file: its
// //go:build line (or its // +build lines), and the GOOS and GOARCH its name
// implies (x_linux.go: linux; x_linux_arm64_test.go: linux && arm64),
// joined by &&. It returns nil for a file that every configuration builds.
//
// Code generated from a file is built where the file is: its output carries
// the constraint as a //go:build line (x_linux_monogen.go does not end in
// _linux.go, so its name alone would not).
func Constraint(file string, src []byte) (constraint.Expr, error) {
	f, err := parser.ParseFile(token.NewFileSet(), file, src, parser.PackageClauseOnly|parser.ParseComments)
	if err != nil {
		return nil, err
	}
	var goBuild constraint.Expr
	var plusBuild []constraint.Expr
	for _, cg := range f.Comments {
		if cg.Pos() >= f.Package || cg == f.Doc {
			break // constraints stand before the package clause and its doc
		}
		for _, c := range cg.List {
			switch {
			case constraint.IsGoBuild(c.Text):
				if goBuild, err = constraint.Parse(c.Text); err != nil {
					return nil, err
				}
			case constraint.IsPlusBuild(c.Text):
				e, err := constraint.Parse(c.Text)
				if err != nil {
					return nil, err
				}
				plusBuild = append(plusBuild, e)
			}
		}
	}
	expr := goBuild
	if expr == nil {
		for _, e := range plusBuild {
			expr = and(expr, e)
		}
	}
	return and(expr, nameConstraint(filepath.Base(file))), nil
}

func and(x, y constraint.Expr) constraint.Expr {
	switch {
	case x == nil:
		return y
	case y == nil:
		return x
	}
	return &constraint.AndExpr{X: x, Y: y}
}

// nameConstraint returns the constraint a file name implies, as go/build
// reads it: the last element of the name (before _test) if it is a known
// GOOS or GOARCH, or the last two if they are a GOOS and a GOARCH. Which
// words are known is asked of go/build itself (MatchFile on probe names),
// so that the list is the toolchain's.
func nameConstraint(name string) constraint.Expr {
	name, _, _ = strings.Cut(name, ".")
	i := strings.Index(name, "_")
	if i < 0 {
		return nil // nothing before the first _ counts
	}
	l := strings.Split(name[i:], "_")
	if n := len(l); n > 0 && l[n-1] == "test" {
		l = l[:n-1]
	}
	n := len(l)
	if n < 2 {
		return nil
	}
	tag := func(t string) constraint.Expr { return &constraint.TagExpr{Tag: t} }
	// known: in a configuration of no GOOS and no GOARCH, a file named
	// x_<word>.go is excluded exactly when word is a known GOOS or GOARCH.
	known := func(word string) bool { return !matchFile("none", "none", "x_"+word+".go") }
	last := l[n-1]
	if n >= 3 {
		// x_<os>_<arch>.go is read as os && arch when os is a known GOOS
		// and arch a known GOARCH: then it is excluded with GOARCH=arch and
		// no GOOS, where x_<word>_<arch>.go is otherwise included.
		if prev := l[n-2]; known(prev) && known(last) && !matchFile("none", last, "x_"+prev+"_"+last+".go") {
			return &constraint.AndExpr{X: tag(prev), Y: tag(last)}
		}
	}
	if known(last) {
		return tag(last)
	}
	return nil
}

// matchFile reports whether go/build builds a file of that name, holding
// only a package clause, for goos and goarch.
func matchFile(goos, goarch, name string) bool {
	ctxt := build.Context{
		GOOS: goos, GOARCH: goarch, Compiler: "gc",
		OpenFile: func(string) (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader("package p\n")), nil
		},
	}
	ok, err := ctxt.MatchFile(".", name)
	return err == nil && ok
}
