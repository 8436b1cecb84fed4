package stencil

import (
	"bytes"
	"go/ast"
	"go/token"
	"go/types"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// configRef matches a reference to a config field in a comment: Config.Workers.
var configRef = regexp.MustCompile(`\b([A-Z]\w*)\.([A-Z]\w*)\b`)

// docText renders a replacement doc comment of the top-level declaration
// decl (of a method, with decl "." and its name; of a field, ""), renaming the template names that
// start with or contain a capital (as in template comments) and the name of
// decl that starts it, and replacing the type parameters by the directive's
// types.
func (s *state) docText(doc, decl string) string {
	s.t.commentPlans() // compiles s.t.names
	rename := func(w string) string { return s.names[s.t.Pkg.Scope().Lookup(w)] }
	doc = strings.TrimSpace(doc)
	var first string
	if method, ok := strings.CutPrefix(decl, "."); ok {
		// A method's name is not renamed, though a declaration of the
		// package may have the same name.
		if strings.HasPrefix(doc, method) && !isIdentByte(doc, len(method)) {
			first, doc = method, doc[len(method):]
		}
	} else if decl != "" && strings.HasPrefix(doc, decl) && !isIdentByte(doc, len(decl)) {
		first, doc = rename(decl), doc[len(decl):]
	}
	var b strings.Builder
	config := ""
	if s.config != nil {
		config = s.config.Name()
	}
	for _, pc := range planComment(doc, "", false, first == "", config, s.t.names, s.t.params) {
		switch pc.kind {
		case pieceName:
			b.WriteString(rename(pc.text))
		case pieceParam:
			b.WriteString(s.paramText(pc.text))
		case pieceConfig:
			b.WriteString(s.configText(pc))
		default:
			b.WriteString(pc.text)
		}
	}
	renamed := Unmark(first + b.String())
	width := 77
	if decl == "" {
		width = 73 // a field's doc, indented by a tab
	}
	var lines []string
	for i, para := range strings.Split(strings.TrimSpace(renamed), "\n\n") {
		if i > 0 {
			lines = append(lines, "//")
		}
		lines = append(lines, wrap(strings.Fields(para), width)...)
	}
	return strings.Join(lines, "\n")
}

// paramText is the text of a type parameter in prose: the directive's type
// (a hash map from SessionID to *Session).
func (s *state) paramText(param string) string {
	if typ, ok := s.spec.Types[param]; ok {
		return Unmark(typ)
	}
	return param
}

// wrap fills words into comment lines of at most width columns.
func wrap(words []string, width int) []string {
	var lines []string
	line := make([]byte, 0, width+16)
	line = append(line, "//"...)
	for _, w := range words {
		if len(line)+1+len(w) > width && len(line) > len("//") {
			lines = append(lines, string(line))
			line = append(line[:0], "//"...)
		}
		line = append(append(line, ' '), w...)
	}
	return append(lines, string(line))
}

// editComments removes marker lines from comments and renames the template's
// exported names in prose ("Map is a concurrent map" -> "Store is ..."), so
// the generated code documents itself under its own names. What to do with
// each comment is planned once per template (see commentPlans).
func (s *state) editComments() {
	shared := s.sharedRanges()
	for i, plans := range s.t.commentPlans() {
		ed := s.eds[i]
		changed := map[*ast.Comment]string{}
		// Only the comments of live declarations are in the output.
		live := s.liveRanges(i)
		for _, p := range plans {
			for len(live) > 0 && live[0][1] < p.end {
				live = live[1:]
			}
			if len(live) == 0 {
				break
			}
			if p.start < live[0][0] {
				continue
			}
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
				case pieceParam:
					b.WriteString(s.paramText(pc.text))
				case pieceConfig:
					b.WriteString(s.configText(pc))
				}
			}
			if text := b.String(); text != p.c.Text {
				changed[p.c] = text
			}
		}
		s.refill(i, changed)
		for _, p := range plans {
			if text, ok := changed[p.c]; ok {
				ed.replace(p.start, p.end, text)
			}
		}
	}
}

// configText is the text of a config field in prose (Config.Workers): the
// config type does not exist in the output, and its fields are the
// directive's options ("the workers= option").
func (s *state) configText(pc commentPiece) string {
	opt := strings.ToLower(pc.text)
	if o, ok := s.spec.ConfigOptions[pc.text]; ok {
		opt = o
	}
	if pc.start {
		return "The " + opt + "= option"
	}
	return "the " + opt + "= option"
}

