// Package stencil turns a generic template package into non-generic code for
// one directive.
//
// Every decision is made on the type-checked template: an identifier is
// substituted because go/types resolves it to a type parameter, renamed because
// it resolves to a template declaration, folded because it selects a config
// field. The decisions are then applied as nested edits to the template's
// source, so the template's comments and layout carry into the output. The
// rules templates follow are in the templates package documentation.
//
// The files follow the phases of one Stencil call:
//
//   - template.go: parsing and type-checking a template, once per run;
//   - plan.go: the plan (what pruning, folding and cleanup decide), made
//     once for the directives that share options and hooks;
//   - prune.go: which declarations a directive keeps (//monogen:if,
//     //monogen:template) and which are left unused after folding;
//   - fold.go: constant evaluation of options and config fields, and the
//     branches that folding makes dead or unreachable;
//   - cleanup.go: what folding leaves behind, planned before unused
//     declarations are found: constant expressions written as values,
//     identities (x && true), stores overwritten at once, loops that run
//     once;
//   - names.go: how template names become generated names, and user marks;
//   - locals.go: locals that step aside from names a directive brings in;
//   - comments.go: doc comments rewritten for the generated declarations;
//   - render.go: the edits applied to the template's source, hooks inlined,
//     and the Output assembled.
package stencil

import (
	"fmt"
	"go/ast"
	"go/types"
)

// Spec says how to specialize a template for one directive.
type Spec struct {
	// Name is the directive's type name; Main the template's main type.
	Name, Main string
	// Types maps type parameter names to concrete type expressions (Go
	// source, qualified with the aliases Imports gives).
	Types map[string]string
	// Consts maps template constant names to new values (Go expressions).
	Consts map[string]string
	// Config maps fields of the //monogen:config type to constant values.
	Config map[string]string
	// Runtime names the fields of the //monogen:config type whose values
	// come at run time (config=true): the config type is kept, renamed like
	// any exported declaration, with these fields alone; the main type keeps
	// its field of that type; reads of these fields stay reads, and a
	// //monogen:mirror field of one of them stays with its Load and Store
	// calls. Config gives the values of the other fields, folded as usual.
	// HookDocs may replace a kept field's doc ("Config.N", or
	// "Config.Min,Max" for a field that declares two names).
	Runtime map[string]bool
	// ConfigOptions names the directive option of a config field where it is
	// not the field's name in lower case (Collect -> errors), for comments.
	ConfigOptions map[string]string
	// Conds gives the value of each //monogen:if condition.
	Conds map[string]bool
	// Hooks maps a hook ("hashKey", or "Pool.call" for a method) to a new body:
	// Go statements written against the template's names: its declarations,
	// its type parameters and the hook function's parameters and receiver,
	// which the stencil renames like the template's code. A body never
	// spells a type argument (it names the type parameter) and names the
	// user's identifiers (a bound function) with User, which the stencil
	// leaves as they are.
	Hooks map[string]string
	// HookDocs replaces the doc comment of a function, a method ("Map.Store")
	// or a type declared alone: of a replaced hook, whose template doc
	// describes the generic body, or of a declaration whose behaviour a
	// constant changes. Comment lines without the slashes, written against
	// template names.
	HookDocs map[string]string
	// Drop lists extra top-level declarations to leave out.
	Drop []string
	// Rename overrides the generated names of template declarations (a
	// pipeline's stage copies share one set of non-generic helpers).
	Rename map[string]string
	// OwnNames names template declarations where they are the directive's
	// own, as Rename does, but leaves them free to be shared: a shared one
	// takes its shared name (Output.Names says which name each took). An
	// exported template name given an unexported one here is no name of the
	// directive's API (the histogram template's Recorder, exported only for
	// the kinds' templates to use). For templates stenciled beside the
	// directive's (kinds.Also), whose names the directive's template links
	// to; emitted code never names these.
	OwnNames map[string]string
	// SharedRefs are the names of Rename that name shared declarations of
	// another template stenciled for the directive (kinds.Also): a
	// declaration that refers to one may still be shared.
	SharedRefs map[string]bool
	// Keep lists template names that emitted code uses (the constructor calls
	// "Pool.init"), so they are kept even when no template code refers to them.
	Keep []string
	// Imports allocates file-level names for import paths.
	Imports func(path string) string
	// Shared, when set, is the prefix of the names of the declarations the
	// directive shares with the others of its kind in its package (see
	// shared.go); SharedImports allocates their import names, in the file
	// that holds them.
	Shared        string
	SharedImports func(path string) string
}

// Output is the specialized code of one directive.
type Output struct {
	Decls []string // declarations, in template order, each with its doc comment
	// Declared are the package-level names the declarations declare.
	Declared []string
	// Imports are the import paths the declarations use.
	Imports []string
	// Predeclared are the predeclared identifiers the declarations refer to
	// (new, close, any): a package that declares one of these names breaks
	// them.
	Predeclared []string
	// Shared are the declarations shared with the other directives of the
	// kind (Spec.Shared), in template order; Decls and Declared hold the
	// others. Imports are the paths both use.
	Shared []Shared
	// Names maps the template name of each live package-level declaration,
	// shared or not, to its name in the output.
	Names map[string]string
}

