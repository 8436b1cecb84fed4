package stencil

import (
	"go/ast"
	"go/token"
	"regexp"
	"sort"
	"strings"
)

// configRef matches a reference to a config field in a comment: Config.Workers.
var configRef = regexp.MustCompile(`\b([A-Z]\w*)\.([A-Z]\w*)\b`)

// docText renders a replacement doc comment, renaming the template names
// that start with or contain a capital (as in template comments).
func (s *state) docText(doc string) string {
	s.t.commentPlans() // compiles s.t.names
	renamed := Unmark(s.t.names.ReplaceAllStringFunc(doc, func(w string) string { return s.names[s.t.Pkg.Scope().Lookup(w)] }))
	var lines []string
	for i, para := range strings.Split(strings.TrimSpace(renamed), "\n\n") {
		if i > 0 {
			lines = append(lines, "//")
		}
		lines = append(lines, wrap(strings.Fields(para), 77)...)
	}
	return strings.Join(lines, "\n")
}

// wrap fills words into comment lines of at most width columns.
func wrap(words []string, width int) []string {
	var lines []string
	line := "//"
	for _, w := range words {
		if len(line)+1+len(w) > width && line != "//" {
			lines = append(lines, line)
			line = "//"
		}
		line += " " + w
	}
	return append(lines, line)
}

// editComments removes marker lines from comments and renames the template's
// exported names in prose ("Map is a concurrent map" -> "Store is ..."), so
// the generated code documents itself under its own names. What to do with
// each comment is planned once per template (see commentPlans).
func (s *state) editComments() {
	shared := s.sharedRanges()
	for i, plans := range s.t.commentPlans() {
		ed := s.eds[i]
		for _, p := range plans {
			if p.marker {
				ed.replace(p.start, p.end, "")
				continue
			}
			inShared := false
			for _, r := range shared[i] {
				inShared = inShared || p.start >= r[0] && p.end <= r[1]
			}
			var b strings.Builder
			for _, pc := range p.pieces {
				switch pc.kind {
				case pieceText:
					b.WriteString(pc.text)
				case pieceName:
					if inShared {
						b.WriteString(s.proseName(pc.text))
					} else if name, ok := s.names[s.t.Pkg.Scope().Lookup(pc.text)]; ok {
						b.WriteString(name)
					} else {
						b.WriteString(pc.text)
					}
				case pieceConfig:
					// The config type does not exist in the output: its
					// fields are the directive's options.
					opt := strings.ToLower(pc.text)
					if o, ok := s.spec.ConfigOptions[pc.text]; ok {
						opt = o
					}
					b.WriteString("the " + opt + "= option")
				}
			}
			if text := b.String(); text != p.c.Text {
				ed.replace(p.start, p.end, text)
			}
		}
	}
}

// commentPlan is what the stencil does with one comment of a template: remove
// it (a marker, with the blank line before it) or rewrite it from pieces.
type commentPlan struct {
	c          *ast.Comment
	marker     bool
	start, end int
	pieces     []commentPiece
}

// A commentPiece is a stretch of a comment's text: kept as it is, a
// template name to rename, or the field of a config reference
// (Config.Workers) to turn into the option's name.
type commentPiece struct {
	kind int
	text string
}

// commentPlans plans the comments of each file once: the markers, and the
// template names and config references in prose. A name renamed in prose is
// exported, or an unexported name that cannot be an ordinary word
// (shardBits, hashU64; not bucket or entry), and not qualified by a package
// (sync.Map).
func (t *Template) commentPlans() [][]commentPlan {
	t.commentsOnce.Do(func() {
		var names []string
		for _, n := range t.Pkg.Scope().Names() {
			if token.IsExported(n) || strings.ContainsAny(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") {
				names = append(names, regexp.QuoteMeta(n))
			}
		}
		sort.Sort(sort.Reverse(sort.StringSlice(names))) // longest alternative wins: MapStats before Map
		t.names = regexp.MustCompile(`\b(` + strings.Join(names, "|") + `)\b`)
		config := ""
		if c := findConfig(t); c != nil {
			config = c.Name()
		}
		off := func(p token.Pos) int { return t.Fset.Position(p).Offset }
		for i, f := range t.Files {
			src := t.Srcs[i]
			// The doc of a method starts with the method's name, which is
			// not renamed even when a template type has the same name (Stats).
			methodDoc := map[*ast.Comment]string{}
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv != nil && fd.Doc != nil {
					methodDoc[fd.Doc.List[0]] = fd.Name.Name
				}
			}
			var plans []commentPlan
			for _, cg := range f.Comments {
				for j, c := range cg.List {
					if strings.HasPrefix(c.Text, "//monogen:") {
						start, end := off(c.Pos()), off(c.End())
						// Remove the whole line, and a lone "//" line before a
						// trailing marker (the blank line of a doc comment).
						if j > 0 && cg.List[j-1].Text == "//" && allMarkers(cg.List[j:]) {
							start = off(cg.List[j-1].Pos())
						}
						for start > 0 && (src[start-1] == ' ' || src[start-1] == '\t') {
							start--
						}
						if start > 0 && src[start-1] == '\n' && end < len(src) && src[end] == '\n' {
							end++
						} else if j == 0 && len(cg.List) == 1 {
							// A marker alone after code on the same line: keep the line.
							start = off(c.Pos())
							for start > 0 && (src[start-1] == ' ' || src[start-1] == '\t') {
								start--
							}
						}
						plans = append(plans, commentPlan{c: c, marker: true, start: start, end: end})
						continue
					}
					if strings.HasPrefix(c.Text, "//go:") {
						continue
					}
					pieces := planComment(c.Text, methodDoc[c], config, t.names)
					if len(pieces) > 1 || len(pieces) == 1 && pieces[0].kind != pieceText {
						plans = append(plans, commentPlan{c: c, start: off(c.Pos()), end: off(c.End()), pieces: pieces})
					}
				}
			}
			t.comments = append(t.comments, plans)
		}
	})
	return t.comments
}

// planComment splits the text of a comment into pieces: config references
// (when config names the config type), then template names, but for the
// name of the method the comment documents, which starts it.
func planComment(text, method, config string, names *regexp.Regexp) []commentPiece {
	var out []commentPiece
	prose := func(text string) {
		p := 0
		for _, m := range names.FindAllStringIndex(text, -1) {
			if m[0] > 0 && text[m[0]-1] == '.' {
				continue // qualified: sync.Map is the standard library's
			}
			out = append(out, commentPiece{pieceText, text[p:m[0]]}, commentPiece{pieceName, text[m[0]:m[1]]})
			p = m[1]
		}
		out = append(out, commentPiece{pieceText, text[p:]})
	}
	if method != "" && strings.HasPrefix(text, "// "+method+" ") {
		out = append(out, commentPiece{pieceText, "// " + method})
		text = text[len("// "+method):]
	}
	p := 0
	if config != "" {
		for _, m := range configRef.FindAllStringSubmatchIndex(text, -1) {
			if text[m[2]:m[3]] != config {
				continue
			}
			prose(text[p:m[0]])
			out = append(out, commentPiece{pieceConfig, text[m[4]:m[5]]})
			p = m[1]
		}
	}
	prose(text[p:])
	return out
}

func allMarkers(list []*ast.Comment) bool {
	for _, c := range list {
		if !strings.HasPrefix(c.Text, "//monogen:") {
			return false
		}
	}
	return true
}
