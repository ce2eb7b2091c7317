package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/astrolift/astrolift/api"
	"github.com/astrolift/astrolift/internal/dnstest"
	"github.com/astrolift/astrolift/internal/secretbox"
	"github.com/astrolift/astrolift/internal/ssrf"
	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/scm/connect"
	"github.com/astrolift/astrolift/scm/git"
	"github.com/astrolift/astrolift/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// harness is an API on a fresh SQLite store with an organization, a team,
// a project owned by the team, and an app in it.
type harness struct {
	t       *testing.T
	s       *store.Store
	clock   *clock
	h       http.Handler
	org     *store.Organization
	team    *store.Team
	project *store.Project
	app     *store.App
	poller  *reconciler.Poller
	box     *secretbox.Box
	env     *store.Environment
	// identity is the platform's age identity the API seals secrets to.
	identity *age.X25519Identity
	dbPath   string // the SQLite file (tests search it for plaintext)
	// exec stands in for the cluster in command runs.
	exec *fakeExec
	// dns is the loopback DNS server custom domains are checked against.
	dns *dnstest.Server
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	dbPath := filepath.Join(t.TempDir(), "a.db")
	must(t, os.WriteFile(dbPath, migratedDB(t), 0o600))
	s, err := store.Open(ctx, dbPath, store.Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	h := &harness{t: t, s: s, clock: c, dbPath: dbPath, exec: &fakeExec{}}
	cache := &git.Cache{Dir: t.TempDir()}
	h.poller = &reconciler.Poller{Store: s, Cache: cache, Interval: time.Hour, Now: c.Now}
	box, err := secretbox.New(bytes.Repeat([]byte{4}, 32))
	must(t, err)
	h.box = box
	h.poller.Auth = reconcilerAuth(h)
	h.identity, err = age.GenerateX25519Identity()
	must(t, err)
	h.h = api.New(api.Options{Store: s, Logger: quiet(), Now: c.Now, Source: &reconciler.GitSource{Cache: cache}, Poller: h.poller, Secrets: box,
		SCM: connect.New, ExternalURL: "http://astrolift.test", Recipient: h.identity.Recipient(),
		// Webhook receivers in tests listen on loopback, allowed explicitly.
		Webhooks: h.webhookDispatcher(), WebhookPolicy: ssrf.Policy{AllowLoopback: true}, Exec: h.exec,
		Domains: h.domainChecker(), PlatformDomain: "apps.acme.test",
		UI: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("dashboard " + r.URL.Path)) })}).Handler()
	h.org = &store.Organization{Slug: "acme", Name: "Acme"}
	must(t, s.CreateOrganization(ctx, h.org))
	h.team = &store.Team{OrgID: h.org.ID, Slug: "payments", Name: "Payments"}
	must(t, s.CreateTeam(ctx, h.team))
	h.project = &store.Project{OrgID: h.org.ID, TeamID: h.team.ID, Slug: "checkout", Name: "Checkout"}
	must(t, s.CreateProject(ctx, h.project))
	h.app = &store.App{OrgID: h.org.ID, ProjectID: h.project.ID, Slug: "shop", Name: "Shop", SourceURL: sharedRepo(t)}
	must(t, s.CreateApp(ctx, h.app))
	must(t, s.SetSnapshot(ctx, h.app.ID, store.Snapshot{Raw: sharedManifest, Commit: "c0ffee", BlobID: "b10b"}, false))
	local := &store.Cluster{OrgID: h.org.ID, Name: "local", Kind: store.ClusterInCluster}
	must(t, s.CreateCluster(ctx, local))
	h.env = &store.Environment{AppID: h.app.ID, Name: "staging", Namespace: "shop-staging", ClusterID: local.ID}
	must(t, s.CreateEnvironment(ctx, h.env))
	return h
}

// migratedDB is an empty SQLite database with every migration applied,
// built once: each harness starts from a copy instead of migrating anew
// (the RBAC matrix builds more than a thousand harnesses).
var migratedDB = func() func(t *testing.T) []byte {
	var (
		once sync.Once
		data []byte
		err  error
	)
	return func(t *testing.T) []byte {
		once.Do(func() {
			dir, derr := os.MkdirTemp("", "astrolift-api-db-")
			if derr != nil {
				err = derr
				return
			}
			defer func() { _ = os.RemoveAll(dir) }()
			path := filepath.Join(dir, "template.db")
			s, oerr := store.Open(context.Background(), path, store.Options{})
			if oerr != nil {
				err = oerr
				return
			}
			if err = s.Close(); err != nil {
				return
			}
			data, err = os.ReadFile(path)
		})
		must(t, err)
		return data
	}
}()

