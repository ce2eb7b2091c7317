package reconciler_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/store"
)

func TestParseRegistry(t *testing.T) {
	for in, want := range map[string]string{
		"registry.example.com":            "registry.example.com/acme/shop",
		"registry.example.com/platform/":  "registry.example.com/platform/acme/shop",
		" localhost:5000 ":                "localhost:5000/acme/shop",
		"127.0.0.1:5000/a/b":              "127.0.0.1:5000/a/b/acme/shop",
		"europe-docker.pkg.dev/proj/apps": "europe-docker.pkg.dev/proj/apps/acme/shop",
	} {
		r, err := reconciler.ParseRegistry(in, false)
		if err != nil {
			t.Errorf("ParseRegistry(%q): %v", in, err)
			continue
		}
		if got := r.Repository("acme", "shop"); got != want {
			t.Errorf("ParseRegistry(%q).Repository = %q, want %q", in, got, want)
		}
	}
	for _, bad := range []string{"", "https://registry.example.com", "registry.example.com/Upper", "registry.example.com/a b", "nodots"} {
		if _, err := reconciler.ParseRegistry(bad, false); err == nil {
			t.Errorf("ParseRegistry(%q) succeeded, want an error", bad)
		}
	}
}

// registryApp registers an app with one environment on the local control
// plane, so onboarding reaches the registry step.
func registryApp(t *testing.T, f *fixture) *store.App {
	t.Helper()
	ctx := context.Background()
	slug := fmt.Sprintf("reg%d", rand.IntN(1e6))
	a := &store.App{OrgID: f.org.ID, ProjectID: f.proj.ID, Slug: slug, Name: "Reg", SourceURL: "https://x/y.git"}
	must(t, f.s.CreateApp(ctx, a))
	must(t, f.s.CreateEnvironment(ctx, &store.Environment{AppID: a.ID, Name: "staging", Namespace: slug + "-staging"}))
	return a
}

// onboardAgain re-runs onboarding of the app from pending and returns it.
func onboardAgain(t *testing.T, f *fixture, o *reconciler.Onboarder, a *store.App) *store.App {
	t.Helper()
	return onboardFrom(t, f, o, a, "pending")
}

// onboardFrom sets the app's status (provisioning: as a crash mid-way
// leaves it) and runs an onboarding scan.
func onboardFrom(t *testing.T, f *fixture, o *reconciler.Onboarder, a *store.App, status string) *store.App {
	t.Helper()
	ctx := context.Background()
	must(t, f.s.SetAppStatus(ctx, a.ID, status, ""))
	must(t, o.Scan(ctx))
	got, err := f.s.GetApp(ctx, a.Slug)
	must(t, err)
	return got
}

