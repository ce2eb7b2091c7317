package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/astrolift/astrolift/store"
)

// seed creates an organization, a project and, if slug != "", an app.
func seed(t *testing.T, s *store.Store, slug string) (*store.Organization, *store.Project, *store.App) {
	t.Helper()
	ctx := context.Background()
	org := &store.Organization{Slug: "acme", Name: "Acme"}
	if err := s.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	p := &store.Project{OrgID: org.ID, Slug: "shop", Name: "Shop"}
	if err := s.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	if slug == "" {
		return org, p, nil
	}
	a := &store.App{OrgID: org.ID, ProjectID: p.ID, Slug: slug, Name: slug, SourceURL: "https://git.example.com/acme/" + slug + ".git"}
	if err := s.CreateApp(ctx, a); err != nil {
		t.Fatal(err)
	}
	return org, p, a
}

func TestParseURL(t *testing.T) {
	ctx := context.Background()
	for _, bad := range []string{"", "mysql://root@localhost/x", "sqlite://"} {
		if _, err := store.Open(ctx, bad, store.Options{}); err == nil {
			t.Errorf("Open(%q) succeeded, want an error", bad)
		}
	}
	s, err := store.Open(ctx, t.TempDir()+"/nested/dir/a.db", store.Options{})
	if err != nil {
		t.Fatalf("plain path: %v", err)
	}
	defer s.Close()
	if s.Driver() != store.SQLite {
		t.Errorf("driver %s, want sqlite", s.Driver())
	}
}

func TestMigrations(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		ms, err := store.Migrations()
		if err != nil {
			t.Fatal(err)
		}
		v, err := f.s.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := ms[len(ms)-1].Version; v != want {
			t.Fatalf("schema version %d after Open, want %d", v, want)
		}
		applied, err := f.s.Migrate(ctx)
		if err != nil || len(applied) != 0 {
			t.Fatalf("second Migrate applied %v, err %v; want nothing", applied, err)
		}
		// Several replicas starting at once all succeed.
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := store.Open(ctx, f.url, f.opts)
				if err == nil {
					err = s.Close()
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("concurrent open: %v", err)
			}
		}
		if err := f.s.Ping(ctx); err != nil {
			t.Errorf("ping: %v", err)
		}
	})
}

