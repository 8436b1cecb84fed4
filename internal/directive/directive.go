// Package directive parses the text of a //monogen: comment.
//
// The grammar is
//
//	//monogen:<kind> <Name>[<T1>, <T2>, ...] [key=value ...]
//
// The type argument list is optional (//monogen:semaphore Slots n=16). Type
// arguments are Go type expressions and may themselves hold brackets, commas
// and spaces (map[string]int, func(a, b int) error, Pair[int, string]); they are
// split at top-level commas and checked for syntax here, and resolved against
// the package's types elsewhere. Option values are kept as text; their meaning
// belongs to the kind.
//
// Parse never panics and reports the byte offset of the offending token, so a
// caller holding the comment's position can point at the exact column.
package directive

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Prefix starts every monogen directive. Like //go:generate it has no space
// after the slashes, which keeps it out of doc text and makes gofmt leave it be.
const Prefix = "//monogen:"

// Directive is one parsed directive. Offsets are byte offsets into the comment
// text given to Parse (which starts with Prefix).
type Directive struct {
	Kind    string
	KindOff int
	Name    string
	NameOff int
	Args    []Arg
	Options []Option
	// End is the offset just past the last token, for errors about something missing.
	End int
}

// Arg is one type argument.
type Arg struct {
	Text string   // the type expression as written, trimmed
	Off  int      // offset of its first byte
	Expr ast.Expr // parsed expression (positions relative to Text, based at 1)
}

// Option is one key=value pair.
type Option struct {
	Key      string
	KeyOff   int
	Value    string
	ValueOff int
}

// Error is a syntax error at a byte offset of the directive text.
type Error struct {
	Off int
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("offset %d: %s", e.Off, e.Msg) }

func errorf(off int, format string, args ...any) *Error {
	return &Error{Off: off, Msg: fmt.Sprintf(format, args...)}
}

// Is reports whether a comment's text is a monogen directive.
func Is(text string) bool { return strings.HasPrefix(text, Prefix) }

