package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/astrolift/astrolift/api"
	"github.com/astrolift/astrolift/store"
)

const testDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

type deployTokenBody struct {
	ID                 int64      `json:"id"`
	Name               string     `json:"name"`
	Last4              string     `json:"last4"`
	Scopes             []string   `json:"scopes"`
	CreatedBy          string     `json:"created_by"`
	ExpiresAt          time.Time  `json:"expires_at"`
	LastUsedAt         *time.Time `json:"last_used_at"`
	PreviousValidUntil *time.Time `json:"previous_valid_until"`
	Token              string     `json:"token"`
}

type deploymentBody struct {
	ID          int64  `json:"id"`
	App         string `json:"app"`
	Environment string `json:"environment"`
	Trigger     string `json:"trigger"`
	Status      string `json:"status"`
	Image       string `json:"image"`
	ImageDigest string `json:"image_digest"`
	CreatedBy   string `json:"created_by"`
	CI          *struct {
		Commit string `json:"commit"`
		Branch string `json:"branch"`
		RunURL string `json:"run_url"`
	} `json:"ci"`
	StartedAt       *time.Time `json:"started_at"`
	FinishedAt      *time.Time `json:"finished_at"`
	DurationSeconds *float64   `json:"duration_seconds"`
}

func TestDeployTokenManagementAndCIDeploy(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	admin := h.user("admin@acme.test", "app.admin")
	base := "/api/v1/apps/" + h.app.Slug

	res := h.do(request{method: http.MethodPost, path: base + "/tokens", token: admin, body: map[string]any{"name": "github-actions"}})
	if res.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Code, res.body)
	}
	var created deployTokenBody
	res.decode(t, &created)
	secret := created.Token
	if !strings.HasPrefix(secret, "aldt_") || created.Last4 != secret[len(secret)-4:] || created.CreatedBy != "admin@acme.test" ||
		strings.Join(created.Scopes, ",") != "deploy,read" || created.ExpiresAt.Sub(h.clock.Now()) != 365*24*time.Hour {
		t.Fatalf("created token = %+v", created)
	}
	if res := h.do(request{method: http.MethodPost, path: base + "/tokens", token: admin, body: map[string]any{"name": "github-actions"}}); res.Code != http.StatusConflict {
		t.Errorf("same name twice: %d %s", res.Code, res.body)
	}
	if res := h.do(request{method: http.MethodPost, path: base + "/tokens", token: admin, body: map[string]any{"name": "x", "scopes": []string{"admin"}}}); res.Code != http.StatusBadRequest {
		t.Errorf("unknown scope: %d %s", res.Code, res.body)
	}

	// CI deploys with it: trigger ci, created_by names the token, CI context stored.
	deploy := map[string]any{"environment": "staging", "image": "registry.example.com/acme/shop:v2", "image_digest": testDigest,
		"commit": "0123abc", "branch": "main", "run_url": "https://github.com/acme/shop/actions/runs/42"}
	res = h.do(request{method: http.MethodPost, path: base + "/deploy", token: secret, body: deploy})
	if res.Code != http.StatusCreated {
		t.Fatalf("CI deploy: %d %s", res.Code, res.body)
	}
	var dep deploymentBody
	res.decode(t, &dep)
	if dep.Trigger != "ci" || dep.CreatedBy != "token:github-actions" || dep.ImageDigest != testDigest || dep.CI == nil ||
		dep.CI.Commit != "0123abc" || dep.CI.Branch != "main" || dep.CI.RunURL != "https://github.com/acme/shop/actions/runs/42" {
		t.Fatalf("CI deployment = %s", res.body)
	}
	stored, err := h.s.GetDeployment(ctx, dep.ID)
	if err != nil || stored.Trigger != "ci" || stored.ImageDigest != testDigest || stored.CI.Branch != "main" || stored.CreatedBy != "token:github-actions" {
		t.Fatalf("stored deployment = %+v, %v", stored, err)
	}
	// started_at, finished_at and duration_seconds once it ran.
	h.clock.Advance(time.Second)
	must(t, h.s.TransitionDeployment(ctx, dep.ID, "pending", "rendering", store.TransitionUpdate{}))
	h.clock.Advance(90 * time.Second)
	must(t, h.s.TransitionDeployment(ctx, dep.ID, "rendering", "failed", store.TransitionUpdate{Error: "boom", Finished: true}))
	res = h.do(request{method: http.MethodGet, path: fmt.Sprintf("/api/v1/deployments/%d", dep.ID), token: secret})
	if res.Code != http.StatusOK {
		t.Fatalf("token reads its deployment: %d %s", res.Code, res.body)
	}
	res.decode(t, &dep)
	if dep.StartedAt == nil || dep.FinishedAt == nil || dep.DurationSeconds == nil || *dep.DurationSeconds != 90 {
		t.Errorf("timing: started %v finished %v duration %v", dep.StartedAt, dep.FinishedAt, dep.DurationSeconds)
	}

	// A bad digest is 400 naming the field.
	res = h.do(request{method: http.MethodPost, path: base + "/deploy", token: secret, body: map[string]any{"environment": "staging", "image_digest": "sha256:abc"}})
	if code, field := res.errorCode(); res.Code != http.StatusBadRequest || field != "image_digest" {
		t.Errorf("bad digest: %d %s %s", res.Code, code, res.body)
	}
	res = h.do(request{method: http.MethodPost, path: base + "/deploy", token: secret, body: map[string]any{"environment": "staging", "run_url": "javascript:alert(1)"}})
	if _, field := res.errorCode(); res.Code != http.StatusBadRequest || field != "run_url" {
		t.Errorf("bad run_url: %d %s", res.Code, res.body)
	}

	// A paused environment refuses CI, not a person.
	h.env.Paused = true
	must(t, h.s.UpdateEnvironment(ctx, h.env))
	res = h.do(request{method: http.MethodPost, path: base + "/deploy", token: secret, body: deploy})
	if code, _ := res.errorCode(); res.Code != http.StatusConflict || code != "environment_paused" {
		t.Errorf("CI deploy to a paused environment: %d %s", res.Code, res.body)
	}
	res = h.do(request{method: http.MethodPost, path: base + "/deploy", token: admin, body: map[string]any{"environment": "staging", "image": "v3"}})
	res.decode(t, &dep)
	if res.Code != http.StatusCreated || dep.Trigger != "manual" || dep.CreatedBy != "admin@acme.test" {
		t.Errorf("manual deploy to a paused environment: %d %s", res.Code, res.body)
	}

	// The list shows metadata, never a secret.
	res = h.do(request{method: http.MethodGet, path: base + "/tokens", token: admin})
	var list struct{ Items []deployTokenBody }
	res.decode(t, &list)
	if res.Code != http.StatusOK || len(list.Items) != 1 || list.Items[0].LastUsedAt == nil || list.Items[0].Token != "" ||
		strings.Contains(string(res.body), secret) || strings.Contains(string(res.body), secret[:20]) {
		t.Fatalf("list: %d %s", res.Code, res.body)
	}

	// Rotation: the new secret, shown once; the old one works 24 h more.
	res = h.do(request{method: http.MethodPost, path: fmt.Sprintf("%s/tokens/%d/rotate", base, created.ID), token: admin})
	var rotated deployTokenBody
	res.decode(t, &rotated)
	if res.Code != http.StatusOK || !strings.HasPrefix(rotated.Token, "aldt_") || rotated.Token == secret ||
		rotated.Last4 != rotated.Token[len(rotated.Token)-4:] || rotated.PreviousValidUntil == nil {
		t.Fatalf("rotate: %d %s", res.Code, res.body)
	}
	get := func(tok string) int {
		return h.do(request{method: http.MethodGet, path: base, token: tok}).Code
	}
	if a, b := get(secret), get(rotated.Token); a != http.StatusOK || b != http.StatusOK {
		t.Errorf("right after rotation: old %d, new %d", a, b)
	}
	h.clock.Advance(23 * time.Hour)
	if c := get(secret); c != http.StatusOK {
		t.Errorf("old secret 23 h after rotation: %d", c)
	}
	h.clock.Advance(2 * time.Hour)
	if a, b := get(secret), get(rotated.Token); a != http.StatusUnauthorized || b != http.StatusOK {
		t.Errorf("25 h after rotation: old %d (want 401), new %d", a, b)
	}

	// Revocation (soft).
	if res := h.do(request{method: http.MethodDelete, path: fmt.Sprintf("%s/tokens/%d", base, created.ID), token: admin}); res.Code != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", res.Code, res.body)
	}
	if c := get(rotated.Token); c != http.StatusUnauthorized {
		t.Errorf("revoked token: %d, want 401", c)
	}
	if res := h.do(request{method: http.MethodDelete, path: fmt.Sprintf("%s/tokens/%d", base, created.ID), token: admin}); res.Code != http.StatusNotFound {
		t.Errorf("revoke twice: %d", res.Code)
	}
	if res := h.do(request{method: http.MethodGet, path: base + "/tokens", token: admin}); strings.Contains(string(res.body), "github-actions") {
		t.Errorf("revoked token still listed: %s", res.body)
	}
}