// liveRanges returns the byte ranges of the live declarations of file i
// (see nodeRange), in order: what the output holds of the file.
func (s *state) liveRanges(i int) [][2]int {
	var out [][2]int
	for _, d := range s.t.Files[i].Decls {
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.IMPORT || s.dead[d] {
			continue
		}
		start, end := s.nodeRange(d)
		out = append(out, [2]int{start, end})
	}
	return out
}

// refill re-wraps each paragraph of file i's comments that a change (new
// text by comment) makes wider than a line of the template, as a person
// editing its names would: its words filled into lines of the template's
// width. The comments of a refilled paragraph leave changed. A paragraph is
// a run of prose lines, each alone on its line; lists, code blocks and
// directives are left as they are.
func (s *state) refill(i int, changed map[*ast.Comment]string) {
	if len(changed) == 0 {
		return
	}
	src := s.t.Srcs[i]
	for _, para := range s.t.index().paragraphs[i] {
		text := func(c *ast.Comment) string {
			if t, ok := changed[c]; ok {
				return t
			}
			return c.Text
		}
		first, indent, width := para.first, para.indent, para.width
		wide := false
		for _, c := range para.list {
			if _, ok := changed[c]; ok && len(text(c)) > width {
				wide = true
			}
		}
		if !wide {
			continue
		}
		var words []string
		for _, c := range para.list {
			words = append(words, strings.Fields(strings.TrimPrefix(text(c), "//"))...)
			delete(changed, c)
		}
		sep := "\n" + string(src[first-indent:first])
		s.eds[i].replace(first, para.end, strings.Join(wrap(words, width-3), sep))
	}
}

// paragraph is a run of prose comment lines (see paragraphs): first is the
// offset of its first comment, end the end of its last, indent the bytes
// of indentation before it, and width the columns of a line of it, a tab
// counted as 4.
type paragraph struct {
	list                      []*ast.Comment
	first, end, indent, width int
}