// testPasswordHash is the argon2id hash of "correct horse battery",
// computed once: hashing costs 19 MiB and tens of milliseconds (far more
// under -race), and the RBAC matrix creates a user per subtest.
var testPasswordHash = func() func(t *testing.T) string {
	var (
		once sync.Once
		hash string
		err  error
	)
	return func(t *testing.T) string {
		once.Do(func() { hash, err = api.HashPassword("correct horse battery") })
		must(t, err)
		return hash
	}
}()

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// user creates a user with a password and, if role != "", one binding at
// the scope the role's level names (the harness's team or app), and
// returns an API token for them.
func (h *harness) user(email, role string) string {
	h.t.Helper()
	ctx := context.Background()
	u := &store.User{OrgID: h.org.ID, Email: email, Name: email, PasswordHash: testPasswordHash(h.t)}
	must(h.t, h.s.CreateUser(ctx, u))
	if role != "" {
		b := &store.RoleBinding{OrgID: h.org.ID, UserID: u.ID, Role: role}
		switch role[:3] {
		case "org":
			b.ScopeLevel, b.ScopeID = store.ScopeOrg, h.org.ID
		case "tea":
			b.ScopeLevel, b.ScopeID = store.ScopeTeam, h.team.ID
		case "app":
			b.ScopeLevel, b.ScopeID = store.ScopeApp, h.app.ID
		}
		must(h.t, h.s.CreateRoleBinding(ctx, b))
	}
	tok, _, err := api.IssueAPIToken(ctx, h.s, u.ID, "test", nil)
	must(h.t, err)
	return tok
}

type request struct {
	method, path string
	body         any
	token        string
	cookies      []*http.Cookie
	headers      map[string]string
	remote       string
	timeout      time.Duration // for streams: cancel the request after this
}

type response struct {
	*httptest.ResponseRecorder
	body []byte
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r response) errorCode() (code, field string) {
	var e api.ErrorBody
	_ = json.Unmarshal(r.body, &e)
	return e.Error.Code, e.Error.Field
}

func (h *harness) do(req request) response {
	h.t.Helper()
	var body io.Reader
	switch b := req.body.(type) {
	case nil:
	case string:
		body = bytes.NewBufferString(b)
	default:
		raw, err := json.Marshal(b)
		must(h.t, err)
		body = bytes.NewReader(raw)
	}
	r := httptest.NewRequest(req.method, req.path, body)
	if req.timeout > 0 {
		ctx, cancel := context.WithTimeout(r.Context(), req.timeout)
		defer cancel()
		r = r.WithContext(ctx)
	}
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if req.token != "" {
		r.Header.Set("Authorization", "Bearer "+req.token)
	}
	for _, c := range req.cookies {
		r.AddCookie(c)
	}
	for k, v := range req.headers {
		r.Header.Set(k, v)
	}
	if req.remote != "" {
		r.RemoteAddr = req.remote
	}
	rec := httptest.NewRecorder()
	h.h.ServeHTTP(rec, r)
	out, _ := io.ReadAll(rec.Body)
	return response{rec, out}
}

func storeSnapshot(raw string) store.Snapshot {
	return store.Snapshot{Raw: raw, Commit: "abc123", BlobID: "blob1"}
}

func (h *harness) event(kind string) {
	h.t.Helper()
	must(h.t, h.s.AppendEvent(context.Background(), &store.Event{OrgID: h.org.ID, AppID: h.app.ID, Kind: kind, Message: kind}))
}

// sharedRepo is one real bare repository (branch main, astrolift.toml with
// one workload) created once per test process and served over file://.
var (
	sharedRepoOnce sync.Once
	sharedRepoURL  string
	sharedRepoErr  error
)

const sharedManifest = "schema = 1\n[workloads.web]\npublic = true\n[[workloads.web.containers]]\nimage = \"nginx:1.27\"\nport = 80\n"

func sharedRepo(t *testing.T) string {
	t.Helper()
	sharedRepoOnce.Do(func() {
		dir, err := os.MkdirTemp("", "astrolift-api-test-repo-")
		if err != nil {
			sharedRepoErr = err
			return
		}
		work := filepath.Join(dir, "work")
		steps := [][]string{{"init", "-q", "-b", "main", work}}
		for _, st := range steps {
			if out, err := gitRun(dir, st...); err != nil {
				sharedRepoErr = fmt.Errorf("git %v: %w: %s", st, err, out)
				return
			}
		}
		if err := os.WriteFile(filepath.Join(work, "astrolift.toml"), []byte(sharedManifest), 0o644); err != nil {
			sharedRepoErr = err
			return
		}
		for _, st := range [][]string{{"add", "."}, {"commit", "-q", "-m", "manifest"}} {
			if out, err := gitRun(work, st...); err != nil {
				sharedRepoErr = fmt.Errorf("git %v: %w: %s", st, err, out)
				return
			}
		}
		if out, err := gitRun(dir, "clone", "-q", "--bare", work, filepath.Join(dir, "repo.git")); err != nil {
			sharedRepoErr = fmt.Errorf("git clone: %w: %s", err, out)
			return
		}
		sharedRepoURL = "file://" + filepath.Join(dir, "repo.git")
	})
	if sharedRepoErr != nil {
		t.Fatal(sharedRepoErr)
	}
	return sharedRepoURL
}

func gitRun(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	return cmd.CombinedOutput()
}

// reconcilerAuth gives the harness's poller the connections' credentials,
// opened with the harness's master key.
func reconcilerAuth(h *harness) func(ctx context.Context, app *store.App) (transport.AuthMethod, error) {
	return reconciler.ConnectionAuth(h.s, h.box)
}
