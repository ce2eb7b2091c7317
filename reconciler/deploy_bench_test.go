package reconciler_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/store"
)

// benchManifest renders to 5 objects with the namespace: Namespace,
// ServiceAccount, Secret, Service, Deployment.
const benchManifest = "schema = 1\n[workloads.web]\n[[workloads.web.containers]]\nimage = \"nginx:1.27\"\nport = 80\n"

// BenchmarkDeployApps deploys N apps × 5 objects from nothing on the local
// control plane (kwok) with the runner (concurrency 10) and reports the
// total time, apps per second and this process's CPU. Anchor (Flux
// v1.9.6, concurrency 10, same control plane): 500 apps in 95 s, 100 in
// 16 s, 55 CPU-s. Target: 500 apps in under 30 s.
func BenchmarkDeployApps(b *testing.B) {
	for _, n := range []int{10, 100, 500} {
		b.Run(fmt.Sprintf("apps=%d", n), func(b *testing.B) {
			for b.Loop() {
				benchmarkDeploy(b, n)
			}
		})
	}
}

// benchConcurrency is the runner's apply concurrency: 10 (as Flux's
// anchor), or $ASTROLIFT_BENCH_CONCURRENCY.
func benchConcurrency() int {
	if n, err := strconv.Atoi(os.Getenv("ASTROLIFT_BENCH_CONCURRENCY")); err == nil && n > 0 {
		return n
	}
	return 10
}

// benchInFlight bounds deployments in flight (the runner's default, or
// $ASTROLIFT_BENCH_INFLIGHT).
func benchInFlight() int {
	n, _ := strconv.Atoi(os.Getenv("ASTROLIFT_BENCH_INFLIGHT"))
	return n
}

func benchmarkDeploy(b *testing.B, n int) {
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(b.TempDir(), "a.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	org := &store.Organization{Slug: "acme", Name: "Acme"}
	must2(b, s.CreateOrganization(ctx, org))
	proj := &store.Project{OrgID: org.ID, Slug: "p", Name: "P"}
	must2(b, s.CreateProject(ctx, proj))
	run := rand.IntN(1e6)
	var ids []int64
	for i := range n {
		a := &store.App{OrgID: org.ID, ProjectID: proj.ID, Slug: fmt.Sprintf("b%d-%d", run, i), Name: "b", SourceURL: "https://x/y.git"}
		must2(b, s.CreateApp(ctx, a))
		e := &store.Environment{AppID: a.ID, Name: "prod", Namespace: fmt.Sprintf("b%d-%d", run, i)}
		must2(b, s.CreateEnvironment(ctx, e))
		d := &store.Deployment{AppID: a.ID, EnvironmentID: e.ID, Trigger: "manual", Status: "pending", ManifestRaw: benchManifest}
		must2(b, s.CreateDeployment(ctx, d, "bench"))
		ids = append(ids, d.ID)
	}
	r := &reconciler.DeployRunner{Deployer: &reconciler.Deployer{Store: s, Cluster: localClusterB(b)},
		Store: s, Holder: "bench", Interval: 100 * time.Millisecond, Concurrency: benchConcurrency(), MaxInFlight: benchInFlight()}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	cpu0, start := cpuTime(), time.Now()
	go func() { _ = r.Run(runCtx); close(done) }()
	for {
		ds, err := s.ListDeployments(ctx, store.DeploymentFilter{Statuses: []string{"succeeded", "failed"}, Limit: 500})
		must2(b, err)
		if len(ds) == n {
			for _, d := range ds {
				if d.Status != "succeeded" {
					b.Fatalf("deployment %d: %s", d.ID, d.Error)
				}
			}
			break
		}
		if time.Since(start) > 10*time.Minute {
			b.Fatalf("%d of %d deployments done after 10 min", len(ds), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	var applying []time.Duration // rendering → verifying, per deployment
	var lastApplied time.Time
	for _, id := range ids {
		ts, err := s.ListTransitions(ctx, id)
		must2(b, err)
		var from time.Time
		for _, tr := range ts {
			switch tr.To {
			case "rendering":
				from = tr.At
			case "verifying":
				applying = append(applying, tr.At.Sub(from))
				if tr.At.After(lastApplied) {
					lastApplied = tr.At
				}
			}
		}
	}
	slices.Sort(applying)
	b.ReportMetric(lastApplied.Sub(start).Seconds(), "s-applied")
	b.ReportMetric(float64(applying[len(applying)/2].Milliseconds()), "apply-p50-ms")
	cancel()
	<-done
	b.ReportMetric(elapsed.Seconds(), "s-total")
	b.ReportMetric(float64(n)/elapsed.Seconds(), "apps/s")
	b.ReportMetric(cpu.Seconds(), "cpu-s")
	b.ReportMetric(rssMiB(), "rss-MiB") // at the end of the run (Go's heap is not returned at once)
}
