package reconciler_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/store"
)

const twoWorkloads = `schema = 1
[build]
image = "registry.example.com/acme/shop"
[workloads.web]
replicas = 2
public = true
  [[workloads.web.containers]]
  port = 8080
  healthcheck = { http_path = "/healthz" }
[workloads.worker]
  [[workloads.worker.containers]]
  command = ["bin/worker"]
`

func localCluster(t *testing.T) func(context.Context, *store.Environment) (*reconciler.ClusterClient, error) {
	t.Helper()
	return localClusterB(t)
}

func localClusterB(t testing.TB) func(context.Context, *store.Environment) (*reconciler.ClusterClient, error) {
	t.Helper()
	cfg := rest.CopyConfig(env.Config)
	cfg.QPS, cfg.Burst = 200, 400
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cc := &reconciler.ClusterClient{Client: c, Poller: reconciler.NewStatusPoller(c), Config: cfg}
	return func(context.Context, *store.Environment) (*reconciler.ClusterClient, error) { return cc, nil }
}

func transitions(t *testing.T, s *store.Store, id int64) string {
	t.Helper()
	ts, err := s.ListTransitions(context.Background(), id)
	must(t, err)
	var out []string
	for _, tr := range ts {
		out = append(out, tr.To)
	}
	return strings.Join(out, " ")
}

// A pending deployment walks every state to succeeded on the local control
// plane; the next one, without a workload, prunes it.
func TestDeployAndPrune(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, e := f.appEnv("shop", "staging")
	ns := e.Namespace
	d := &reconciler.Deployer{Store: f.s, Cluster: localCluster(t)}

	dep := &store.Deployment{AppID: a.ID, EnvironmentID: e.ID, Trigger: "manual", Status: "pending", Image: "v1", ManifestRaw: twoWorkloads}
	must(t, f.s.CreateDeployment(ctx, dep, "test"))
	if err := d.Run(ctx, dep.ID); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	got, _ := f.s.GetDeployment(ctx, dep.ID)
	if got.Status != "succeeded" || got.FinishedAt == nil || !strings.Contains(got.Rendered, "kind: Deployment") {
		t.Fatalf("deployment %+v", got)
	}
	if tr := transitions(t, f.s, dep.ID); tr != "pending rendering applying verifying succeeded" {
		t.Errorf("lifecycle %q", tr)
	}
	// Every step is an event too (the live stream carries them).
	evs, _ := f.s.ListEvents(ctx, store.EventFilter{AppID: a.ID, AfterID: -1})
	var kinds []string
	for _, e := range evs {
		if e.DeploymentID == dep.ID {
			kinds = append(kinds, e.Kind)
		}
	}
	if strings.Join(kinds, " ") != "deployment.rendering deployment.applying deployment.verifying deployment.succeeded" {
		t.Errorf("events %v", kinds)
	}
	web, err := env.Clientset.AppsV1().Deployments(ns).Get(ctx, "shop-web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if web.Status.AvailableReplicas != 2 || web.Spec.Template.Spec.Containers[0].Image != "registry.example.com/acme/shop:v1" {
		t.Errorf("web: available %d, image %s", web.Status.AvailableReplicas, web.Spec.Template.Spec.Containers[0].Image)
	}
	if web.Labels["astrolift.dev/app"] != "shop" {
		t.Errorf("labels %v", web.Labels)
	}

	// Drop the worker: it is pruned.
	without := strings.Split(twoWorkloads, "[workloads.worker]")[0]
	dep2 := &store.Deployment{AppID: a.ID, EnvironmentID: e.ID, Trigger: "push", Status: "pending", Image: "v2", ManifestRaw: without}
	must(t, f.s.CreateDeployment(ctx, dep2, "test"))
	if err := d.Run(ctx, dep2.ID); err != nil {
		t.Fatalf("second deploy: %v", err)
	}
	if _, err := env.Clientset.AppsV1().Deployments(ns).Get(ctx, "shop-worker", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("worker not pruned: %v", err)
	}
	ts, _ := f.s.ListTransitions(ctx, dep2.ID)
	found := false
	for _, tr := range ts {
		found = found || strings.Contains(tr.Detail, "pruned Deployment/shop-worker")
	}
	if !found {
		t.Errorf("no transition mentions the pruned worker: %+v", ts)
	}
	web, _ = env.Clientset.AppsV1().Deployments(ns).Get(ctx, "shop-web", metav1.GetOptions{})
	if web.Spec.Template.Spec.Containers[0].Image != "registry.example.com/acme/shop:v2" {
		t.Errorf("web image %s after the second deploy", web.Spec.Template.Spec.Containers[0].Image)
	}
}

