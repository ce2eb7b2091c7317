package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/astrolift/astrolift/render"
	"github.com/astrolift/astrolift/store"
)

type secretsView struct {
	Items []struct {
		Key         string `json:"key"`
		Source      string `json:"source"`
		Environment string `json:"environment"`
		Sealed      bool   `json:"sealed"`
		Staged      bool   `json:"staged"`
		Value       string `json:"value"`
	} `json:"items"`
	Recipient string `json:"recipient"`
}

// TestSecretsPage: a value set through the API is sealed into the draft
// (formatting kept), a .env import stages every pair or, with a bad line,
// nothing; values are masked in every answer and never stored in
// plaintext; deleting removes the literal.
func TestSecretsPage(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	dev := h.user("dev@acme.test", "team.maintainer") // team.member may not write secrets
	base := "/api/v1/apps/shop/secrets"
	const plain = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
	manifest := "schema = 1\n\n[secrets]\nbundles = [\"stripe-live\"]\n\n# runtime settings\n[env]\nLOG_LEVEL = \"info\" # noisy in staging\n\n[workloads.web]\n[[workloads.web.containers]]\nimage = \"nginx:1.27\"\nport = 80\n\n[environments.staging.env]\nLOG_LEVEL = \"debug\"\n"
	must(t, h.s.SetSnapshot(ctx, h.app.ID, store.Snapshot{Raw: manifest, Commit: "c1", BlobID: "b1"}, false))

	owner := h.user("owner@acme.test", "org.owner")
	ok(t, h.do(request{method: http.MethodPost, path: "/api/v1/secret-bundles", token: owner,
		body: map[string]any{"name": "stripe-live", "values": map[string]string{"STRIPE_WEBHOOK_SECRET": "whsec_bundle_771"}}}), http.StatusCreated)
	var rec struct{ Recipient string }
	h.do(request{method: http.MethodGet, path: "/api/v1/secrets/recipient", token: dev}).decode(t, &rec)
	if rec.Recipient != h.identity.Recipient().String() {
		t.Fatalf("recipient = %q", rec.Recipient)
	}

	var bodies []string
	call := func(r request) response {
		r.token = dev
		res := h.do(r)
		bodies = append(bodies, string(res.body))
		return res
	}
	res := call(request{method: http.MethodPost, path: base, body: map[string]string{"key": "STRIPE_KEY", "value": plain}})
	ok(t, res, http.StatusOK)
	app, err := h.s.GetApp(ctx, "shop")
	must(t, err)
	if app.Draft == nil || strings.Contains(app.Draft.Raw, plain) || !strings.Contains(app.Draft.Raw, `LOG_LEVEL = "info" # noisy in staging`) ||
		!strings.Contains(app.Draft.Raw, "# runtime settings") {
		t.Fatalf("draft after set:\n%v", app.Draft)
	}
	m, err := render.Parse("astrolift.toml", []byte(app.Draft.Raw))
	must(t, err)
	opened, err := render.Open(h.identity, m.Env["STRIPE_KEY"])
	if err != nil || string(opened) != plain {
		t.Fatalf("the draft's STRIPE_KEY opens to %q, %v", opened, err)
	}

	// A .env with a bad line stages nothing and names the line.
	bad := "# from the old host\nexport DATABASE_URL=\"postgres://app:pw-2931@db/app\"\nnot a pair\n"
	res = call(request{method: http.MethodPost, path: base + "/import?environment=staging", body: bad})
	if code, field := res.errorCode(); res.Code != http.StatusBadRequest || code != "invalid" || field != "line 3" {
		t.Fatalf("bad .env: %d %s", res.Code, res.body)
	}
	if again, _ := h.s.GetApp(ctx, "shop"); again.Draft.Raw != app.Draft.Raw {
		t.Fatal("a bad .env changed the draft")
	}
	good := "# from the old host\nexport DATABASE_URL=\"postgres://app:pw-2931@db/app\"\nTLS_KEY=\"-----BEGIN KEY-----\nMIIEv-secret-line\n-----END KEY-----\"\nAPI_TOKEN='tok-8812' # ci\n"
	res = call(request{method: http.MethodPost, path: base + "/import?environment=staging", body: good})
	ok(t, res, http.StatusOK)
	var v secretsView
	res.decode(t, &v)
	got := map[string]string{}
	for _, it := range v.Items {
		got[it.Environment+"/"+it.Key] = it.Source
		if it.Value != "********" {
			t.Errorf("%s/%s value %q is not masked", it.Environment, it.Key, it.Value)
		}
	}
	for _, want := range []string{"/LOG_LEVEL", "/STRIPE_KEY", "staging/LOG_LEVEL", "staging/DATABASE_URL", "staging/TLS_KEY", "staging/API_TOKEN"} {
		if got[want] != "literal" {
			t.Errorf("secrets list lacks %s: %v", want, got)
		}
	}
	if got["/STRIPE_WEBHOOK_SECRET"] != "bundle" {
		t.Errorf("secrets list lacks the bundle's key: %v", got)
	}
	app, _ = h.s.GetApp(ctx, "shop")
	m, err = render.Parse("astrolift.toml", []byte(app.Draft.Raw))
	must(t, err)
	staging := m.Environment("staging")
	for key, want := range map[string]string{"DATABASE_URL": "postgres://app:pw-2931@db/app", "TLS_KEY": "-----BEGIN KEY-----\nMIIEv-secret-line\n-----END KEY-----", "API_TOKEN": "tok-8812"} {
		opened, err := render.Open(h.identity, staging.Env[key])
		if err != nil || string(opened) != want {
			t.Errorf("staging %s opens to %q, %v", key, opened, err)
		}
	}

	res = call(request{method: http.MethodDelete, path: base + "/API_TOKEN?environment=staging"})
	ok(t, res, http.StatusOK)
	res = call(request{method: http.MethodDelete, path: base + "/API_TOKEN?environment=staging"})
	if res.Code != http.StatusNotFound {
		t.Fatalf("deleting a missing secret: %d %s", res.Code, res.body)
	}
	res = call(request{method: http.MethodPost, path: base, body: map[string]string{"key": "1BAD", "value": "x"}})
	if _, field := res.errorCode(); res.Code != http.StatusBadRequest || field != "key" {
		t.Fatalf("bad key: %d %s", res.Code, res.body)
	}
	res = call(request{method: http.MethodGet, path: base + "?environment=staging"})
	ok(t, res, http.StatusOK)
	res = call(request{method: http.MethodGet, path: "/api/v1/apps/shop/config"})
	ok(t, res, http.StatusOK)

	// No answer, no stored row, no event holds a plaintext.
	secrets := []string{plain, "pw-2931", "MIIEv-secret-line", "tok-8812", "whsec_bundle_771"}
	app, _ = h.s.GetApp(ctx, "shop")
	events, err := h.s.ListEvents(ctx, store.EventFilter{OrgID: h.org.ID, Limit: 500})
	must(t, err)
	var evs []string
	for _, e := range events {
		evs = append(evs, e.Message)
	}
	for _, s := range secrets {
		for i, b := range bodies {
			if strings.Contains(b, s) {
				t.Errorf("answer %d holds %q: %s", i, s, b)
			}
		}
		if strings.Contains(app.Draft.Raw, s) || strings.Contains(strings.Join(evs, "\n"), s) {
			t.Errorf("the draft or an event holds %q", s)
		}
	}
}

