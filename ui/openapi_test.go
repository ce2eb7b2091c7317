package ui_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/astrolift/astrolift/api"
)

var update = flag.Bool("update", false, "rewrite src/api/openapi.json from the API's route table")

// The dashboard's TypeScript types (src/api/schema.d.ts) are generated from
// a copy of the OpenAPI document kept in src/api/openapi.json. When the API
// changes this test fails until the copy and the types are regenerated:
//
//	make ui-types
func TestOpenAPICopyIsCurrent(t *testing.T) {
	doc := api.New(api.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).OpenAPI()
	want, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	path := filepath.Join("src", "api", "openapi.json")
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date with the API's route table: run make ui-types", path)
	}
}
