package stencil

import (
	"go/ast"
	"go/token"
	"go/types"
	"path"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// userPrefix marks an identifier of the user's package in hook bodies and
// hook docs, so that renaming never touches it even when it happens to share
// a template declaration's name (a user hash function called hashKey) or a
// local's (a bound function b in a method whose receiver is b).
const userPrefix = "monogenUser_"

// User returns name marked as the user's identifier; see userPrefix.
func User(name string) string { return userPrefix + name }

// Unmark strips user marks from src once template names are renamed.
func Unmark(src string) string { return strings.ReplaceAll(src, userPrefix, "") }

// userWord matches an identifier in prose.
var userWord = regexp.MustCompile(`\b[\pL_][\pL\pN_]*`)

// UserText marks every identifier of text as the user's, for a doc comment
// that quotes a type argument or names a function of the directive.
func UserText(text string) string { return userWord.ReplaceAllString(text, userPrefix+"$0") }

// Rename returns the generated name of a template top-level identifier.
func Rename(name, main, directive string) string {
	exported := token.IsExported(directive)
	switch {
	case name == main:
		return directive
	case name == "New":
		if exported {
			return "New" + directive
		}
		return "new" + upperFirst(directive)
	case len(name) > 3 && strings.HasPrefix(name, "Err") && unicode.IsUpper(rune(name[3])):
		// Error variables read as Go's do: ErrClosed -> ErrResizerClosed.
		if exported {
			return "Err" + directive + name[3:]
		}
		return "err" + upperFirst(directive) + name[3:]
	case token.IsExported(name):
		return directive + name
	}
	return lowerFirst(directive) + upperFirst(name)[repeated(directive, name):]
}

// repeated returns the length of the words that an unexported template name
// starts with and the directive's name ends with, which the generated name
// says once: storeValue for Store is storeValue, not storeStoreValue;
// queueSlot for BlockQueue is blockQueueSlot. The whole name may repeat only
// when the directive is exported (window for Window is window), so that the
// result is never the directive's own name. The generated name keeps the
// directive's name as its prefix; Stencil goes back to the plain name where
// two template names would meet (see uniqueNames).
func repeated(directive, name string) int {
	n := upperFirst(name)
	for i := 0; i < len(directive); i++ {
		if i > 0 && !unicode.IsUpper(rune(directive[i])) {
			continue // not the start of a word
		}
		suffix := directive[i:]
		if !strings.HasPrefix(n, suffix) {
			continue
		}
		if len(n) == len(suffix) {
			if token.IsExported(directive) {
				return len(suffix)
			}
			continue
		}
		if next := rune(n[len(suffix)]); unicode.IsUpper(next) || unicode.IsDigit(next) {
			return len(suffix)
		}
	}
	return 0
}

// uniqueNames goes back to the plain generated name (prefix and template
// name) for every template name whose shortened name (see repeated) is also
// another's generated name: with template names slot and queueSlot, a
// directive Queue keeps queueSlot for slot and gives queueQueueSlot to
// queueSlot.
func uniqueNames(names map[types.Object]string, main, directive string, fixed map[string]bool) {
	for {
		count := map[string]int{}
		for _, n := range names {
			count[n]++
		}
		changed := false
		for obj, n := range names {
			name := obj.Name()
			if count[n] > 1 && !fixed[name] && !token.IsExported(name) && name != main && repeated(directive, name) > 0 {
				names[obj] = lowerFirst(directive) + upperFirst(name)
				changed = true
			}
		}
		if !changed {
			return
		}
	}
}

// UpperFirst returns s with its first letter upper-cased, a letter of any
// script (a stage named μ makes a type ending in Μ, not a broken byte).
func UpperFirst(s string) string { return upperFirst(s) }

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// LowerFirst returns s with its first letter lower-cased as the stencil
// lowers a directive's name for unexported names: Ingest -> ingest, HTTP
// -> http, HTTPServer -> httpServer, İngest -> ingest.
func LowerFirst(s string) string { return lowerFirst(s) }

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	// An all-caps initialism such as "LRU" lowers as a whole: lRU reads badly.
	r, n := utf8.DecodeRuneInString(s)
	if n < len(s) {
		r2, _ := utf8.DecodeRuneInString(s[n:])
		if unicode.IsUpper(r2) {
			i := 0
			for i < len(s) && unicode.IsUpper(rune(s[i])) {
				i++
			}
			if i == len(s) {
				return strings.ToLower(s)
			}
			if i > 1 {
				return strings.ToLower(s[:i-1]) + s[i-1:]
			}
		}
	}
	return string(unicode.ToLower(r)) + s[n:]
}

func (s *state) isTypeParam(id *ast.Ident) bool {
	obj := s.t.Info.Uses[id]
	if obj == nil {
		obj = s.t.Info.Defs[id]
	}
	tn, ok := obj.(*types.TypeName)
	if !ok {
		return false
	}
	if _, ok := tn.Type().(*types.TypeParam); !ok {
		return false
	}
	if !s.params[id.Name] {
		s.failf("type parameter %s is not one of the template's parameters", id.Name)
		return false
	}
	return true
}

// isTemplateGeneric reports whether e names a generic type or function
// declared in the template (whose instantiation the stencil removes).
func (s *state) isTemplateGeneric(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	if !ok {
		return false
	}
	obj := s.t.Info.Uses[id]
	if obj == nil || obj.Parent() != s.t.Pkg.Scope() {
		return false
	}
	switch o := obj.(type) {
	case *types.TypeName:
		switch t := o.Type().(type) {
		case *types.Named:
			return t.TypeParams().Len() > 0
		case *types.Alias:
			return t.TypeParams().Len() > 0
		}
	case *types.Func:
		return o.Type().(*types.Signature).TypeParams().Len() > 0
	}
	return false
}

func (s *state) importName(path string) string {
	s.imports[path] = true
	if s.spec.Imports == nil {
		return pathBase(path)
	}
	return s.spec.Imports(path)
}

func pathBase(p string) string {
	b := path.Base(p)
	if strings.HasPrefix(b, "v") && len(b) > 1 && strings.Trim(b[1:], "0123456789") == "" {
		b = path.Base(path.Dir(p))
	}
	return b
}
