package merge3_test

import (
	"strings"
	"testing"

	"github.com/astrolift/astrolift/internal/merge3"
)

const base = `[app]
name = "shop"

[services.web]
port = 8080
replicas = 2

[env]
LOG_LEVEL = "info"
`

func TestMergeClean(t *testing.T) {
	for _, tc := range []struct{ name, ours, theirs, want string }{
		{"different regions",
			strings.Replace(base, "replicas = 2", "replicas = 3", 1),
			strings.Replace(base, `LOG_LEVEL = "info"`, `LOG_LEVEL = "debug"`, 1),
			strings.Replace(strings.Replace(base, "replicas = 2", "replicas = 3", 1), `LOG_LEVEL = "info"`, `LOG_LEVEL = "debug"`, 1)},
		{"only theirs", base, base + "FEATURE = \"on\"\n", base + "FEATURE = \"on\"\n"},
		{"only ours", base + "FEATURE = \"on\"\n", base, base + "FEATURE = \"on\"\n"},
		{"same change on both", strings.Replace(base, "8080", "9090", 1), strings.Replace(base, "8080", "9090", 1), strings.Replace(base, "8080", "9090", 1)},
		{"adjacent insertions at the ends", "# top\n" + base, base + "# bottom\n", "# top\n" + base + "# bottom\n"},
		{"no trailing newline", "a\nb\nc2", "a2\nb\nc", "a2\nb\nc2"},
		{"empty base", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := base
			if tc.name == "no trailing newline" {
				b = "a\nb\nc"
			}
			if tc.name == "empty base" {
				b = ""
			}
			got, conflicts := merge3.Merge(b, tc.ours, tc.theirs)
			if len(conflicts) > 0 || got != tc.want {
				t.Fatalf("Merge = %q, %+v\nwant %q", got, conflicts, tc.want)
			}
		})
	}
}

func TestMergeConflict(t *testing.T) {
	ours := strings.Replace(base, "replicas = 2", "replicas = 3", 1)
	theirs := strings.Replace(base, "replicas = 2", "replicas = 5", 1) + "EXTRA = \"1\"\n"
	got, conflicts := merge3.Merge(base, ours, theirs)
	if got != "" || len(conflicts) != 1 {
		t.Fatalf("Merge = %q, %+v; want one conflict", got, conflicts)
	}
	c := conflicts[0]
	if c.BaseLine != 6 || c.OursLine != 6 || c.TheirsLine != 6 ||
		strings.Join(c.Base, "") != "replicas = 2\n" || strings.Join(c.Ours, "") != "replicas = 3\n" || strings.Join(c.Theirs, "") != "replicas = 5\n" {
		t.Fatalf("conflict = %+v", c)
	}
}

func TestMergeDeleteVersusEdit(t *testing.T) {
	ours := strings.Replace(base, "[env]\nLOG_LEVEL = \"info\"\n", "", 1)
	theirs := strings.Replace(base, `"info"`, `"warn"`, 1)
	if got, conflicts := merge3.Merge(base, ours, theirs); len(conflicts) != 1 {
		t.Fatalf("delete vs edit: Merge = %q, %+v; want a conflict", got, conflicts)
	}
}

func TestLines(t *testing.T) {
	if got := merge3.Lines("a\nb"); len(got) != 2 || got[1] != "b" {
		t.Fatalf("Lines = %q", got)
	}
	if got := merge3.Lines("a\n"); len(got) != 1 || got[0] != "a\n" {
		t.Fatalf("Lines = %q", got)
	}
}
