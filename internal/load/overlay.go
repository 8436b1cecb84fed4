package load

import (
	"go/ast"
	"go/parser"
	"go/types"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"
)

// A package of the run may use types that a directive of another generates
// (//monogen:map Stores[string, *p1.Store] in p2): go/packages loaded p1
// without its output (see the package doc), and p2 against that p1. So
// packages are generated in waves (see Waves), and before each wave the
// packages it holds are type-checked again against the new output of the
// earlier waves (see Overlay), whatever is on disk.

// source is a package loaded from source (matched by the patterns, or a
// test variant of one) as Overlay checks it again.
type source struct {
	p *packages.Package
	// syntax are the user's files: our earlier output is left out.
	syntax []*ast.File
	// types is the package as loaded, or as checked again by Overlay.
	types *types.Package
}

// source returns the source of p, made once.
func (prog *Program) source(p *packages.Package) *source {
	s, ok := prog.sources[p.ID]
	if !ok {
		s = &source{p: p, types: p.Types}
		prog.sources[p.ID] = s
	}
	return s
}

// isTest reports whether s is a test variant, which builds _test.go files.
func (s *source) isTest() bool { return strings.Contains(s.p.ID, "[") }

// dir is the directory of s's files.
func (s *source) dir() string {
	if s.p.Dir != "" {
		return s.p.Dir
	}
	if len(s.p.GoFiles) > 0 {
		return filepath.Dir(s.p.GoFiles[0])
	}
	return ""
}

// imports returns the sources s imports, in the order of their paths.
func (prog *Program) imports(s *source) []*source {
	paths := make([]string, 0, len(s.p.Imports))
	for path := range s.p.Imports {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	var out []*source
	for _, path := range paths {
		if is := prog.sources[s.p.Imports[path].ID]; is != nil {
			out = append(out, is)
		}
	}
	return out
}

// Waves returns prog.Packages in the order to generate them: the packages
// of a wave import, directly or not, only packages with directives of
// earlier waves. The variants of a directory (p, p [p.test], p_test) are in
// the same wave. Most runs are one wave.
func (prog *Program) Waves() [][]*Package {
	// The directories whose packages hold directives, and which of their
	// sources others import (p, not its test variants).
	generating := map[*source]string{}
	byDir := map[string][]*Package{}
	var dirs []string
	for _, pkg := range prog.Packages {
		if _, ok := byDir[pkg.Dir]; !ok {
			dirs = append(dirs, pkg.Dir)
		}
		byDir[pkg.Dir] = append(byDir[pkg.Dir], pkg)
		if len(pkg.Directives) > 0 && !pkg.IsTest {
			generating[pkg.src] = pkg.Dir
		}
	}
	// uses[s] are the directories with directives that s imports, directly
	// or not.
	uses := map[*source]map[string]bool{}
	var walk func(s *source) map[string]bool
	walk = func(s *source) map[string]bool {
		if u, ok := uses[s]; ok {
			return u
		}
		u := map[string]bool{}
		uses[s] = u // an import graph has no cycles: this is never read early
		for _, is := range prog.imports(s) {
			if d, ok := generating[is]; ok {
				u[d] = true
			}
			for d := range walk(is) {
				u[d] = true
			}
		}
		return u
	}
	// The wave of a directory is one more than the latest wave of the
	// directories it uses. A cycle through test variants (p1_test imports
	// p2, which imports p1) is cut where it closes.
	wave := map[string]int{}
	const visiting = -1
	var waveOf func(dir string) int
	waveOf = func(dir string) int {
		if w, ok := wave[dir]; ok {
			return max(w, 0)
		}
		wave[dir] = visiting
		var used []string
		for _, pkg := range byDir[dir] {
			for d := range walk(pkg.src) {
				if d != dir && !slices.Contains(used, d) {
					used = append(used, d)
				}
			}
		}
		sort.Strings(used)
		w := 0
		for _, d := range used {
			if wave[d] != visiting {
				w = max(w, waveOf(d)+1)
			}
		}
		wave[dir] = w
		return w
	}
	var out [][]*Package
	for _, dir := range dirs {
		w := waveOf(dir)
		for len(out) <= w {
			out = append(out, nil)
		}
		out[w] = append(out[w], byDir[dir]...)
	}
	// A wave may be empty when its only directory sits in a later one.
	return slices.DeleteFunc(out, func(w []*Package) bool { return len(w) == 0 })
}

// Overlay makes pkgs see files, the new output (path to content) of packages
// of earlier waves: it type-checks again, with their new files instead of
// those on disk, the sources in the directories of files that pkgs import,
// directly or not, then every source between them and pkgs, then pkgs.
// Packages are checked as go/packages checks them, type errors tolerated.
// Sources that do not reach a directory of files are left as they are.
func (prog *Program) Overlay(files map[string][]byte, pkgs []*Package) error {
	byDir := map[string][]string{}
	for name := range files {
		byDir[filepath.Dir(name)] = append(byDir[filepath.Dir(name)], name)
	}
	for _, names := range byDir {
		sort.Strings(names)
	}
	changed := map[*source]bool{}
	var firstErr error
	var visit func(s *source) bool
	visit = func(s *source) bool {
		if c, ok := changed[s]; ok {
			return c
		}
		changed[s] = false
		var own []string
		for _, name := range byDir[s.dir()] {
			if s.isTest() || !strings.HasSuffix(name, "_test.go") {
				own = append(own, name)
			}
		}
		c := len(own) > 0
		for _, is := range prog.imports(s) {
			if visit(is) {
				c = true
			}
		}
		if c {
			if err := prog.recheck(s, own, files); err != nil && firstErr == nil {
				firstErr = err
			}
		}
		changed[s] = c
		return c
	}
	for _, pkg := range pkgs {
		visit(pkg.src)
		if pkg.testSrc != nil {
			visit(pkg.testSrc)
			pkg.TestTypes = pkg.testSrc.types
		}
		pkg.Types = pkg.src.types
		for path, imp := range pkg.src.p.Imports {
			if is := prog.sources[imp.ID]; is != nil {
				pkg.imports[path] = is.types
			}
		}
	}
	return firstErr
}

// recheck type-checks s again, with the files named own (of files) that
// belong to its package, and against the sources it imports as they are now.
func (prog *Program) recheck(s *source, own []string, files map[string][]byte) error {
	syntax := slices.Clone(s.syntax)
	for _, name := range own {
		f, err := parser.ParseFile(prog.Fset, name, files[name], parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		if f.Name.Name == s.p.Name {
			syntax = append(syntax, f)
		}
	}
	fallback := prog.Importer(nil)
	conf := types.Config{
		Importer: importerFunc(func(path string) (*types.Package, error) {
			if imp := s.p.Imports[path]; imp != nil {
				if is := prog.sources[imp.ID]; is != nil {
					return is.types, nil
				}
				if imp.Types != nil {
					return imp.Types, nil
				}
			}
			return fallback.Import(path)
		}),
		Error: func(error) {}, // tolerated, as in Load
	}
	if m := s.p.Module; m != nil && m.GoVersion != "" {
		conf.GoVersion = "go" + m.GoVersion
	}
	pkg, _ := conf.Check(s.p.PkgPath, prog.Fset, syntax, nil)
	s.types = pkg
	if !s.isTest() {
		prog.mu.Lock()
		prog.universe[s.p.PkgPath] = pkg
		prog.mu.Unlock()
	}
	return nil
}