// Render problems fail the deployment in rendering with the reason; an
// approval requirement stops it in awaiting_approval.
func TestDeployFailuresAndApprovalGate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, e := f.appEnv("api", "staging")
	d := &reconciler.Deployer{Store: f.s, Cluster: localCluster(t)}

	bad := &store.Deployment{AppID: a.ID, EnvironmentID: e.ID, Trigger: "manual", Status: "pending", ManifestRaw: "schema = 1\n[workloads.web]\nreplica = 1\n"}
	must(t, f.s.CreateDeployment(ctx, bad, "test"))
	if err := d.Run(ctx, bad.ID); err == nil {
		t.Fatal("an invalid manifest deployed")
	}
	got, _ := f.s.GetDeployment(ctx, bad.ID)
	if got.Status != "failed" || !strings.Contains(got.Error, `unknown key "replica"`) {
		t.Errorf("invalid manifest: %s %q", got.Status, got.Error)
	}
	if tr := transitions(t, f.s, bad.ID); tr != "pending rendering failed" {
		t.Errorf("lifecycle %q", tr)
	}

	prod := &store.Environment{AppID: a.ID, Name: "production", Namespace: fmt.Sprintf("api-prod-%d", rand.IntN(1e6)), RequiredApprovals: 1}
	must(t, f.s.CreateEnvironment(ctx, prod))
	gated := &store.Deployment{AppID: a.ID, EnvironmentID: prod.ID, Trigger: "manual", Status: "pending", ManifestRaw: manifest}
	must(t, f.s.CreateDeployment(ctx, gated, "test"))
	must(t, d.Run(ctx, gated.ID))
	if got, _ := f.s.GetDeployment(ctx, gated.ID); got.Status != "awaiting_approval" {
		t.Errorf("gated deployment is %s", got.Status)
	}
}

