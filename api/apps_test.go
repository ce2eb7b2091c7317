package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/astrolift/astrolift/store"
)

func TestAppSlugRules(t *testing.T) {
	h := newHarness(t)
	tok := h.user("dev@acme.test", "org.admin")
	create := func(body map[string]any) response {
		body["project"] = h.project.Slug
		if _, ok := body["source_url"]; !ok {
			body["source_url"] = "https://git.example.com/acme/x.git"
		}
		return h.do(request{method: http.MethodPost, path: "/api/v1/apps", token: tok, body: body})
	}
	slugOf := func(res response) string {
		var a struct {
			Slug   string `json:"slug"`
			Status string `json:"status"`
		}
		res.decode(t, &a)
		if a.Status != "pending" {
			t.Errorf("a new app is %q, want pending", a.Status)
		}
		return a.Slug
	}

	// Generated from the name: lower case, hyphens, no leading digits.
	res := create(map[string]any{"name": "  2 Fast & Furious Café!! "})
	if res.Code != http.StatusCreated || slugOf(res) != "fast-furious-caf" {
		t.Fatalf("generated slug: %d %s", res.Code, res.body)
	}
	// A generated slug that is taken gets a suffix; a chosen one is a 409.
	if res := create(map[string]any{"name": "Fast Furious Caf"}); res.Code != http.StatusCreated || slugOf(res) != "fast-furious-caf-2" {
		t.Fatalf("second generated slug: %d %s", res.Code, res.body)
	}
	res = create(map[string]any{"name": "Other", "slug": "fast-furious-caf"})
	if code, _ := res.errorCode(); res.Code != http.StatusConflict || code != "conflict" {
		t.Fatalf("chosen slug taken: %d %s", res.Code, res.body)
	}
	// Chosen slugs must be DNS-1035 labels of at most 40 characters.
	for _, bad := range []string{"Upper", "1abc", "a_b", "-a", strings.Repeat("a", 41)} {
		res := create(map[string]any{"name": "X", "slug": bad})
		if code, field := res.errorCode(); res.Code != http.StatusBadRequest || code != "invalid" || field != "slug" {
			t.Errorf("slug %q: %d %s", bad, res.Code, res.body)
		}
	}
	// Immutable after registration.
	res = h.do(request{method: http.MethodPatch, path: "/api/v1/apps/fast-furious-caf", token: tok, body: map[string]any{"slug": "renamed"}})
	if _, field := res.errorCode(); res.Code != http.StatusBadRequest || field != "slug" {
		t.Fatalf("slug change: %d %s", res.Code, res.body)
	}
	// Deleted: the slug stays reserved for the grace window (7 days), then is free.
	if res := h.do(request{method: http.MethodDelete, path: "/api/v1/apps/fast-furious-caf", token: tok}); res.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", res.Code, res.body)
	}
	if res := h.do(request{method: http.MethodGet, path: "/api/v1/apps/fast-furious-caf", token: tok}); res.Code != http.StatusNotFound {
		t.Errorf("deleted app: %d, want 404", res.Code)
	}
	if res := create(map[string]any{"name": "Again", "slug": "fast-furious-caf"}); res.Code != http.StatusConflict {
		t.Errorf("slug reused within the grace window: %d %s", res.Code, res.body)
	}
	h.clock.Advance(7*24*time.Hour + time.Minute)
	if res := create(map[string]any{"name": "Again", "slug": "fast-furious-caf"}); res.Code != http.StatusCreated {
		t.Errorf("slug after the grace window: %d %s", res.Code, res.body)
	}
}

