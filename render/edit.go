package render

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// ErrEnvKeyNotFound is returned, wrapped, by DeleteEnv when the env table does
// not define the key.
var ErrEnvKeyNotFound = errors.New("env key not found")

// ErrEnvShape is returned, wrapped, when astrolift.toml is valid but the env
// table (or one of the tables leading to it) is written in a shape that cannot
// be edited safely, for example `environments` as an array of tables or the
// key defined as a sub-table. The message names the shape and its line.
var ErrEnvShape = errors.New("env table shape cannot be edited")

// SetEnv returns raw with the env variable key set to value. env "" means the
// base `[env]` table; otherwise the table `environments.<env>.env`.
//
// The edit preserves comments, key order and formatting: an existing value is
// replaced in place (keeping the key text and any trailing comment), a new key
// is added next to the table's other keys in the style they are written in
// (`[env]` table, inline table or dotted keys), and a missing table is
// appended at the end of the file. value is written as a TOML basic string.
func SetEnv(raw []byte, env, key, value string) ([]byte, error) {
	out, err := editEnv(raw, env, key, &value)
	if err != nil {
		return nil, fmt.Errorf("set env %s in %s: %w", key, editTableName(env), err)
	}
	return out, nil
}

// DeleteEnv returns raw without the env variable key of the base `[env]` table
// (env "") or of `environments.<env>.env`. A key on a line of its own is
// removed with its whole line; in an inline table the pair and one adjacent
// comma are removed. A key that is not set gives an error wrapping
// ErrEnvKeyNotFound.
func DeleteEnv(raw []byte, env, key string) ([]byte, error) {
	out, err := editEnv(raw, env, key, nil)
	if err != nil {
		return nil, fmt.Errorf("delete env %s in %s: %w", key, editTableName(env), err)
	}
	return out, nil
}

func editTableName(env string) string {
	if env == "" {
		return "[env]"
	}
	if dns1123Label(env) != "" {
		return fmt.Sprintf("environment %q", env)
	}
	return "[environments." + env + ".env]"
}

// editEnv sets key to *value, or deletes it when value is nil.
func editEnv(raw []byte, env, key string, value *string) ([]byte, error) {
	if !envKeyRE.MatchString(key) {
		return nil, fmt.Errorf("invalid key %q: must match %s", key, envKeyRE)
	}
	path := []string{"env"}
	if env != "" {
		if dns1123Label(env) != "" {
			return nil, fmt.Errorf("invalid environment name %q: must be a DNS-1123 label", env)
		}
		path = []string{"environments", env, "env"}
	}
	if value != nil && !utf8.ValidString(*value) {
		return nil, errors.New("value is not valid UTF-8")
	}
	var doc map[string]any
	if err := toml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("parse astrolift.toml: %w", err)
	}
	s, err := editScanDoc(raw, path, key)
	if err != nil {
		return nil, err
	}
	for d := 1; d <= len(path); d++ {
		v, ok := editGet(doc, path[:d])
		if !ok {
			break
		}
		if _, isMap := v.(map[string]any); !isMap {
			return nil, s.shapeErr(raw, d, "is an array or a value, not a table")
		}
	}
	_, exists := editGet(doc, s.target)

	from, to, ins := 0, 0, ""
	switch {
	case s.match != nil && value != nil:
		from, to, ins = s.match.valStart, s.match.end, editQuote(*value)
	case s.match != nil:
		from, to, ins = editDelete(raw, s.match)
	case exists:
		return nil, s.shapeErr(raw, len(s.target), "is defined as a table, not a key = value")
	case value == nil:
		return nil, ErrEnvKeyNotFound
	default:
		from, to, ins = s.insert(raw, key+" = "+editQuote(*value), editNewline(raw))
	}
	out := make([]byte, 0, len(raw)+len(ins))
	out = append(append(append(out, raw[:from]...), ins...), raw[to:]...)

	// Never hand back a broken document: re-parse and check the result.
	var after map[string]any
	if err := toml.Unmarshal(out, &after); err != nil {
		return nil, fmt.Errorf("edit would produce invalid TOML, refusing: %w", err)
	}
	got, ok := editGet(after, s.target)
	if value == nil && ok || value != nil && (!ok || got != *value) {
		return nil, errors.New("edit would not produce the expected value, refusing")
	}
	return out, nil
}

