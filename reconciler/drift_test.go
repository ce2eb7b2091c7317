package reconciler_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/store"
)

// A kubectl-edit-style change by another field manager shows as drift
// with the field path, the values and who changed it; a deleted object as
// missing; with self-heal on, both are corrected and the report clears.
// The environment's replica override is what the deployment applies.
func TestDriftDetectAndSelfHeal(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := &store.App{OrgID: f.org.ID, ProjectID: f.proj.ID, Slug: "drifty", Name: "Drifty", SourceURL: "https://x/y.git"}
	must(t, f.s.CreateApp(ctx, a))
	ns := fmt.Sprintf("drifty-%d", rand.IntN(1e6))
	three := 3
	e := &store.Environment{AppID: a.ID, Name: "production", Namespace: ns, Replicas: &three}
	must(t, f.s.CreateEnvironment(ctx, e))
	cluster := localCluster(t)
	var succeeded []int64
	d := &reconciler.Deployer{Store: f.s, Cluster: cluster, Succeeded: func(id int64) { succeeded = append(succeeded, id) }}
	dep := &store.Deployment{AppID: a.ID, EnvironmentID: e.ID, Trigger: "manual", Status: "pending", Image: "v1", ManifestRaw: twoWorkloads}
	must(t, f.s.CreateDeployment(ctx, dep, "test"))
	must(t, d.Run(ctx, dep.ID))

	if len(succeeded) != 1 || succeeded[0] != e.ID {
		t.Errorf("Succeeded told %v, want environment %d once", succeeded, e.ID)
	}
	deployments := env.Clientset.AppsV1().Deployments(ns)
	web, err := deployments.Get(ctx, "drifty-web", metav1.GetOptions{})
	must(t, err)
	if *web.Spec.Replicas != 3 {
		t.Fatalf("web replicas %d, want the environment's override 3", *web.Spec.Replicas)
	}

	checker := &reconciler.DriftChecker{Store: f.s, Cluster: cluster, Holder: "test"}
	rep, err := checker.Check(ctx, e, dep.ID)
	must(t, err)
	if len(rep.Objects) != 0 || rep.Error != "" {
		t.Fatalf("fresh deployment drifted: %+v", rep)
	}

	// Someone edits the replicas and the image with kubectl, and deletes the Ingress.
	web.Spec.Replicas = ptr(int32(7))
	web.Spec.Template.Spec.Containers[0].Image = "evil.example.com/shop:latest"
	_, err = deployments.Update(ctx, web, metav1.UpdateOptions{FieldManager: "kubectl-edit"})
	must(t, err)
	must(t, env.Clientset.NetworkingV1().Ingresses(ns).Delete(ctx, "drifty-web", metav1.DeleteOptions{}))

	rep, err = checker.Check(ctx, e, dep.ID)
	must(t, err)
	got := map[string]string{}
	for _, o := range rep.Objects {
		if o.Missing {
			got[o.ID()] = "missing"
		}
		for _, fd := range o.Fields {
			var who []string
			for _, m := range fd.ChangedBy {
				who = append(who, m.Name)
			}
			got[o.ID()+" "+fd.Path] = fmt.Sprintf("%v → %v by %s", fd.Live, fd.Desired, strings.Join(who, ","))
		}
	}
	want := map[string]string{
		"Ingress/" + ns + "/drifty-web":                                           "missing",
		"Deployment/" + ns + "/drifty-web /spec/replicas":                         "7 → 3 by kubectl-edit",
		"Deployment/" + ns + "/drifty-web /spec/template/spec/containers/0/image": "evil.example.com/shop:latest → registry.example.com/acme/shop:v1 by kubectl-edit",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("drift\n got %v\nwant %v", got, want)
	}
	stored, err := f.s.Observe(ctx, e.ID, "drift")
	must(t, err)
	if !strings.Contains(stored.JSON, `"/spec/replicas"`) || stored.At == nil {
		t.Errorf("stored drift %+v", stored)
	}
	if kinds := eventKinds(t, f.s, a.ID); kinds != "drift.detected" {
		t.Errorf("events %q, want drift.detected", kinds)
	}
	// The same drift again is not a new event.
	_, err = checker.Check(ctx, e, dep.ID)
	must(t, err)
	if kinds := eventKinds(t, f.s, a.ID); kinds != "drift.detected" {
		t.Errorf("events after a second check %q, want one drift.detected", kinds)
	}

	// Self-heal on: corrected, and the report is clean.
	e.SelfHeal = true
	must(t, f.s.UpdateEnvironment(ctx, e))
	rep, err = checker.Check(ctx, e, dep.ID)
	must(t, err)
	if len(rep.Objects) != 0 || len(rep.Corrected) != 2 || rep.CorrectedAt == nil {
		t.Errorf("after self-heal: %+v", rep)
	}
	web, err = deployments.Get(ctx, "drifty-web", metav1.GetOptions{})
	must(t, err)
	if *web.Spec.Replicas != 3 || web.Spec.Template.Spec.Containers[0].Image != "registry.example.com/acme/shop:v1" {
		t.Errorf("after self-heal: replicas %d, image %s", *web.Spec.Replicas, web.Spec.Template.Spec.Containers[0].Image)
	}
	if _, err := env.Clientset.NetworkingV1().Ingresses(ns).Get(ctx, "drifty-web", metav1.GetOptions{}); apierrors.IsNotFound(err) {
		t.Error("the deleted Ingress was not re-created")
	}
	if kinds := eventKinds(t, f.s, a.ID); kinds != "drift.detected drift.corrected" {
		t.Errorf("events %q", kinds)
	}
}

func ptr[T any](v T) *T { return &v }

// eventKinds lists an app's drift events, oldest first.
func eventKinds(t *testing.T, s *store.Store, appID int64) string {
	t.Helper()
	evs, err := s.ListEvents(context.Background(), store.EventFilter{AppID: appID, AfterID: -1})
	must(t, err)
	var kinds []string
	for _, e := range evs {
		if strings.HasPrefix(e.Kind, "drift.") {
			kinds = append(kinds, e.Kind)
		}
	}
	return strings.Join(kinds, " ")
}