func TestOrganizationsUsersTeamsProjects(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		org, p, _ := seed(t, f.s, "")
		if err := f.s.CreateOrganization(ctx, &store.Organization{Slug: "acme", Name: "Again"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate org slug: %v, want ErrConflict", err)
		}
		got, err := f.s.GetOrganization(ctx, "acme")
		if err != nil || got.ID != org.ID || got.Name != "Acme" {
			t.Fatalf("GetOrganization = %+v, %v", got, err)
		}
		if _, err := f.s.GetOrganization(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing org: %v, want ErrNotFound", err)
		}

		u := &store.User{OrgID: org.ID, Email: " Ada@Example.com ", Name: "Ada", PasswordHash: "$argon2id$x"}
		if err := f.s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if err := f.s.CreateUser(ctx, &store.User{OrgID: org.ID, Email: "ADA@example.com", Name: "Imposter"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate email (other case): %v, want ErrConflict", err)
		}
		byEmail, err := f.s.GetUserByEmail(ctx, "ada@EXAMPLE.com")
		if err != nil || byEmail.ID != u.ID || byEmail.Email != "ada@example.com" || byEmail.PasswordHash != "$argon2id$x" {
			t.Fatalf("GetUserByEmail = %+v, %v", byEmail, err)
		}
		byID, err := f.s.GetUser(ctx, u.ID)
		if err != nil || byID.Name != "Ada" {
			t.Fatalf("GetUser = %+v, %v", byID, err)
		}

		for _, slug := range []string{"platform", "checkout"} {
			if err := f.s.CreateTeam(ctx, &store.Team{OrgID: org.ID, Slug: slug, Name: slug}); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.s.CreateTeam(ctx, &store.Team{OrgID: org.ID, Slug: "platform", Name: "x"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate team: %v", err)
		}
		teams, err := f.s.ListTeams(ctx, org.ID)
		if err != nil || len(teams) != 2 || teams[0].Slug != "checkout" {
			t.Fatalf("ListTeams = %v, %v", teams, err)
		}

		p2 := &store.Project{OrgID: org.ID, TeamID: teams[1].ID, Slug: "internal", Name: "Internal", Description: "tools"}
		if err := f.s.CreateProject(ctx, p2); err != nil {
			t.Fatal(err)
		}
		gp, err := f.s.GetProject(ctx, org.ID, "internal")
		if err != nil || gp.TeamID != teams[1].ID || gp.Description != "tools" {
			t.Fatalf("GetProject = %+v, %v", gp, err)
		}
		if err := f.s.CreateProject(ctx, &store.Project{OrgID: org.ID, Slug: "shop", Name: "dup"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate project: %v", err)
		}
		// A project with live apps cannot be deleted; an empty one can.
		a := &store.App{OrgID: org.ID, ProjectID: p.ID, Slug: "web", Name: "Web", SourceURL: "https://x/y.git"}
		if err := f.s.CreateApp(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := f.s.DeleteProject(ctx, p.ID); !errors.Is(err, store.ErrConflict) {
			t.Errorf("delete project with apps: %v, want ErrConflict", err)
		}
		if err := f.s.DeleteProject(ctx, p2.ID); err != nil {
			t.Fatal(err)
		}
		projects, err := f.s.ListProjects(ctx, org.ID)
		if err != nil || len(projects) != 1 || projects[0].Slug != "shop" {
			t.Fatalf("ListProjects after delete = %v, %v", projects, err)
		}
		// The deleted project's slug can be reused.
		if err := f.s.CreateProject(ctx, &store.Project{OrgID: org.ID, Slug: "internal", Name: "Internal 2"}); err != nil {
			t.Errorf("reuse deleted project slug: %v", err)
		}
	})
}

func TestAppSlugs(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		org, p, a := seed(t, f.s, "shop-web")
		dup := &store.App{OrgID: org.ID, ProjectID: p.ID, Slug: "shop-web", Name: "dup", SourceURL: "https://x/y.git"}
		if err := f.s.CreateApp(ctx, dup); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate live slug: %v, want ErrConflict", err)
		}
		if err := f.s.DeleteApp(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.s.DeleteApp(ctx, a.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second delete: %v, want ErrNotFound", err)
		}
		if _, err := f.s.GetApp(ctx, "shop-web"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted app still visible: %v", err)
		}
		// Within the grace window the slug stays reserved…
		if err := f.s.CreateApp(ctx, dup); !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "deleted less than") {
			t.Fatalf("slug inside grace window: %v, want ErrConflict naming the grace window", err)
		}
		// …and the app can be restored.
		if err := f.s.RestoreApp(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := f.s.GetApp(ctx, "shop-web"); err != nil || got.ID != a.ID {
			t.Fatalf("restored app = %+v, %v", got, err)
		}
		// After the grace window the slug can be reclaimed.
		if err := f.s.DeleteApp(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(2 * time.Hour)
		if err := f.s.CreateApp(ctx, dup); err != nil {
			t.Fatalf("slug after grace window: %v", err)
		}
		got, err := f.s.GetApp(ctx, "shop-web")
		if err != nil || got.ID != dup.ID || got.ID == a.ID {
			t.Fatalf("GetApp after reclaim = %+v, %v (old id %d)", got, err, a.ID)
		}
		// The old app cannot be restored over the new one.
		if err := f.s.RestoreApp(ctx, a.ID); !errors.Is(err, store.ErrConflict) {
			t.Errorf("restore over live slug: %v, want ErrConflict", err)
		}
	})
}

func TestAppFieldsAndList(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		org, p, _ := seed(t, f.s, "")
		conn := &store.SCMConnection{OrgID: org.ID, Kind: "gitea", Name: "gitea", BaseURL: "http://127.0.0.1:3000", CredentialsSealed: []byte{1, 2, 3}}
		if err := f.s.CreateSCMConnection(ctx, conn); err != nil {
			t.Fatal(err)
		}
		for i, slug := range []string{"delta", "alpha", "charlie", "bravo", "echo"} {
			a := &store.App{OrgID: org.ID, ProjectID: p.ID, Slug: slug, Name: strings.ToUpper(slug), SourceURL: "https://x/" + slug + ".git"}
			if i == 0 {
				a.SCMConnectionID = conn.ID
				a.DeployBranch = "release"
				a.ManifestPath = "deploy/astrolift.toml"
				a.Description = "the delta app"
			}
			if err := f.s.CreateApp(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		d, err := f.s.GetApp(ctx, "delta")
		if err != nil {
			t.Fatal(err)
		}
		if d.SCMConnectionID != conn.ID || d.DeployBranch != "release" || d.ManifestPath != "deploy/astrolift.toml" ||
			d.Status != "pending" || d.SourceKind != "git" || d.Description != "the delta app" || d.Draft != nil {
			t.Errorf("delta = %+v", d)
		}
		a, _ := f.s.GetApp(ctx, "alpha")
		if a.DeployBranch != "main" || a.ManifestPath != "astrolift.toml" {
			t.Errorf("defaults: branch %q path %q", a.DeployBranch, a.ManifestPath)
		}
		byID, err := f.s.GetAppByID(ctx, d.ID)
		if err != nil || byID.Slug != "delta" {
			t.Fatalf("GetAppByID = %+v, %v", byID, err)
		}

		page1, err := f.s.ListApps(ctx, store.AppFilter{OrgID: org.ID, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		page2, err := f.s.ListApps(ctx, store.AppFilter{OrgID: org.ID, Limit: 2, AfterSlug: page1[len(page1)-1].Slug})
		if err != nil {
			t.Fatal(err)
		}
		if got := slugs(page1) + "|" + slugs(page2); got != "alpha,bravo|charlie,delta" {
			t.Errorf("pages = %s", got)
		}
		q, _ := f.s.ListApps(ctx, store.AppFilter{Query: "HAR"})
		if slugs(q) != "charlie" {
			t.Errorf("query HAR = %s", slugs(q))
		}
		if err := f.s.SetAppStatus(ctx, d.ID, "failed", "namespace create: forbidden"); err != nil {
			t.Fatal(err)
		}
		failed, _ := f.s.ListApps(ctx, store.AppFilter{Status: "failed"})
		if slugs(failed) != "delta" || failed[0].StatusError != "namespace create: forbidden" {
			t.Errorf("status filter = %s", slugs(failed))
		}
		if err := f.s.SetAppNamespace(ctx, d.ID, "delta"); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.s.GetApp(ctx, "delta"); got.Namespace != "delta" || !got.UpdatedAt.After(got.CreatedAt) {
			t.Errorf("namespace %q updated %v created %v", got.Namespace, got.UpdatedAt, got.CreatedAt)
		}
		if err := f.s.SetAppStatus(ctx, 99999, "ready", ""); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("status of missing app: %v", err)
		}

		conns, err := f.s.ListSCMConnections(ctx, org.ID)
		if err != nil || len(conns) != 1 || string(conns[0].CredentialsSealed) != "\x01\x02\x03" {
			t.Fatalf("ListSCMConnections = %v, %v", conns, err)
		}
		if err := f.s.DeleteSCMConnection(ctx, conn.ID); err != nil {
			t.Fatal(err)
		}
		if conns, _ := f.s.ListSCMConnections(ctx, org.ID); len(conns) != 0 {
			t.Errorf("deleted connection still listed")
		}
	})
}

func slugs(apps []*store.App) string {
	s := make([]string, len(apps))
	for i, a := range apps {
		s[i] = a.Slug
	}
	return strings.Join(s, ",")
}

func TestManifestSnapshotDraftAndRepoHead(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		org, _, a := seed(t, f.s, "web")
		u := &store.User{OrgID: org.ID, Email: "ada@example.com", Name: "Ada"}
		if err := f.s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		raw := "schema = 1\n\n[app]\ndescription = \"Storefront ✓\"\n"
		if err := f.s.SetSnapshot(ctx, a.ID, store.Snapshot{Raw: raw, Commit: "c1", BlobID: "b1"}, false); err != nil {
			t.Fatal(err)
		}
		if err := f.s.RecordRepoHead(ctx, a.ID, store.RepoHead{Commit: "c1", BlobID: "b1"}); err != nil {
			t.Fatal(err)
		}
		draft := raw + "[env]\nLOG_LEVEL = \"debug\"\n"
		if err := f.s.SaveDraft(ctx, a.ID, store.Draft{Raw: draft, BaseBlobID: "b1", BaseRaw: raw, StagedBy: u.ID}, false); err != nil {
			t.Fatal(err)
		}
		if err := f.s.SetDraftPR(ctx, a.ID, "stale text", store.Draft{Raw: draft}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("SetDraftPR for a draft that changed: %v, want ErrConflict", err)
		}
		pr := store.Draft{Raw: draft, BaseBlobID: "b1", BaseRaw: raw, PRURL: "http://gitea/acme/web/pulls/7", PRNumber: 7,
			PRBranch: "astrolift/web/abc1234", PRState: "open"}
		if err := f.s.SetDraftPR(ctx, a.ID, draft, pr); err != nil {
			t.Fatal(err)
		}
		if err := f.s.SetDraftPRState(ctx, a.ID, 8, "merged"); err != nil { // another PR: ignored
			t.Fatal(err)
		}
		got, err := f.s.GetApp(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		if got.Manifest.Raw != raw || got.Manifest.Commit != "c1" || got.Manifest.BlobID != "b1" || got.Manifest.SyncedAt == nil {
			t.Errorf("snapshot = %+v", got.Manifest)
		}
		if got.Draft == nil || got.Draft.Raw != draft || got.Draft.BaseBlobID != "b1" || got.Draft.StagedBy != u.ID ||
			got.Draft.PRNumber != 7 || got.Draft.PRURL != "http://gitea/acme/web/pulls/7" || got.Draft.StagedAt.IsZero() ||
			got.Draft.BaseRaw != raw || got.Draft.PRBranch != "astrolift/web/abc1234" || got.Draft.PRState != "open" {
			t.Errorf("draft = %+v", got.Draft)
		}
		// Saving again keeps the PR only when asked to.
		if err := f.s.SaveDraft(ctx, a.ID, store.Draft{Raw: draft + "# more\n", BaseBlobID: "b1"}, true); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.s.GetApp(ctx, "web"); got.Draft.PRNumber != 7 || got.Draft.StagedBy != 0 {
			t.Errorf("keepPR draft = %+v", got.Draft)
		}
		if err := f.s.SaveDraft(ctx, a.ID, store.Draft{Raw: draft, BaseBlobID: "b1"}, false); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.s.GetApp(ctx, "web"); got.Draft.PRNumber != 0 || got.Draft.PRURL != "" {
			t.Errorf("new draft kept PR: %+v", got.Draft)
		}
		// The poller sees the repo move; the error is recorded alongside.
		checked := time.Date(2026, 11, 25, 13, 0, 0, 123456000, time.UTC)
		if err := f.s.RecordRepoHead(ctx, a.ID, store.RepoHead{Commit: "c2", BlobID: "b2", CheckedAt: &checked, Error: "fetch: timeout"}); err != nil {
			t.Fatal(err)
		}
		got, _ = f.s.GetApp(ctx, "web")
		if got.Repo.Commit != "c2" || got.Repo.BlobID != "b2" || got.Repo.Error != "fetch: timeout" || !got.Repo.CheckedAt.Equal(checked) {
			t.Errorf("repo head = %+v", got.Repo)
		}
		// Sync from repo replaces the snapshot and drops the draft at once.
		if err := f.s.SetSnapshot(ctx, a.ID, store.Snapshot{Raw: "schema = 1\n", Commit: "c2", BlobID: "b2"}, true); err != nil {
			t.Fatal(err)
		}
		got, _ = f.s.GetApp(ctx, "web")
		if got.Draft != nil || got.Manifest.BlobID != "b2" || got.Manifest.Raw != "schema = 1\n" {
			t.Errorf("after sync: draft %+v snapshot %+v", got.Draft, got.Manifest)
		}
		if err := f.s.SaveDraft(ctx, a.ID, store.Draft{Raw: "x", BaseBlobID: "b2"}, false); err != nil {
			t.Fatal(err)
		}
		if err := f.s.DropDraft(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.s.GetApp(ctx, "web"); got.Draft != nil {
			t.Errorf("draft after DropDraft = %+v", got.Draft)
		}
		// Everything survives closing and reopening the database.
		if err := f.s.SaveDraft(ctx, a.ID, store.Draft{Raw: draft, BaseBlobID: "b2"}, false); err != nil {
			t.Fatal(err)
		}
		if err := f.s.Close(); err != nil {
			t.Fatal(err)
		}
		s2 := f.reopen(t)
		got, err = s2.GetApp(ctx, "web")
		if err != nil || got.Draft == nil || got.Draft.Raw != draft || got.Manifest.BlobID != "b2" {
			t.Fatalf("after reopen: %+v, %v", got, err)
		}
	})
}

func TestClustersAndEnvironments(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		org, _, a := seed(t, f.s, "web")
		local := &store.Cluster{OrgID: org.ID, Name: "local", Kind: store.ClusterKubeconfig, APIURL: "https://127.0.0.1:6443", KubeconfigSealed: []byte("sealed-1")}
		if err := f.s.CreateCluster(ctx, local); err != nil {
			t.Fatal(err)
		}
		if err := f.s.CreateCluster(ctx, &store.Cluster{OrgID: org.ID, Name: "local", Kind: store.ClusterInCluster}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate cluster: %v", err)
		}
		if err := f.s.UpdateClusterCredentials(ctx, local.ID, "https://127.0.0.1:7443", []byte("sealed-2")); err != nil {
			t.Fatal(err)
		}
		c, err := f.s.GetCluster(ctx, org.ID, "local")
		if err != nil || c.APIURL != "https://127.0.0.1:7443" || string(c.KubeconfigSealed) != "sealed-2" || !c.UpdatedAt.After(c.CreatedAt) {
			t.Fatalf("GetCluster = %+v, %v", c, err)
		}

		staging := &store.Environment{AppID: a.ID, Name: "staging", ClusterID: local.ID, Namespace: "web-staging", Position: 0}
		prod := &store.Environment{AppID: a.ID, Name: "production", ClusterID: local.ID, Namespace: "web-production", Position: 1, RequiredApprovals: 1}
		for _, e := range []*store.Environment{prod, staging} {
			if err := f.s.CreateEnvironment(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.s.CreateEnvironment(ctx, &store.Environment{AppID: a.ID, Name: "staging", Namespace: "x"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate environment: %v", err)
		}
		envs, err := f.s.ListEnvironments(ctx, a.ID)
		if err != nil || len(envs) != 2 || envs[0].Name != "staging" || envs[1].Name != "production" {
			t.Fatalf("ListEnvironments = %v, %v", envs, err)
		}
		if envs[0].Replicas != nil || envs[0].SelfHeal {
			t.Errorf("new environment: replicas %v, self_heal %v; want no override, off", envs[0].Replicas, envs[0].SelfHeal)
		}
		three := 3
		prod.Paused = true
		prod.PublicURL = "https://web.example.com"
		prod.Replicas, prod.SelfHeal = &three, true
		if err := f.s.UpdateEnvironment(ctx, prod); err != nil {
			t.Fatal(err)
		}
		gp, err := f.s.GetEnvironment(ctx, a.ID, "production")
		if err != nil || !gp.Paused || gp.PublicURL != "https://web.example.com" || gp.RequiredApprovals != 1 || gp.ClusterID != local.ID ||
			gp.Replicas == nil || *gp.Replicas != 3 || !gp.SelfHeal {
			t.Fatalf("GetEnvironment = %+v, %v", gp, err)
		}
		gp.Replicas = nil // clears the override
		if err := f.s.UpdateEnvironment(ctx, gp); err != nil {
			t.Fatal(err)
		}
		if gp, _ = f.s.GetEnvironment(ctx, a.ID, "production"); gp.Replicas != nil {
			t.Errorf("replicas after clearing = %d, want nil", *gp.Replicas)
		}

		// Observations: written by the reconciler, read back with their time.
		if o, err := f.s.Observe(ctx, prod.ID, "drift"); err != nil || o.JSON != "" || o.At != nil {
			t.Errorf("Observe before any check = %+v, %v", o, err)
		}
		if err := f.s.SetObservation(ctx, prod.ID, "drift", `{"objects":[]}`); err != nil {
			t.Fatal(err)
		}
		if err := f.s.SetObservation(ctx, prod.ID, "live", `{"workloads":[]}`); err != nil {
			t.Fatal(err)
		}
		if o, err := f.s.Observe(ctx, prod.ID, "drift"); err != nil || o.JSON != `{"objects":[]}` || o.At == nil {
			t.Errorf("Observe drift = %+v, %v", o, err)
		}
		if o, err := f.s.Observe(ctx, prod.ID, "live"); err != nil || o.JSON != `{"workloads":[]}` || o.At == nil {
			t.Errorf("Observe live = %+v, %v", o, err)
		}
		if _, err := f.s.Observe(ctx, prod.ID, "status"); err == nil {
			t.Error("Observe of an unknown observation must fail")
		}

		// Deployed environments: only those with a succeeded deployment, with its id.
		if envs, _, err := f.s.DeployedEnvironments(ctx); err != nil || len(envs) != 0 {
			t.Errorf("DeployedEnvironments before any deployment = %v, %v", envs, err)
		}
		ok := &store.Deployment{AppID: a.ID, EnvironmentID: staging.ID, Trigger: "manual", Status: "succeeded"}
		failed := &store.Deployment{AppID: a.ID, EnvironmentID: staging.ID, Trigger: "manual", Status: "failed"}
		other := &store.Deployment{AppID: a.ID, EnvironmentID: prod.ID, Trigger: "manual", Status: "pending"}
		for _, d := range []*store.Deployment{ok, failed, other} {
			if err := f.s.CreateDeployment(ctx, d, ""); err != nil {
				t.Fatal(err)
			}
		}
		denvs, deps, err := f.s.DeployedEnvironments(ctx)
		if err != nil || len(denvs) != 1 || denvs[0].ID != staging.ID || deps[0] != ok.ID {
			t.Errorf("DeployedEnvironments = %v %v, %v; want staging with deployment %d", denvs, deps, err, ok.ID)
		}
		if e, dep, err := f.s.DeployedEnvironment(ctx, staging.ID); err != nil || e.Name != "staging" || dep != ok.ID {
			t.Errorf("DeployedEnvironment(staging) = %v %d, %v", e, dep, err)
		}
		if _, _, err := f.s.DeployedEnvironment(ctx, prod.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeployedEnvironment(production, nothing succeeded) = %v, want ErrNotFound", err)
		}
		if err := f.s.DeleteCluster(ctx, local.ID); !errors.Is(err, store.ErrConflict) {
			t.Errorf("delete cluster in use: %v, want ErrConflict", err)
		}
		for _, e := range envs {
			if err := f.s.DeleteEnvironment(ctx, e.ID); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.s.DeleteCluster(ctx, local.ID); err != nil {
			t.Fatalf("delete unused cluster: %v", err)
		}
		if cs, _ := f.s.ListClusters(ctx, org.ID); len(cs) != 0 {
			t.Errorf("deleted cluster still listed: %v", cs)
		}
	})
}

func TestDeploymentLifecycleLog(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		_, _, a := seed(t, f.s, "web")
		env := &store.Environment{AppID: a.ID, Name: "staging", Namespace: "web-staging"}
		if err := f.s.CreateEnvironment(ctx, env); err != nil {
			t.Fatal(err)
		}
		d := &store.Deployment{AppID: a.ID, EnvironmentID: env.ID, Trigger: "push", Status: "pending", CommitSHA: "abc123", ManifestRaw: "schema = 1\n"}
		if err := f.s.CreateDeployment(ctx, d, "push to main"); err != nil {
			t.Fatal(err)
		}
		rendered := `[{"kind":"Deployment"}]`
		steps := []struct {
			from, to string
			u        store.TransitionUpdate
		}{
			{"pending", "rendering", store.TransitionUpdate{Detail: "rendering astrolift.toml"}},
			{"rendering", "applying", store.TransitionUpdate{Detail: "5 objects", Rendered: &rendered}},
			{"applying", "verifying", store.TransitionUpdate{}},
			{"verifying", "succeeded", store.TransitionUpdate{Detail: "2/2 ready", Finished: true}},
		}
		for _, st := range steps {
			if err := f.s.TransitionDeployment(ctx, d.ID, st.from, st.to, st.u); err != nil {
				t.Fatal(err)
			}
		}
		// A stale replica cannot move it again.
		err := f.s.TransitionDeployment(ctx, d.ID, "verifying", "failed", store.TransitionUpdate{Error: "late"})
		if !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "status is succeeded") {
			t.Fatalf("stale transition: %v, want ErrConflict naming the current status", err)
		}
		if err := f.s.TransitionDeployment(ctx, 424242, "pending", "rendering", store.TransitionUpdate{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing deployment: %v", err)
		}
		got, err := f.s.GetDeployment(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != "succeeded" || got.Rendered != rendered || got.Error != "" || got.FinishedAt == nil ||
			got.CommitSHA != "abc123" || got.Trigger != "push" {
			t.Errorf("deployment = %+v", got)
		}
		log, err := f.s.ListTransitions(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		var path []string
		for _, tr := range log {
			path = append(path, tr.From+"→"+tr.To)
		}
		if want := "→pending,pending→rendering,rendering→applying,applying→verifying,verifying→succeeded"; strings.Join(path, ",") != want {
			t.Errorf("lifecycle log = %s, want %s", strings.Join(path, ","), want)
		}
		if log[0].Detail != "push to main" || log[4].Detail != "2/2 ready" || !log[4].At.After(log[0].At) {
			t.Errorf("log details/times: %+v … %+v", log[0], log[4])
		}

		// A failed one carries its error; a rollback points at what it rolls back.
		failed := &store.Deployment{AppID: a.ID, EnvironmentID: env.ID, Trigger: "manual", Status: "pending"}
		if err := f.s.CreateDeployment(ctx, failed, ""); err != nil {
			t.Fatal(err)
		}
		if err := f.s.TransitionDeployment(ctx, failed.ID, "pending", "failed", store.TransitionUpdate{Error: "Deployment/web-staging/web apply failed: invalid", Finished: true}); err != nil {
			t.Fatal(err)
		}
		rb := &store.Deployment{AppID: a.ID, EnvironmentID: env.ID, Trigger: "rollback", Status: "pending", RollbackOf: d.ID, Rendered: rendered}
		if err := f.s.CreateDeployment(ctx, rb, "rollback to #1"); err != nil {
			t.Fatal(err)
		}
		all, err := f.s.ListDeployments(ctx, store.DeploymentFilter{AppID: a.ID})
		if err != nil || len(all) != 3 || all[0].ID != rb.ID || all[0].RollbackOf != d.ID || all[1].Error == "" {
			t.Fatalf("ListDeployments = %v, %v", all, err)
		}
		inflight, _ := f.s.ListDeployments(ctx, store.DeploymentFilter{Statuses: []string{"pending", "rendering"}})
		if len(inflight) != 1 || inflight[0].ID != rb.ID {
			t.Errorf("in-flight filter = %v", inflight)
		}
		older, _ := f.s.ListDeployments(ctx, store.DeploymentFilter{AppID: a.ID, BeforeID: rb.ID, Limit: 1})
		if len(older) != 1 || older[0].ID != failed.ID {
			t.Errorf("cursor page = %v", older)
		}
	})
}

func TestConcurrentTransitionsOneWins(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		_, _, a := seed(t, f.s, "web")
		env := &store.Environment{AppID: a.ID, Name: "staging", Namespace: "web-staging"}
		if err := f.s.CreateEnvironment(ctx, env); err != nil {
			t.Fatal(err)
		}
		d := &store.Deployment{AppID: a.ID, EnvironmentID: env.ID, Trigger: "push", Status: "pending"}
		if err := f.s.CreateDeployment(ctx, d, ""); err != nil {
			t.Fatal(err)
		}
		const n = 8
		var wg sync.WaitGroup
		results := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results <- f.s.TransitionDeployment(ctx, d.ID, "pending", "rendering", store.TransitionUpdate{Detail: fmt.Sprintf("replica %d", i)})
			}()
		}
		wg.Wait()
		close(results)
		wins := 0
		for err := range results {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("unexpected error: %v", err)
			}
		}
		log, _ := f.s.ListTransitions(ctx, d.ID)
		if wins != 1 || len(log) != 2 {
			t.Errorf("%d replicas won, %d log rows; want 1 and 2", wins, len(log))
		}
	})
}

func TestEvents(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		org, _, a := seed(t, f.s, "web")
		for i := range 5 {
			e := &store.Event{OrgID: org.ID, AppID: a.ID, Kind: "deployment.succeeded", Message: fmt.Sprintf("deploy %d", i), Actor: "poller"}
			if i == 4 {
				e.AppID, e.Kind, e.Severity = 0, "cluster.unreachable", "error"
			}
			if err := f.s.AppendEvent(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		appEvents, err := f.s.ListEvents(ctx, store.EventFilter{AppID: a.ID, Limit: 2})
		if err != nil || len(appEvents) != 2 || appEvents[0].Message != "deploy 3" || appEvents[0].Severity != "info" {
			t.Fatalf("app events = %v, %v", appEvents, err)
		}
		next, _ := f.s.ListEvents(ctx, store.EventFilter{AppID: a.ID, BeforeID: appEvents[1].ID})
		if len(next) != 2 || next[1].Message != "deploy 0" {
			t.Errorf("next page = %v", next)
		}
		orgEvents, _ := f.s.ListEvents(ctx, store.EventFilter{OrgID: org.ID, Kind: "cluster.unreachable"})
		if len(orgEvents) != 1 || orgEvents[0].AppID != 0 || orgEvents[0].Severity != "error" {
			t.Errorf("org events = %v", orgEvents)
		}
	})
}

func TestSetAppSource(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		_, _, a := seed(t, f.s, "web")
		// CreateApp keeps the poll interval it is given.
		p, _ := f.s.GetProjectByID(ctx, a.ProjectID)
		fast := &store.App{OrgID: a.OrgID, ProjectID: p.ID, Slug: "fast", Name: "Fast", SourceURL: "https://x/y.git", PollInterval: 5 * time.Second}
		if err := f.s.CreateApp(ctx, fast); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.s.GetApp(ctx, "fast"); got.PollInterval != 5*time.Second {
			t.Errorf("poll interval after create = %s, want 5s", got.PollInterval)
		}
		if err := f.s.SetAppSource(ctx, a.ID, "http://127.0.0.1:9/shop.git"); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.GetApp(ctx, "web")
		if err != nil || got.SourceURL != "http://127.0.0.1:9/shop.git" {
			t.Fatalf("GetApp = %+v, %v", got, err)
		}
		if err := f.s.SetAppSource(ctx, 9999, "x"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown app: %v, want ErrNotFound", err)
		}
	})
}

