package reconciler_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/astrolift/astrolift/internal/secretbox"
	"github.com/astrolift/astrolift/internal/testenv"
	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/store"
)

// Two clusters at once: a second control plane is started, both are
// registered by sealed kubeconfig, staging deploys to the first and
// production to the second, through reconciler.Clusters as serve wires it.
// Each environment's objects land on its own cluster only, and the live
// state of both is watched.
func TestTwoClusters(t *testing.T) {
	ctx := context.Background()
	second, err := testenv.Start(ctx, testenv.Options{Controllers: true})
	must(t, err)
	t.Cleanup(func() { _ = second.Stop() })

	f := newFixture(t)
	box, err := secretbox.New(bytes.Repeat([]byte{9}, 32))
	must(t, err)
	one := &store.Cluster{OrgID: f.org.ID, Name: "one", Kind: store.ClusterKubeconfig, KubeconfigSealed: box.Seal(reconciler.PurposeKubeconfig, env.Kubeconfig)}
	two := &store.Cluster{OrgID: f.org.ID, Name: "two", Kind: store.ClusterKubeconfig, KubeconfigSealed: box.Seal(reconciler.PurposeKubeconfig, second.Kubeconfig)}
	must(t, f.s.CreateCluster(ctx, one))
	must(t, f.s.CreateCluster(ctx, two))
	clusters := &reconciler.Clusters{Store: f.s, Box: box}

	a := &store.App{OrgID: f.org.ID, ProjectID: f.proj.ID, Slug: "twin", Name: "Twin", SourceURL: "https://x/y.git"}
	must(t, f.s.CreateApp(ctx, a))
	suffix := rand.IntN(1e6)
	staging := &store.Environment{AppID: a.ID, Name: "staging", Namespace: fmt.Sprintf("twin-s-%d", suffix), ClusterID: one.ID}
	prod := &store.Environment{AppID: a.ID, Name: "production", Namespace: fmt.Sprintf("twin-p-%d", suffix), ClusterID: two.ID}
	must(t, f.s.CreateEnvironment(ctx, staging))
	must(t, f.s.CreateEnvironment(ctx, prod))

	runner := &reconciler.DeployRunner{Deployer: &reconciler.Deployer{Store: f.s, Cluster: clusters.For}, Store: f.s, Holder: "r", Interval: 50 * time.Millisecond}
	live := &reconciler.LiveWatcher{Store: f.s, Cluster: clusters.For, Interval: 100 * time.Millisecond, Debounce: 50 * time.Millisecond}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	go func() { _ = runner.Run(runCtx); done <- struct{}{} }()
	go func() { _ = live.Run(runCtx); done <- struct{}{} }()
	defer func() { cancel(); <-done; <-done }()

	var deps []*store.Deployment
	for _, e := range []*store.Environment{staging, prod} {
		d := &store.Deployment{AppID: a.ID, EnvironmentID: e.ID, Trigger: "manual", Status: "pending", Image: "v1", ManifestRaw: twoWorkloads}
		must(t, f.s.CreateDeployment(ctx, d, "test"))
		deps = append(deps, d)
	}
	runner.Wake()
	waitFor(t, func() bool {
		for _, d := range deps {
			if got, _ := f.s.GetDeployment(ctx, d.ID); got.Status != "succeeded" {
				return false
			}
		}
		return true
	})
	for _, c := range []struct {
		name      string
		cluster   *testenv.Env
		own, away string
	}{{"one", env, staging.Namespace, prod.Namespace}, {"two", second, prod.Namespace, staging.Namespace}} {
		web, err := c.cluster.Clientset.AppsV1().Deployments(c.own).Get(ctx, "twin-web", metav1.GetOptions{})
		if err != nil || web.Status.AvailableReplicas != 2 {
			t.Errorf("cluster %s: twin-web in %s: %v (available %v)", c.name, c.own, err, web)
		}
		if _, err := c.cluster.Clientset.CoreV1().Namespaces().Get(ctx, c.away, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("cluster %s holds the other environment's namespace %s (%v)", c.name, c.away, err)
		}
	}
	waitFor(t, func() bool {
		for _, e := range []*store.Environment{staging, prod} {
			o, err := f.s.Observe(ctx, e.ID, "live")
			if err != nil || !bytes.Contains([]byte(o.JSON), []byte(`"ready_replicas":2`)) {
				return false
			}
		}
		return true
	})
}