// paragraphs returns the runs of prose comment lines of f: "// text" lines
// alone on their line, but for directives and the indented lines of lists
// and code blocks.
func paragraphs(f *ast.File, src []byte, fset *token.FileSet) []paragraph {
	var out []paragraph
	for _, cg := range f.Comments {
		var run []*ast.Comment
		flush := func() {
			if len(run) > 0 {
				first := fset.Position(run[0].Pos()).Offset
				indent := first - (bytes.LastIndexByte(src[:first], '\n') + 1)
				out = append(out, paragraph{list: run, first: first, end: fset.Position(run[len(run)-1].End()).Offset, indent: indent, width: 80 - 4*indent})
			}
			run = nil
		}
		for _, c := range cg.List {
			start := fset.Position(c.Pos()).Offset
			lineStart := bytes.LastIndexByte(src[:start], '\n') + 1
			alone := len(bytes.TrimLeft(src[lineStart:start], " \t")) == 0
			prose := alone && strings.HasPrefix(c.Text, "// ") && !strings.HasPrefix(c.Text, "//  ") && !strings.HasPrefix(c.Text, "// -")
			if !prose {
				flush()
				continue
			}
			run = append(run, c)
		}
		flush()
	}
	return out
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
// template name to rename, a type parameter to replace by the directive's
// type, or the field of a config reference (Config.Workers) to turn into the
// option's name.
type commentPiece struct {
	kind  int
	text  string
	start bool // a config reference starts a sentence
}

// commentPlans plans the comments of each file once: the markers, and the
// template names, type parameters and config references in prose. A name
// renamed in prose is exported, or an unexported name that cannot be an
// ordinary word (shardBits, hashU64; not bucket or entry), or the name of a
// top-level declaration starting its doc comment ("shard is" above type
// shard), and not qualified by a package (sync.Map). A type parameter (K,
// In) is replaced where it is a word of its own, not a selector (x.V) and,
// for In and Out, not the English word starting a sentence.
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
		var params []string
		for id, obj := range t.Info.Defs {
			if _, ok := obj.(*types.TypeName); ok && id.Name != "_" {
				if _, ok := obj.Type().(*types.TypeParam); ok && !slices.Contains(params, id.Name) {
					params = append(params, regexp.QuoteMeta(id.Name))
				}
			}
		}
		sort.Strings(params)
		t.params = nil
		if len(params) > 0 {
			t.params = regexp.MustCompile(`\b(` + strings.Join(params, "|") + `)\b`)
		}
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
			// The doc of a top-level declaration starts with its name,
			// renamed even when it is an ordinary word (shard).
			declDoc := map[*ast.Comment]string{}
			doc := func(cg *ast.CommentGroup, name string) {
				if cg != nil {
					declDoc[cg.List[0]] = name
				}
			}
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					if d.Recv != nil && d.Doc != nil {
						methodDoc[d.Doc.List[0]] = d.Name.Name
					} else if d.Recv == nil {
						doc(d.Doc, d.Name.Name)
					}
				case *ast.GenDecl:
					for _, sp := range d.Specs {
						var spDoc *ast.CommentGroup
						var name string
						switch sp := sp.(type) {
						case *ast.TypeSpec:
							spDoc, name = sp.Doc, sp.Name.Name
						case *ast.ValueSpec:
							spDoc, name = sp.Doc, sp.Names[0].Name
						default:
							continue
						}
						if d.Lparen == token.NoPos {
							spDoc = d.Doc
						}
						doc(spDoc, name)
					}
				}
			}
			var plans []commentPlan
			for _, cg := range f.Comments {
				sentence := true // the next line starts a sentence
				for j, c := range cg.List {
					if templateOnly(c.Text) {
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
					name, isDecl := methodDoc[c], false
					if n, ok := declDoc[c]; ok {
						name, isDecl = n, true
					}
					pieces := planComment(c.Text, name, isDecl, sentence, config, t.names, t.params)
					trimmed := strings.TrimSpace(strings.TrimPrefix(c.Text, "//"))
					sentence = trimmed == "" || strings.ContainsAny(trimmed[len(trimmed)-1:], ".:;!?")
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
// (when config names the config type), then template names and type
// parameters (params, if the template has any). A comment that starts the
// doc of name starts with it: a method's name is kept, a top-level
// declaration's (decl) renamed. sentence says whether the comment's text
// starts a sentence.
func planComment(text, name string, decl, sentence bool, config string, names, params *regexp.Regexp) []commentPiece {
	var out []commentPiece
	words := func(text string) {
		p := 0
		if params != nil {
			for _, m := range params.FindAllStringIndex(text, -1) {
				w := text[m[0]:m[1]]
				before := strings.TrimRight(text[:m[0]], " \t\n")
				if m[0] > 0 && text[m[0]-1] == '.' || m[1] < len(text) && text[m[1]] == '(' {
					continue // code: x.V, T(0)
				}
				if (w == "In" || w == "Out") && ((before == "//" || before == "") && sentence || strings.HasSuffix(before, ".") || strings.HasSuffix(before, ":")) {
					continue // the English word, starting a sentence
				}
				out = append(out, commentPiece{kind: pieceText, text: text[p:m[0]]}, commentPiece{kind: pieceParam, text: w})
				p = m[1]
			}
		}
		out = append(out, commentPiece{kind: pieceText, text: text[p:]})
	}
	prose := func(text string) {
		p := 0
		for _, m := range names.FindAllStringIndex(text, -1) {
			if m[0] > 0 && text[m[0]-1] == '.' {
				continue // qualified: sync.Map is the standard library's
			}
			words(text[p:m[0]])
			out = append(out, commentPiece{kind: pieceName, text: text[m[0]:m[1]]})
			p = m[1]
		}
		words(text[p:])
	}
	if name != "" && strings.HasPrefix(text, "// "+name) && !isIdentByte(text, len("// "+name)) {
		kind := pieceText
		if decl {
			kind = pieceName
		}
		out = append(out, commentPiece{kind: pieceText, text: "// "}, commentPiece{kind: kind, text: name})
		text = text[len("// "+name):]
		sentence = false
	}
	p := 0
	if config != "" {
		for _, m := range configRef.FindAllStringSubmatchIndex(text, -1) {
			if text[m[2]:m[3]] != config {
				continue
			}
			prose(text[p:m[0]])
			before := strings.TrimRight(text[:m[0]], " ")
			start := before == "//" && sentence || strings.HasSuffix(before, ".")
			out = append(out, commentPiece{kind: pieceConfig, text: text[m[4]:m[5]], start: start})
			p = m[1]
		}
	}
	prose(text[p:])
	return out
}

// isIdentByte reports whether text[i] continues an identifier.
func isIdentByte(text string, i int) bool {
	if i >= len(text) {
		return false
	}
	c := text[i]
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c >= 0x80
}

// templateOnly reports whether a comment line is for the template alone:
// a //monogen: marker, or a //lint: directive for staticcheck's run over
// the template (such as a field only the output of an option reads), which
// would be wrong, or a riddle, in the output.
func templateOnly(text string) bool {
	return strings.HasPrefix(text, "//monogen:") || strings.HasPrefix(text, "//lint:")
}

func allMarkers(list []*ast.Comment) bool {
	for _, c := range list {
		if !templateOnly(c.Text) {
			return false
		}
	}
	return true
}
