package render

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// MaxManifestSize is the largest astrolift.toml Parse accepts.
const MaxManifestSize = 1 << 20

// Parse decodes and validates an astrolift.toml. file names it in error
// messages (for example the app's manifest_path). Every problem is reported
// at once in an ErrorList, each as "file:line:col: key.path: message"; a
// TOML syntax error stops parsing at that error.
//
// Each [environments.<name>] table is merged over the base (tables merge,
// arrays replace) and validated too; Manifest.Environment returns the result.
func Parse(file string, raw []byte) (*Manifest, error) {
	if len(raw) > MaxManifestSize {
		return nil, ErrorList{{File: file, Line: 1, Column: 1,
			Message: fmt.Sprintf("file is %d bytes; the limit is %d (1 MiB)", len(raw), MaxManifestSize)}}
	}
	var tree map[string]any
	if err := toml.Unmarshal(raw, &tree); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			line, col := de.Position()
			return nil, ErrorList{{File: file, Line: line, Column: col, Path: strings.Join(de.Key(), "."),
				Message: strings.TrimPrefix(de.Error(), "toml: ")}}
		}
		return nil, fmt.Errorf("parse %s: %w", file, err)
	}
	ix := indexPositions(raw)

	overlays, _ := tree["environments"].(map[string]any)
	base := make(map[string]any, len(tree))
	for k, v := range tree {
		if k != "environments" {
			base[k] = v
		}
	}
	r := &reporter{file: file, ix: ix}
	m := decodeManifest(r, base, "")
	if v, ok := tree["environments"]; ok && overlays == nil {
		r.errorf("environments", true, "expected a table of environments, got %s", tomlType(v))
	}
	errs := r.errs

	m.environments = map[string]*Manifest{}
	for _, name := range sortedKeys(overlays) {
		path := joinPath("environments", name)
		pr := &reporter{file: file, ix: ix}
		if msg := dns1123Label(name); msg != "" {
			pr.errorf(path, false, "environment name %s", msg)
		}
		overlay, ok := overlays[name].(map[string]any)
		if !ok {
			pr.errorf(path, true, "expected a table, got %s", tomlType(overlays[name]))
			errs = append(errs, pr.errs...)
			continue
		}
		for _, k := range sortedKeys(overlay) {
			if !slices.Contains(overlayKeys, k) {
				pr.errorf(joinPath(path, k), false, "unknown key %q%s (an environment overrides only %s)",
					k, didYouMean(k, overlayKeys), strings.Join(overlayKeys, ", "))
				delete(overlay, k)
			}
		}
		if ws, ok := overlay["workloads"].(map[string]any); ok {
			names := sortedKeys(m.Workloads)
			for _, w := range sortedKeys(ws) {
				if _, exists := m.Workloads[w]; !exists {
					pr.errorf(joinPath(path, "workloads."+w), false, "no workload %q in the base manifest%s", w, didYouMean(w, names))
					delete(ws, w)
				}
			}
		}
		errs = append(errs, pr.errs...)
		er := &reporter{file: file, ix: ix, overlay: path}
		em := decodeManifest(er, merge(base, overlay), name)
		errs = append(errs, er.errs...)
		em.file = file
		m.environments[name] = em
	}
	if len(errs) > 0 {
		return nil, errs.sorted()
	}
	m.file = file
	return m, nil
}

// decodeManifest decodes and validates one tree (the base, or the base with
// an environment merged over it) and fills in defaults.
func decodeManifest(r *reporter, tree map[string]any, env string) *Manifest {
	m := &Manifest{envName: env}
	r.decode("", tree, reflect.ValueOf(m).Elem())
	r.validating = true
	validate(r, m)
	if len(r.errs) == 0 {
		m.setDefaults()
	}
	return m
}

// merge deep-merges overlay over base without modifying either: tables
// merge key by key, everything else (arrays included) is replaced.
func merge(base, overlay map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(overlay))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range overlay {
		bt, bok := out[k].(map[string]any)
		ot, ook := v.(map[string]any)
		if bok && ook {
			out[k] = merge(bt, ot)
		} else {
			out[k] = v
		}
	}
	return out
}

// Environment returns the manifest with the [environments.<name>] overlay
// applied, or the base manifest when the file has no overlay for name.
func (m *Manifest) Environment(name string) *Manifest {
	if em, ok := m.environments[name]; ok {
		return em
	}
	return m
}

// Environments lists the names of the environment overlays, sorted.
func (m *Manifest) Environments() []string {
	return sortedKeys(m.environments)
}

// File is the file name given to Parse.
func (m *Manifest) File() string { return m.file }

// DeployTimeout is deploy.timeout as a duration (default 5m).
func (m *Manifest) DeployTimeout() time.Duration {
	d, err := time.ParseDuration(m.Deploy.Timeout)
	if err != nil || d <= 0 {
		return 5 * time.Minute
	}
	return d
}
