package main_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/astrolift/astrolift/api"
	"github.com/astrolift/astrolift/internal/giteatest"
	"github.com/astrolift/astrolift/internal/secretbox"
	"github.com/astrolift/astrolift/internal/testenv"
	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/store"
)

// TestGiteaPushToRepoEndToEnd is the dashboard-to-PR loop against real
// parts: a Gitea server, a local control plane and `astrolift serve`,
// driven through the JSON API as a user would. Connect Gitea, pick the
// repository, register the app (its push webhook lands on Gitea), deploy
// it, edit the manifest as a draft, push it to the repository as a pull
// request, merge the pull request on Gitea: Gitea's webhook makes
// Astrolift see the merge (the poll interval is 10 minutes), the draft
// clears, the app is in sync and the new image is deployed.
// e2e is a running `astrolift serve` (master key set, poll interval 10
// minutes, its own address as external URL) with a local control plane
// and a Gitea server, and an org.owner's API token; call records every
// answer.
type e2e struct {
	t       *testing.T
	env     *testenv.Env
	gitea   *giteatest.Server
	s       *store.Store
	dataDir string
	server  string
	token   string
	logs    *lockedBuilder
	answers []string
}

func startE2E(t *testing.T) *e2e {
	ctx := context.Background()
	env, err := testenv.Start(ctx, testenv.Options{Controllers: true, Exec: true})
	if err != nil {
		t.Fatal(err) // never skip: the binaries are part of `make test`
	}
	t.Cleanup(func() { _ = env.Stop() })
	gctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	gitea, err := giteatest.Start(gctx)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gitea.Stop() })

	bin := filepath.Join(t.TempDir(), "astrolift")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dataDir := t.TempDir()
	key := bytes.Repeat([]byte{9}, 32)
	box, err := secretbox.New(key)
	mustOK(t, err)
	s, err := store.Open(ctx, filepath.Join(dataDir, "astrolift.db"), store.Options{})
	mustOK(t, err)
	t.Cleanup(func() { _ = s.Close() })
	org := &store.Organization{Slug: "acme", Name: "Acme"}
	mustOK(t, s.CreateOrganization(ctx, org))
	proj := &store.Project{OrgID: org.ID, Slug: "web", Name: "Web"}
	mustOK(t, s.CreateProject(ctx, proj))
	mustOK(t, s.CreateCluster(ctx, &store.Cluster{OrgID: org.ID, Name: "local", Kind: store.ClusterKubeconfig,
		KubeconfigSealed: box.Seal(reconciler.PurposeKubeconfig, env.Kubeconfig)}))
	u := &store.User{OrgID: org.ID, Email: "ada@acme.test", Name: "Ada"}
	mustOK(t, s.CreateUser(ctx, u))
	mustOK(t, s.CreateRoleBinding(ctx, &store.RoleBinding{OrgID: org.ID, UserID: u.ID, Role: "org.owner", ScopeLevel: store.ScopeOrg, ScopeID: org.ID}))
	token, _, err := api.IssueAPIToken(ctx, s, u.ID, "e2e", nil)
	mustOK(t, err)

	addr := freeAddr(t)
	x := &e2e{t: t, env: env, gitea: gitea, s: s, dataDir: dataDir, server: "http://" + addr, token: token, logs: &lockedBuilder{}}
	cmd := exec.Command(bin, "serve", "--data-dir", dataDir, "--listen", addr, "--external-url", x.server,
		"--poll-interval", "10m", "--log-level", "debug")
	cmd.Env = append(os.Environ(), secretbox.KeyEnv+"="+base64.StdEncoding.EncodeToString(key))
	cmd.Stdout, cmd.Stderr = x.logs, x.logs
	mustOK(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("serve output:\n%s\ngitea log:\n%s", x.logs.String(), gitea.Log())
		}
	})
	x.waitFor("astrolift serve answers", time.Minute, func() bool {
		resp, err := http.Get(x.server + "/healthz")
		if err == nil {
			_ = resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})
	return x
}

