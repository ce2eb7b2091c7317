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

	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/store"
)

// The whole path: a commit pushed to a real git repository (served over
// smart HTTP) is seen by the poller, which queues a push deployment; the
// runner walks it through every state to succeeded with the Deployment
// Available on the local control plane. A second push drops a workload:
// its Deployment is pruned.
func TestPushToDeployEndToEnd(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.srv.CreateRepo(t, "e2e.git", "main", map[string]string{"astrolift.toml": twoWorkloads})
	a := f.app("e2e", "e2e.git", "astrolift.toml", "push")
	ns := fmt.Sprintf("e2e-%d", rand.IntN(1e6))
	e := &store.Environment{AppID: a.ID, Name: "production", Namespace: ns}
	must(t, f.s.CreateEnvironment(ctx, e))
	runner := &reconciler.DeployRunner{Deployer: &reconciler.Deployer{Store: f.s, Cluster: localCluster(t), VerifyInterval: 200 * time.Millisecond},
		Store: f.s, Holder: "e2e", Interval: time.Hour}
	f.poller.Queued = runner.Wake
	done := make(chan struct{})
	go func() { _ = runner.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	waitDeployed := func(commit string) *store.Deployment {
		t.Helper()
		var d *store.Deployment
		waitFor(t, func() bool {
			ds, _ := f.s.ListDeployments(ctx, store.DeploymentFilter{EnvironmentID: e.ID, Limit: 1})
			if len(ds) == 0 || ds[0].CommitSHA != commit || ds[0].FinishedAt == nil {
				return false
			}
			d = ds[0]
			return true
		})
		if d.Status != "succeeded" || d.Trigger != "push" {
			t.Fatalf("deployment of %s: %s (%s) %s", commit, d.Status, d.Trigger, d.Error)
		}
		if tr := transitions(t, f.s, d.ID); tr != "pending rendering applying verifying succeeded" {
			t.Errorf("lifecycle %q", tr)
		}
		return d
	}

	v1 := f.srv.Commit(t, "e2e.git", "main", map[string]string{"astrolift.toml": strings.Replace(twoWorkloads, "replicas = 2", "replicas = 3", 1)}, "three web replicas")
	f.poll()
	waitDeployed(v1)
	web, err := env.Clientset.AppsV1().Deployments(ns).Get(ctx, "e2e-web", metav1.GetOptions{})
	must(t, err)
	if web.Status.AvailableReplicas != 3 {
		t.Errorf("e2e-web available %d, want 3", web.Status.AvailableReplicas)
	}
	if _, err := env.Clientset.AppsV1().Deployments(ns).Get(ctx, "e2e-worker", metav1.GetOptions{}); err != nil {
		t.Fatalf("worker: %v", err)
	}

	v2 := f.srv.Commit(t, "e2e.git", "main", map[string]string{"astrolift.toml": strings.Split(twoWorkloads, "[workloads.worker]")[0]}, "drop the worker")
	f.poll()
	waitDeployed(v2)
	if _, err := env.Clientset.AppsV1().Deployments(ns).Get(ctx, "e2e-worker", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the dropped worker is still there: %v", err)
	}
}
