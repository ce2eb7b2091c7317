package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/astrolift/astrolift/api"
	"github.com/astrolift/astrolift/store"
)

func TestDetectCI(t *testing.T) {
	for name, c := range map[string]struct {
		env  map[string]string
		want ciRun
	}{
		"github": {map[string]string{"GITHUB_SHA": "abc", "GITHUB_REF_NAME": "main", "GITHUB_SERVER_URL": "https://github.com",
			"GITHUB_REPOSITORY": "acme/shop", "GITHUB_RUN_ID": "42"}, ciRun{"abc", "main", "https://github.com/acme/shop/actions/runs/42"}},
		"gitea": {map[string]string{"GITHUB_SHA": "def", "GITHUB_REF_NAME": "release", "GITHUB_SERVER_URL": "https://gitea.example.com/",
			"GITHUB_REPOSITORY": "acme/shop", "GITHUB_RUN_ID": "7"}, ciRun{"def", "release", "https://gitea.example.com/acme/shop/actions/runs/7"}},
		"gitlab": {map[string]string{"GITLAB_CI": "true", "CI_COMMIT_SHA": "123", "CI_COMMIT_REF_NAME": "main",
			"CI_JOB_URL": "https://gitlab.com/acme/shop/-/jobs/9"}, ciRun{"123", "main", "https://gitlab.com/acme/shop/-/jobs/9"}},
		"bitbucket": {map[string]string{"BITBUCKET_COMMIT": "456", "BITBUCKET_BRANCH": "main",
			"BITBUCKET_GIT_HTTP_ORIGIN": "http://bitbucket.org/acme/shop", "BITBUCKET_BUILD_NUMBER": "15"},
			ciRun{"456", "main", "http://bitbucket.org/acme/shop/pipelines/results/15"}},
		"none": {map[string]string{"HOME": "/root"}, ciRun{}},
	} {
		if got := detectCI(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("%s: %+v, want %+v", name, got, c.want)
		}
	}
}

// deployFixture is a real API server on SQLite with an app (synced
// manifest, environment staging) and a deploy token for it.
type deployFixture struct {
	s      *store.Store
	url    string
	app    *store.App
	env    *store.Environment
	secret string
}

func newDeployFixture(t *testing.T) *deployFixture {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "a.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	f := &deployFixture{s: s}
	org := &store.Organization{Slug: "default", Name: "Default"}
	p := &store.Project{Slug: "demo", Name: "Demo"}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.CreateOrganization(ctx, org))
	p.OrgID = org.ID
	must(s.CreateProject(ctx, p))
	f.app = &store.App{OrgID: org.ID, ProjectID: p.ID, Slug: "shop", Name: "Shop", SourceURL: "https://git.example.com/shop.git"}
	must(s.CreateApp(ctx, f.app))
	must(s.SetSnapshot(ctx, f.app.ID, store.Snapshot{Raw: "schema = 1\n[build]\nimage = \"registry.example.com/acme/shop\"\n", Commit: "c0ffee", BlobID: "b10b"}, false))
	cl := &store.Cluster{OrgID: org.ID, Name: "local", Kind: store.ClusterInCluster}
	must(s.CreateCluster(ctx, cl))
	f.env = &store.Environment{AppID: f.app.ID, Name: "staging", Namespace: "shop-staging", ClusterID: cl.ID}
	must(s.CreateEnvironment(ctx, f.env))
	f.secret, err = api.IssueDeployToken(ctx, s, &store.DeployToken{AppID: f.app.ID, Name: "github-actions", Scopes: []string{"deploy", "read"}})
	must(err)
	srv := httptest.NewServer(api.New(api.Options{Store: s, Logger: slog.New(slog.DiscardHandler)}).Handler())
	t.Cleanup(srv.Close)
	f.url = srv.URL
	t.Setenv("ASTROLIFT_CONFIG_DIR", t.TempDir()) // no stored login
	t.Setenv("ASTROLIFT_TOKEN", "")
	return f
}

