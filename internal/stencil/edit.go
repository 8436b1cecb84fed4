package stencil

import (
	"sort"
	"strings"
)

// An edit replaces the source range [start, end) by what fn returns. fn may
// render inner ranges with render, so edits nest: folding an if statement
// renders its kept branch, and the substitutions inside that branch apply.
type edit struct {
	start, end int
	fn         func() string
	// line: when fn returns "", the line it stood alone on goes too.
	line bool
}

// editor applies edits to one source file.
type editor struct {
	src   []byte
	edits []edit
	ready bool
}

func (e *editor) add(start, end int, fn func() string) {
	e.edits = append(e.edits, edit{start: start, end: end, fn: fn})
	e.ready = false
}

// addLine is add for a statement: when fn returns "", the statement's line
// is removed with it, not left blank.
func (e *editor) addLine(start, end int, fn func() string) {
	e.edits = append(e.edits, edit{start, end, fn, true})
	e.ready = false
}

func (e *editor) replace(start, end int, text string) {
	e.add(start, end, func() string { return text })
}

func (e *editor) sort() {
	if e.ready {
		return
	}
	// Outer edits first: by start, then longest first.
	sort.SliceStable(e.edits, func(i, j int) bool {
		a, b := e.edits[i], e.edits[j]
		if a.start != b.start {
			return a.start < b.start
		}
		return a.end > b.end
	})
	e.ready = true
}

// render returns src[start:end] with every edit inside the range applied.
// An edit that starts inside another edit's range belongs to that edit.
func (e *editor) render(start, end int) string {
	e.sort()
	var b strings.Builder
	p := start
	i := sort.Search(len(e.edits), func(i int) bool { return e.edits[i].start >= start })
	for ; i < len(e.edits); i++ {
		ed := e.edits[i]
		if ed.start >= end {
			break
		}
		if ed.start < p || ed.end > end {
			continue // nested in an edit already applied, or straddles the range
		}
		b.Write(e.src[p:ed.start])
		text := ed.fn()
		p = ed.end
		if text == "" && ed.line {
			// Drop the indentation before and the line break after, when
			// nothing else stands on the line.
			done := b.String()
			trimmed := strings.TrimRight(done, " \t")
			if (trimmed == "" || strings.HasSuffix(trimmed, "\n")) && p < end && e.src[p] == '\n' {
				b.Reset()
				b.WriteString(trimmed)
				p++
			}
		}
		b.WriteString(text)
	}
	b.Write(e.src[p:end])
	return b.String()
}
