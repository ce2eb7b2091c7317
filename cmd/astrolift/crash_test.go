package main_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/astrolift/astrolift/internal/secretbox"
	"github.com/astrolift/astrolift/internal/testenv"
	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/store"
)

// TestKilledMidDeployment kills `astrolift serve` (SIGKILL) while a
// deployment is in flight, starts it again, and checks the new process
// resumes the deployment (a "resumed" lifecycle row) and ends it with a
// reason: here the rollout never becomes ready, so it fails in verifying
// naming the Deployment. Nothing stays in flight.
func TestKilledMidDeployment(t *testing.T) {
	ctx := context.Background()
	env, err := testenv.Start(ctx, testenv.Options{Controllers: true})
	if err != nil {
		t.Fatal(err) // never skip: the binaries are part of `make test`
	}
	t.Cleanup(func() { _ = env.Stop() })
	bin := filepath.Join(t.TempDir(), "astrolift")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}

	dataDir := t.TempDir()
	key := bytes.Repeat([]byte{7}, 32)
	box, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(ctx, filepath.Join(dataDir, "astrolift.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	org := &store.Organization{Slug: "acme", Name: "Acme"}
	mustOK(t, s.CreateOrganization(ctx, org))
	proj := &store.Project{OrgID: org.ID, Slug: "p", Name: "P"}
	mustOK(t, s.CreateProject(ctx, proj))
	cl := &store.Cluster{OrgID: org.ID, Name: "local", Kind: store.ClusterKubeconfig, KubeconfigSealed: box.Seal(reconciler.PurposeKubeconfig, env.Kubeconfig)}
	mustOK(t, s.CreateCluster(ctx, cl))
	manifest := "schema = 1\n[deploy]\ntimeout = \"15s\"\n[workloads.web]\n[[workloads.web.containers]]\nimage = \"never-ready.invalid/app:1\"\nport = 80\n"
	a := &store.App{OrgID: org.ID, ProjectID: proj.ID, Slug: "crash", Name: "Crash", SourceURL: "https://git.example.com/crash.git"}
	mustOK(t, s.CreateApp(ctx, a))
	mustOK(t, s.SetSnapshot(ctx, a.ID, store.Snapshot{Raw: manifest, Commit: "c1", BlobID: "b1"}, false))
	ns := fmt.Sprintf("crash-%d", rand.IntN(1e6))
	e := &store.Environment{AppID: a.ID, Name: "production", Namespace: ns, ClusterID: cl.ID}
	mustOK(t, s.CreateEnvironment(ctx, e))
	dep := &store.Deployment{AppID: a.ID, EnvironmentID: e.ID, Trigger: "manual", Status: "pending", ManifestRaw: manifest}
	mustOK(t, s.CreateDeployment(ctx, dep, "test"))

	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve", "--data-dir", dataDir, "--listen", freeAddr(t), "--deploy-lease-ttl", "3s", "--log-level", "warn")
		cmd.Env = append(os.Environ(), secretbox.KeyEnv+"="+base64.StdEncoding.EncodeToString(key))
		var logs bytes.Buffer
		cmd.Stdout, cmd.Stderr = &logs, &logs
		mustOK(t, cmd.Start())
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			if t.Failed() {
				t.Logf("serve output:\n%s", logs.String())
			}
		})
		return cmd
	}
	status := func() *store.Deployment {
		d, err := s.GetDeployment(ctx, dep.ID)
		mustOK(t, err)
		return d
	}
	waitUntil := func(what string, limit time.Duration, ok func(*store.Deployment) bool) *store.Deployment {
		t.Helper()
		deadline := time.Now().Add(limit)
		for {
			d := status()
			if ok(d) {
				return d
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: deployment still %s after %s", what, d.Status, limit)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	first := start()
	waitUntil("first run", 2*time.Minute, func(d *store.Deployment) bool { return d.Status == "verifying" })
	mustOK(t, first.Process.Signal(syscall.SIGKILL))
	_ = first.Wait()
	if d := status(); d.Status != "verifying" {
		t.Fatalf("after the kill the deployment is %s, want it left in verifying", d.Status)
	}

	start()
	d := waitUntil("after the restart", 2*time.Minute, func(d *store.Deployment) bool { return d.FinishedAt != nil })
	ts, err := s.ListTransitions(ctx, dep.ID)
	mustOK(t, err)
	var steps []string
	for _, tr := range ts {
		steps = append(steps, tr.To)
	}
	if got := strings.Join(steps, " "); got != "pending rendering applying verifying verifying failed" {
		t.Errorf("lifecycle %q, want it resumed in verifying, then failed", got)
	}
	if d.Status != "failed" || !strings.Contains(d.Error, "Deployment/"+ns+"/crash-web") {
		t.Errorf("deployment %s, error %q: want failed naming Deployment/%s/crash-web", d.Status, d.Error, ns)
	}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
