package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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

// BenchmarkWebhookToRecordedHead measures, per push, the time from sending
// a signed GitHub webhook to the new head being recorded on the app (the
// poller's ls-remote, fetch and read included), over real HTTP to a
// running server and a git-http-backend repository. Target: median < 50 ms.
func BenchmarkWebhookToRecordedHead(b *testing.B) {
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(b.TempDir(), "a.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	org := &store.Organization{Slug: "acme", Name: "Acme"}
	proj := &store.Project{Slug: "p", Name: "P"}
	if err := s.CreateOrganization(ctx, org); err != nil {
		b.Fatal(err)
	}
	proj.OrgID = org.ID
	if err := s.CreateProject(ctx, proj); err != nil {
		b.Fatal(err)
	}
	repos := gitserver.New(b)
	repos.CreateRepo(b, "shop.git", "main", map[string]string{"astrolift.toml": sharedManifest})
	app := &store.App{OrgID: org.ID, ProjectID: proj.ID, Slug: "shop", Name: "Shop", SourceURL: repos.URL("shop.git"), TriggerMode: "manual"}
	if err := s.CreateApp(ctx, app); err != nil {
		b.Fatal(err)
	}
	box, _ := secretbox.New(bytes.Repeat([]byte{5}, 32))
	secret := []byte("bench-secret")
	conn := &store.SCMConnection{OrgID: org.ID, Kind: "github", Name: "gh", WebhookSecretSealed: box.Seal(api.PurposeWebhookSecret, secret)}
	if err := s.CreateSCMConnection(ctx, conn); err != nil {
		b.Fatal(err)
	}
	poller := &reconciler.Poller{Store: s, Cache: &git.Cache{Dir: b.TempDir()}, Interval: time.Hour, Holder: "bench"}
	srv := httptest.NewServer(api.New(api.Options{Store: s, Logger: quiet(), Poller: poller, Secrets: box}).Handler())
	b.Cleanup(srv.Close)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = poller.Run(runCtx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	if err := poller.PollOnce(ctx); err != nil {
		b.Fatal(err)
	}

	var lat []time.Duration
	i := 0
	for b.Loop() {
		i++
		head := repos.Commit(b, "shop.git", "main", map[string]string{"astrolift.toml": fmt.Sprintf("%s# push %d\n", sharedManifest, i)}, "push")
		body, _ := json.Marshal(map[string]any{"ref": "refs/heads/main", "after": head, "repository": map[string]any{"clone_url": repos.URL("shop.git")}})
		req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/hooks/github/%d", srv.URL, conn.ID), bytes.NewReader(body))
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("bench-%d", i))
		req.Header.Set("X-Hub-Signature-256", webhook.SignBody(secret, body))
		start := time.Now()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_ = res.Body.Close()
		if res.StatusCode != http.StatusAccepted {
			b.Fatalf("webhook: %d", res.StatusCode)
		}
		for {
			a, err := s.GetApp(ctx, "shop")
			if err != nil {
				b.Fatal(err)
			}
			if a.Repo.Commit == head {
				break
			}
			if time.Since(start) > 10*time.Second {
				b.Fatal("head not recorded within 10 s")
			}
			time.Sleep(200 * time.Microsecond)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*9/10].Microseconds())/1000, "p90-ms")
}
