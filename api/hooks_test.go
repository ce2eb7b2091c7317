package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/astrolift/astrolift/api"
	"github.com/astrolift/astrolift/internal/gitserver"
	"github.com/astrolift/astrolift/internal/secretbox"
	"github.com/astrolift/astrolift/scm/webhook"
	"github.com/astrolift/astrolift/store"
)

// TestPushWebhook: a signed GitHub push for a real repository makes the
// running poller record the new head; replays and bad signatures are
// refused.
func TestPushWebhook(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	box, err := secretbox.New(bytes.Repeat([]byte{3}, 32))
	must(t, err)
	h.h = api.New(api.Options{Store: h.s, Logger: quiet(), Now: h.clock.Now, Poller: h.poller, Secrets: box}).Handler()
	h.poller.Now = time.Now

	srv := gitserver.New(t)
	srv.CreateRepo(t, "shop.git", "main", map[string]string{"astrolift.toml": sharedManifest})
	app := &store.App{OrgID: h.org.ID, ProjectID: h.project.ID, Slug: "hooked", Name: "Hooked", SourceURL: srv.URL("shop.git"), TriggerMode: "manual"}
	must(t, h.s.CreateApp(ctx, app))
	secret := []byte("whsec-123")
	conn := &store.SCMConnection{OrgID: h.org.ID, Kind: "github", Name: "github", WebhookSecretSealed: box.Seal(api.PurposeWebhookSecret, secret)}
	must(t, h.s.CreateSCMConnection(ctx, conn))

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = h.poller.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()

	head := srv.Commit(t, "shop.git", "main", map[string]string{"astrolift.toml": sharedManifest + "# pushed\n"}, "push")
	body, _ := json.Marshal(map[string]any{
		"ref": "refs/heads/main", "after": head,
		"repository": map[string]any{"clone_url": srv.URL("shop.git"), "html_url": srv.URL("shop")},
	})
	sig := webhook.SignBody(secret, body)
	deliver := func(delivery, signature string) response {
		return h.do(request{method: http.MethodPost, path: fmt.Sprintf("/api/v1/hooks/github/%d", conn.ID), body: string(body),
			headers: map[string]string{"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": signature}})
	}
	res := deliver("d-1", sig)
	var out struct {
		Apps []string `json:"apps"`
	}
	if res.Code != http.StatusAccepted {
		t.Fatalf("delivery: %d %s", res.Code, res.body)
	}
	res.decode(t, &out)
	if len(out.Apps) != 1 || out.Apps[0] != "hooked" {
		t.Errorf("matched apps %v", out.Apps)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		a, err := h.s.GetApp(ctx, "hooked")
		must(t, err)
		if a.Repo.Commit == head {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the poller did not record %s after the webhook (repo %+v)", head, a.Repo)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if res := deliver("d-1", sig); res.Code != http.StatusConflict {
		t.Errorf("replayed delivery: %d, want 409", res.Code)
	}
	if res := deliver("d-2", "sha256=00"); res.Code != http.StatusUnauthorized {
		t.Errorf("bad signature: %d, want 401", res.Code)
	}
	if res := h.do(request{method: http.MethodPost, path: fmt.Sprintf("/api/v1/hooks/gitlab/%d", conn.ID), body: string(body)}); res.Code != http.StatusBadRequest {
		t.Errorf("wrong kind for the connection: %d, want 400", res.Code)
	}
}