// A deploy token acts on its own app only: deploy (scope deploy) and reads
// of the app and its deployments (scope read). Every other route is 403.
func TestDeployTokenBoundaries(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	other := &store.App{OrgID: h.org.ID, ProjectID: h.project.ID, Slug: "billing", Name: "Billing", SourceURL: h.app.SourceURL}
	must(t, h.s.CreateApp(ctx, other))
	must(t, h.s.SetSnapshot(ctx, other.ID, store.Snapshot{Raw: sharedManifest, Commit: "c0ffee", BlobID: "b10b"}, false))
	otherEnv := &store.Environment{AppID: other.ID, Name: "staging", Namespace: "billing-staging", ClusterID: h.env.ClusterID}
	must(t, h.s.CreateEnvironment(ctx, otherEnv))
	otherDep := &store.Deployment{AppID: other.ID, EnvironmentID: otherEnv.ID, Trigger: "manual", Status: "pending", ManifestRaw: sharedManifest}
	must(t, h.s.CreateDeployment(ctx, otherDep, "test"))
	ownDep := &store.Deployment{AppID: h.app.ID, EnvironmentID: h.env.ID, Trigger: "manual", Status: "awaiting_approval", ManifestRaw: sharedManifest}
	must(t, h.s.CreateDeployment(ctx, ownDep, "test"))

	issue := func(name string, scopes ...string) string {
		tok, err := api.IssueDeployToken(ctx, h.s, &store.DeployToken{AppID: h.app.ID, Name: name, Scopes: scopes})
		must(t, err)
		return tok
	}
	full, readOnly, deployOnly := issue("full", "deploy", "read"), issue("read", "read"), issue("deploy", "deploy")
	deployBody := map[string]any{"environment": "staging", "image": "v2"}
	for _, c := range []struct {
		token        string
		method, path string
		body         any
		want         int
	}{
		{full, "GET", "/api/v1/apps/shop", nil, 200},
		{full, "GET", "/api/v1/deployments", nil, 200},
		{full, "GET", "/api/v1/deployments?app=shop", nil, 200},
		{full, "GET", fmt.Sprintf("/api/v1/deployments/%d", ownDep.ID), nil, 200},
		{full, "POST", "/api/v1/apps/shop/deploy", deployBody, 201},
		{full, "GET", "/api/v1/apps/billing", nil, 403},
		{full, "POST", "/api/v1/apps/billing/deploy", deployBody, 403},
		{full, "GET", "/api/v1/deployments?app=billing", nil, 403},
		{full, "GET", fmt.Sprintf("/api/v1/deployments/%d", otherDep.ID), nil, 403},
		{full, "POST", fmt.Sprintf("/api/v1/deployments/%d/approve", ownDep.ID), nil, 403},
		{full, "POST", fmt.Sprintf("/api/v1/deployments/%d/abort", ownDep.ID), nil, 403},
		{full, "GET", "/api/v1/me", nil, 403},
		{full, "GET", "/api/v1/me/tokens", nil, 403},
		{full, "PUT", "/api/v1/apps/shop/config/draft", map[string]any{"source": "schema = 1\n"}, 403},
		{full, "GET", "/api/v1/apps/shop/tokens", nil, 403},
		{full, "POST", "/api/v1/apps/shop/tokens", map[string]any{"name": "more"}, 403},
		{full, "GET", "/api/v1/apps", nil, 403},
		{readOnly, "GET", "/api/v1/apps/shop", nil, 200},
		{readOnly, "POST", "/api/v1/apps/shop/deploy", deployBody, 403},
		{deployOnly, "POST", "/api/v1/apps/shop/deploy", deployBody, 201},
		{deployOnly, "GET", "/api/v1/apps/shop", nil, 403},
		{deployOnly, "GET", "/api/v1/deployments", nil, 403},
		{deployOnly, "GET", fmt.Sprintf("/api/v1/deployments/%d", ownDep.ID), nil, 403},
		{"aldt_not-a-token", "GET", "/api/v1/apps/shop", nil, 401},
	} {
		res := h.do(request{method: c.method, path: c.path, body: c.body, token: c.token})
		if res.Code != c.want {
			t.Errorf("%s %s with %s…: %d, want %d: %s", c.method, c.path, c.token[:9], res.Code, c.want, res.body)
		}
	}
	// The listing holds the token's app's deployments only.
	res := h.do(request{method: http.MethodGet, path: "/api/v1/deployments", token: full})
	var list struct{ Items []deploymentBody }
	res.decode(t, &list)
	for _, d := range list.Items {
		if d.App != "shop" {
			t.Errorf("token lists a deployment of %s", d.App)
		}
	}
	if len(list.Items) < 2 {
		t.Errorf("token lists %d deployments of its app, want at least 2: %s", len(list.Items), res.body)
	}

	// Every route outside the four a token may call answers 403.
	allowed := map[string]bool{"POST /api/v1/apps/:slug/deploy": true, "GET /api/v1/apps/:slug": true,
		"GET /api/v1/deployments": true, "GET /api/v1/deployments/:id": true}
	for _, rt := range api.New(api.Options{Store: h.s, Logger: quiet()}).Routes() {
		key := rt.Method + " " + rt.Path
		if rt.Permission == "" || allowed[key] {
			continue
		}
		t.Run(key, func(t *testing.T) {
			h := newHarness(t)
			tok, err := api.IssueDeployToken(context.Background(), h.s, &store.DeployToken{AppID: h.app.ID, Name: "boundary", Scopes: []string{"deploy", "read"}})
			must(t, err)
			req := h.matrixRequest(rt)
			req.token = tok
			want := http.StatusForbidden
			if key == "DELETE /api/v1/projects/:project" {
				want = http.StatusUnauthorized // its setup deletes the token's app, which ends its tokens
			}
			if res := h.do(req); res.Code != want {
				t.Errorf("deploy token got %d, want %d: %s", res.Code, want, res.body)
			}
		})
	}
}

// Scopes may be given as one comma-separated string.
func TestDeployTokenScopesCommaSeparated(t *testing.T) {
	h := newHarness(t)
	admin := h.user("admin@acme.test", "app.admin")
	var created struct {
		Scopes []string `json:"scopes"`
		Token  string   `json:"token"`
	}
	res := h.do(request{method: http.MethodPost, path: "/api/v1/apps/shop/tokens", token: admin,
		body: map[string]any{"name": "ci", "scopes": "deploy, read"}})
	ok(t, res, http.StatusCreated)
	res.decode(t, &created)
	if len(created.Scopes) != 2 || created.Scopes[0] != "deploy" || created.Scopes[1] != "read" {
		t.Fatalf("scopes = %v", created.Scopes)
	}
	res = h.do(request{method: http.MethodPost, path: "/api/v1/apps/shop/tokens", token: admin,
		body: map[string]any{"name": "ci2", "scopes": "deploy,admin"}})
	if _, field := res.errorCode(); res.Code != http.StatusBadRequest || field != "scopes" {
		t.Fatalf("unknown scope: %d %s", res.Code, res.body)
	}
}
