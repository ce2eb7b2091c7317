package reconciler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/astrolift/astrolift/api"
	"github.com/astrolift/astrolift/internal/gitserver"
	"github.com/astrolift/astrolift/internal/secretbox"
	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/scm/git"
	"github.com/astrolift/astrolift/scm/webhook"
	"github.com/astrolift/astrolift/store"
)

// BenchmarkPushToApplied measures, per push, the time from a commit being
// pushed (the signed GitHub webhook sent to the running API) to every
// object of the resulting push deployment applied on the local control
// plane (its applying → verifying transition): webhook, ls-remote, fetch,
// manifest sync, deployment queued, rendered and server-side applied.
// Each push changes the manifest's env, so the Secret and the Deployment's
// pod template change. Anchor: Flux's triggered reconcile, 416 ms median;
// target: median under 150 ms.
func BenchmarkPushToApplied(b *testing.B) {
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(b.TempDir(), "a.db"), store.Options{})
	must2(b, err)
	b.Cleanup(func() { _ = s.Close() })
	org := &store.Organization{Slug: "acme", Name: "Acme"}
	must2(b, s.CreateOrganization(ctx, org))
	proj := &store.Project{OrgID: org.ID, Slug: "p", Name: "P"}
	must2(b, s.CreateProject(ctx, proj))
	manifest := func(i int) string { return fmt.Sprintf("%s[env]\nPUSH = \"%d\"\n", benchManifest, i) }
	repos := gitserver.New(b)
	repos.CreateRepo(b, "shop.git", "main", map[string]string{"astrolift.toml": manifest(0)})
	app := &store.App{OrgID: org.ID, ProjectID: proj.ID, Slug: "shop", Name: "Shop", SourceURL: repos.URL("shop.git"), TriggerMode: "push"}
	must2(b, s.CreateApp(ctx, app))
	e := &store.Environment{AppID: app.ID, Name: "prod", Namespace: fmt.Sprintf("push-%d", rand.IntN(1e6))}
	must2(b, s.CreateEnvironment(ctx, e))
	box, _ := secretbox.New(bytes.Repeat([]byte{5}, 32))
	secret := []byte("bench-secret")
	conn := &store.SCMConnection{OrgID: org.ID, Kind: "github", Name: "gh", WebhookSecretSealed: box.Seal(api.PurposeWebhookSecret, secret)}
	must2(b, s.CreateSCMConnection(ctx, conn))

	runner := &reconciler.DeployRunner{Deployer: &reconciler.Deployer{Store: s, Cluster: localClusterB(b)}, Store: s, Holder: "bench",
		Interval: time.Second, Log: slog.New(slog.DiscardHandler)}
	poller := &reconciler.Poller{Store: s, Cache: &git.Cache{Dir: b.TempDir()}, Interval: time.Hour, Holder: "bench", Queued: runner.Wake,
		Log: slog.New(slog.DiscardHandler)}
	srv := httptest.NewServer(api.New(api.Options{Store: s, Logger: slog.New(slog.DiscardHandler), Poller: poller, Secrets: box, Deployments: runner}).Handler())
	b.Cleanup(srv.Close)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	go func() { _ = poller.Run(runCtx); done <- struct{}{} }()
	go func() { _ = runner.Run(runCtx); done <- struct{}{} }()
	b.Cleanup(func() { cancel(); <-done; <-done })

	// The first deployment creates the namespace and everything in it.
	must2(b, poller.PollOnce(ctx))
	waitDeployment := func(commit string) *store.Deployment {
		deadline := time.Now().Add(time.Minute)
		for {
			ds, err := s.ListDeployments(ctx, store.DeploymentFilter{EnvironmentID: e.ID, Limit: 1})
			must2(b, err)
			if len(ds) == 1 && ds[0].CommitSHA == commit && ds[0].FinishedAt != nil {
				if ds[0].Status != "succeeded" {
					b.Fatalf("deployment %d of %s: %s %s", ds[0].ID, commit, ds[0].Status, ds[0].Error)
				}
				return ds[0]
			}
			if time.Now().After(deadline) {
				b.Fatalf("no finished deployment of %s within a minute", commit)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	first, _ := s.GetApp(ctx, "shop")
	waitDeployment(first.Repo.Commit)

	var lat []time.Duration
	i := 0
	for b.Loop() {
		i++
		head := repos.Commit(b, "shop.git", "main", map[string]string{"astrolift.toml": manifest(i)}, "push")
		body, _ := json.Marshal(map[string]any{"ref": "refs/heads/main", "after": head, "repository": map[string]any{"clone_url": repos.URL("shop.git")}})
		req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/hooks/github/%d", srv.URL, conn.ID), bytes.NewReader(body))
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("bench-%d", i))
		req.Header.Set("X-Hub-Signature-256", webhook.SignBody(secret, body))
		start := time.Now()
		res, err := http.DefaultClient.Do(req)
		must2(b, err)
		_ = res.Body.Close()
		if res.StatusCode != http.StatusAccepted {
			b.Fatalf("webhook: %d", res.StatusCode)
		}
		d := waitDeployment(head)
		ts, err := s.ListTransitions(ctx, d.ID)
		must2(b, err)
		for _, tr := range ts {
			if tr.From == "applying" && tr.To == "verifying" {
				lat = append(lat, tr.At.Sub(start))
			}
		}
	}
	if len(lat) == 0 {
		b.Fatal("no latency recorded")
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*9/10].Microseconds())/1000, "p90-ms")
}