// call sends a JSON (or, for a string, raw) body with the token and
// decodes a 2xx answer into out; it returns the status.
func (x *e2e) call(method, path string, body any, out any) int {
	t := x.t
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		r = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, x.server+path, r)
	req.Header.Set("Authorization", "Bearer "+x.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer func() { _ = resp.Body.Close() }()
	data, _ := io.ReadAll(resp.Body)
	x.answers = append(x.answers, string(data))
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
	if resp.StatusCode >= 300 {
		t.Logf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	return resp.StatusCode
}

func (x *e2e) waitFor(what string, limit time.Duration, ok func() bool) {
	x.t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			x.t.Fatalf("%s: not after %s", what, limit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// registerApp connects Gitea (once), registers acme/<repo> as an app with
// a production environment in its own namespace, and syncs it.
func (x *e2e) registerApp(repo string) (ns string) {
	t := x.t
	t.Helper()
	var conns struct {
		Items []json.RawMessage `json:"items"`
	}
	x.call("GET", "/api/v1/scm-connections", nil, &conns)
	if len(conns.Items) == 0 {
		var conn struct {
			CanWrite bool `json:"can_write"`
		}
		if code := x.call("POST", "/api/v1/scm-connections", map[string]any{"kind": "gitea", "name": "gitea", "base_url": x.gitea.URL, "token": x.gitea.Token}, &conn); code != 201 || !conn.CanWrite {
			t.Fatalf("create connection: %d %+v", code, conn)
		}
	}
	var app struct {
		Slug       string `json:"slug"`
		SCMWebhook bool   `json:"scm_webhook"`
	}
	if code := x.call("POST", "/api/v1/apps", map[string]any{"project": "web", "name": repo, "scm_connection": "gitea",
		"scm_repo": "acme/" + repo}, &app); code != 201 || !app.SCMWebhook || app.Slug != repo {
		t.Fatalf("register: %d %+v", code, app)
	}
	ns = fmt.Sprintf("%s-e2e-%d", repo, time.Now().UnixNano()%1e6)
	if code := x.call("POST", "/api/v1/apps/"+repo+"/environments", map[string]any{"name": "production", "namespace": ns}, nil); code != 201 {
		t.Fatalf("add environment: %d", code)
	}
	if code := x.call("POST", "/api/v1/apps/"+repo+"/config/sync", nil, nil); code != 200 {
		t.Fatalf("sync: %d", code)
	}
	return ns
}

// deployed reports whether the app's newest deployment succeeded.
func (x *e2e) deployed(app string, n int) func() bool {
	return func() bool {
		var list struct {
			Items []struct {
				Status string `json:"status"`
			} `json:"items"`
		}
		x.call("GET", "/api/v1/deployments?app="+app, nil, &list)
		return len(list.Items) >= n && list.Items[0].Status == "succeeded"
	}
}

// pushAndMerge pushes the app's draft to Gitea as a pull request, merges
// it there, and waits until the webhook brought the app back in sync.
func (x *e2e) pushAndMerge(app string) (prBody string) {
	t := x.t
	t.Helper()
	var pushed struct {
		PullRequest struct {
			Number int64 `json:"number"`
		} `json:"pull_request"`
	}
	if code := x.call("POST", "/api/v1/apps/"+app+"/config/push", nil, &pushed); code != 200 {
		t.Fatalf("push: %d", code)
	}
	pr, _, err := x.gitea.Client(t).GetPullRequest("acme", app, pushed.PullRequest.Number)
	mustOK(t, err)
	x.gitea.MergePR(t, "acme/"+app, pushed.PullRequest.Number)
	var cfg struct {
		SyncState string `json:"sync_state"`
		Draft     any    `json:"draft"`
	}
	x.waitFor("the app back in sync", time.Minute, func() bool {
		x.call("GET", "/api/v1/apps/"+app+"/config", nil, &cfg)
		return cfg.SyncState == "in_sync" && cfg.Draft == nil
	})
	return pr.Body
}

func TestGiteaPushToRepoEndToEnd(t *testing.T) {
	ctx := context.Background()
	x := startE2E(t)
	manifest := "schema = 1\n[workloads.web]\npublic = true\n[[workloads.web.containers]]\nimage = \"nginx:1.27\"\nport = 80\n"
	x.gitea.CreateRepo(t, "acme", "storefront", map[string]string{"astrolift.toml": manifest})
	var repos struct {
		Items []struct {
			FullName string `json:"full_name"`
		} `json:"items"`
	}
	x.registerApp("storefront")
	x.call("GET", "/api/v1/scm-connections/1/repos?q=store", nil, &repos)
	if len(repos.Items) != 1 || repos.Items[0].FullName != "acme/storefront" {
		t.Fatalf("repos = %+v", repos)
	}
	ns := ""
	var envs struct {
		Items []struct {
			Namespace string `json:"namespace"`
		} `json:"items"`
	}
	x.call("GET", "/api/v1/apps/storefront/environments", nil, &envs)
	if len(envs.Items) == 1 {
		ns = envs.Items[0].Namespace
	}
	cs, err := kubernetes.NewForConfig(x.env.Config)
	mustOK(t, err)
	image := func() string {
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, "storefront-web", metav1.GetOptions{})
		if err != nil {
			return ""
		}
		return d.Spec.Template.Spec.Containers[0].Image
	}
	if code := x.call("POST", "/api/v1/apps/storefront/deploy", map[string]any{"environment": "production"}, nil); code != 201 && code != 200 {
		t.Fatalf("first deploy: %d", code)
	}
	x.waitFor("the first deployment", 3*time.Minute, func() bool { return x.deployed("storefront", 1)() && image() == "nginx:1.27" })

	// The dashboard edit becomes a pull request on Gitea; a reviewer
	// merges it there and the webhook brings it back.
	draft := strings.Replace(manifest, "nginx:1.27", "nginx:1.28", 1)
	if code := x.call("PUT", "/api/v1/apps/storefront/config/draft", map[string]any{"source": draft}, nil); code != 200 {
		t.Fatalf("save draft: %d", code)
	}
	body := x.pushAndMerge("storefront")
	if !strings.Contains(body, "+        image: nginx:1.28") || !strings.Contains(body, "**production** (namespace `"+ns+"`)") {
		t.Fatalf("the pull request does not show the rendered diff:\n%s", body)
	}
	x.waitFor("the merged manifest deployed", 3*time.Minute, func() bool { return x.deployed("storefront", 2)() && image() == "nginx:1.28" })
	var events struct {
		Items []struct {
			Kind string `json:"kind"`
		} `json:"items"`
	}
	x.call("GET", "/api/v1/apps/storefront/events?limit=100", nil, &events)
	kinds := map[string]bool{}
	for _, e := range events.Items {
		kinds[e.Kind] = true
	}
	for _, k := range []string{"webhook.registered", "config.pushed", "config.draft_landed", "repo.new_head"} {
		if !kinds[k] {
			t.Errorf("no %s event; got %v", k, kinds)
		}
	}
}
