package reconciler_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/astrolift/astrolift/internal/testdb"
	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/store"
)

// Two serve replicas on one PostgreSQL (two stores, two runners with their
// own holders) share a queue of deployments: each deployment runs exactly
// once (one pending → rendering row, no resumption), and per environment
// they do not overlap.
func TestReplicasNeverRunADeploymentTwice(t *testing.T) {
	ctx := context.Background()
	url := testdb.PostgresURL(t)
	var stores []*store.Store
	for range 2 {
		s, err := store.Open(ctx, url, store.Options{})
		must(t, err)
		t.Cleanup(func() { _ = s.Close() })
		stores = append(stores, s)
	}
	s := stores[0]
	org := &store.Organization{Slug: "acme", Name: "Acme"}
	must(t, s.CreateOrganization(ctx, org))
	proj := &store.Project{OrgID: org.ID, Slug: "p", Name: "P"}
	must(t, s.CreateProject(ctx, proj))
	run := rand.IntN(1e6)
	var deps []*store.Deployment
	for i := range 3 {
		a := &store.App{OrgID: org.ID, ProjectID: proj.ID, Slug: fmt.Sprintf("rep%d", i), Name: "r", SourceURL: "https://x/y.git"}
		must(t, s.CreateApp(ctx, a))
		e := &store.Environment{AppID: a.ID, Name: "prod", Namespace: fmt.Sprintf("rep-%d-%d", run, i)}
		must(t, s.CreateEnvironment(ctx, e))
		for _, image := range []string{"v1", "v2"} {
			d := &store.Deployment{AppID: a.ID, EnvironmentID: e.ID, Trigger: "manual", Status: "pending", Image: image, ManifestRaw: benchManifest}
			must(t, s.CreateDeployment(ctx, d, "test"))
			deps = append(deps, d)
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, len(stores))
	for i, rs := range stores {
		r := &reconciler.DeployRunner{Deployer: &reconciler.Deployer{Store: rs, Cluster: localCluster(t), VerifyInterval: 200 * time.Millisecond},
			Store: rs, Holder: fmt.Sprintf("replica-%d", i), Interval: 20 * time.Millisecond}
		go func() { _ = r.Run(runCtx); done <- struct{}{} }()
	}
	defer func() {
		cancel()
		for range stores {
			<-done
		}
	}()
	waitFor(t, func() bool {
		for _, d := range deps {
			if got, _ := s.GetDeployment(ctx, d.ID); got.FinishedAt == nil {
				return false
			}
		}
		return true
	})
	for i, d := range deps {
		got, _ := s.GetDeployment(ctx, d.ID)
		if tr := transitions(t, s, d.ID); got.Status != "succeeded" || tr != "pending rendering applying verifying succeeded" {
			t.Errorf("deployment %d: %s, lifecycle %q (run more than once?)", d.ID, got.Status, tr)
		}
		if i%2 == 1 { // the second deployment of an environment started after the first ended
			first, _ := s.ListTransitions(ctx, deps[i-1].ID)
			second, _ := s.ListTransitions(ctx, d.ID)
			if second[1].At.Before(first[len(first)-1].At) {
				t.Errorf("deployments %d and %d of one environment overlapped", deps[i-1].ID, d.ID)
			}
		}
	}
}