// The runner keeps one deployment in flight per environment, runs the
// queue oldest first, resumes a deployment whose replica vanished, and
// fails one that was resumed MaxResumes times already.
func TestDeployRunnerQueueAndInterrupted(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := &store.App{OrgID: f.org.ID, ProjectID: f.proj.ID, Slug: "queue", Name: "Queue", SourceURL: "https://x/y.git"}
	must(t, f.s.CreateApp(ctx, a))
	e1 := &store.Environment{AppID: a.ID, Name: "staging", Namespace: fmt.Sprintf("queue-s-%d", rand.IntN(1e6))}
	e2 := &store.Environment{AppID: a.ID, Name: "production", Namespace: fmt.Sprintf("queue-p-%d", rand.IntN(1e6))}
	must(t, f.s.CreateEnvironment(ctx, e1))
	must(t, f.s.CreateEnvironment(ctx, e2))

	// A deployment left in applying by a replica that is gone (no lease).
	orphan := &store.Deployment{AppID: a.ID, EnvironmentID: e1.ID, Trigger: "manual", Status: "pending", ManifestRaw: manifest}
	must(t, f.s.CreateDeployment(ctx, orphan, "test"))
	must(t, f.s.TransitionDeployment(ctx, orphan.ID, "pending", "rendering", store.TransitionUpdate{}))
	must(t, f.s.TransitionDeployment(ctx, orphan.ID, "rendering", "applying", store.TransitionUpdate{}))
	// One in production that already stopped two replicas in verifying.
	poison := &store.Deployment{AppID: a.ID, EnvironmentID: e2.ID, Trigger: "manual", Status: "pending", ManifestRaw: manifest}
	must(t, f.s.CreateDeployment(ctx, poison, "test"))
	for _, st := range [][2]string{{"pending", "rendering"}, {"rendering", "applying"}, {"applying", "verifying"}, {"verifying", "verifying"}, {"verifying", "verifying"}} {
		must(t, f.s.TransitionDeployment(ctx, poison.ID, st[0], st[1], store.TransitionUpdate{Detail: "test"}))
	}

	var queued []*store.Deployment
	for _, e := range []*store.Environment{e1, e1, e2} {
		d := &store.Deployment{AppID: a.ID, EnvironmentID: e.ID, Trigger: "manual", Status: "pending", Image: "v1", ManifestRaw: manifest}
		must(t, f.s.CreateDeployment(ctx, d, "test"))
		queued = append(queued, d)
	}
	r := &reconciler.DeployRunner{Deployer: &reconciler.Deployer{Store: f.s, Cluster: localCluster(t)}, Store: f.s, Holder: "a", Interval: 50 * time.Millisecond}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = r.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()
	waitFor(t, func() bool {
		for _, d := range queued {
			if got, _ := f.s.GetDeployment(ctx, d.ID); got.Status != "succeeded" {
				return false
			}
		}
		return true
	})
	waitFor(t, func() bool {
		got, _ := f.s.GetDeployment(ctx, orphan.ID)
		return got.Status == "succeeded"
	})
	if tr := transitions(t, f.s, orphan.ID); tr != "pending rendering applying applying verifying succeeded" {
		t.Errorf("orphan lifecycle %q, want it resumed in applying", tr)
	}
	got, _ := f.s.GetDeployment(ctx, poison.ID)
	if got.Status != "failed" || got.Error != "interrupted" {
		t.Errorf("poison: %s %q, want failed as interrupted", got.Status, got.Error)
	}
	// The two staging deployments did not overlap.
	first, _ := f.s.ListTransitions(ctx, queued[0].ID)
	second, _ := f.s.ListTransitions(ctx, queued[1].ID)
	if started, ended := second[1].At, first[len(first)-1].At; started.Before(ended) {
		t.Errorf("the second staging deployment started (%s) before the first ended (%s)", started, ended)
	}
}

// An image that never becomes ready (kwok's stages keep pods of
// never-ready.invalid/app:1 unready) fails the deployment in verifying,
// naming the object, after the manifest's timeout.
func TestDeployFailsWhenNotReady(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, e := f.appEnv("stuck", "staging")
	ns := e.Namespace
	d := &reconciler.Deployer{Store: f.s, Cluster: localCluster(t), VerifyInterval: 200 * time.Millisecond}
	raw := "schema = 1\n[deploy]\ntimeout = \"4s\"\n[workloads.web]\n[[workloads.web.containers]]\nimage = \"never-ready.invalid/app:1\"\nport = 80\n"
	dep := &store.Deployment{AppID: a.ID, EnvironmentID: e.ID, Trigger: "manual", Status: "pending", ManifestRaw: raw}
	must(t, f.s.CreateDeployment(ctx, dep, "test"))
	if err := d.Run(ctx, dep.ID); err == nil {
		t.Fatal("a deployment whose pods never become ready succeeded")
	}
	got, _ := f.s.GetDeployment(ctx, dep.ID)
	t.Logf("error: %s", got.Error)
	if got.Status != "failed" || !strings.Contains(got.Error, "Deployment/"+ns+"/stuck-web") {
		t.Errorf("status %s, error %q: want failed naming Deployment/%s/stuck-web", got.Status, got.Error, ns)
	}
	if tr := transitions(t, f.s, dep.ID); tr != "pending rendering applying verifying failed" {
		t.Errorf("lifecycle %q", tr)
	}
}
