package stencil

import (
	"go/ast"
	"go/token"
	"go/types"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// The plan of a directive is what it keeps of the template: the
// declarations, fields and branches it removes (selectDecls, the folding,
// removeUnused) and the cleanup rewrites (planCleanup). It walks the whole
// template, whatever the directive's output, and depends on few fields of
// the spec: the options' values and conditions, the hooks' bodies and the
// names to drop or keep, not the directive's name or type arguments. Many
// directives of a package share it (every map whose keys are hashed alike
// and whose values are stored alike), so a template keeps the plans it has
// made, by those fields (planKey), and a directive with the same ones takes
// the plan made for an earlier one instead of walking the template again.
//
// A plan is read, never changed, once made: the directives that share it
// may be stenciled at once. What its rendering computes from the
// directive (a folded constant written with the directive's import of
// time) is a function of the directive's state (cleanupPlan.text).

// plan is a directive's plan, as a template keeps it.
type plan struct {
	dead      map[ast.Node]bool
	cut       map[*ast.IfStmt]ast.Stmt
	clean     cleanupPlan
	typeDecls map[types.Object][2]ast.Node
	// asked are the names that Spec.Imports gave the plan, in the order it
	// asked (the options' values are type-checked with the output's
	// import names, see specValue): a directive whose Spec.Imports gives
	// the same names takes the plan.
	asked [][2]string
	// sharings are the shared declarations planned with the plan, by
	// sharingKey (see planSharing).
	mu       sync.Mutex
	sharings map[string]*sharing
}

// sharing is what planShared decides for a plan: the shared declarations
// and the objects they declare, which take their shared names.
type sharing struct {
	decls map[ast.Decl]SharedKey
	objs  map[types.Object]bool
}

// plan makes the directive's plan, or takes the one its template made for
// an earlier directive with the same planKey.
func (s *state) plan() {
	key := s.t.planKey(s.spec)
	if p := s.t.cachedPlan(key); p != nil && s.sameImports(p.asked) {
		s.made = p
		s.dead, s.cut, s.clean, s.typeDecls = p.dead, p.cut, p.clean, p.typeDecls
		// The only part of the plan rendering may add to.
		s.clean.specVals = maps.Clone(p.clean.specVals)
		return
	}
	s.selectDecls()
	if s.err != nil {
		return
	}
	s.planCleanup()
	s.removeUnused()
	if s.planWriteOnlyFields() {
		s.removeUnused()
	}
	if s.err != nil {
		return
	}
	p := &plan{dead: s.dead, cut: s.cut, clean: s.clean, typeDecls: s.typeDecls, asked: slices.Clone(s.asked)}
	p.clean.specVals = maps.Clone(s.clean.specVals)
	s.t.keepPlan(key, p)
	s.made = p
}

// planSharing is planShared, done once for the directives of a plan with
// the same sharingKey: which declarations are shared depends on the plan,
// the prefix, the names of the hooks, docs and renames the spec gives
// (Spec.Shared, HookDocs, Rename), the names that refer to another
// template's shared code (SharedRefs) and those that are no API of the
// directive (OwnNames given unexported names): every field of the spec
// planShared reads. Not on the directive's name or types.
func (s *state) planSharing() {
	p := s.made
	if s.spec.Shared == "" || p == nil {
		s.planShared()
		return
	}
	var b strings.Builder
	b.WriteString(s.spec.Shared)
	var refs, private []string
	for k, ok := range s.spec.SharedRefs {
		if ok {
			refs = append(refs, k)
		}
	}
	for k, own := range s.spec.OwnNames {
		if !token.IsExported(own) {
			private = append(private, k)
		}
	}
	slices.Sort(refs)
	slices.Sort(private)
	for _, keys := range [][]string{slices.Sorted(maps.Keys(s.spec.HookDocs)), slices.Sorted(maps.Keys(s.spec.Rename)), refs, private} {
		b.WriteString("\x00" + strconv.Itoa(len(keys)))
		for _, k := range keys {
			b.WriteString("\x00" + k)
		}
	}
	key := b.String()
	p.mu.Lock()
	sh := p.sharings[key]
	p.mu.Unlock()
	if sh == nil {
		s.planShared()
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.sharings == nil {
			p.sharings = map[string]*sharing{}
		}
		p.sharings[key] = &sharing{decls: s.shared, objs: s.sharedObjs}
		return
	}
	s.shared, s.sharedObjs = sh.decls, sh.objs
	for obj := range sh.objs {
		s.names[obj] = SharedName(s.spec.Shared, obj.Name())
	}
}

// sameImports reports whether Spec.Imports gives each path of asked the
// name it gave the plan, asking in the same order.
func (s *state) sameImports(asked [][2]string) bool {
	for _, a := range asked {
		if s.outputImportName(a[0]) != a[1] {
			return false
		}
	}
	return true
}

// planKey spells what a plan of t depends on in spec: two specs with the
// same key have the same plan (given the same import names, see
// plan.asked). Of a hook's body, that is only what its trace says.
func (t *Template) planKey(spec *Spec) string {
	var b strings.Builder
	str := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	strs := func(list []string) {
		b.WriteString(strconv.Itoa(len(list)))
		b.WriteByte('[')
		for _, s := range list {
			str(s)
		}
	}
	texts := func(m map[string]string) {
		b.WriteString(strconv.Itoa(len(m)))
		b.WriteByte('{')
		for _, k := range slices.Sorted(maps.Keys(m)) {
			str(k)
			str(m[k])
		}
	}
	bools := func(m map[string]bool) {
		b.WriteString(strconv.Itoa(len(m)))
		b.WriteByte('{')
		for _, k := range slices.Sorted(maps.Keys(m)) {
			str(k)
			b.WriteString(strconv.FormatBool(m[k]))
		}
	}
	str(spec.Main)
	texts(spec.Consts)
	texts(spec.Config)
	bools(spec.Runtime)
	bools(spec.Conds)
	b.WriteString(strconv.Itoa(len(spec.Hooks)))
	b.WriteByte('{')
	for _, k := range slices.Sorted(maps.Keys(spec.Hooks)) {
		str(k)
		str(t.hookTrace(spec.Hooks[k]))
	}
	strs(spec.Drop)
	strs(spec.Keep)
	return b.String()
}

// cachedPlan returns the plan kept under key, or nil.
func (t *Template) cachedPlan(key string) *plan {
	t.plansMu.Lock()
	defer t.plansMu.Unlock()
	return t.plans[key]
}

// maxPlans is the most plans a template keeps. A plan holds a map entry
// for each node it removes: directives that each have options of their own
// (10,000 semaphores of n=1 to n=10000) would keep one each, and the memory
// would grow with the package; the first maxPlans distinct ones are kept.
const maxPlans = 64

// keepPlan keeps p under key for the directives to come, unless the
// template keeps maxPlans already.
func (t *Template) keepPlan(key string, p *plan) {
	t.plansMu.Lock()
	defer t.plansMu.Unlock()
	if t.plans == nil {
		t.plans = map[string]*plan{}
	}
	if len(t.plans) < maxPlans {
		t.plans[key] = p
	}
}

// hookTrace spells what the plan reads of a hook's body: the names of the
// template's package-level objects it refers to (see hookObjects), whose
// declarations it keeps, and the names of the template's struct fields it
// may name (see fieldNames and planWriteOnlyFields), which it may read. A
// body that does not parse is its own trace (the plan fails on it).
func (t *Template) hookTrace(body string) string {
	t.plansMu.Lock()
	trace, ok := t.traces[body]
	t.plansMu.Unlock()
	if ok {
		return trace
	}
	f, err := parseBody(body)
	if err != nil {
		trace = "!" + body
	} else {
		var objs, fields []string
		for _, obj := range scopeObjects(t.Pkg.Scope(), f) {
			objs = append(objs, obj.Name())
		}
		named := t.index().fields
		for _, name := range fieldNames(body) {
			if named[name] != nil {
				fields = append(fields, name)
			}
		}
		slices.Sort(objs)
		slices.Sort(fields)
		trace = strings.Join(slices.Compact(objs), ",") + ";" + strings.Join(slices.Compact(fields), ",")
	}
	t.plansMu.Lock()
	defer t.plansMu.Unlock()
	if t.traces == nil {
		t.traces = map[string]string{}
	}
	if len(t.traces) < 16*maxPlans {
		t.traces[body] = trace
	}
	return trace
}