func (f *deployFixture) getenv(extra map[string]string) func(string) string {
	m := map[string]string{"ASTROLIFT_SERVER": f.url, "ASTROLIFT_DEPLOY_TOKEN": f.secret,
		"GITHUB_SHA": "0123abc", "GITHUB_REF_NAME": "main", "GITHUB_SERVER_URL": "https://github.com",
		"GITHUB_REPOSITORY": "acme/shop", "GITHUB_RUN_ID": "42"}
	for k, v := range extra {
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

const cliDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// TestCLIDeployWithToken runs `astrolift deploy` with a deploy token and
// the GitHub Actions variables against a real API server.
func TestCLIDeployWithToken(t *testing.T) {
	f := newDeployFixture(t)
	ctx := context.Background()
	var out, errOut bytes.Buffer
	err := runDeploy(ctx, []string{"--app", "shop", "--env", "staging", "--image", "registry.example.com/acme/shop:v2", "--digest", cliDigest, "--no-wait"},
		f.getenv(nil), &out, &errOut)
	if err != nil {
		t.Fatalf("deploy: %v (%s)", err, errOut.String())
	}
	if !strings.HasPrefix(out.String(), "Deployment 1 of shop to staging queued (trigger ci, image registry.example.com/acme/shop:v2 @ "+cliDigest+")") {
		t.Errorf("printed %q", out.String())
	}
	d, err := f.s.GetDeployment(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := store.CIContext{Commit: "0123abc", Branch: "main", RunURL: "https://github.com/acme/shop/actions/runs/42"}
	if d.Trigger != "ci" || d.CreatedBy != "token:github-actions" || d.Image != "registry.example.com/acme/shop:v2" ||
		d.ImageDigest != cliDigest || d.CI != want || d.Status != "pending" {
		t.Errorf("deployment row = %+v", d)
	}

	// Flags override the CI variables; a bad digest names the field.
	err = runDeploy(ctx, []string{"--app", "shop", "--env", "staging", "--image", "v3", "--digest", "sha256:nope", "--no-wait"}, f.getenv(nil), &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "field image_digest, HTTP 400") {
		t.Errorf("bad digest: %v", err)
	}
	// A paused environment refuses CI.
	f.env.Paused = true
	if err := f.s.UpdateEnvironment(ctx, f.env); err != nil {
		t.Fatal(err)
	}
	err = runDeploy(ctx, []string{"--app", "shop", "--env", "staging", "--image", "v3", "--no-wait"}, f.getenv(nil), &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "paused") || !strings.Contains(err.Error(), "HTTP 409") {
		t.Errorf("paused environment: %v", err)
	}
	// Another app is not the token's.
	err = runDeploy(ctx, []string{"--app", "billing", "--env", "staging", "--image", "v3", "--no-wait"}, f.getenv(nil), &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "HTTP 404") && !strings.Contains(err.Error(), "HTTP 403") {
		t.Errorf("another app: %v", err)
	}
	if err := runDeploy(ctx, []string{"--app", "shop", "--env", "staging"}, f.getenv(nil), &out, &errOut); err == nil {
		t.Error("deploy without --image succeeded")
	}
}

// TestCLIDeployFollows follows a deployment that a stand-in runner moves
// through its lifecycle, printing each state, and fails on a failed one.
func TestCLIDeployFollows(t *testing.T) {
	f := newDeployFixture(t)
	ctx := context.Background()
	// The stand-in runner: walks every pending deployment to the end;
	// image "v-bad" fails in verifying.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			ds, _ := f.s.ListDeployments(ctx, store.DeploymentFilter{Statuses: []string{"pending"}})
			for _, d := range ds {
				steps := [][2]string{{"pending", "rendering"}, {"rendering", "applying"}, {"applying", "verifying"}, {"verifying", "succeeded"}}
				for i, st := range steps {
					u := store.TransitionUpdate{Detail: "step " + st[1]}
					if i == len(steps)-1 {
						u.Finished = true
						if d.Image == "v-bad" {
							st[1], u.Error = "failed", "Deployment/shop-staging/web not ready"
						}
					}
					_ = f.s.TransitionDeployment(ctx, d.ID, st[0], st[1], u)
					time.Sleep(30 * time.Millisecond) // the CLI polls in between
				}
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	var out, errOut bytes.Buffer
	args := []string{"--app", "shop", "--env", "staging", "--image", "v2", "--interval", "10ms", "--timeout", "20s"}
	if err := runDeploy(ctx, args, f.getenv(nil), &out, &errOut); err != nil {
		t.Fatalf("follow a succeeding deployment: %v\n%s", err, out.String())
	}
	got := out.String()
	last := -1
	for _, state := range []string{"pending", "rendering", "applying", "verifying", "succeeded", "Deployment 1 succeeded in "} {
		i := strings.Index(got, state)
		if i <= last {
			t.Errorf("output lacks %q in order:\n%s", state, got)
		}
		last = i
	}
	if strings.Count(got, " rendering ") != 1 {
		t.Errorf("a state printed more than once:\n%s", got)
	}

	out.Reset()
	args[5] = "v-bad"
	err := runDeploy(ctx, args, f.getenv(nil), &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "deployment 2 failed") || !strings.Contains(err.Error(), "not ready") {
		t.Errorf("follow a failing deployment: %v\n%s", err, out.String())
	}
}
