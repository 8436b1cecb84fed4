package gen

import (
	"errors"
	"fmt"
	"go/scanner"
	"go/types"
	"os"
	"path/filepath"
)

// InternalError is a failure that is monogen's fault, not the input's:
// generated code that does not compile, a template that does not stencil.
type InternalError struct{ Err error }

func (e *InternalError) Error() string {
	return "internal error (please report): " + e.Err.Error()
}

func (e *InternalError) Unwrap() error { return e.Err }

// parseError is the InternalError of generated code that does not parse:
// err is the parser's, src the code.
func parseError(out string, src []byte, err error) error {
	var list scanner.ErrorList
	line, col, msg := 0, 0, err.Error()
	if errors.As(err, &list) && len(list) > 0 {
		line, col, msg = list[0].Pos.Line, list[0].Pos.Column, list[0].Msg
		if len(list) > 1 {
			msg += fmt.Sprintf(" (and %d more errors)", len(list)-1)
		}
	}
	return brokenFile(out, src, "does not parse", line, col, msg)
}

// typeError is the InternalError of generated code that does not
// type-check: first is the first error inside the file out, whose content
// is src.
func typeError(out string, src []byte, first error) error {
	line, col, msg := 0, 0, first.Error()
	var te types.Error
	if errors.As(first, &te) {
		p := te.Fset.Position(te.Pos)
		line, col, msg = p.Line, p.Column, te.Msg
	}
	return brokenFile(out, src, "does not type-check", line, col, msg)
}

// brokenFile reports generated code that does not compile in one line: the
// file is kept in a new temporary file, whose path the message gives with
// the position of the first error, so that the report stays one line and
// the code can be opened at the error (Generate writes nothing else).
func brokenFile(out string, src []byte, what string, line, col int, msg string) error {
	where := filepath.Base(out)
	if f, err := os.CreateTemp("", "monogen-*-"+filepath.Base(out)); err == nil {
		_, werr := f.Write(src)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr == nil {
			where = f.Name()
		} else {
			os.Remove(f.Name())
		}
	}
	if line > 0 {
		where += fmt.Sprintf(":%d:%d", line, col)
	}
	return &InternalError{fmt.Errorf("generated %s %s: %s: %s", filepath.Base(out), what, where, msg)}
}
