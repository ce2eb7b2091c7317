package drift_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/astrolift/astrolift/drift"
)

// TestSyncExhaustive walks every combination of: draft (none, present with
// a PR in each state), the repository blob (unknown, equal to the snapshot,
// to the draft's base, to the draft itself, to something else), and whether
// the draft's base equals the snapshot.
func TestSyncExhaustive(t *testing.T) {
	const snap, base, mine, other = "snap", "base", "mine", "other"
	type want struct {
		state  drift.State
		landed bool
	}
	for _, baseIsSnap := range []bool{true, false} {
		b := base
		if baseIsSnap {
			b = snap
		}
		for _, pr := range []string{"-", "", "open", "merged", "closed"} { // "-": no draft
			for _, repo := range []string{"", snap, b, mine, other} {
				in := drift.Input{SnapshotBlob: snap, RepoBlob: repo}
				if pr != "-" {
					in.Draft = &drift.Draft{BaseBlob: b, Blob: mine, PR: pr}
				}
				var w want
				switch {
				case in.Draft == nil && (repo == "" || repo == snap):
					w = want{drift.InSync, false}
				case in.Draft == nil:
					w = want{drift.RepoAhead, false}
				case repo == mine: // the draft landed; judged without it
					w = want{drift.RepoAhead, true}
				case repo == "" || repo == b:
					w = want{drift.Drafts, false}
				default:
					w = want{drift.Diverged, false}
				}
				name := fmt.Sprintf("baseIsSnap=%v/pr=%q/repo=%q", baseIsSnap, pr, repo)
				got := drift.Sync(in)
				if got.State != w.state || got.DraftLanded != w.landed {
					t.Errorf("%s: %+v, want state %s landed %v", name, got, w.state, w.landed)
				}
				if got.PROpen != (in.Draft != nil && !got.DraftLanded && pr == "open") {
					t.Errorf("%s: PROpen %v", name, got.PROpen)
				}
			}
		}
	}
}

// The four states of DESIGN.md's table, by name.
func TestSyncTable(t *testing.T) {
	tests := []struct {
		name string
		in   drift.Input
		want drift.State
	}{
		{"in sync", drift.Input{SnapshotBlob: "a", RepoBlob: "a"}, drift.InSync},
		{"unsaved drafts", drift.Input{SnapshotBlob: "a", RepoBlob: "a", Draft: &drift.Draft{BaseBlob: "a", Blob: "b"}}, drift.Drafts},
		{"repo ahead", drift.Input{SnapshotBlob: "a", RepoBlob: "c"}, drift.RepoAhead},
		{"diverged", drift.Input{SnapshotBlob: "a", RepoBlob: "c", Draft: &drift.Draft{BaseBlob: "a", Blob: "b"}}, drift.Diverged},
		{"not polled yet", drift.Input{SnapshotBlob: "a"}, drift.InSync},
		{"draft equal to its base", drift.Input{SnapshotBlob: "a", RepoBlob: "a", Draft: &drift.Draft{BaseBlob: "a", Blob: "a"}}, drift.Drafts},
	}
	for _, tt := range tests {
		if got := drift.Sync(tt.in).State; got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

// BlobID agrees with git hash-object.
func TestBlobIDMatchesGit(t *testing.T) {
	for _, content := range []string{"", "schema = 1\n", strings.Repeat("x = \"é\"\n", 1000)} {
		f := filepath.Join(t.TempDir(), "astrolift.toml")
		if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("git", "hash-object", f).Output()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := drift.BlobID([]byte(content)), strings.TrimSpace(string(out)); got != want {
			t.Errorf("BlobID(%d bytes) = %s, git says %s", len(content), got, want)
		}
	}
}
