package reconciler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/astrolift/astrolift/drift"
	"github.com/astrolift/astrolift/internal/gitserver"
	"github.com/astrolift/astrolift/internal/secretbox"
	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/scm/git"
	"github.com/astrolift/astrolift/store"
)

const manifest = "schema = 1\n[workloads.web]\npublic = true\n[[workloads.web.containers]]\nimage = \"nginx:1.27\"\nport = 80\n"

type fixture struct {
	t      *testing.T
	s      *store.Store
	srv    *gitserver.Server
	cache  *git.Cache
	poller *reconciler.Poller
	org    *store.Organization
	proj   *store.Project
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "a.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	f := &fixture{t: t, s: s, srv: gitserver.New(t), cache: &git.Cache{Dir: t.TempDir()}}
	f.org = &store.Organization{Slug: "acme", Name: "Acme"}
	must(t, s.CreateOrganization(ctx, f.org))
	f.proj = &store.Project{OrgID: f.org.ID, Slug: "p", Name: "P"}
	must(t, s.CreateProject(ctx, f.proj))
	f.poller = &reconciler.Poller{Store: s, Cache: f.cache, Holder: "test", Interval: time.Hour}
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// app registers an app on a repository of the test server, with its
// snapshot synced to the current head.
func (f *fixture) app(slug, repo, path, trigger string) *store.App {
	f.t.Helper()
	ctx := context.Background()
	a := &store.App{OrgID: f.org.ID, ProjectID: f.proj.ID, Slug: slug, Name: slug, SourceURL: f.srv.URL(repo), ManifestPath: path, TriggerMode: trigger}
	must(f.t, f.s.CreateApp(ctx, a))
	commit, blob, content, err := (&reconciler.GitSource{Cache: f.cache}).ReadManifest(ctx, a)
	must(f.t, err)
	must(f.t, f.s.SetSnapshot(ctx, a.ID, store.Snapshot{Raw: string(content), Commit: commit, BlobID: blob}, false))
	return f.get(slug)
}

// appEnv creates an app (no repository behind it) with one environment in
// a namespace of its own (<slug>-<env>-<random>), for the deployer's tests.
func (f *fixture) appEnv(slug, env string) (*store.App, *store.Environment) {
	f.t.Helper()
	ctx := context.Background()
	a := &store.App{OrgID: f.org.ID, ProjectID: f.proj.ID, Slug: slug, Name: slug, SourceURL: "https://x/" + slug + ".git"}
	must(f.t, f.s.CreateApp(ctx, a))
	e := &store.Environment{AppID: a.ID, Name: env, Namespace: fmt.Sprintf("%s-%s-%d", slug, env, rand.IntN(1e6))}
	must(f.t, f.s.CreateEnvironment(ctx, e))
	return a, e
}

func (f *fixture) get(slug string) *store.App {
	f.t.Helper()
	a, err := f.s.GetApp(context.Background(), slug)
	must(f.t, err)
	return a
}

func (f *fixture) poll() {
	f.t.Helper()
	_ = f.poller.PollOnce(context.Background())
}

func syncState(a *store.App) drift.State {
	in := drift.Input{SnapshotBlob: a.Manifest.BlobID, RepoBlob: a.Repo.BlobID}
	if a.Draft != nil {
		in.Draft = &drift.Draft{BaseBlob: a.Draft.BaseBlobID, Blob: drift.BlobID([]byte(a.Draft.Raw))}
	}
	return drift.Sync(in).State
}

func TestManualAppGoesRepoAhead(t *testing.T) {
	f := newFixture(t)
	f.srv.CreateRepo(t, "shop.git", "main", map[string]string{"astrolift.toml": manifest})
	f.app("shop", "shop.git", "astrolift.toml", "manual")
	f.poll()
	a := f.get("shop")
	if syncState(a) != drift.InSync || a.Repo.CheckedAt == nil || a.Repo.Error != "" {
		t.Fatalf("first poll: %s %+v", syncState(a), a.Repo)
	}
	head := f.srv.Commit(t, "shop.git", "main", map[string]string{"astrolift.toml": strings.Replace(manifest, "1.27", "1.28", 1)}, "bump")
	f.poll()
	a = f.get("shop")
	if a.Repo.Commit != head || syncState(a) != drift.RepoAhead || strings.Contains(a.Manifest.Raw, "1.28") {
		t.Errorf("after a commit: head %s (want %s), state %s, snapshot changed: %v", a.Repo.Commit, head, syncState(a), strings.Contains(a.Manifest.Raw, "1.28"))
	}
	ds, _ := f.s.ListDeployments(context.Background(), store.DeploymentFilter{AppID: a.ID})
	if len(ds) != 0 {
		t.Errorf("a manual app got %d deployments", len(ds))
	}
}

func TestPushAppCreatesDeployments(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.srv.CreateRepo(t, "shop.git", "main", map[string]string{"astrolift.toml": manifest})
	a := f.app("shop", "shop.git", "astrolift.toml", "push")
	staging := &store.Environment{AppID: a.ID, Name: "staging", Namespace: "shop-staging"}
	prod := &store.Environment{AppID: a.ID, Name: "production", Namespace: "shop-production", Paused: true}
	must(t, f.s.CreateEnvironment(ctx, staging))
	must(t, f.s.CreateEnvironment(ctx, prod))
	f.poll()

	head := f.srv.Commit(t, "shop.git", "main", map[string]string{"astrolift.toml": strings.Replace(manifest, "1.27", "1.28", 1)}, "bump")
	f.poll()
	a = f.get("shop")
	if a.Manifest.Commit != head || syncState(a) != drift.InSync {
		t.Errorf("push app: snapshot at %s (want %s), state %s", a.Manifest.Commit, head, syncState(a))
	}
	ds, _ := f.s.ListDeployments(ctx, store.DeploymentFilter{AppID: a.ID})
	if len(ds) != 1 || ds[0].EnvironmentID != staging.ID || ds[0].Trigger != "push" || ds[0].Status != "pending" || ds[0].CommitSHA != head {
		t.Fatalf("deployments %+v, want one pending push deployment to staging (production is paused)", ds)
	}
	// A comment-only commit changes no rendered object: no deployment.
	f.srv.Commit(t, "shop.git", "main", map[string]string{"astrolift.toml": "# hello\n" + strings.Replace(manifest, "1.27", "1.28", 1)}, "comment")
	f.poll()
	if ds, _ := f.s.ListDeployments(ctx, store.DeploymentFilter{AppID: a.ID}); len(ds) != 1 {
		t.Errorf("comment-only commit: %d deployments, want still 1", len(ds))
	}
	// An app with a draft is not auto-synced (its state is diverged).
	must(t, f.s.SaveDraft(ctx, a.ID, store.Draft{Raw: manifest + "# draft\n", BaseBlobID: f.get("shop").Manifest.BlobID}, false))
	f.srv.Commit(t, "shop.git", "main", map[string]string{"astrolift.toml": strings.Replace(manifest, "1.27", "1.29", 1)}, "bump again")
	f.poll()
	if a := f.get("shop"); strings.Contains(a.Manifest.Raw, "1.29") || syncState(a) != drift.Diverged {
		t.Errorf("with a draft: snapshot took the push (%v) or state %s", strings.Contains(a.Manifest.Raw, "1.29"), syncState(a))
	}
}

func TestMonorepoOneFetchPerHead(t *testing.T) {
	f := newFixture(t)
	files := map[string]string{}
	for _, svc := range []string{"api", "web", "worker"} {
		files["services/"+svc+"/astrolift.toml"] = manifest
	}
	f.srv.CreateRepo(t, "mono.git", "main", files)
	for _, svc := range []string{"api", "web", "worker"} {
		f.app(svc, "mono.git", "services/"+svc+"/astrolift.toml", "manual")
	}
	f.poll()
	before := f.cache.Fetches()
	f.srv.Commit(t, "mono.git", "main", map[string]string{"services/web/astrolift.toml": strings.Replace(manifest, "1.27", "1.28", 1)}, "web")
	f.poll()
	if got := f.cache.Fetches() - before; got != 1 {
		t.Errorf("%d fetches for one new head of a repository with 3 apps, want 1", got)
	}
	states := map[string]drift.State{}
	for _, svc := range []string{"api", "web", "worker"} {
		states[svc] = syncState(f.get(svc))
	}
	if states["web"] != drift.RepoAhead || states["api"] != drift.InSync || states["worker"] != drift.InSync {
		t.Errorf("states %v: only web's manifest changed", states)
	}
	// Unchanged: one ls-remote round trip, no fetch.
	reqs, fetches := f.srv.Requests(), f.cache.Fetches()
	f.poll()
	if f.srv.Requests()-reqs != 1 || f.cache.Fetches() != fetches {
		t.Errorf("unchanged repo: %d requests and %d fetches, want 1 and 0", f.srv.Requests()-reqs, f.cache.Fetches()-fetches)
	}
}

func TestErrorsLeaveTheSnapshot(t *testing.T) {
	f := newFixture(t)
	f.srv.CreateRepo(t, "shop.git", "main", map[string]string{"astrolift.toml": manifest})
	a := f.app("shop", "shop.git", "astrolift.toml", "push")
	snap := a.Manifest

	// The manifest disappears.
	f.srv.Commit(t, "shop.git", "main", map[string]string{"astrolift.toml": ""}, "remove")
	f.poll()
	a = f.get("shop")
	if !strings.Contains(a.Repo.Error, "not found") || !sameSnapshot(a.Manifest, snap) {
		t.Errorf("missing manifest: error %q, snapshot changed: %v", a.Repo.Error, !sameSnapshot(a.Manifest, snap))
	}
	// The server starts asking for credentials.
	f.srv.RequireAuth("u", "p")
	f.poll()
	a = f.get("shop")
	if !strings.Contains(strings.ToLower(a.Repo.Error), "auth") || !sameSnapshot(a.Manifest, snap) {
		t.Errorf("auth failure: error %q, snapshot changed: %v", a.Repo.Error, !sameSnapshot(a.Manifest, snap))
	}
}

// Trigger (what a push webhook calls) makes a running poller check at once.
func TestTriggerWakesThePoller(t *testing.T) {
	f := newFixture(t)
	f.srv.CreateRepo(t, "shop.git", "main", map[string]string{"astrolift.toml": manifest})
	f.app("shop", "shop.git", "astrolift.toml", "manual")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = f.poller.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitFor(t, func() bool { return f.get("shop").Repo.CheckedAt != nil })

	head := f.srv.Commit(t, "shop.git", "main", map[string]string{"astrolift.toml": manifest + "# x\n"}, "c")
	if n := f.poller.Trigger(strings.TrimSuffix(f.srv.URL("shop.git"), ".git"), "main"); n != 1 {
		t.Fatalf("Trigger matched %d repositories, want 1", n)
	}
	waitFor(t, func() bool { return f.get("shop").Repo.Commit == head })
}

// A push app polled more often than the poller re-lists apps (10 s) is
// deployed once per new head: later checks within the listing's age decide
// on the app's stored state, not the listing's.
func TestFrequentPollsDeployAHeadOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.srv.CreateRepo(t, "fast.git", "main", map[string]string{"astrolift.toml": manifest})
	a := &store.App{OrgID: f.org.ID, ProjectID: f.proj.ID, Slug: "fast", Name: "fast", SourceURL: f.srv.URL("fast.git"), TriggerMode: "push"}
	must(t, f.s.CreateApp(ctx, a))
	must(t, f.s.CreateEnvironment(ctx, &store.Environment{AppID: a.ID, Name: "production", Namespace: "fast-production"}))
	f.poller.Interval = 50 * time.Millisecond
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = f.poller.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()
	waitFor(t, func() bool { return f.get("fast").Manifest.Commit != "" })
	time.Sleep(time.Second) // about 20 more checks, all within one listing
	ds, _ := f.s.ListDeployments(ctx, store.DeploymentFilter{AppID: a.ID})
	evs, _ := f.s.ListEvents(ctx, store.EventFilter{AppID: a.ID, Kind: "repo.new_head", AfterID: -1})
	if len(ds) != 1 || len(evs) != 1 {
		t.Errorf("%d deployments and %d new-head events for one head, want 1 and 1", len(ds), len(evs))
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 15 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func sameSnapshot(a, b store.Snapshot) bool {
	return a.Raw == b.Raw && a.Commit == b.Commit && a.BlobID == b.BlobID
}

// Credentials come from the app's SCM connection, sealed at rest.
func TestPollWithConnectionCredentials(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.srv.CreateRepo(t, "private.git", "main", map[string]string{"astrolift.toml": manifest})
	f.srv.RequireAuth("bot", "s3cret")
	box, err := secretbox.New(bytes.Repeat([]byte{1}, 32))
	must(t, err)
	creds, _ := json.Marshal(git.Credentials{Username: "bot", Password: "s3cret"})
	conn := &store.SCMConnection{OrgID: f.org.ID, Kind: "gitea", Name: "gitea", CredentialsSealed: box.Seal(git.SealPurpose, creds)}
	must(t, f.s.CreateSCMConnection(ctx, conn))
	if bytes.Contains(conn.CredentialsSealed, []byte("s3cret")) {
		t.Fatal("the password is stored in plaintext")
	}
	a := &store.App{OrgID: f.org.ID, ProjectID: f.proj.ID, Slug: "private", Name: "private", SourceURL: f.srv.URL("private.git"), SCMConnectionID: conn.ID, TriggerMode: "manual"}
	must(t, f.s.CreateApp(ctx, a))
	f.poller.Auth = reconciler.ConnectionAuth(f.s, box)
	f.poll()
	if got := f.get("private"); got.Repo.Error != "" || got.Repo.Commit == "" {
		t.Errorf("with credentials: %+v", got.Repo)
	}
	anonymous := &store.App{OrgID: f.org.ID, ProjectID: f.proj.ID, Slug: "anon", Name: "anon", SourceURL: f.srv.URL("private.git"), DeployBranch: "main", ManifestPath: "other.toml", TriggerMode: "manual"}
	must(t, f.s.CreateApp(ctx, anonymous))
	f.poll()
	if got := f.get("anon"); !strings.Contains(strings.ToLower(got.Repo.Error), "auth") {
		t.Errorf("without credentials: %+v", got.Repo)
	}
	if got := f.get("private"); got.Repo.Error != "" {
		t.Errorf("an app without credentials on the same repository broke the one with them: %+v", got.Repo)
	}
}

// Two replicas: the one holding a repository's lease polls it, the other
// skips it.
func TestLeaseOneReplicaPerRepo(t *testing.T) {
	f := newFixture(t)
	f.srv.CreateRepo(t, "shop.git", "main", map[string]string{"astrolift.toml": manifest})
	f.app("shop", "shop.git", "astrolift.toml", "manual")
	f.poll() // replica "test" takes the lease for 2 intervals
	other := &reconciler.Poller{Store: f.s, Cache: f.cache, Holder: "other", Interval: time.Hour}
	before := f.srv.Requests()
	must(t, other.PollOnce(context.Background()))
	if f.srv.Requests() != before {
		t.Errorf("the replica without the lease made %d requests", f.srv.Requests()-before)
	}
	f.poll()
	if f.srv.Requests() != before+1 {
		t.Errorf("the lease holder made %d requests, want 1", f.srv.Requests()-before)
	}
}