// Parse parses a directive comment, "//monogen:map Name[K, V] shards=64".
func Parse(text string) (*Directive, error) {
	if !Is(text) {
		return nil, errorf(0, "not a monogen directive: want %s<kind> <Name>[<types>] [key=value ...]", Prefix)
	}
	if i := strings.IndexAny(text, "\n\r"); i >= 0 {
		return nil, errorf(i, "directive must be on one line")
	}
	d := &Directive{}
	p := len(Prefix)

	// Kind: letters only, directly after the prefix.
	d.KindOff = p
	for p < len(text) && isIdentByte(text[p]) {
		p++
	}
	d.Kind = text[d.KindOff:p]
	if d.Kind == "" {
		return nil, errorf(d.KindOff, "missing kind: want %s<kind> <Name>[<types>] [key=value ...]", Prefix)
	}
	if p < len(text) && !isSpace(text[p]) {
		return nil, errorf(p, "unexpected %q after kind %q: want a space, then the type name", runeAt(text, p), d.Kind)
	}
	p = skipSpace(text, p)

	// Name.
	d.NameOff = p
	if p >= len(text) {
		return nil, errorf(p, "missing type name after %s%s", Prefix, d.Kind)
	}
	if r, _ := utf8.DecodeRuneInString(text[p:]); !unicode.IsLetter(r) && r != '_' {
		return nil, errorf(p, "type name must be a Go identifier, found %q", r)
	}
	for p < len(text) {
		r, size := utf8.DecodeRuneInString(text[p:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' {
			break
		}
		p += size
	}
	d.Name = text[d.NameOff:p]
	if d.Name == "_" {
		return nil, errorf(d.NameOff, "type name must not be the blank identifier")
	}
	if token.IsKeyword(d.Name) {
		return nil, errorf(d.NameOff, "type name %q is a Go keyword", d.Name)
	}

	// Type arguments.
	if p < len(text) && text[p] == '[' {
		args, end, err := parseArgs(text, p)
		if err != nil {
			return nil, err
		}
		d.Args = args
		p = end
	}
	if p < len(text) && !isSpace(text[p]) {
		return nil, errorf(p, "unexpected %q after %s: want a space before options", runeAt(text, p), d.Name)
	}
	d.End = p

	// Options.
	seen := map[string]bool{}
	for {
		p = skipSpace(text, p)
		if p >= len(text) {
			break
		}
		start := p
		for p < len(text) && !isSpace(text[p]) {
			p++
		}
		word := text[start:p]
		d.End = p
		if strings.HasPrefix(word, "//") {
			// A trailing comment ends the directive: //monogen:map M[K, V] // why.
			d.End = start
			break
		}
		eq := strings.IndexByte(word, '=')
		if eq < 0 && d.Args == nil && len(seen) == 0 && strings.HasPrefix(word, "[") {
			// //monogen:map M [K, V]: the space ends the name.
			return nil, errorf(d.NameOff+len(d.Name), "unexpected space between %s and its type arguments: want %s[...]", d.Name, d.Name)
		}
		if eq < 0 {
			return nil, errorf(start, "option %q is not key=value", word)
		}
		key, val := word[:eq], word[eq+1:]
		if key == "" || !isIdent(key) {
			return nil, errorf(start, "option key %q is not an identifier", key)
		}
		if val == "" {
			return nil, errorf(start+eq+1, "option %s has no value", key)
		}
		if seen[key] {
			return nil, errorf(start, "option %s given twice", key)
		}
		seen[key] = true
		d.Options = append(d.Options, Option{Key: key, KeyOff: start, Value: val, ValueOff: start + eq + 1})
	}
	return d, nil
}

// parseArgs splits "[T1, T2]" starting at text[open] == '[' at top-level
// commas and parses each part as a type expression.
func parseArgs(text string, open int) ([]Arg, int, error) {
	var args []Arg
	depth := 0
	start := open + 1
	for p := open; p < len(text); p++ {
		switch c := text[p]; c {
		case '[', '(', '{':
			depth++
		case ']', ')', '}':
			depth--
			if depth < 0 {
				return nil, 0, errorf(p, "unbalanced %q in type arguments", c)
			}
			if depth == 0 {
				if c != ']' {
					return nil, 0, errorf(p, "unbalanced %q in type arguments", c)
				}
				a, err := parseArg(text, start, p)
				if err != nil {
					return nil, 0, err
				}
				args = append(args, a)
				return args, p + 1, nil
			}
		case ',':
			if depth == 1 {
				a, err := parseArg(text, start, p)
				if err != nil {
					return nil, 0, err
				}
				args = append(args, a)
				start = p + 1
			}
		case '"', '`':
			// Struct tags in an anonymous struct type: skip the literal.
			end := strings.IndexByte(text[p+1:], c)
			if end < 0 {
				return nil, 0, errorf(p, "unterminated string in type arguments")
			}
			p += end + 1
		}
	}
	return nil, 0, errorf(open, "missing ] to close the type arguments")
}

func parseArg(text string, start, end int) (Arg, error) {
	raw := text[start:end]
	trimmed := strings.TrimSpace(raw)
	// The offset skips what TrimSpace trims, not only blanks and tabs.
	off := start + (len(raw) - len(strings.TrimLeftFunc(raw, unicode.IsSpace)))
	if trimmed == "" {
		return Arg{}, errorf(off, "empty type argument")
	}
	fset := token.NewFileSet()
	expr, err := parser.ParseExprFrom(fset, "", trimmed, 0)
	if err != nil {
		at := off
		msg := err.Error()
		if list, ok := err.(scanner.ErrorList); ok && len(list) > 0 {
			at = off + list[0].Pos.Offset
			msg = list[0].Msg
		}
		return Arg{}, errorf(at, "type argument %q is not a Go type: %s", trimmed, msg)
	}
	if !looksLikeType(expr) {
		return Arg{}, errorf(off, "type argument %q is not a type expression", trimmed)
	}
	return Arg{Text: trimmed, Off: off, Expr: expr}, nil
}

// looksLikeType rejects expressions that can never denote a type (literals,
// calls, operators) so that they get a syntax error here; whether a name
// denotes a type is decided by the type checker.
func looksLikeType(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return true
	case *ast.SelectorExpr:
		_, ok := e.X.(*ast.Ident)
		return ok
	case *ast.StarExpr:
		return looksLikeType(e.X)
	case *ast.ParenExpr:
		return looksLikeType(e.X)
	case *ast.ArrayType, *ast.MapType, *ast.ChanType, *ast.FuncType, *ast.StructType, *ast.InterfaceType:
		return true
	case *ast.IndexExpr:
		return looksLikeType(e.X) && looksLikeType(e.Index)
	case *ast.IndexListExpr:
		if !looksLikeType(e.X) {
			return false
		}
		for _, i := range e.Indices {
			if !looksLikeType(i) {
				return false
			}
		}
		return true
	}
	return false
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isIdent(s string) bool {
	for i, r := range s {
		if !unicode.IsLetter(r) && r != '_' && (i == 0 || !unicode.IsDigit(r)) {
			return false
		}
	}
	return s != ""
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

func skipSpace(s string, p int) int {
	for p < len(s) && isSpace(s[p]) {
		p++
	}
	return p
}

func runeAt(s string, p int) rune {
	r, _ := utf8.DecodeRuneInString(s[p:])
	return r
}
