package reconciler_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/store"
)

func TestOnboarding(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	slug := fmt.Sprintf("onb%d", rand.IntN(1e6))
	a := &store.App{OrgID: f.org.ID, ProjectID: f.proj.ID, Slug: slug, Name: "Onb", SourceURL: "https://x/y.git"}
	must(t, f.s.CreateApp(ctx, a))
	o := &reconciler.Onboarder{Store: f.s, Cluster: localCluster(t), ServiceAccountAnnotations: map[string]string{"iam.gke.io/gcp-service-account": "app@p.iam"}}

	// Without environments and without a "local" cluster: failed, with the reason.
	must(t, o.Scan(ctx))
	got, _ := f.s.GetApp(ctx, slug)
	if got.Status != "failed" || got.StatusError == "" {
		t.Fatalf("no cluster: %s %q", got.Status, got.StatusError)
	}
	// With the cluster registered, running again finishes the job.
	must(t, f.s.CreateCluster(ctx, &store.Cluster{OrgID: f.org.ID, Name: "local", Kind: store.ClusterInCluster}))
	must(t, f.s.SetAppStatus(ctx, a.ID, "pending", ""))
	must(t, o.Scan(ctx))
	got, _ = f.s.GetApp(ctx, slug)
	if got.Status != "ready" || got.StatusError != "" {
		t.Fatalf("onboarding: %s %q", got.Status, got.StatusError)
	}
	envs, _ := f.s.ListEnvironments(ctx, a.ID)
	if len(envs) != 1 || envs[0].Name != "production" || envs[0].Namespace != slug+"-production" {
		t.Fatalf("environments %+v", envs)
	}
	sa, err := env.Clientset.CoreV1().ServiceAccounts(slug+"-production").Get(ctx, slug, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sa.Annotations["iam.gke.io/gcp-service-account"] != "app@p.iam" || sa.Labels["astrolift.dev/app"] != slug {
		t.Errorf("service account %v %v", sa.Annotations, sa.Labels)
	}
	// Idempotent: onboarding a ready app again changes nothing.
	must(t, f.s.SetAppStatus(ctx, a.ID, "provisioning", ""))
	must(t, o.Scan(ctx))
	if got, _ := f.s.GetApp(ctx, slug); got.Status != "ready" {
		t.Errorf("re-run: %s", got.Status)
	}
	if envs, _ := f.s.ListEnvironments(ctx, a.ID); len(envs) != 1 {
		t.Errorf("re-run created environments: %d", len(envs))
	}
}
