package gen

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/scanner"
	"go/token"
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

// rendered is an output file as rendered, before formatting: its source and
// its syntax, parsed once, which the type check and the formatting share.
type rendered struct {
	src  []byte
	file *ast.File
}

// parseOutput parses a rendered output file. Code that does not parse is
// monogen's bug: see brokenFile.
func parseOutput(fset *token.FileSet, out string, src []byte) (*rendered, error) {
	f, err := parser.ParseFile(fset, out, src, parser.ParseComments|parser.SkipObjectResolution)
	if err == nil {
		return &rendered{src: src, file: f}, nil
	}
	var list scanner.ErrorList
	line, col, msg := 0, 0, err.Error()
	if errors.As(err, &list) && len(list) > 0 {
		line, col, msg = list[0].Pos.Line, list[0].Pos.Column, list[0].Msg
		if len(list) > 1 {
			msg += fmt.Sprintf(" (and %d more errors)", len(list)-1)
		}
	}
	return nil, brokenFile(out, src, "does not parse", line, col, msg)
}

// formatOutput formats a rendered output file as gofmt does.
func formatOutput(fset *token.FileSet, r *rendered) ([]byte, error) {
	var b bytes.Buffer
	if err := format.Node(&b, fset, r.file); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
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
