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
	return lowerFirst(directive) + upperFirst(name)
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

func lowerFirst(s string) string {
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
		if n, ok := o.Type().(*types.Named); ok {
			return n.TypeParams().Len() > 0
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
