package reconciler_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/astrolift/astrolift/internal/secretbox"
	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/render"
	"github.com/astrolift/astrolift/store"
)

// The master key seals and opens what the deployer stores.
var _ reconciler.Box = (*secretbox.Box)(nil)

// withBundles attaches stripe-live everywhere and, in staging, also
// staging-extra (later bundles override earlier ones; manifest env wins
// over both).
const withBundles = `schema = 1
[build]
image = "registry.example.com/acme/pay"
[env]
LOG_LEVEL = "info"
[secrets]
bundles = ["stripe-live"]
[workloads.web]
  [[workloads.web.containers]]
  port = 8080
[environments.staging.secrets]
bundles = ["stripe-live", "staging-extra"]
`

// An app whose manifest attaches secret bundles deploys with their values
// in its env Secret, per environment. Rotating a value changes nothing
// until the next deployment, which picks it up and rolls the pods (the
// env checksum changes); a rollback re-applies the old value. The values
// never reach the database: the stored objects hold them sealed (drift
// checks open them). A bundle that does not exist fails the deployment
// naming it and the environment.
func TestDeploySecretBundles(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "bundles.db")
	s, err := store.Open(ctx, dbPath, store.Options{})
	must(t, err)
	t.Cleanup(func() { _ = s.Close() })
	f := &fixture{t: t, s: s}
	f.org = &store.Organization{Slug: "acme", Name: "Acme"}
	must(t, s.CreateOrganization(ctx, f.org))
	f.proj = &store.Project{OrgID: f.org.ID, Slug: "p", Name: "P"}
	must(t, s.CreateProject(ctx, f.proj))
	box, err := secretbox.New(bytes.Repeat([]byte{9}, 32))
	must(t, err)
	seal := func(v string) []byte { return box.Seal(store.SecretBundlePurpose, []byte(v)) }

	const (
		firstKey  = "sk_live_F1rstKeyValue0001"
		secondKey = "sk_live_S3condKeyValue002"
		dsn       = "https://k3y@sentry.example.com/42"
	)
	live := &store.SecretBundle{OrgID: f.org.ID, Name: "stripe-live"}
	must(t, s.CreateSecretBundle(ctx, live, map[string][]byte{
		"STRIPE_KEY": seal(firstKey), "STRIPE_MODE": seal("live"), "LOG_LEVEL": seal("bundle-loses")}))
	must(t, s.CreateSecretBundle(ctx, &store.SecretBundle{OrgID: f.org.ID, Name: "staging-extra"}, map[string][]byte{
		"STRIPE_MODE": seal("test"), "SENTRY_DSN": seal(dsn)}))

	a, staging := f.appEnv("pay", "staging")
	production := &store.Environment{AppID: a.ID, Name: "production", Namespace: fmt.Sprintf("pay-production-%d", rand.IntN(1e6))}
	must(t, s.CreateEnvironment(ctx, production))
	cluster := localCluster(t)
	d := &reconciler.Deployer{Store: s, Cluster: cluster, Box: box}
	deploy := func(e *store.Environment, manifest string, prepare func(*store.Deployment)) (*store.Deployment, error) {
		t.Helper()
		dep := &store.Deployment{AppID: a.ID, EnvironmentID: e.ID, Trigger: "manual", Status: "pending", Image: "v1", ManifestRaw: manifest}
		if prepare != nil {
			prepare(dep)
		}
		must(t, s.CreateDeployment(ctx, dep, "test"))
		runErr := d.Run(ctx, dep.ID)
		got, err := s.GetDeployment(ctx, dep.ID)
		must(t, err)
		return got, runErr
	}
	secret := func(e *store.Environment) map[string]string {
		t.Helper()
		sec, err := env.Clientset.CoreV1().Secrets(e.Namespace).Get(ctx, "pay-env", metav1.GetOptions{})
		must(t, err)
		out := map[string]string{}
		for k, v := range sec.Data {
			out[k] = string(v)
		}
		return out
	}
	checksum := func(e *store.Environment) string {
		t.Helper()
		web, err := env.Clientset.AppsV1().Deployments(e.Namespace).Get(ctx, "pay-web", metav1.GetOptions{})
		must(t, err)
		return web.Spec.Template.Annotations[render.AnnotationEnvChecksum]
	}

	first, err := deploy(staging, withBundles, nil)
	if err != nil || first.Status != "succeeded" {
		t.Fatalf("deploy staging: %v (%s)", err, first.Error)
	}
	if got := secret(staging); got["STRIPE_KEY"] != firstKey || got["STRIPE_MODE"] != "test" || got["SENTRY_DSN"] != dsn || got["LOG_LEVEL"] != "info" {
		t.Errorf("staging Secret %q: want stripe-live's key, staging-extra's mode and DSN, the manifest's LOG_LEVEL", got)
	}
	checksum1 := checksum(staging)
	if dep, err := deploy(production, withBundles, nil); err != nil || dep.Status != "succeeded" {
		t.Fatalf("deploy production: %v (%s)", err, dep.Error)
	}
	if got := secret(production); got["STRIPE_KEY"] != firstKey || got["STRIPE_MODE"] != "live" || got["SENTRY_DSN"] != "" {
		t.Errorf("production Secret %q: want stripe-live only", got)
	}

	// The stored objects hold the Secret sealed; the drift check opens it
	// and finds nothing drifted.
	if !strings.Contains(first.Rendered, "kind: Secret") || !strings.Contains(first.Rendered, "astrolift-sealed:") {
		t.Errorf("stored objects of the first deployment:\n%s", first.Rendered)
	}
	checker := &reconciler.DriftChecker{Store: s, Cluster: cluster, Holder: "test", Box: box}
	rep, err := checker.Check(ctx, staging, first.ID)
	must(t, err)
	if rep.Error != "" || len(rep.Objects) != 0 {
		t.Errorf("drift right after deploying: %+v", rep)
	}

	// Rotate: nothing changes in the cluster until the next deployment.
	_, err = s.SetSecretBundleValue(ctx, live.ID, "STRIPE_KEY", seal(secondKey))
	must(t, err)
	if got := secret(staging); got["STRIPE_KEY"] != firstKey {
		t.Errorf("rotating changed the cluster before a deployment: %q", got["STRIPE_KEY"])
	}
	if dep, err := deploy(staging, withBundles, nil); err != nil || dep.Status != "succeeded" {
		t.Fatalf("deploy after rotating: %v (%s)", err, dep.Error)
	}
	if got := secret(staging); got["STRIPE_KEY"] != secondKey || got["STRIPE_MODE"] != "test" {
		t.Errorf("staging Secret after rotating and deploying: %q", got)
	}
	if checksum2 := checksum(staging); checksum2 == checksum1 || checksum2 == "" {
		t.Errorf("env checksum %q did not change (was %q): pods would not roll", checksum2, checksum1)
	}

	// A rollback re-applies what the first deployment ran, value included.
	back, err := deploy(staging, withBundles, func(dep *store.Deployment) {
		dep.Trigger, dep.Rendered, dep.RollbackOf = "rollback", first.Rendered, first.ID
	})
	if err != nil || back.Status != "succeeded" {
		t.Fatalf("rollback: %v (%s)", err, back.Error)
	}
	if got := secret(staging); got["STRIPE_KEY"] != firstKey {
		t.Errorf("after rolling back, STRIPE_KEY is %q", got["STRIPE_KEY"])
	}
	if checksum(staging) != checksum1 {
		t.Error("after rolling back, the env checksum is not the first deployment's")
	}

	// A bundle that does not exist (or is deleted) fails the deployment,
	// naming it and the environment; what runs is left alone.
	missing := strings.Replace(withBundles, `bundles = ["stripe-live", "staging-extra"]`, `bundles = ["stripe-live", "stripe-eu"]`, 1)
	failed, err := deploy(staging, missing, nil)
	if !errors.Is(err, store.ErrNotFound) || failed.Status != "failed" ||
		!strings.Contains(failed.Error, `"stripe-eu"`) || !strings.Contains(failed.Error, "environment staging") {
		t.Errorf("missing bundle: %v; status %s, error %q", err, failed.Status, failed.Error)
	}
	if got := secret(staging); got["STRIPE_KEY"] != firstKey {
		t.Errorf("a failed deployment changed the Secret: %q", got["STRIPE_KEY"])
	}
	// Without the master key bundles cannot be opened.
	d.Box = nil
	failed, err = deploy(production, withBundles, nil)
	if err == nil || failed.Status != "failed" || !strings.Contains(failed.Error, "master key") || !strings.Contains(failed.Error, "environment production") {
		t.Errorf("no master key: %v; status %s, error %q", err, failed.Status, failed.Error)
	}

	// No value reached the database (file and WAL), as such or base64.
	files, _ := filepath.Glob(dbPath + "*")
	if len(files) == 0 {
		t.Fatal("no database files to search")
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		must(t, err)
		for _, v := range []string{firstKey, secondKey, dsn} {
			for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v))} {
				if bytes.Contains(b, []byte(form)) {
					t.Errorf("%s holds %q", filepath.Base(file), form)
				}
			}
		}
	}
}
