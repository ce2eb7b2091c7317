package render

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
)

// reporter collects errors for one decoding pass and places them in the file.
// For an environment overlay, a key written in [environments.<env>] is
// reported at the overlay's line under its full path; a key inherited from
// the base is reported where the base writes it.
type reporter struct {
	file    string
	ix      *positions
	overlay string // "environments.<env>" or "" for the base
	errs    ErrorList
	// broken holds the tables in which a value had the wrong type. Checks
	// of meaning still run after key and type errors, so that one pass
	// reports everything, but not inside those tables: a zero value there
	// would only cause misleading follow-up errors.
	broken     []string
	validating bool
}

// locate returns the displayed path and position of a tree path. For an
// overlay, the overlay wins when it writes the path (or the deeper of the
// two closest written ancestors).
func (r *reporter) locate(path string, value bool) (string, pos) {
	base := firstWritten(r.ix, path)
	if r.overlay != "" {
		full := joinPath(r.overlay, path)
		over := firstWritten(r.ix, full)
		if over != "" && len(over) > len(r.overlay) && len(over)-len(r.overlay)-1 >= len(base) {
			at, _ := r.ix.lookup(full, value)
			return full, at
		}
	}
	at, _ := r.ix.lookup(path, value)
	return path, at
}

// firstWritten returns the closest ancestor of path (or path itself) that
// is written in the file, or "".
func firstWritten(ix *positions, path string) string {
	for p := path; p != ""; p = parentPath(p) {
		if _, ok := ix.keys[p]; ok {
			return p
		}
	}
	return ""
}

// inOverlay reports whether path is written in the overlay being checked.
func (r *reporter) inOverlay(path string) bool {
	if r.overlay == "" {
		return false
	}
	_, ok := r.ix.keys[joinPath(r.overlay, path)]
	return ok
}

// errorf records a problem with the key at path; value selects the value's
// position rather than the key's.
func (r *reporter) errorf(path string, value bool, format string, args ...any) {
	if r.validating {
		for _, b := range r.broken {
			if path == b || strings.HasPrefix(path, b+".") || strings.HasPrefix(path, b+"[") {
				return
			}
		}
	}
	shown, at := r.locate(path, value)
	r.errs = append(r.errs, &Error{File: r.file, Line: at.line, Column: at.col, Path: shown, Message: fmt.Sprintf(format, args...)})
}

// pick returns the first of paths written in the overlay, else the first
// written at all, else paths[0]; cross-field checks (min <= max) report at
// the key the overlay changed.
func (r *reporter) pick(paths ...string) string {
	for _, p := range paths {
		if r.inOverlay(p) {
			return p
		}
	}
	for _, p := range paths {
		if _, ok := r.ix.keys[p]; ok {
			return p
		}
	}
	return paths[0]
}

// decode copies a generic TOML tree (as produced by toml.Unmarshal into
// map[string]any) into out, reporting every unknown key and type mismatch.
func (r *reporter) decode(path string, in any, out reflect.Value) {
	switch out.Kind() {
	case reflect.Pointer:
		v := reflect.New(out.Type().Elem())
		r.decode(path, in, v.Elem())
		out.Set(v)
	case reflect.Struct:
		tbl, ok := in.(map[string]any)
		if !ok {
			r.errorf(path, true, "expected a table, got %s", tomlType(in))
			r.broken = append(r.broken, parentPath(path))
			return
		}
		fields := structFields(out.Type())
		for _, k := range sortedKeys(tbl) {
			i, ok := fields.index[k]
			if !ok {
				r.errorf(joinPath(path, k), false, "unknown key %q%s", k, didYouMean(k, fields.names))
				continue
			}
			r.decode(joinPath(path, k), tbl[k], out.Field(i))
		}
	case reflect.Map:
		tbl, ok := in.(map[string]any)
		if !ok {
			r.errorf(path, true, "expected a table, got %s", tomlType(in))
			r.broken = append(r.broken, parentPath(path))
			return
		}
		m := reflect.MakeMapWithSize(out.Type(), len(tbl))
		for _, k := range sortedKeys(tbl) {
			v := reflect.New(out.Type().Elem()).Elem()
			r.decode(joinPath(path, k), tbl[k], v)
			m.SetMapIndex(reflect.ValueOf(k), v)
		}
		out.Set(m)
	case reflect.Slice:
		arr, ok := in.([]any)
		if !ok {
			r.errorf(path, true, "expected an array, got %s", tomlType(in))
			r.broken = append(r.broken, parentPath(path))
			return
		}
		s := reflect.MakeSlice(out.Type(), len(arr), len(arr))
		for i, el := range arr {
			r.decode(indexPath(path, i), el, s.Index(i))
		}
		out.Set(s)
	case reflect.String:
		s, ok := in.(string)
		if !ok {
			hint := ""
			if _, num := in.(int64); num {
				hint = fmt.Sprintf(" (quote it: \"%v\")", in)
			}
			r.errorf(path, true, "expected a string, got %s%s", tomlType(in), hint)
			r.broken = append(r.broken, parentPath(path))
			return
		}
		out.SetString(s)
	case reflect.Int:
		n, ok := in.(int64)
		if !ok {
			r.errorf(path, true, "expected an integer, got %s", tomlType(in))
			r.broken = append(r.broken, parentPath(path))
			return
		}
		out.SetInt(n)
	case reflect.Bool:
		b, ok := in.(bool)
		if !ok {
			r.errorf(path, true, "expected true or false, got %s", tomlType(in))
			r.broken = append(r.broken, parentPath(path))
			return
		}
		out.SetBool(b)
	default:
		panic(fmt.Sprintf("render: decode: unsupported field type %s", out.Type()))
	}
}

type fieldSet struct {
	index map[string]int
	names []string
}

var fieldCache sync.Map // reflect.Type -> *fieldSet

func structFields(t reflect.Type) *fieldSet {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.(*fieldSet)
	}
	fs := &fieldSet{index: map[string]int{}}
	for i := range t.NumField() {
		if tag := t.Field(i).Tag.Get("toml"); tag != "" {
			fs.index[tag] = i
			fs.names = append(fs.names, tag)
		}
	}
	slices.Sort(fs.names)
	fieldCache.Store(t, fs)
	return fs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case time.Time:
		return "a date-time"
	default:
		return "a date or time"
	}
}
