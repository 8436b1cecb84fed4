// Package model is the plain data between loading and emitting: what to
// generate, with positions for errors. It holds no behaviour beyond lookups.
package model

import (
	"fmt"
	"go/token"
	"go/types"
	"time"
)

// Directive is one resolved directive.
type Directive struct {
	Pos     token.Position // the comment's first slash
	Kind    string
	Name    string
	NamePos token.Position
	Args    []Arg
	Options []*Option
	// File is the source file holding the directive; Output the file its code goes to.
	File, Output string
	// Pkg is the package the code is generated into.
	Pkg *types.Package
}

// Arg is a type argument.
type Arg struct {
	Text string
	Pos  token.Position
	Type types.Type
}

// Option is a key=value option, with its parsed value.
type Option struct {
	Key, Raw         string
	KeyPos, ValuePos token.Position
	// Value holds the parsed value: int64, float64, bool, time.Duration,
	// string (identifiers, enums), []int64, Rate or *types.Func (function options).
	Value any
}

// Rate is an events-per-period option such as 100/s.
type Rate struct {
	N   int64
	Per time.Duration
}

func (r Rate) String() string { return fmt.Sprintf("%d/%s", r.N, r.Per) }

// Option returns the option with the given key, or nil.
func (d *Directive) Option(key string) *Option {
	for _, o := range d.Options {
		if o.Key == key {
			return o
		}
	}
	return nil
}

// Error is a user error at a position: file:line:col: message.
type Error struct {
	Pos token.Position
	Msg string
}

func (e *Error) Error() string {
	if e.Pos.IsValid() {
		return fmt.Sprintf("%s: %s", e.Pos, e.Msg)
	}
	return e.Msg
}

// Errorf returns an *Error.
func Errorf(pos token.Position, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}