// TestAppMembers lists the APP-scope roles and the app's bindings.
func TestAppMembers(t *testing.T) {
	h := newHarness(t)
	viewer := h.user("viewer@acme.test", "app.viewer")
	h.user("dev@acme.test", "app.developer")
	var out struct {
		Roles []struct {
			Name       string `json:"name"`
			ScopeLevel string `json:"scope_level"`
		} `json:"roles"`
		Bindings []struct {
			Role  string `json:"role"`
			Scope string `json:"scope"`
			User  struct {
				Email string `json:"email"`
			} `json:"user"`
		} `json:"bindings"`
	}
	res := h.do(request{method: http.MethodGet, path: "/api/v1/apps/shop/members", token: viewer})
	ok(t, res, http.StatusOK)
	res.decode(t, &out)
	if len(out.Roles) == 0 {
		t.Fatal("no APP roles")
	}
	for _, r := range out.Roles {
		if r.ScopeLevel != "APP" {
			t.Errorf("role %s has scope level %s", r.Name, r.ScopeLevel)
		}
	}
	emails := map[string]string{}
	for _, b := range out.Bindings {
		emails[b.User.Email] = b.Role
		if b.Scope != "shop" {
			t.Errorf("binding scope %q", b.Scope)
		}
	}
	if emails["viewer@acme.test"] != "app.viewer" || emails["dev@acme.test"] != "app.developer" || len(emails) != 2 {
		t.Fatalf("bindings = %+v", out.Bindings)
	}
}

// An APP binding granted through /api/v1/members with an expiry works
// until it expires, then stops, and leaves the app's members list.
func TestAppBindingExpires(t *testing.T) {
	h := newHarness(t)
	admin := h.user("admin@acme.test", "app.admin")
	guest := h.user("guest@acme.test", "")
	expires := h.clock.Now().Add(time.Hour)
	ok(t, h.do(request{method: http.MethodPost, path: "/api/v1/members", token: admin,
		body: map[string]any{"email": "guest@acme.test", "role": "app.viewer", "scope": "shop", "expires_at": expires}}), http.StatusCreated)
	ok(t, h.do(request{method: http.MethodGet, path: "/api/v1/apps/shop/secrets", token: guest}), http.StatusOK)
	members := func() int {
		var out struct {
			Bindings []json.RawMessage `json:"bindings"`
		}
		h.do(request{method: http.MethodGet, path: "/api/v1/apps/shop/members", token: admin}).decode(t, &out)
		return len(out.Bindings)
	}
	if n := members(); n != 2 {
		t.Fatalf("members before expiry = %d, want 2", n)
	}
	h.clock.Advance(61 * time.Minute)
	if res := h.do(request{method: http.MethodGet, path: "/api/v1/apps/shop/secrets", token: guest}); res.Code != http.StatusForbidden {
		t.Fatalf("after expiry: %d %s", res.Code, res.body)
	}
	if n := members(); n != 1 {
		t.Fatalf("members after expiry = %d, want 1", n)
	}
}