// Onboarding records <registry>/<org>/<app> and what go-containerregistry's
// in-process registry holds there; a registry that refuses or cannot be
// reached fails the app naming the host and the cause, and a later run
// finishes the job.
func TestOnboardingRegistry(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	reg, err := reconciler.ParseRegistry(host+"/platform", true)
	must(t, err)
	a := registryApp(t, f)
	o := &reconciler.Onboarder{Store: f.s, Cluster: localCluster(t), Registry: reg}
	repo := host + "/platform/acme/" + a.Slug

	// No repository yet (NAME_UNKNOWN): ready, "no image pushed yet".
	got := onboardAgain(t, f, o, a)
	if got.Status != "ready" || got.Registry != (store.Registry{Repository: repo, Status: "no image pushed yet"}) {
		t.Fatalf("empty registry: %s %q %+v", got.Status, got.StatusError, got.Registry)
	}

	// Two tags pushed with remote.Write: "2 tags".
	img, err := random.Image(256, 1)
	must(t, err)
	for _, tag := range []string{"v1", "v2"} {
		ref, err := name.NewTag(repo + ":" + tag)
		must(t, err)
		must(t, remote.Write(ref, img))
	}
	got = onboardAgain(t, f, o, a)
	if got.Status != "ready" || got.Registry != (store.Registry{Repository: repo, Status: "2 tags"}) {
		t.Fatalf("after push: %s %q %+v", got.Status, got.StatusError, got.Registry)
	}

	// Refused: a registry answering 403 on the tag list.
	forbidden := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}`))
	}))
	t.Cleanup(forbidden.Close)
	forbiddenHost := strings.TrimPrefix(forbidden.URL, "http://")
	o.Registry, err = reconciler.ParseRegistry(forbiddenHost, true)
	must(t, err)
	got = onboardAgain(t, f, o, a)
	if got.Status != "failed" || !strings.Contains(got.StatusError, "registry "+forbiddenHost) || !strings.Contains(got.StatusError, "HTTP 403") {
		t.Fatalf("forbidden: %s %q", got.Status, got.StatusError)
	}
	t.Logf("forbidden: %s", got.StatusError)
	if got.Registry.Repository != forbiddenHost+"/acme/"+a.Slug || !strings.HasPrefix(got.Registry.Status, "error: ") {
		t.Errorf("forbidden registry: %+v", got.Registry)
	}

	// Unreachable: nothing listens on the address.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	deadHost := ln.Addr().String()
	must(t, ln.Close())
	o.Registry, err = reconciler.ParseRegistry(deadHost, true)
	must(t, err)
	got = onboardAgain(t, f, o, a)
	if got.Status != "failed" || !strings.Contains(got.StatusError, "registry "+deadHost) || !strings.Contains(got.StatusError, "connection refused") {
		t.Fatalf("unreachable: %s %q", got.Status, got.StatusError)
	}
	t.Logf("unreachable: %s", got.StatusError)
	if got.Registry.Repository != deadHost+"/acme/"+a.Slug || !strings.Contains(got.Registry.Status, "connection refused") {
		t.Errorf("unreachable registry: %+v", got.Registry)
	}

	// Back to the working registry: re-running onboarding from where a
	// crash leaves it (provisioning) finishes the job.
	o.Registry = reg
	got = onboardFrom(t, f, o, a, "provisioning")
	if got.Status != "ready" || got.StatusError != "" || got.Registry != (store.Registry{Repository: repo, Status: "2 tags"}) {
		t.Fatalf("re-run: %s %q %+v", got.Status, got.StatusError, got.Registry)
	}
	if envs, _ := f.s.ListEnvironments(ctx, a.ID); len(envs) != 1 {
		t.Errorf("re-runs created environments: %d", len(envs))
	}

	// Without a registry nothing is recorded (what is there stays).
	o.Registry = nil
	b := registryApp(t, f)
	if got := onboardAgain(t, f, o, b); got.Status != "ready" || got.Registry != (store.Registry{}) {
		t.Errorf("no registry: %s %+v", got.Status, got.Registry)
	}
}

// The deployer applies the same ServiceAccount as onboarding with the same
// field manager: given the same annotations, a deploy keeps them.
func TestServiceAccountAnnotationsSurviveDeploy(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ann := map[string]string{"iam.gke.io/gcp-service-account": "shop@p.iam.gserviceaccount.com", "eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/shop"}
	a := registryApp(t, f)
	ns := a.Slug + "-staging"
	o := &reconciler.Onboarder{Store: f.s, Cluster: localCluster(t), ServiceAccountAnnotations: ann}
	if got := onboardAgain(t, f, o, a); got.Status != "ready" {
		t.Fatalf("onboarding: %s %q", got.Status, got.StatusError)
	}
	envs, _ := f.s.ListEnvironments(ctx, a.ID)
	deploy := func(d *reconciler.Deployer) map[string]string {
		t.Helper()
		dep := &store.Deployment{AppID: a.ID, EnvironmentID: envs[0].ID, Trigger: "manual", Status: "pending", Image: "v1", ManifestRaw: twoWorkloads}
		must(t, f.s.CreateDeployment(ctx, dep, "test"))
		if err := d.Run(ctx, dep.ID); err != nil {
			t.Fatalf("deploy: %v", err)
		}
		if got, _ := f.s.GetDeployment(ctx, dep.ID); got.Status != "succeeded" {
			t.Fatalf("deployment %s: %s", got.Status, transitions(t, f.s, dep.ID))
		}
		sa, err := env.Clientset.CoreV1().ServiceAccounts(ns).Get(ctx, a.Slug, metav1.GetOptions{})
		must(t, err)
		return sa.Annotations
	}
	got := deploy(&reconciler.Deployer{Store: f.s, Cluster: localCluster(t), ServiceAccountAnnotations: ann})
	for k, v := range ann {
		if got[k] != v {
			t.Errorf("after deploy: annotation %s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	// Why serve wires the same map to both: a deployer without it takes
	// them off (same field manager, server-side apply).
	if got := deploy(&reconciler.Deployer{Store: f.s, Cluster: localCluster(t)}); got["iam.gke.io/gcp-service-account"] != "" {
		t.Errorf("a deployer without the annotations left them: %v", got)
	}
}
