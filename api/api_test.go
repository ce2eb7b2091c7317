package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/astrolift/astrolift/api"
	"github.com/astrolift/astrolift/store"
)

type fakeCluster struct {
	version string
	err     error
}

func (f fakeCluster) Check(context.Context) (string, error) { return f.version, f.err }

func newStore(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func get(t *testing.T, h http.Handler, path string) (*httptest.ResponseRecorder, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Body)
	return rec, body
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestReadyz(t *testing.T) {
	s := newStore(t)
	cases := []struct {
		name       string
		cluster    api.ClusterChecker
		closeDB    bool
		wantStatus int
		want       map[string]string // check name → status
	}{
		{"all ok", fakeCluster{version: "v1.37.2"}, false, 200, map[string]string{"database": "ok", "cluster": "ok"}},
		{"no cluster configured", nil, false, 200, map[string]string{"database": "ok", "cluster": "skipped"}},
		{"cluster down", fakeCluster{err: errors.New("connection refused")}, false, 503, map[string]string{"database": "ok", "cluster": "failed"}},
		{"database closed", fakeCluster{version: "v1.37.2"}, true, 503, map[string]string{"database": "failed", "cluster": "ok"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := s
			if tc.closeDB {
				db = newStore(t)
				_ = db.Close()
			}
			a := api.New(api.Options{DB: db, Cluster: tc.cluster, Logger: quiet()})
			rec, body := get(t, a.Handler(), "/readyz")
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.wantStatus, body)
			}
			var r api.Readiness
			if err := json.Unmarshal(body, &r); err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, c := range r.Checks {
				got[c.Name] = c.Status
				if c.Status == "failed" && c.Error == "" {
					t.Errorf("failed check %s has no error", c.Name)
				}
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("check %s = %q, want %q (body %s)", k, got[k], v, body)
				}
			}
		})
	}
}

func TestHealthzMetricsAndErrors(t *testing.T) {
	a := api.New(api.Options{DB: newStore(t), Logger: quiet(), Version: "v0.1.0-test"})
	h := a.Handler()
	rec, body := get(t, h, "/healthz")
	if rec.Code != 200 || !strings.Contains(string(body), `"version":"v0.1.0-test"`) {
		t.Fatalf("healthz %d %s", rec.Code, body)
	}
	rec, body = get(t, h, "/nope")
	var e api.ErrorBody
	if rec.Code != 404 || json.Unmarshal(body, &e) != nil || e.Error.Code != "not_found" {
		t.Fatalf("404 body %d %s", rec.Code, body)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/healthz", nil))
	if rec.Code != 405 {
		t.Errorf("POST /healthz = %d, want 405", rec.Code)
	}
	rec, body = get(t, h, "/metrics")
	if rec.Code != 200 {
		t.Fatalf("metrics %d", rec.Code)
	}
	for _, want := range []string{
		`astrolift_http_requests_total{code="200",method="GET",route="/healthz"} 1`,
		`astrolift_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		"go_goroutines",
		"process_resident_memory_bytes",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// GETs outside /api/ that no route answers go to the dashboard (its
// client-side routes); the API keeps its JSON 404s.
func TestDashboardFallback(t *testing.T) {
	h := newHarness(t)
	res := h.do(request{method: http.MethodGet, path: "/apps/shop/config"})
	if res.Code != http.StatusOK || string(res.body) != "dashboard /apps/shop/config" {
		t.Errorf("GET /apps/shop/config: %d %q; want the dashboard", res.Code, string(res.body))
	}
	for _, r := range []request{{method: http.MethodGet, path: "/api/v1/nope"}, {method: http.MethodPost, path: "/apps"}} {
		res := h.do(r)
		if res.Code != http.StatusNotFound || !strings.Contains(string(res.body), `"code":"not_found"`) {
			t.Errorf("%s %s: %d %q; want the API's JSON 404", r.method, r.path, res.Code, string(res.body))
		}
	}
}