func TestAppValidationErrors(t *testing.T) {
	h := newHarness(t)
	tok := h.user("dev@acme.test", "org.admin")
	cases := []struct {
		body  any
		field string
	}{
		{map[string]any{"project": "checkout", "name": "A", "source_url": "not a url"}, "source_url"},
		{map[string]any{"project": "checkout", "name": "A", "source_url": "ftp://x/y"}, "source_url"},
		{map[string]any{"project": "checkout", "name": "A", "source_url": "https://x/y", "manifest_path": "../a.toml"}, "manifest_path"},
		{map[string]any{"project": "checkout", "name": "A", "source_url": "https://x/y", "manifest_path": "/abs.toml"}, "manifest_path"},
		{map[string]any{"project": "checkout", "name": "A", "source_url": "https://x/y", "deploy_branch": "a..b"}, "deploy_branch"},
		{map[string]any{"project": "checkout", "name": "A", "source_url": "https://x/y", "trigger_mode": "nightly"}, "trigger_mode"},
		{map[string]any{"project": "checkout", "name": "A", "source_url": "https://x/y", "source_kind": "svn"}, "source_kind"},
		{map[string]any{"project": "nope", "name": "A", "source_url": "https://x/y"}, "project"},
		{map[string]any{"project": "checkout", "name": " ", "source_url": "https://x/y"}, "name"},
		{map[string]any{"project": "checkout", "name": "A", "source_url": "https://x/y", "colour": "red"}, "colour"},
		{map[string]any{"project": "checkout", "name": 5}, "name"},
		{`{"project": "checkout",`, ""},
	}
	for _, tc := range cases {
		res := h.do(request{method: http.MethodPost, path: "/api/v1/apps", token: tok, body: tc.body})
		code, field := res.errorCode()
		if res.Code != http.StatusBadRequest || code != "invalid" || field != tc.field {
			t.Errorf("%v: %d %s, want 400 invalid on %q", tc.body, res.Code, res.body, tc.field)
		}
	}
	// git@host:path clone URLs are accepted.
	res := h.do(request{method: http.MethodPost, path: "/api/v1/apps", token: tok, body: map[string]any{
		"project": "checkout", "name": "Via SSH", "source_url": "git@github.com:acme/api.git", "manifest_path": "deploy/astrolift.toml", "trigger_mode": "ci"}})
	if res.Code != http.StatusCreated {
		t.Errorf("ssh clone URL: %d %s", res.Code, res.body)
	}
	// Oversized bodies are refused with 413.
	big := `{"name": "` + strings.Repeat("x", 3<<20) + `"}`
	res = h.do(request{method: http.MethodPost, path: "/api/v1/apps", token: tok, body: big})
	if code, _ := res.errorCode(); res.Code != http.StatusRequestEntityTooLarge || code != "too_large" {
		t.Errorf("3 MiB body: %d %s", res.Code, res.body)
	}
	// Unknown app: 404 in the error shape.
	res = h.do(request{method: http.MethodGet, path: "/api/v1/apps/nope", token: tok})
	if code, _ := res.errorCode(); res.Code != http.StatusNotFound || code != "not_found" {
		t.Errorf("unknown app: %d %s", res.Code, res.body)
	}
}

