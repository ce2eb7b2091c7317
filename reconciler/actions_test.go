package reconciler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/astrolift/astrolift/api"
	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/store"
)

// TestDeploymentActions drives approve, rollback, promote, redeploy and
// abort through the API, with the runner deploying to the local control
// plane.
func TestDeploymentActions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	team := &store.Team{OrgID: f.org.ID, Slug: "t", Name: "T"}
	must(t, f.s.CreateTeam(ctx, team))
	proj := &store.Project{OrgID: f.org.ID, TeamID: team.ID, Slug: "tp", Name: "TP"}
	must(t, f.s.CreateProject(ctx, proj))
	a := &store.App{OrgID: f.org.ID, ProjectID: proj.ID, Slug: "act", Name: "Act", SourceURL: "https://x/y.git"}
	must(t, f.s.CreateApp(ctx, a))
	must(t, f.s.SetSnapshot(ctx, a.ID, store.Snapshot{Raw: twoWorkloads, Commit: "c1", BlobID: "b1"}, false))
	cluster := &store.Cluster{OrgID: f.org.ID, Name: "local", Kind: store.ClusterInCluster}
	must(t, f.s.CreateCluster(ctx, cluster))
	suffix := rand.IntN(1e6)
	staging := &store.Environment{AppID: a.ID, Name: "staging", Namespace: fmt.Sprintf("act-s-%d", suffix), ClusterID: cluster.ID}
	prod := &store.Environment{AppID: a.ID, Name: "production", Namespace: fmt.Sprintf("act-p-%d", suffix), ClusterID: cluster.ID, RequiredApprovals: 1}
	must(t, f.s.CreateEnvironment(ctx, staging))
	must(t, f.s.CreateEnvironment(ctx, prod))

	token := func(email, role string) string {
		u := &store.User{OrgID: f.org.ID, Email: email, Name: email}
		must(t, f.s.CreateUser(ctx, u))
		must(t, f.s.CreateRoleBinding(ctx, &store.RoleBinding{OrgID: f.org.ID, UserID: u.ID, Role: role, ScopeLevel: store.ScopeTeam, ScopeID: team.ID}))
		tok, _, err := api.IssueAPIToken(ctx, f.s, u.ID, "t", nil)
		must(t, err)
		return tok
	}
	dev := token("dev@acme.test", "team.member")       // deploys, cannot approve
	lead := token("lead@acme.test", "team.maintainer") // approves

	runner := &reconciler.DeployRunner{Deployer: &reconciler.Deployer{Store: f.s, Cluster: localCluster(t)}, Store: f.s, Holder: "r", Interval: 50 * time.Millisecond}
	srv := httptest.NewServer(api.New(api.Options{Store: f.s, Logger: slog.New(slog.DiscardHandler), Deployments: runner}).Handler())
	t.Cleanup(srv.Close)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = runner.Run(runCtx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	call := func(tok, method, path string, body any) (int, map[string]any) {
		t.Helper()
		var r io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, srv.URL+path, r)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = res.Body.Close() }()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	deploy := func(env, image string) int64 {
		t.Helper()
		code, out := call(dev, http.MethodPost, "/api/v1/apps/act/deploy", map[string]string{"environment": env, "image": image})
		if code != http.StatusCreated {
			t.Fatalf("deploy: %d %v", code, out)
		}
		return int64(out["id"].(float64))
	}
	status := func(id int64) string {
		d, err := f.s.GetDeployment(ctx, id)
		must(t, err)
		return d.Status
	}
	waitStatus := func(id int64, want string) {
		t.Helper()
		waitFor(t, func() bool { return status(id) == want })
	}
	image := func(ns string) string {
		t.Helper()
		d, err := env.Clientset.AppsV1().Deployments(ns).Get(ctx, "act-web", metav1.GetOptions{})
		must(t, err)
		return d.Spec.Template.Spec.Containers[0].Image
	}

	// Staging: v1, then v2, then roll back to v1.
	v1 := deploy("staging", "v1")
	waitStatus(v1, "succeeded")
	v2 := deploy("staging", "v2")
	waitStatus(v2, "succeeded")
	code, out := call(dev, http.MethodPost, fmt.Sprintf("/api/v1/deployments/%d/rollback", v2), nil)
	if code != http.StatusOK || out["trigger"] != "rollback" {
		t.Fatalf("rollback: %d %v", code, out)
	}
	rb := int64(out["id"].(float64))
	waitStatus(rb, "succeeded")
	if got := image(staging.Namespace); got != "registry.example.com/acme/shop:v1" {
		t.Errorf("after rollback staging runs %s", got)
	}
	// It re-applied v1's stored objects, not a new rendering.
	rbDep, _ := f.s.GetDeployment(ctx, rb)
	v1Dep, _ := f.s.GetDeployment(ctx, v1)
	if rbDep.Rendered != v1Dep.Rendered {
		t.Error("the rollback's objects differ from the ones v1 applied")
	}
	if ts, _ := f.s.ListTransitions(ctx, rb); len(ts) < 3 || !strings.Contains(ts[2].Detail, fmt.Sprintf("objects of deployment %d", v1)) {
		t.Errorf("rollback lifecycle %+v", ts)
	}
	// Redeploy v2 as it was.
	code, out = call(dev, http.MethodPost, fmt.Sprintf("/api/v1/deployments/%d/redeploy", v2), nil)
	if code != http.StatusOK {
		t.Fatalf("redeploy: %d %v", code, out)
	}
	waitStatus(int64(out["id"].(float64)), "succeeded")
	if got := image(staging.Namespace); got != "registry.example.com/acme/shop:v2" {
		t.Errorf("after redeploy staging runs %s", got)
	}

	// Promote v2 to production: it waits for one approval, not the requester's.
	code, out = call(dev, http.MethodPost, fmt.Sprintf("/api/v1/deployments/%d/promote", v2), map[string]string{"environment": "production"})
	if code != http.StatusOK || out["trigger"] != "promotion" {
		t.Fatalf("promote: %d %v", code, out)
	}
	promo := int64(out["id"].(float64))
	waitStatus(promo, "awaiting_approval")
	if code, _ := call(dev, http.MethodPost, fmt.Sprintf("/api/v1/deployments/%d/approve", promo), nil); code != http.StatusForbidden {
		t.Errorf("a team member approving: %d, want 403", code)
	}
	if code, out := call(lead, http.MethodPost, fmt.Sprintf("/api/v1/deployments/%d/approve", promo), nil); code != http.StatusOK {
		t.Fatalf("approve: %d %v", code, out)
	}
	waitStatus(promo, "succeeded")
	if got := image(prod.Namespace); got != "registry.example.com/acme/shop:v2" {
		t.Errorf("production runs %s", got)
	}

	// Abort a deployment waiting for approval: it ends, nothing is applied.
	gated := deploy("production", "v3")
	waitStatus(gated, "awaiting_approval")
	if code, out := call(dev, http.MethodPost, fmt.Sprintf("/api/v1/deployments/%d/abort", gated), nil); code != http.StatusOK || out["status"] != "aborted" {
		t.Fatalf("abort: %d %v", code, out)
	}
	time.Sleep(200 * time.Millisecond) // give the runner a few scans
	if got := status(gated); got != "aborted" {
		t.Errorf("aborted deployment is %s", got)
	}
	if got := image(prod.Namespace); got != "registry.example.com/acme/shop:v2" {
		t.Errorf("production runs %s after an aborted deployment", got)
	}
}
