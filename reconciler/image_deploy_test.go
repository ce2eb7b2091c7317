package reconciler_test

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/store"
)

// A CI deployment with a digest runs repository@digest (its tag dropped);
// a later push deployment without an image keeps running that digest.
func TestDeployPinsDigest(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, e := f.appEnv("pin", "staging")
	ns := e.Namespace
	d := &reconciler.Deployer{Store: f.s, Cluster: localCluster(t)}
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	const want = "registry.example.com/acme/shop@" + digest

	image := func() string {
		t.Helper()
		web, err := env.Clientset.AppsV1().Deployments(ns).Get(ctx, "pin-web", metav1.GetOptions{})
		must(t, err)
		return web.Spec.Template.Spec.Containers[0].Image
	}
	ci := &store.Deployment{AppID: a.ID, EnvironmentID: e.ID, Trigger: "ci", Status: "pending", Image: "registry.example.com/acme/shop:v2",
		ImageDigest: digest, ManifestRaw: twoWorkloads, CI: store.CIContext{Commit: "abc", Branch: "main"}}
	must(t, f.s.CreateDeployment(ctx, ci, "test"))
	if err := d.Run(ctx, ci.ID); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	got, _ := f.s.GetDeployment(ctx, ci.ID)
	if got.Status != "succeeded" || got.StartedAt == nil || got.FinishedAt == nil || got.FinishedAt.Before(*got.StartedAt) {
		t.Fatalf("deployment %+v", got)
	}
	if img := image(); img != want {
		t.Errorf("image %s, want %s", img, want)
	}

	push := &store.Deployment{AppID: a.ID, EnvironmentID: e.ID, Trigger: "push", Status: "pending", ManifestRaw: twoWorkloads + "\n"}
	must(t, f.s.CreateDeployment(ctx, push, "test"))
	if err := d.Run(ctx, push.ID); err != nil {
		t.Fatalf("push deploy: %v", err)
	}
	if img := image(); img != want {
		t.Errorf("after a push: image %s, want %s", img, want)
	}
}
