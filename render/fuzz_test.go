package render

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse. It must never panic; every
// error must be an ErrorList whose positions lie inside the file; every
// manifest it accepts must preview and render to YAML deterministically.
//
//	go test ./render -run '^$' -fuzz FuzzParse -fuzztime 5m
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/astrolift.toml")
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte(base))
	f.Add(tenWorkloads())
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse("astrolift.toml", raw)
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error is not a non-empty ErrorList: %#v", err)
			}
			lines := bytes.Count(raw, []byte("\n")) + 1
			for _, e := range list {
				if e.Line < 1 || e.Line > lines || e.Column < 1 || e.Message == "" {
					t.Fatalf("error outside the file (%d lines): %v", lines, e)
				}
			}
			return
		}
		envs := append(m.Environments(), "")
		for _, env := range envs {
			in := Input{App: "fuzz", Environment: env, Image: "v1"}
			objs, err := Preview(m, in)
			if err != nil {
				continue // e.g. an object name too long for this slug
			}
			a, err := YAML(objs)
			if err != nil {
				t.Fatalf("YAML of an accepted manifest: %v", err)
			}
			objs2, _ := Preview(m, in)
			if b, _ := YAML(objs2); !bytes.Equal(a, b) {
				t.Fatal("preview is not deterministic")
			}
		}
	})
}
