package api_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/astrolift/astrolift/drift"
	"github.com/astrolift/astrolift/store"
)

type configView struct {
	Source     string `json:"source"`
	SourceKind string `json:"source_kind"`
	SyncState  string `json:"sync_state"`
	Snapshot   struct {
		Source string `json:"source"`
		Commit string `json:"commit"`
		BlobID string `json:"blob_id"`
	} `json:"snapshot"`
	Draft *struct {
		BaseBlobID string `json:"base_blob_id"`
		StagedBy   string `json:"staged_by"`
	} `json:"draft"`
	Errors []struct {
		Line    int    `json:"line"`
		Column  int    `json:"column"`
		Path    string `json:"path"`
		Message string `json:"message"`
	} `json:"errors"`
	Previews []struct {
		Environment string `json:"environment"`
		Namespace   string `json:"namespace"`
		YAML        string `json:"yaml"`
	} `json:"previews"`
	SnapshotPreviews []struct {
		Environment string `json:"environment"`
		YAML        string `json:"yaml"`
	} `json:"snapshot_previews"`
}

// TestConfigSyncStates walks an app through all four sync states with a
// real repository, real commits and the config endpoints.
func TestConfigSyncStates(t *testing.T) {
	h := newHarness(t)
	tok := h.user("dev@acme.test", "team.member") // the app is in the team's project
	ctx := context.Background()

	// A repository of its own, so the test can commit to it.
	dir := t.TempDir()
	work := filepath.Join(dir, "work")
	gitDo := func(d string, args ...string) string {
		out, err := gitRun(d, args...)
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	gitDo(dir, "init", "-q", "-b", "main", work)
	write := func(content string) {
		must(t, os.WriteFile(filepath.Join(work, "astrolift.toml"), []byte(content), 0o644))
		gitDo(work, "add", ".")
		gitDo(work, "commit", "-q", "-m", "manifest")
		gitDo(work, "push", "-q", filepath.Join(dir, "repo.git"), "main")
	}
	gitDo(dir, "init", "-q", "--bare", "-b", "main", filepath.Join(dir, "repo.git"))
	write(sharedManifest)
	app := &store.App{OrgID: h.org.ID, ProjectID: h.project.ID, Slug: "blog", Name: "Blog", SourceURL: "file://" + filepath.Join(dir, "repo.git")}
	must(t, h.s.CreateApp(ctx, app))
	view := func(res response) configView {
		t.Helper()
		if res.Code != http.StatusOK {
			t.Fatalf("%d %s", res.Code, res.body)
		}
		var v configView
		res.decode(t, &v)
		return v
	}
	get := func() configView {
		return view(h.do(request{method: http.MethodGet, path: "/api/v1/apps/blog/config", token: tok}))
	}
	// poll runs one round of the real poller.
	poll := func() { _ = h.poller.PollOnce(ctx) }

	// Sync from the repository: in sync, with a preview.
	v := view(h.do(request{method: http.MethodPost, path: "/api/v1/apps/blog/config/sync", token: tok}))
	if v.SyncState != string(drift.InSync) || v.Source != sharedManifest || v.Snapshot.Commit == "" || v.SourceKind != "snapshot" {
		t.Fatalf("after sync: %+v", v)
	}
	if len(v.Previews) != 1 || v.Previews[0].Namespace != "blog-production" || !strings.Contains(v.Previews[0].YAML, "kind: Deployment") {
		t.Errorf("previews: %+v", v.Previews)
	}
	if v.Snapshot.BlobID != drift.BlobID([]byte(sharedManifest)) {
		t.Errorf("snapshot blob %s is not git's blob id", v.Snapshot.BlobID)
	}

	// Save an invalid draft: stored, errors reported with line:col.
	bad := sharedManifest + "replica = 2\n"
	v = view(h.do(request{method: http.MethodPut, path: "/api/v1/apps/blog/config/draft", token: tok, body: map[string]string{"source": bad}}))
	if v.SyncState != string(drift.Drafts) || v.SourceKind != "draft" || v.Source != bad || v.Draft == nil || v.Draft.StagedBy != "dev@acme.test" {
		t.Fatalf("after draft: %+v", v)
	}
	if len(v.Errors) != 1 || v.Errors[0].Line != 7 || v.Errors[0].Column != 1 || v.Errors[0].Path != "workloads.web.containers[0].replica" {
		t.Errorf("draft errors: %+v", v.Errors)
	}
	if v.Draft.BaseBlobID != v.Snapshot.BlobID {
		t.Errorf("draft base %s, want the snapshot's blob %s", v.Draft.BaseBlobID, v.Snapshot.BlobID)
	}
	if v.Snapshot.Source != sharedManifest {
		t.Errorf("with a draft, snapshot.source is %q, want the snapshot's text", v.Snapshot.Source)
	}

	// Someone commits to the repository: diverged.
	write(strings.Replace(sharedManifest, "nginx:1.27", "nginx:1.28", 1))
	poll()
	if v := get(); v.SyncState != string(drift.Diverged) {
		t.Errorf("draft + repo moved: %s, want diverged", v.SyncState)
	}
	// Discard the draft: repo ahead.
	v = view(h.do(request{method: http.MethodDelete, path: "/api/v1/apps/blog/config/draft", token: tok}))
	if v.SyncState != string(drift.RepoAhead) || v.Draft != nil || v.Source != sharedManifest {
		t.Errorf("after discard: %+v", v)
	}
	// Sync again: in sync with the new commit.
	v = view(h.do(request{method: http.MethodPost, path: "/api/v1/apps/blog/config/sync", token: tok}))
	if v.SyncState != string(drift.InSync) || !strings.Contains(v.Source, "nginx:1.28") {
		t.Errorf("after second sync: %+v", v)
	}
	// A draft that lands in the repository as-is (the PR merged) is
	// cleared by the poller, which takes the repository's text as the
	// snapshot (push trigger): in sync again.
	landed := strings.Replace(v.Source, "nginx:1.28", "nginx:1.29", 1)
	v = view(h.do(request{method: http.MethodPut, path: "/api/v1/apps/blog/config/draft", token: tok, body: map[string]string{"source": landed}}))
	// A valid draft comes with the snapshot's rendering to compare with.
	if len(v.SnapshotPreviews) != 1 || v.SnapshotPreviews[0].Environment != "production" ||
		!strings.Contains(v.SnapshotPreviews[0].YAML, "nginx:1.28") || !strings.Contains(v.Previews[0].YAML, "nginx:1.29") {
		t.Errorf("draft previews %+v, snapshot previews %+v", v.Previews, v.SnapshotPreviews)
	}
	write(landed)
	poll()
	if v := get(); v.SyncState != string(drift.InSync) || v.Draft != nil || v.Source != landed {
		t.Errorf("landed draft: state %s draft %+v source %q", v.SyncState, v.Draft, v.Source)
	}
	var events struct{ Items []struct{ Kind string } }
	h.do(request{method: http.MethodGet, path: "/api/v1/apps/blog/events?kind=config.draft_landed", token: tok}).decode(t, &events)
	if len(events.Items) != 1 {
		t.Errorf("config.draft_landed events: %+v", events.Items)
	}
	// A missing manifest changes nothing and says why.
	gitDo(work, "rm", "-q", "astrolift.toml")
	gitDo(work, "commit", "-q", "-m", "remove")
	gitDo(work, "push", "-q", filepath.Join(dir, "repo.git"), "main")
	res := h.do(request{method: http.MethodPost, path: "/api/v1/apps/blog/config/sync", token: tok})
	if code, _ := res.errorCode(); res.Code != http.StatusBadGateway || code != "repository" {
		t.Errorf("sync without a manifest: %d %s", res.Code, res.body)
	}
	if v := get(); !strings.Contains(v.Snapshot.Commit, "") || !strings.Contains(v.Source, "nginx:1.29") {
		t.Errorf("the snapshot/draft changed after a failed sync: %+v", v)
	}
	// Viewers may read, not write.
	viewer := h.user("viewer@acme.test", "org.viewer")
	if res := h.do(request{method: http.MethodPut, path: "/api/v1/apps/blog/config/draft", token: viewer, body: map[string]string{"source": "x"}}); res.Code != http.StatusForbidden {
		t.Errorf("viewer saving a draft: %d", res.Code)
	}
}