// state is one stenciling run.
type state struct {
	t       *Template
	spec    *Spec
	eds     []*editor
	fileOf  map[*ast.File]int
	names   map[types.Object]string // renamed package-level objects
	params  map[string]bool         // type parameter names
	imports map[string]bool
	config  *types.TypeName // the //monogen:config type
	// mirrors maps each //monogen:mirror field to the config field it holds
	// and those it derives from.
	mirrors map[*types.Var][]string
	// dead marks nodes removed from the output (folded branches, dropped
	// declarations, replaced bodies); references inside them do not count.
	dead map[ast.Node]bool
	// cut maps a folded if to the last statement of the unreachable ones
	// that follow it (see markUnreachable).
	cut map[*ast.IfStmt]ast.Stmt
	// hookRefs are the template objects replacement bodies refer to;
	// hookObjs those each body names (see hookObjects).
	hookRefs map[ast.Node][]types.Object
	hookObjs map[string][]types.Object
	// hooks are the replacement bodies, parsed, by hook function.
	hooks map[*ast.FuncDecl]*hookBody
	// locals renames the template locals that inserted text would be
	// captured by; inserted is that text's names (see planLocals).
	locals map[types.Object]string
	// typeDecls are the GenDecl and TypeSpec of each template type.
	typeDecls map[types.Object][2]ast.Node
	inserted  inserted
	refs      map[string][]string // refNames of inserted expressions
	// predeclared are the predeclared identifiers the output refers to.
	predeclared map[string]bool
	// siblings maps each if and for statement to the statement list it
	// stands in (the template's, shared: see templateIndex).
	siblings map[ast.Stmt][]ast.Stmt
	// clean is the plan of the cleanup rewrites (see cleanup.go).
	clean cleanupPlan
	// shared are the shared declarations (see planShared); inShared is set
	// while one is edited, whose imports are sharedImports.
	shared        map[ast.Decl]SharedKey
	sharedObjs    map[types.Object]bool
	sharedImports map[string]bool
	inShared      bool
	// inspect is ast.Inspect, faster on the template's own syntax (see
	// templateIndex.inspect).
	inspect func(root ast.Node, f func(ast.Node) bool)
	// asked are the import names the plan asked Spec.Imports for, in
	// order: path and name (see plan); made is the plan, once made or
	// taken.
	asked [][2]string
	made  *plan
	err   error
}

// Stencil specializes t per spec.
func Stencil(t *Template, spec *Spec) (*Output, error) {
	s := &state{
		t: t, spec: spec,
		fileOf:   map[*ast.File]int{},
		names:    map[types.Object]string{},
		params:   map[string]bool{},
		imports:  map[string]bool{},
		dead:     map[ast.Node]bool{},
		cut:      map[*ast.IfStmt]ast.Stmt{},
		hookRefs: map[ast.Node][]types.Object{},
		hooks:    map[*ast.FuncDecl]*hookBody{},
		locals:   map[types.Object]string{},

		typeDecls: map[types.Object][2]ast.Node{},
		refs:      map[string][]string{},

		predeclared:   map[string]bool{},
		sharedImports: map[string]bool{},
	}
	x := t.index()
	s.siblings = x.siblings
	s.inspect = x.inspect
	for i, f := range t.Files {
		s.fileOf[f] = i
		s.eds = append(s.eds, &editor{src: t.Srcs[i]})
	}
	for name := range spec.Types {
		s.params[name] = true
	}
	scope := t.Pkg.Scope()
	if obj, ok := scope.Lookup(spec.Main).(*types.TypeName); !ok || obj == nil {
		return nil, fmt.Errorf("template %s has no type %s", t.Dir, spec.Main)
	}
	for _, name := range scope.Names() {
		obj := scope.Lookup(name)
		s.names[obj] = Rename(name, spec.Main, spec.Name)
		if to, ok := spec.OwnNames[name]; ok {
			s.names[obj] = to
		}
		if to, ok := spec.Rename[name]; ok {
			s.names[obj] = to
		}
	}
	fixed := map[string]bool{}
	for name := range spec.Rename {
		fixed[name] = true
	}
	for name := range spec.OwnNames {
		fixed[name] = true
	}
	uniqueNames(s.names, spec.Main, spec.Name, fixed)
	s.config = x.config
	s.mirrors = x.mirrors
	if s.plan(); s.err != nil {
		return nil, s.err
	}
	s.planSharing()
	s.planLocals()
	s.planUnusedParams()
	if s.err != nil {
		return nil, s.err
	}
	s.editAll()
	if s.err != nil {
		return nil, s.err
	}
	// Rendering resolves the hook bodies: what they name is checked there.
	out := s.output()
	if s.err != nil {
		return nil, s.err
	}
	return out, nil
}

func (s *state) failf(format string, args ...any) {
	if s.err == nil {
		s.err = fmt.Errorf("template %s: "+format, append([]any{s.t.Dir}, args...)...)
	}
}

const (
	pieceText = iota
	pieceName
	pieceParam
	pieceConfig
)
