package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/astrolift/astrolift/internal/gitserver"
)

// An SCM connection's token is sealed at rest, never shown again, and used
// by the poller for apps registered with the connection. The server is a
// plain git server (no host API), so the connection is generic; host
// connections are tested against Gitea in scm_test.go.
func TestSCMConnectionCredentials(t *testing.T) {
	h := newHarness(t)
	admin := h.user("admin@acme.test", "org.admin")
	srv := gitserver.New(t)
	srv.CreateRepo(t, "private.git", "main", map[string]string{"astrolift.toml": sharedManifest})
	srv.RequireAuth("bot", "t0ken-value")

	res := h.do(request{method: http.MethodPost, path: "/api/v1/scm-connections", token: admin, body: map[string]string{
		"kind": "generic", "name": "gitea", "base_url": srv.BaseURL(), "username": "bot", "token": "t0ken-value"}})
	if res.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Code, res.body)
	}
	var created struct {
		ID            int64  `json:"id"`
		WebhookSecret string `json:"webhook_secret"`
		WebhookPath   string `json:"webhook_path"`
	}
	res.decode(t, &created)
	if created.WebhookSecret == "" || !strings.HasPrefix(created.WebhookPath, "/api/v1/hooks/generic/") || strings.Contains(string(res.body), "t0ken-value") {
		t.Errorf("create answer: %s", res.body)
	}
	list := h.do(request{method: http.MethodGet, path: "/api/v1/scm-connections", token: admin})
	if strings.Contains(string(list.body), created.WebhookSecret) || strings.Contains(string(list.body), "t0ken-value") || !strings.Contains(string(list.body), `"has_credentials":true`) {
		t.Errorf("list shows secrets or lacks the connection: %s", list.body)
	}
	conns, _ := h.s.ListSCMConnections(context.Background(), h.org.ID)
	if len(conns) != 1 || strings.Contains(string(conns[0].CredentialsSealed), "t0ken") || strings.Contains(string(conns[0].WebhookSecretSealed), created.WebhookSecret) {
		t.Fatal("secrets stored in plaintext")
	}

	res = h.do(request{method: http.MethodPost, path: "/api/v1/apps", token: admin, body: map[string]string{
		"project": h.project.Slug, "name": "Private", "source_url": srv.URL("private.git"), "deploy_branch": "main", "scm_connection": "gitea"}})
	if res.Code != http.StatusCreated {
		t.Fatalf("register with the connection: %d %s", res.Code, res.body)
	}
	res = h.do(request{method: http.MethodPost, path: "/api/v1/apps", token: admin, body: map[string]string{
		"project": h.project.Slug, "name": "Nope", "source_url": srv.URL("private.git"), "deploy_branch": "main", "scm_connection": "missing"}})
	if _, field := res.errorCode(); res.Code != http.StatusBadRequest || field != "scm_connection" {
		t.Errorf("unknown connection: %d %s", res.Code, res.body)
	}
	h.poller.Auth = reconcilerAuth(h)
	_ = h.poller.PollOnce(context.Background())
	if a, _ := h.s.GetApp(context.Background(), "private"); a.Repo.Error != "" || a.Repo.Commit == "" {
		t.Errorf("poll with the connection's token: %+v", a.Repo)
	}
}