// editGet returns the value at path in a decoded document.
func editGet(doc map[string]any, path []string) (any, bool) {
	var cur any = doc
	for _, part := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// editKV is a key-value found in the document, by byte offsets.
type editKV struct {
	start, end int         // from the key to the end of the value
	valStart   int         // start of the value
	prefixEnd  int         // dotted key through the env table: start of the first key part below it
	in         *editInline // enclosing inline table, nil at top level
	prevEnd    int         // in an inline table: end of the previous key-value, -1 if none
	hasNext    bool        // in an inline table: another key-value follows
}

// editInline is an inline table by byte offsets.
type editInline struct {
	open, close int     // offsets of '{' and '}'
	last        *editKV // last key-value directly inside, nil if empty
}

// editScan records where the document defines the env table and the key.
type editScan struct {
	path, target []string // env table path; path + key
	header       int      // end of the `[path]` header line, -1 if none
	headerIndent string
	last         *editKV     // last key-value line of the `[path]` section
	match        *editKV     // the key-value defining path + key
	table        *editInline // path = { ... }
	dotted       *editKV     // last key-value whose dotted key runs through path
	outer        *editInline // deepest inline table that is a prefix of path
	outerDepth   int         // length of the path of outer
	seen         []int       // seen[d]: first offset of a key or header below target[:d]
}

func editScanDoc(data []byte, path []string, key string) (*editScan, error) {
	target := append(path[:len(path):len(path)], key)
	s := &editScan{path: path, target: target, header: -1, seen: slices.Repeat([]int{-1}, len(target)+1)}
	var p unstable.Parser
	p.Reset(data)
	var base []string
	inHeader := false
	for p.NextExpression() {
		n := p.Expression()
		switch n.Kind {
		case unstable.Table, unstable.ArrayTable:
			parts, offs, _ := editKeyParts(n)
			base = parts
			s.see(base, offs[0])
			inHeader = n.Kind == unstable.Table && slices.Equal(base, path)
			if n.Kind == unstable.ArrayTable && len(base) <= len(path) && slices.Equal(base, path[:len(base)]) {
				return nil, s.shapeErr(data, len(base), "is an array of tables")
			}
			if inHeader {
				ls := bytes.LastIndexByte(data[:offs[0]], '\n') + 1
				s.headerIndent = string(data[ls:editSkipBlanks(data, ls)])
				s.header = editLineEnd(data, offs[0])
			}
		case unstable.KeyValue:
			kv := s.visit(data, n, base, nil, -1)
			if inHeader {
				s.last = kv
			}
		}
	}
	if err := p.Error(); err != nil {
		return nil, fmt.Errorf("parse astrolift.toml: %w", err)
	}
	return s, nil
}

// visit records a key-value found in a table whose path is base.
func (s *editScan) visit(data []byte, n *unstable.Node, base []string, in *editInline, prevEnd int) *editKV {
	parts, offs, keyEnd := editKeyParts(n)
	full := append(base[:len(base):len(base)], parts...)
	kv := &editKV{start: int(n.Raw.Offset), end: int(n.Raw.Offset + n.Raw.Length), in: in, prevEnd: prevEnd}
	// The value follows the key, blanks, '=' and blanks.
	kv.valStart = editSkipBlanks(data, editSkipBlanks(data, keyEnd)+1)
	s.see(full, kv.start)
	p, v := s.path, n.Value()
	switch {
	case slices.Equal(full, s.target):
		s.match = kv
	case slices.Equal(full, p) && v.Kind == unstable.InlineTable:
		s.table = s.descend(data, v, full)
	case len(base) < len(p) && len(full) > len(p) && slices.Equal(full[:len(p)], p):
		kv.prefixEnd = offs[len(p)-len(base)]
		s.dotted = kv
	case len(full) < len(p) && slices.Equal(full, p[:len(full)]) && v.Kind == unstable.InlineTable:
		t := s.descend(data, v, full)
		if s.outer == nil || len(full) > s.outerDepth {
			s.outer, s.outerDepth = t, len(full)
		}
	}
	return kv
}

// descend visits the key-values of the inline table v whose path is full.
func (s *editScan) descend(data []byte, v *unstable.Node, full []string) *editInline {
	t := &editInline{open: int(v.Raw.Offset)}
	prevEnd := -1
	it := v.Children()
	for it.Next() {
		c := it.Node()
		if c.Kind != unstable.KeyValue {
			continue
		}
		kv := s.visit(data, c, full, t, prevEnd)
		if t.last != nil {
			t.last.hasNext = true
		}
		t.last, prevEnd = kv, kv.end
	}
	from := t.open + 1
	if t.last != nil {
		from = t.last.end
	}
	t.close = editSkip(data, from, true)
	return t
}

// see records off as the first place mentioning each prefix of target that
// full shares, for error messages.
func (s *editScan) see(full []string, off int) {
	for d := 0; d <= len(full) && d <= len(s.target); d++ {
		if d > 0 && full[d-1] != s.target[d-1] {
			return
		}
		if s.seen[d] < 0 {
			s.seen[d] = off
		}
	}
}

func (s *editScan) shapeErr(data []byte, depth int, what string) error {
	name := strings.Join(s.target[:depth], ".")
	if off := s.seen[depth]; off >= 0 {
		return fmt.Errorf("%w: %s %s (line %d)", ErrEnvShape, name, what, bytes.Count(data[:off], []byte("\n"))+1)
	}
	return fmt.Errorf("%w: %s %s", ErrEnvShape, name, what)
}

// insert returns the edit adding the key-value text kv to the env table.
func (s *editScan) insert(data []byte, kv, nl string) (int, int, string) {
	switch {
	case s.header >= 0 && s.last != nil:
		return editAfterLine(data, s.last, kv, nl)
	case s.header >= 0:
		return editNewLine(data, s.header, s.headerIndent, kv, nl)
	case s.table != nil:
		return editInlineAdd(data, s.table, kv, nl)
	case s.dotted != nil:
		d := s.dotted
		line := string(data[d.start:d.prefixEnd]) + kv
		if d.in != nil {
			return editInlineAfter(data, d, line, nl)
		}
		return editAfterLine(data, d, line, nl)
	case s.outer != nil:
		return editInlineAdd(data, s.outer, strings.Join(s.path[s.outerDepth:], ".")+"."+kv, nl)
	}
	text := "[" + strings.Join(s.path, ".") + "]" + nl + kv + nl
	switch {
	case len(data) == 0 || bytes.HasSuffix(data, []byte("\n\n")) || bytes.HasSuffix(data, []byte("\n\r\n")):
	case data[len(data)-1] == '\n':
		text = nl + text
	default:
		text = nl + nl + text
	}
	return len(data), len(data), text
}

// editNewLine inserts indent+line as a new line at offset at, the start of a
// line or the end of the data.
func editNewLine(data []byte, at int, indent, line, nl string) (int, int, string) {
	text := indent + line + nl
	if at == len(data) && at > 0 && data[at-1] != '\n' {
		text = nl + text
	}
	return at, at, text
}

// editInlineAdd adds text as the last key-value of the inline table t.
func editInlineAdd(data []byte, t *editInline, text, nl string) (int, int, string) {
	if t.last != nil {
		return editInlineAfter(data, t.last, text, nl)
	}
	if !bytes.ContainsRune(data[t.open:t.close], '#') {
		return t.open, t.close + 1, "{ " + text + " }"
	}
	return t.open + 1, t.open + 1, " " + text
}

// editInlineAfter adds text as a key-value after kv in its inline table: on a
// new line when kv is on a line of its own, else as `, text` right after it.
func editInlineAfter(data []byte, kv *editKV, text, nl string) (int, int, string) {
	ls, alone := editLineStart(data, kv.start)
	if alone {
		if comma, end, ok := editRestOfLine(data, kv.end); ok {
			indent := string(data[ls:kv.start])
			if comma {
				return end, end, indent + text + "," + nl
			}
			return kv.end, end, "," + string(data[kv.end:end]) + indent + text + nl
		}
	}
	return kv.end, kv.end, ", " + text
}

// editDelete returns the edit removing kv.
func editDelete(data []byte, kv *editKV) (int, int, string) {
	ls, alone := editLineStart(data, kv.start)
	t := kv.in
	if t == nil {
		return ls, editLineEnd(data, kv.end), ""
	}
	if kv.prevEnd < 0 && !kv.hasNext && !bytes.ContainsRune(data[t.open:kv.start], '#') && !bytes.ContainsRune(data[kv.end:t.close], '#') {
		return t.open, t.close + 1, "{}"
	}
	if alone {
		// Without its own comma, the pair may take its line only if no comma
		// follows (it would be left doubled).
		if comma, end, ok := editRestOfLine(data, kv.end); ok && (comma || data[editSkip(data, end, false)] == '}') {
			return ls, end, ""
		}
	}
	if c := editSkip(data, kv.end, false); c < len(data) && data[c] == ',' {
		return kv.start, editSkipBlanks(data, c+1), ""
	}
	if kv.prevEnd >= 0 {
		if c := editSkip(data, kv.prevEnd, false); c < len(data) && data[c] == ',' {
			return c, kv.end, ""
		}
	}
	return kv.start, kv.end, ""
}

// editKeyParts returns the decoded parts of n's key, their offsets and the
// end of the key.
func editKeyParts(n *unstable.Node) (parts []string, offs []int, end int) {
	it := n.Key()
	for it.Next() {
		k := it.Node()
		parts = append(parts, string(k.Data))
		offs = append(offs, int(k.Raw.Offset))
		end = int(k.Raw.Offset + k.Raw.Length)
	}
	return parts, offs, end
}

// editQuote returns s as a TOML basic string; s must be valid UTF-8.
func editQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '\\' || r == '"':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// editNewline returns the document's line ending: CRLF if its first line ends
// with one, else LF.
func editNewline(data []byte) string {
	if i := bytes.IndexByte(data, '\n'); i > 0 && data[i-1] == '\r' {
		return "\r\n"
	}
	return "\n"
}

// editLineStart returns the offset after the blanks before i, and whether
// only blanks precede i on its line.
func editLineStart(data []byte, i int) (int, bool) {
	for i > 0 && (data[i-1] == ' ' || data[i-1] == '\t') {
		i--
	}
	return i, i == 0 || data[i-1] == '\n'
}

// editAfterLine inserts line, indented like the top-level kv, on a new line
// after kv.
func editAfterLine(data []byte, kv *editKV, line, nl string) (int, int, string) {
	ls, _ := editLineStart(data, kv.start)
	return editNewLine(data, editLineEnd(data, kv.end), string(data[ls:kv.start]), line, nl)
}

// editLineEnd returns the offset just past the end of the line containing i.
func editLineEnd(data []byte, i int) int {
	if j := bytes.IndexByte(data[i:], '\n'); j >= 0 {
		return i + j + 1
	}
	return len(data)
}

func editSkipBlanks(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t') {
		i++
	}
	return i
}

// editRestOfLine reports whether the rest of the line after offset i holds
// only an optional comma and an optional comment, whether it has the comma,
// and the offset just past the line's end.
func editRestOfLine(data []byte, i int) (comma bool, end int, ok bool) {
	i = editSkipBlanks(data, i)
	if i < len(data) && data[i] == ',' {
		comma, i = true, editSkipBlanks(data, i+1)
	}
	if i < len(data) && data[i] == '#' {
		i = editLineEnd(data, i) - 1
	}
	if i < len(data) && data[i] == '\r' {
		i++
	}
	if i < len(data) && data[i] == '\n' {
		return comma, i + 1, true
	}
	return false, 0, false
}

// editSkip returns the offset of the first byte at or after i that is not a
// blank, a newline, a comment or (if commas) a comma.
func editSkip(data []byte, i int, commas bool) int {
	for i < len(data) {
		switch c := data[i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || commas && c == ',':
			i++
		case c == '#':
			i = editLineEnd(data, i)
		default:
			return i
		}
	}
	return i
}
