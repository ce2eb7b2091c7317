package reconciler_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"filippo.io/age"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/astrolift/astrolift/internal/secretbox"
	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/render"
	"github.com/astrolift/astrolift/store"
)

// TestSealedValuesDeployed: a sealed env value is opened with the platform
// identity into the cluster's Secret, while the deployment the store keeps
// holds it sealed with the master key; a re-apply of the stored objects and
// a drift check open it again (no false drift), and without an identity
// the deployment fails saying why.
func TestSealedValuesDeployed(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id, err := age.GenerateX25519Identity()
	must(t, err)
	const plain = "pk_live_51HSecret"
	sealed, err := render.Seal(id.Recipient(), []byte(plain))
	must(t, err)
	manifest := "schema = 1\n[env]\nLOG_LEVEL = \"info\"\nSTRIPE_KEY = \"" + sealed + "\"\n[workloads.web]\n[[workloads.web.containers]]\nimage = \"nginx:1.27\"\nport = 80\n"
	a, e := f.appEnv("vault", "production")
	box, err := secretbox.New(bytes.Repeat([]byte{3}, 32))
	must(t, err)
	secrets := &reconciler.Secrets{Store: f.s, Identity: id}
	d := &reconciler.Deployer{Store: f.s, Cluster: localCluster(t), Secrets: secrets, Box: box}

	dep := &store.Deployment{AppID: a.ID, EnvironmentID: e.ID, Trigger: "manual", Status: "pending", ManifestRaw: manifest}
	must(t, f.s.CreateDeployment(ctx, dep, "test"))
	if err := d.Run(ctx, dep.ID); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	sec, err := env.Clientset.CoreV1().Secrets(e.Namespace).Get(ctx, "vault-env", metav1.GetOptions{})
	must(t, err)
	if string(sec.Data["STRIPE_KEY"]) != plain || string(sec.Data["LOG_LEVEL"]) != "info" {
		t.Fatalf("the Secret holds %q", sec.Data)
	}
	got, err := f.s.GetDeployment(ctx, dep.ID)
	must(t, err)
	if got.Status != "succeeded" || !strings.Contains(got.Rendered, "kind: Secret") || strings.Contains(got.Rendered, plain) ||
		strings.Contains(got.Rendered, "cGtfbGl2ZV81MUhTZWNyZXQ=") { // base64 of the plaintext
		t.Fatalf("stored deployment %s holds the value or no Secret:\n%s", got.Status, got.Rendered)
	}

	// Re-applying the stored objects (a rollback) restores the values.
	rb := &store.Deployment{AppID: a.ID, EnvironmentID: e.ID, Trigger: "rollback", Status: "pending", ManifestRaw: manifest,
		Rendered: got.Rendered, RollbackOf: dep.ID}
	must(t, f.s.CreateDeployment(ctx, rb, "test"))
	if err := d.Run(ctx, rb.ID); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	sec, err = env.Clientset.CoreV1().Secrets(e.Namespace).Get(ctx, "vault-env", metav1.GetOptions{})
	must(t, err)
	if string(sec.Data["STRIPE_KEY"]) != plain {
		t.Fatalf("after re-applying the stored objects the Secret holds %q", sec.Data["STRIPE_KEY"])
	}

	// The drift check compares the rendered Secret, not the mask.
	drifts := &reconciler.DriftChecker{Store: f.s, Cluster: localCluster(t), Box: box}
	rep, err := drifts.Check(ctx, e, rb.ID)
	must(t, err)
	if len(rep.Objects) != 0 {
		t.Fatalf("drift after a clean deploy: %+v", rep.Objects)
	}

	// Without the identity, nothing sealed can be deployed.
	bare := &reconciler.Deployer{Store: f.s, Cluster: localCluster(t)}
	dep3 := &store.Deployment{AppID: a.ID, EnvironmentID: e.ID, Trigger: "manual", Status: "pending", ManifestRaw: manifest}
	must(t, f.s.CreateDeployment(ctx, dep3, "test"))
	_ = bare.Run(ctx, dep3.ID)
	got, _ = f.s.GetDeployment(ctx, dep3.ID)
	if got.Status != "failed" || !strings.Contains(got.Error, "ASTROLIFT_MASTER_KEY") {
		t.Fatalf("deploy without identity: %s %q", got.Status, got.Error)
	}
}