// Onboarding records the app's image repository and what it found there;
// other updates keep them, and a new check replaces them.
func TestAppRegistry(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		org, _, a := seed(t, f.s, "web")
		if got, _ := f.s.GetApp(ctx, "web"); got.Registry != (store.Registry{}) {
			t.Errorf("new app registry = %+v, want empty", got.Registry)
		}
		want := store.Registry{Repository: "registry.example.com/acme/web", Status: "no image pushed yet"}
		if err := f.s.SetAppRegistry(ctx, a.ID, want); err != nil {
			t.Fatal(err)
		}
		if err := f.s.SetAppStatus(ctx, a.ID, "ready", ""); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.GetApp(ctx, "web")
		if err != nil || got.Registry != want || got.Status != "ready" {
			t.Fatalf("GetApp = %+v, %v", got, err)
		}
		if byID, _ := f.s.GetAppByID(ctx, a.ID); byID.Registry != want {
			t.Errorf("GetAppByID registry = %+v", byID.Registry)
		}
		want.Status = "3 tags"
		if err := f.s.SetAppRegistry(ctx, a.ID, want); err != nil {
			t.Fatal(err)
		}
		if list, _ := f.s.ListApps(ctx, store.AppFilter{OrgID: org.ID}); len(list) != 1 || list[0].Registry != want {
			t.Errorf("ListApps registry = %+v", list[0].Registry)
		}
		if err := f.s.SetAppRegistry(ctx, 99999, want); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("registry of a missing app: %v", err)
		}
		if o, err := f.s.GetOrganizationByID(ctx, org.ID); err != nil || o.Slug != "acme" {
			t.Errorf("GetOrganizationByID = %+v, %v", o, err)
		}
		if _, err := f.s.GetOrganizationByID(ctx, 99999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing organization: %v", err)
		}
	})
}
