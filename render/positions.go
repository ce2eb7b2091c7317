package render

import (
	"strconv"

	"github.com/pelletier/go-toml/v2/unstable"
)

// pos is a 1-based line and column in the manifest file.
type pos struct{ line, col int }

// positions maps dotted key paths ("workloads.web.containers[0].port") to
// where they are written: the key itself and, for key-value pairs, the value.
// Semantic errors found after decoding use it to point at the right line.
type positions struct {
	keys   map[string]pos
	values map[string]pos
}

func joinPath(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func indexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// indexPositions walks the TOML syntax tree of raw, which must already be
// known to be valid TOML.
func indexPositions(raw []byte) *positions {
	ix := &positions{keys: map[string]pos{}, values: map[string]pos{}}
	var p unstable.Parser
	p.Reset(raw)
	shape := func(n *unstable.Node) pos {
		s := p.Shape(n.Raw)
		return pos{s.Start.Line, s.Start.Column}
	}
	arrayTables := map[string]int{} // path -> number of [[path]] elements so far
	table := ""

	var keyValue func(prefix string, kv *unstable.Node)
	var value func(path string, v *unstable.Node)
	value = func(path string, v *unstable.Node) {
		if v.Raw.Length > 0 { // arrays carry no range of their own
			ix.values[path] = shape(v)
		}
		switch v.Kind {
		case unstable.InlineTable:
			it := v.Children()
			for it.Next() {
				keyValue(path, it.Node())
			}
		case unstable.Array:
			it := v.Children()
			for i := 0; it.Next(); i++ {
				el := indexPath(path, i)
				ix.setKey(el, shape(it.Node()))
				value(el, it.Node())
			}
		}
	}
	keyValue = func(prefix string, kv *unstable.Node) {
		path := prefix
		it := kv.Key()
		for it.Next() {
			path = joinPath(path, string(it.Node().Data))
			ix.setKey(path, shape(it.Node()))
		}
		value(path, kv.Value())
	}

	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.KeyValue:
			keyValue(table, e)
		case unstable.Table, unstable.ArrayTable:
			path := ""
			var at pos
			it := e.Key()
			for it.Next() {
				path = joinPath(path, string(it.Node().Data))
				at = shape(it.Node())
				if n, ok := arrayTables[path]; ok && (e.Kind != unstable.ArrayTable || !it.IsLast()) {
					path = indexPath(path, n-1) // a sub-table of the last element
				}
				ix.setKey(path, at)
			}
			if e.Kind == unstable.ArrayTable {
				n := arrayTables[path]
				arrayTables[path] = n + 1
				path = indexPath(path, n)
				ix.keys[path] = at
			}
			table = path
		}
	}
	return ix
}

// setKey records the first place a key path is written; a table that is
// extended later ([a] then [a.b]) keeps the position of its first mention.
func (ix *positions) setKey(path string, at pos) {
	if _, ok := ix.keys[path]; !ok {
		ix.keys[path] = at
	}
}

// lookup returns where path is written: its value when known and wanted,
// else its key, else the closest enclosing key that is written down.
func (ix *positions) lookup(path string, wantValue bool) (pos, bool) {
	if wantValue {
		if p, ok := ix.values[path]; ok {
			return p, true
		}
	}
	for p := path; p != ""; p = parentPath(p) {
		if at, ok := ix.keys[p]; ok {
			return at, p == path
		}
	}
	return pos{1, 1}, false
}

// parentPath strips the last segment ("a.b[0]" -> "a.b", "a.b" -> "a").
func parentPath(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		switch path[i] {
		case '.':
			return path[:i]
		case '[':
			return path[:i]
		}
	}
	return ""
}
