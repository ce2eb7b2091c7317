package reconciler_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/astrolift/astrolift/internal/secretbox"
	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/store"
)

const oneWorker = `schema = 1
[build]
image = "registry.example.com/acme/shop"
[env]
LOG_LEVEL = "info"
[workloads.worker]
  [[workloads.worker.containers]]
  command = ["bin/worker"]
`

// waitManaged scans with loop until the service has status want.
func waitManaged(t *testing.T, s *store.Store, loop *reconciler.ManagedServices, id int64, want string) *store.ManagedService {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(90 * time.Second)
	for {
		if loop != nil {
			must(t, loop.Scan(ctx))
		}
		svc, err := s.GetManagedService(ctx, id)
		if err == nil && svc.Status == want {
			return svc
		}
		if err == nil && svc.Status == "failed" && want != "failed" {
			t.Fatalf("managed service %d failed: %s", id, svc.StatusError)
		}
		if time.Now().After(deadline) {
			t.Fatalf("managed service %d: %+v (%v), want %s", id, svc, err, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// A managed postgres on the local control plane: provisioned to active
// (Secret with generated credentials, headless Service, StatefulSet, all
// labelled), its DATABASE_URL injected into the app's env Secret by the
// next deployment, never in plaintext in the database; a named redis
// beside it gets prefixed keys; deprovisioning removes the objects, then
// the row. An unsupported kind fails naming it.
func TestManagedServicesLifecycle(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "managed.db")
	s, err := store.Open(ctx, dbPath, store.Options{})
	must(t, err)
	t.Cleanup(func() { _ = s.Close() })
	f := &fixture{t: t, s: s}
	f.org = &store.Organization{Slug: "acme", Name: "Acme"}
	must(t, s.CreateOrganization(ctx, f.org))
	f.proj = &store.Project{OrgID: f.org.ID, Slug: "p", Name: "P"}
	must(t, s.CreateProject(ctx, f.proj))
	box, err := secretbox.New(bytes.Repeat([]byte{7}, 32))
	must(t, err)
	a, e := f.appEnv("shop", "staging")
	ns := e.Namespace
	cluster := localCluster(t)
	loop := &reconciler.ManagedServices{Store: s, Cluster: cluster, Box: box, Holder: "test",
		Providers: []reconciler.ManagedProvider{&reconciler.InCluster{Ephemeral: true}}}

	pg := &store.ManagedService{OrgID: f.org.ID, AppID: a.ID, EnvironmentID: e.ID, Kind: "postgres", Variant: "medium"}
	cache := &store.ManagedService{OrgID: f.org.ID, AppID: a.ID, EnvironmentID: e.ID, Kind: "redis", Name: "sessions"}
	kafka := &store.ManagedService{OrgID: f.org.ID, AppID: a.ID, EnvironmentID: e.ID, Kind: "kafka"}
	for _, m := range []*store.ManagedService{pg, cache, kafka} {
		must(t, s.CreateManagedService(ctx, m))
	}
	got := waitManaged(t, s, loop, pg.ID, "active")
	if strings.Join(got.EnvelopeKeys, ",") != "DATABASE_URL,PGDATABASE,PGHOST,PGPASSWORD,PGPORT,PGUSER" {
		t.Errorf("postgres keys %v", got.EnvelopeKeys)
	}
	redis := waitManaged(t, s, loop, cache.ID, "active")
	if strings.Join(redis.EnvelopeKeys, ",") != "SESSIONS_REDIS_URL" {
		t.Errorf("redis keys %v", redis.EnvelopeKeys)
	}
	failed := waitManaged(t, s, nil, kafka.ID, "failed")
	if !strings.Contains(failed.StatusError, "no provider runs kafka") {
		t.Errorf("kafka failed with %q", failed.StatusError)
	}

	creds, err := env.Clientset.CoreV1().Secrets(ns).Get(ctx, "managed-postgres-credentials", metav1.GetOptions{})
	must(t, err)
	password := string(creds.Data["password"])
	if len(password) < 32 || string(creds.Data["username"]) != "app" {
		t.Fatalf("credentials %v", creds.Data)
	}
	sts, err := env.Clientset.AppsV1().StatefulSets(ns).Get(ctx, "managed-postgres", metav1.GetOptions{})
	must(t, err)
	c := sts.Spec.Template.Spec.Containers[0]
	if c.Image != "postgres:16" || c.Resources.Requests.Memory().String() != "1Gi" || sts.Status.ReadyReplicas != 1 ||
		sts.Labels["astrolift.dev/app"] != "shop" || sts.Labels["astrolift.dev/environment"] != "staging" ||
		sts.Labels["astrolift.dev/managed-service"] != "managed-postgres" {
		t.Errorf("statefulset: image %s, memory %s, ready %d, labels %v", c.Image, c.Resources.Requests.Memory(), sts.Status.ReadyReplicas, sts.Labels)
	}
	if svc, err := env.Clientset.CoreV1().Services(ns).Get(ctx, "managed-postgres", metav1.GetOptions{}); err != nil || svc.Spec.Ports[0].Port != 5432 {
		t.Errorf("service: %v", err)
	}
	// Provisioning again keeps the credentials.
	loop2 := &reconciler.ManagedServices{Store: s, Cluster: cluster, Box: box, Holder: "test-2",
		Providers: []reconciler.ManagedProvider{&reconciler.InCluster{Ephemeral: true}}}
	envelope, ready, err := (&reconciler.InCluster{Ephemeral: true}).Provision(ctx, &reconciler.ManagedTarget{Service: got, App: "shop", Env: e, Cluster: mustCluster(t, cluster, e)})
	must(t, err)
	if !ready || !strings.Contains(envelope["DATABASE_URL"], ":"+password+"@managed-postgres."+ns+".svc:5432/shop") {
		t.Errorf("re-provision: ready %v, envelope %v", ready, envelope["DATABASE_URL"])
	}

	// The next deployment injects the envelopes into the app's env Secret;
	// the manifest's env is there too.
	d := &reconciler.Deployer{Store: s, Cluster: cluster, Box: box}
	dep := &store.Deployment{AppID: a.ID, EnvironmentID: e.ID, Trigger: "manual", Status: "pending", Image: "v1", ManifestRaw: oneWorker}
	must(t, s.CreateDeployment(ctx, dep, "test"))
	if err := d.Run(ctx, dep.ID); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	appSecret, err := env.Clientset.CoreV1().Secrets(ns).Get(ctx, "shop-env", metav1.GetOptions{})
	must(t, err)
	want := "postgres://app:" + password + "@managed-postgres." + ns + ".svc:5432/shop?sslmode=disable"
	if string(appSecret.Data["DATABASE_URL"]) != want || string(appSecret.Data["PGPASSWORD"]) != password ||
		!strings.HasPrefix(string(appSecret.Data["SESSIONS_REDIS_URL"]), "redis://:") || string(appSecret.Data["LOG_LEVEL"]) != "info" {
		t.Errorf("app env secret: %v", appSecret.Data)
	}

	// Deprovision: the objects go, then the row.
	must(t, s.DeprovisionManagedService(ctx, pg.ID))
	waitGone(t, s, loop2, pg.ID)
	if _, err := env.Clientset.AppsV1().StatefulSets(ns).Get(ctx, "managed-postgres", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("statefulset after deprovision: %v", err)
	}
	if _, err := env.Clientset.CoreV1().Services(ns).Get(ctx, "managed-postgres", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("service after deprovision: %v", err)
	}
	if _, err := env.Clientset.CoreV1().Secrets(ns).Get(ctx, "managed-postgres-credentials", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("credentials after deprovision: %v", err)
	}
	if l, _ := s.ListManagedServices(ctx, store.ManagedServiceFilter{AppID: a.ID}); len(l) != 2 {
		t.Errorf("listed after deprovision: %d, want 2 (redis, kafka)", len(l))
	}
	// A failed kind deprovisions too (nothing upstream to remove).
	must(t, s.DeprovisionManagedService(ctx, kafka.ID))
	waitGone(t, s, loop, kafka.ID)
	// The next deployment no longer carries the postgres envelope.
	dep2 := &store.Deployment{AppID: a.ID, EnvironmentID: e.ID, Trigger: "manual", Status: "pending", Image: "v1", ManifestRaw: oneWorker}
	must(t, s.CreateDeployment(ctx, dep2, "test"))
	must(t, d.Run(ctx, dep2.ID))
	appSecret, _ = env.Clientset.CoreV1().Secrets(ns).Get(ctx, "shop-env", metav1.GetOptions{})
	if _, ok := appSecret.Data["DATABASE_URL"]; ok || appSecret.Data["SESSIONS_REDIS_URL"] == nil {
		t.Errorf("after deprovision the env secret holds %v", keysOf(appSecret.Data))
	}

	// The generated password never reached the database in plaintext.
	_ = s.Close()
	for _, file := range []string{dbPath, dbPath + "-wal"} {
		b, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		if bytes.Contains(b, []byte(password)) {
			t.Errorf("%s holds the generated password in plaintext", filepath.Base(file))
		}
	}
}

// A replica that crashed mid-provision (the service left provisioning,
// its lease held) is finished by a new loop once the lease expires.
func TestManagedServiceResumesAfterCrash(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	box, err := secretbox.New(bytes.Repeat([]byte{7}, 32))
	must(t, err)
	a, e := f.appEnv("crash", "production")
	cluster := localCluster(t)
	svc := &store.ManagedService{OrgID: f.org.ID, AppID: a.ID, EnvironmentID: e.ID, Kind: "postgres"}
	must(t, f.s.CreateManagedService(ctx, svc))

	// The first replica takes one step and dies without releasing anything.
	must(t, f.s.TransitionManagedService(ctx, svc.ID, "pending", "provisioning", store.ManagedServiceUpdate{}))
	ok, err := f.s.AcquireLease(ctx, "managed-service:"+itoa(svc.ID), "dead-replica", 2*time.Second)
	if err != nil || !ok {
		t.Fatalf("lease: %v %v", ok, err)
	}
	first := &reconciler.ManagedServices{Store: f.s, Cluster: cluster, Box: box, Holder: "first",
		Providers: []reconciler.ManagedProvider{&reconciler.InCluster{Ephemeral: true}}}
	firstCtx, cancel := context.WithCancel(ctx)
	must(t, first.Scan(firstCtx)) // the lease is held: nothing happens
	cancel()
	if got, _ := f.s.GetManagedService(ctx, svc.ID); got.Status != "provisioning" {
		t.Fatalf("while the lease is held: %s", got.Status)
	}

	// A fresh loop on the same store finishes the job.
	fresh := &reconciler.ManagedServices{Store: f.s, Cluster: cluster, Box: box, Holder: "fresh", Interval: 200 * time.Millisecond,
		Providers: []reconciler.ManagedProvider{&reconciler.InCluster{Ephemeral: true}}}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- fresh.Run(runCtx) }()
	got := waitManaged(t, f.s, nil, svc.ID, "active")
	stop()
	must(t, <-done)
	if len(got.EnvelopeKeys) == 0 || len(got.EnvelopeSealed) == 0 {
		t.Errorf("active without an envelope: %+v", got)
	}
	env, err := reconciler.ManagedEnv(ctx, f.s, box, e.ID)
	must(t, err)
	if !strings.HasPrefix(env["DATABASE_URL"], "postgres://app:") {
		t.Errorf("envelope without a postgres DATABASE_URL (%d keys)", len(env))
	}
}

func waitGone(t *testing.T, s *store.Store, loop *reconciler.ManagedServices, id int64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		must(t, loop.Scan(context.Background()))
		if _, err := s.GetManagedService(context.Background(), id); err != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("managed service %d still listed", id)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func mustCluster(t *testing.T, cluster func(context.Context, *store.Environment) (*reconciler.ClusterClient, error), e *store.Environment) *reconciler.ClusterClient {
	t.Helper()
	cc, err := cluster(context.Background(), e)
	must(t, err)
	return cc
}

func keysOf(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
