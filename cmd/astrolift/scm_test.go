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
func TestGiteaPushToRepoEndToEnd(t *testing.T) {
	ctx := context.Background()
	env, err := testenv.Start(ctx, testenv.Options{Controllers: true})
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
	manifest := "schema = 1\n[workloads.web]\npublic = true\n[[workloads.web.containers]]\nimage = \"nginx:1.27\"\nport = 80\n"
	gitea.CreateRepo(t, "acme", "storefront", map[string]string{"astrolift.toml": manifest})

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
	server := "http://" + addr
	cmd := exec.Command(bin, "serve", "--data-dir", dataDir, "--listen", addr, "--external-url", server,
		"--poll-interval", "10m", "--log-level", "warn")
	cmd.Env = append(os.Environ(), secretbox.KeyEnv+"="+base64.StdEncoding.EncodeToString(key))
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	mustOK(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("serve output:\n%s\ngitea log:\n%s", logs.String(), gitea.Log())
		}
	})

	call := func(method, path string, body any, out any) int {
		t.Helper()
		var r io.Reader
		if body != nil {
			raw, _ := json.Marshal(body)
			r = bytes.NewReader(raw)
		}
		req, _ := http.NewRequest(method, server+path, r)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		defer func() { _ = resp.Body.Close() }()
		data, _ := io.ReadAll(resp.Body)
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
	waitFor := func(what string, limit time.Duration, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(limit)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not after %s", what, limit)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	waitFor("astrolift serve answers", time.Minute, func() bool {
		resp, err := http.Get(server + "/healthz")
		if err == nil {
			_ = resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})

	// Connect Gitea and pick the repository.
	var conn struct {
		ID       int64  `json:"id"`
		Account  string `json:"account"`
		CanWrite bool   `json:"can_write"`
	}
	if code := call("POST", "/api/v1/scm-connections", map[string]any{"kind": "gitea", "name": "gitea", "base_url": gitea.URL, "token": gitea.Token}, &conn); code != 201 || !conn.CanWrite {
		t.Fatalf("create connection: %d %+v", code, conn)
	}
	var repos struct {
		Items []struct {
			FullName string `json:"full_name"`
		} `json:"items"`
	}
	call("GET", fmt.Sprintf("/api/v1/scm-connections/%d/repos?q=store", conn.ID), nil, &repos)
	if len(repos.Items) != 1 || repos.Items[0].FullName != "acme/storefront" {
		t.Fatalf("repos = %+v", repos)
	}
	var app struct {
		Slug       string `json:"slug"`
		SCMWebhook bool   `json:"scm_webhook"`
	}
	if code := call("POST", "/api/v1/apps", map[string]any{"project": "web", "name": "Storefront", "scm_connection": "gitea",
		"scm_repo": "acme/storefront"}, &app); code != 201 || !app.SCMWebhook {
		t.Fatalf("register: %d %+v", code, app)
	}
	ns := fmt.Sprintf("storefront-e2e-%d", time.Now().UnixNano()%1e6)
	if code := call("POST", "/api/v1/apps/storefront/environments", map[string]any{"name": "production", "namespace": ns}, nil); code != 201 {
		t.Fatalf("add environment: %d", code)
	}
	if code := call("POST", "/api/v1/apps/storefront/config/sync", nil, nil); code != 200 {
		t.Fatalf("sync: %d", code)
	}
	cs, err := kubernetes.NewForConfig(env.Config)
	mustOK(t, err)
	image := func() string {
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, "storefront-web", metav1.GetOptions{})
		if err != nil {
			return ""
		}
		return d.Spec.Template.Spec.Containers[0].Image
	}
	deployed := func(img string) func() bool {
		return func() bool {
			var list struct {
				Items []struct {
					Status string `json:"status"`
				} `json:"items"`
			}
			call("GET", "/api/v1/deployments?app=storefront", nil, &list)
			return len(list.Items) > 0 && list.Items[0].Status == "succeeded" && image() == img
		}
	}
	if code := call("POST", "/api/v1/apps/storefront/deploy", map[string]any{"environment": "production"}, nil); code != 201 && code != 200 {
		t.Fatalf("first deploy: %d", code)
	}
	waitFor("the first deployment", 3*time.Minute, deployed("nginx:1.27"))

	// The dashboard edit becomes a pull request on Gitea.
	draft := strings.Replace(manifest, "nginx:1.27", "nginx:1.28", 1)
	if code := call("PUT", "/api/v1/apps/storefront/config/draft", map[string]any{"source": draft}, nil); code != 200 {
		t.Fatalf("save draft: %d", code)
	}
	var pushed struct {
		PullRequest struct {
			Number int64  `json:"number"`
			URL    string `json:"url"`
		} `json:"pull_request"`
	}
	if code := call("POST", "/api/v1/apps/storefront/config/push", nil, &pushed); code != 200 {
		t.Fatalf("push: %d", code)
	}
	pr, _, err := gitea.Client(t).GetPullRequest("acme", "storefront", pushed.PullRequest.Number)
	mustOK(t, err)
	if !strings.Contains(pr.Body, "+        image: nginx:1.28") || !strings.Contains(pr.Body, "**production** (namespace `"+ns+"`)") {
		t.Fatalf("the pull request does not show the rendered diff:\n%s", pr.Body)
	}

	// A reviewer merges it on Gitea; the webhook brings it back.
	gitea.MergePR(t, "acme/storefront", pushed.PullRequest.Number)
	var cfg struct {
		SyncState string `json:"sync_state"`
		Draft     any    `json:"draft"`
	}
	waitFor("the app back in sync", time.Minute, func() bool {
		call("GET", "/api/v1/apps/storefront/config", nil, &cfg)
		return cfg.SyncState == "in_sync" && cfg.Draft == nil
	})
	waitFor("the merged manifest deployed", 3*time.Minute, deployed("nginx:1.28"))
	var events struct {
		Items []struct {
			Kind string `json:"kind"`
		} `json:"items"`
	}
	call("GET", "/api/v1/apps/storefront/events?limit=100", nil, &events)
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