func TestAppListPaginationAndVisibility(t *testing.T) {
	h := newHarness(t)
	admin := h.user("admin@acme.test", "org.admin")
	viewer := h.user("viewer@acme.test", "app.viewer") // bound to "shop" only
	for i := range 6 {
		res := h.do(request{method: http.MethodPost, path: "/api/v1/apps", token: admin, body: map[string]any{
			"project": h.project.Slug, "name": fmt.Sprintf("svc %d", i), "source_url": "https://git.example.com/x.git"}})
		if res.Code != http.StatusCreated {
			t.Fatal(res.Code, string(res.body))
		}
	}
	var slugs []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		var page struct {
			Items []struct {
				Slug string `json:"slug"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		h.do(request{method: http.MethodGet, path: "/api/v1/apps?limit=3&cursor=" + cursor, token: admin}).decode(t, &page)
		for _, a := range page.Items {
			slugs = append(slugs, a.Slug)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	want := "shop svc-0 svc-1 svc-2 svc-3 svc-4 svc-5"
	if strings.Join(slugs, " ") != want {
		t.Errorf("paged slugs %v, want %s", slugs, want)
	}
	res := h.do(request{method: http.MethodGet, path: "/api/v1/apps?q=SVC-4", token: admin})
	if !strings.Contains(string(res.body), `"slug":"svc-4"`) || strings.Contains(string(res.body), `"slug":"shop"`) {
		t.Errorf("?q filter: %s", res.body)
	}
	if res := h.do(request{method: http.MethodGet, path: "/api/v1/apps?limit=0", token: admin}); res.Code != http.StatusBadRequest {
		t.Errorf("limit=0: %d", res.Code)
	}
	// An app viewer sees only their app.
	res = h.do(request{method: http.MethodGet, path: "/api/v1/apps", token: viewer})
	if !strings.Contains(string(res.body), `"slug":"shop"`) || strings.Contains(string(res.body), "svc-") {
		t.Errorf("viewer's list: %s", res.body)
	}
}

func TestAppOverview(t *testing.T) {
	h := newHarness(t)
	tok := h.user("dev@acme.test", "app.developer")
	must(t, h.s.SetSnapshot(t.Context(), h.app.ID, storeSnapshot("schema = 1\n[workloads.web]\nreplicas = 3\n[[workloads.web.containers]]\nimage = \"nginx:1\"\n[workloads.worker]\nautoscale = { min = 2, max = 4 }\n[[workloads.worker.containers]]\nimage = \"busybox:1\"\n"), false))
	h.event("app.registered")
	var ov struct {
		App struct {
			Slug string `json:"slug"`
		} `json:"app"`
		Provisioning struct {
			Status string `json:"status"`
		} `json:"provisioning"`
		Workloads struct {
			Count    int `json:"count"`
			Replicas int `json:"replicas"`
		} `json:"workloads"`
		Source struct {
			URL          string `json:"url"`
			ManifestPath string `json:"manifest_path"`
		} `json:"source"`
		Trigger struct {
			Mode string `json:"mode"`
		} `json:"trigger"`
		RecentEvents []struct {
			Kind string `json:"kind"`
		} `json:"recent_events"`
	}
	res := h.do(request{method: http.MethodGet, path: "/api/v1/apps/shop/overview", token: tok})
	if res.Code != http.StatusOK {
		t.Fatalf("%d %s", res.Code, res.body)
	}
	res.decode(t, &ov)
	if ov.App.Slug != "shop" || ov.Provisioning.Status != "pending" || ov.Workloads.Count != 2 || ov.Workloads.Replicas != 5 ||
		ov.Source.ManifestPath != "astrolift.toml" || ov.Trigger.Mode != "push" || len(ov.RecentEvents) != 1 {
		t.Errorf("overview %+v", ov)
	}
}

func TestAppPollInterval(t *testing.T) {
	h := newHarness(t)
	tok := h.user("admin@acme.test", "org.admin")
	res := h.do(request{method: http.MethodPatch, path: "/api/v1/apps/shop", token: tok, body: map[string]any{"poll_interval_seconds": 5}})
	if _, field := res.errorCode(); res.Code != http.StatusBadRequest || field != "poll_interval_seconds" {
		t.Errorf("5 s: %d %s", res.Code, res.body)
	}
	res = h.do(request{method: http.MethodPatch, path: "/api/v1/apps/shop", token: tok, body: map[string]any{"poll_interval_seconds": 60}})
	if res.Code != http.StatusOK || !strings.Contains(string(res.body), `"poll_interval_seconds":60`) {
		t.Errorf("60 s: %d %s", res.Code, res.body)
	}
	if a, _ := h.s.GetApp(t.Context(), "shop"); a.PollInterval != time.Minute {
		t.Errorf("stored interval %s", a.PollInterval)
	}
}

// The app shows the image repository onboarding recorded and its status.
func TestAppRegistryFields(t *testing.T) {
	h := newHarness(t)
	tok := h.user("dev@acme.test", "app.developer")
	var app struct {
		Repository *string `json:"registry_repository"`
		Status     *string `json:"registry_status"`
	}
	res := h.do(request{method: http.MethodGet, path: "/api/v1/apps/shop", token: tok})
	res.decode(t, &app)
	if res.Code != http.StatusOK || app.Repository == nil || *app.Repository != "" || app.Status == nil || *app.Status != "" {
		t.Fatalf("before onboarding: %d %s", res.Code, res.body)
	}
	must(t, h.s.SetAppRegistry(t.Context(), h.app.ID, store.Registry{Repository: "registry.example.com/acme/shop", Status: "2 tags"}))
	res = h.do(request{method: http.MethodGet, path: "/api/v1/apps/shop", token: tok})
	res.decode(t, &app)
	if *app.Repository != "registry.example.com/acme/shop" || *app.Status != "2 tags" {
		t.Errorf("app: %s", res.body)
	}
	res = h.do(request{method: http.MethodGet, path: "/api/v1/apps", token: tok})
	if !strings.Contains(string(res.body), `"registry_repository":"registry.example.com/acme/shop","registry_status":"2 tags"`) {
		t.Errorf("list: %s", res.body)
	}
}
