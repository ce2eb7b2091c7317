package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/astrolift/astrolift/api"
	"github.com/astrolift/astrolift/store"
)

type bundleBody struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Keys        []struct {
		Key       string    `json:"key"`
		UpdatedAt time.Time `json:"updated_at"`
	} `json:"keys"`
	References []struct {
		App          string   `json:"app"`
		Environments []string `json:"environments"`
	} `json:"references"`
}

func (b bundleBody) keyNames() string {
	var out []string
	for _, k := range b.Keys {
		out = append(out, k.Key)
	}
	return strings.Join(out, ",")
}

// Secret bundles through the API: created with values, listed and shown
// with keys only (and the apps whose manifests attach them), values set,
// rotated and removed, deleted softly once nothing attaches the bundle.
// No response, log line, event or database byte ever holds a value; the
// stored values open with the master key to what was sent.
func TestSecretBundlesAPI(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	var logs bytes.Buffer
	h.h = api.New(api.Options{Store: h.s, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now: h.clock.Now, Secrets: h.box}).Handler()
	admin := h.user("admin@acme.test", "org.admin")
	viewer := h.user("viewer@acme.test", "org.viewer")
	nobody := h.user("nobody@acme.test", "")

	const (
		liveKey    = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
		rotatedKey = "sk_live_9Zr0tat3dV4lu3xQ"
		webhook    = "whsec_Wn8yQm1Vb2Kc7Lp0"
		added      = "acct_1Added0Value"
		tooLong    = "Q" // repeated past the limit
	)
	plaintexts := []string{liveKey, rotatedKey, webhook, added}
	var bodies []string
	do := func(req request) response {
		t.Helper()
		res := h.do(req)
		bodies = append(bodies, string(res.body))
		return res
	}

	// The harness app attaches the bundle in staging (the base list); its
	// production overlay attaches none.
	prod := &store.Environment{AppID: h.app.ID, Name: "production", Namespace: "shop-production", ClusterID: h.env.ClusterID}
	must(t, h.s.CreateEnvironment(ctx, prod))
	attached := sharedManifest + "[secrets]\nbundles = [\"stripe-live\"]\n[environments.production.secrets]\nbundles = []\n"
	must(t, h.s.SetSnapshot(ctx, h.app.ID, store.Snapshot{Raw: attached, Commit: "c1", BlobID: "b1"}, false))

	res := do(request{method: http.MethodPost, path: "/api/v1/secret-bundles", token: admin, body: map[string]any{
		"name": "stripe-live", "description": "Stripe, live mode", "values": map[string]string{"STRIPE_KEY": liveKey, "STRIPE_WEBHOOK_SECRET": webhook}}})
	if res.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Code, res.body)
	}
	var created bundleBody
	res.decode(t, &created)
	if created.Name != "stripe-live" || created.Description != "Stripe, live mode" || created.keyNames() != "STRIPE_KEY,STRIPE_WEBHOOK_SECRET" {
		t.Fatalf("created %s", res.body)
	}
	res = do(request{method: http.MethodPost, path: "/api/v1/secret-bundles", token: admin, body: map[string]any{"name": "stripe-live"}})
	if code, _ := res.errorCode(); res.Code != http.StatusConflict || code != "conflict" {
		t.Errorf("duplicate name: %d %s", res.Code, res.body)
	}

	// Bad names and keys are refused naming the field; nothing is stored.
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"name": "Stripe Live"}, "name"},
		{map[string]any{"name": ""}, "name"},
		{map[string]any{"name": "ok", "values": map[string]string{"STRIPE_KEY": "x", "stripe_key": liveKey}}, "values.stripe_key"},
		{map[string]any{"name": "ok", "values": map[string]string{"1PASSWORD": liveKey}}, "values.1PASSWORD"},
		{map[string]any{"name": "ok", "values": map[string]string{"API-KEY": liveKey}}, "values.API-KEY"},
		{map[string]any{"name": "ok", "values": map[string]string{"": liveKey}}, "values."},
		{map[string]any{"name": "ok", "values": map[string]string{"BIG": strings.Repeat(tooLong, 70000)}}, "values.BIG"},
		{map[string]any{"name": "ok", "values": map[string]any{"PORT": 8080}}, "values.PORT"},
	} {
		res := do(request{method: http.MethodPost, path: "/api/v1/secret-bundles", token: admin, body: tc.body})
		if _, field := res.errorCode(); res.Code != http.StatusBadRequest || field != tc.field {
			t.Errorf("create %v: %d %s, want 400 naming %s", tc.body["name"], res.Code, res.body, tc.field)
		}
	}
	if _, err := h.s.GetSecretBundle(ctx, h.org.ID, "ok"); err == nil {
		t.Error("a refused bundle was stored")
	}
	for _, tc := range []struct {
		path  string
		body  any
		field string
	}{
		{"/api/v1/secret-bundles/stripe-live/values/stripe_key", map[string]string{"value": liveKey}, "key"},
		{"/api/v1/secret-bundles/stripe-live/values/9LIVES", map[string]string{"value": liveKey}, "key"},
		{"/api/v1/secret-bundles/stripe-live/values/STRIPE_KEY", map[string]string{}, "value"},
		{"/api/v1/secret-bundles/stripe-live/values/STRIPE_KEY", map[string]string{"valeu": liveKey}, "valeu"},
		{"/api/v1/secret-bundles/stripe-live/values/STRIPE_KEY", map[string]string{"value": strings.Repeat(tooLong, 70000)}, "value"},
	} {
		res := do(request{method: http.MethodPut, path: tc.path, token: admin, body: tc.body})
		if _, field := res.errorCode(); res.Code != http.StatusBadRequest || field != tc.field {
			t.Errorf("PUT %s: %d %s, want 400 naming %s", tc.path, res.Code, res.body, tc.field)
		}
	}
	if res := do(request{method: http.MethodDelete, path: "/api/v1/secret-bundles/stripe-live/values/lower", token: admin}); res.Code != http.StatusBadRequest {
		t.Errorf("DELETE a bad key: %d %s", res.Code, res.body)
	}

	// Anyone in the organization reads keys; only org admins write.
	res = do(request{method: http.MethodGet, path: "/api/v1/secret-bundles", token: viewer})
	var list api.Page[bundleBody]
	res.decode(t, &list)
	if res.Code != http.StatusOK || len(list.Items) != 1 || list.Items[0].keyNames() != "STRIPE_KEY,STRIPE_WEBHOOK_SECRET" {
		t.Fatalf("list: %d %s", res.Code, res.body)
	}
	res = do(request{method: http.MethodGet, path: "/api/v1/secret-bundles/stripe-live", token: viewer})
	var shown bundleBody
	res.decode(t, &shown)
	if res.Code != http.StatusOK || shown.keyNames() != "STRIPE_KEY,STRIPE_WEBHOOK_SECRET" || len(shown.References) != 1 ||
		shown.References[0].App != "shop" || strings.Join(shown.References[0].Environments, ",") != "staging" {
		t.Fatalf("show: %d %s", res.Code, res.body)
	}
	// References name only apps the caller may read.
	res = do(request{method: http.MethodGet, path: "/api/v1/secret-bundles/stripe-live", token: nobody})
	shown = bundleBody{}
	res.decode(t, &shown)
	if res.Code != http.StatusOK || shown.References == nil || len(shown.References) != 0 {
		t.Errorf("show to a user who reads no app: %d %s", res.Code, res.body)
	}
	if res := do(request{method: http.MethodGet, path: "/api/v1/secret-bundles/nope", token: viewer}); res.Code != http.StatusNotFound {
		t.Errorf("missing bundle: %d %s", res.Code, res.body)
	}
	if res := do(request{method: http.MethodPut, path: "/api/v1/secret-bundles/stripe-live/values/STRIPE_KEY", token: viewer,
		body: map[string]string{"value": rotatedKey}}); res.Code != http.StatusForbidden {
		t.Errorf("viewer rotates: %d %s", res.Code, res.body)
	}

	// Rotate one value, add a key, remove another. Rotating deploys
	// nothing: the next deployment picks the value up.
	h.clock.Advance(time.Minute)
	res = do(request{method: http.MethodPut, path: "/api/v1/secret-bundles/stripe-live/values/STRIPE_KEY", token: admin, body: map[string]string{"value": rotatedKey}})
	var rotated bundleBody
	res.decode(t, &rotated)
	if res.Code != http.StatusOK || rotated.keyNames() != "STRIPE_KEY,STRIPE_WEBHOOK_SECRET" ||
		!rotated.Keys[0].UpdatedAt.After(created.Keys[0].UpdatedAt) || !rotated.Keys[1].UpdatedAt.Equal(created.Keys[1].UpdatedAt) {
		t.Fatalf("rotate: %d %s", res.Code, res.body)
	}
	if deps, _ := h.s.ListDeployments(ctx, store.DeploymentFilter{AppID: h.app.ID}); len(deps) != 0 {
		t.Errorf("rotating a value queued %d deployments, want none", len(deps))
	}
	res = do(request{method: http.MethodPut, path: "/api/v1/secret-bundles/stripe-live/values/STRIPE_ACCOUNT", token: admin, body: map[string]string{"value": added}})
	if res.Code != http.StatusOK || !strings.Contains(string(res.body), `"STRIPE_ACCOUNT"`) {
		t.Fatalf("add a key: %d %s", res.Code, res.body)
	}
	if res := do(request{method: http.MethodDelete, path: "/api/v1/secret-bundles/stripe-live/values/STRIPE_WEBHOOK_SECRET", token: admin}); res.Code != http.StatusNoContent {
		t.Fatalf("remove a key: %d %s", res.Code, res.body)
	}
	if res := do(request{method: http.MethodDelete, path: "/api/v1/secret-bundles/stripe-live/values/STRIPE_WEBHOOK_SECRET", token: admin}); res.Code != http.StatusNotFound {
		t.Errorf("remove it again: %d %s", res.Code, res.body)
	}
	res = do(request{method: http.MethodGet, path: "/api/v1/secret-bundles/stripe-live", token: admin})
	shown = bundleBody{}
	res.decode(t, &shown)
	if shown.keyNames() != "STRIPE_ACCOUNT,STRIPE_KEY" {
		t.Errorf("keys after rotate, add, remove: %s", res.body)
	}

	// What is stored opens with the master key to what was sent last.
	vals, err := h.s.SecretBundleValues(ctx, h.org.ID, []string{"stripe-live"})
	must(t, err)
	for key, want := range map[string]string{"STRIPE_KEY": rotatedKey, "STRIPE_ACCOUNT": added} {
		got, err := h.box.Open(store.SecretBundlePurpose, vals["stripe-live"][key])
		if err != nil || string(got) != want {
			t.Errorf("%s opens to %q, %v", key, got, err)
		}
	}
	if len(vals["stripe-live"]) != 2 {
		t.Errorf("stored keys %d, want 2", len(vals["stripe-live"]))
	}

	// Deleting is refused while a manifest attaches the bundle, then soft.
	res = do(request{method: http.MethodDelete, path: "/api/v1/secret-bundles/stripe-live", token: admin})
	if res.Code != http.StatusConflict || !strings.Contains(string(res.body), "shop (staging)") {
		t.Errorf("delete while attached: %d %s", res.Code, res.body)
	}
	must(t, h.s.SetSnapshot(ctx, h.app.ID, store.Snapshot{Raw: sharedManifest, Commit: "c2", BlobID: "b2"}, false))
	if res := do(request{method: http.MethodDelete, path: "/api/v1/secret-bundles/stripe-live", token: admin}); res.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", res.Code, res.body)
	}
	if res := do(request{method: http.MethodGet, path: "/api/v1/secret-bundles/stripe-live", token: admin}); res.Code != http.StatusNotFound {
		t.Errorf("deleted bundle: %d %s", res.Code, res.body)
	}
	res = do(request{method: http.MethodGet, path: "/api/v1/secret-bundles", token: admin})
	if res.Code != http.StatusOK || !strings.Contains(string(res.body), `"items":[]`) {
		t.Errorf("list after delete: %s", res.body)
	}

	// The events say what happened, by key name.
	res = do(request{method: http.MethodGet, path: "/api/v1/events?kind=secret_bundle.value_set", token: admin})
	if !strings.Contains(string(res.body), "STRIPE_KEY rotated") || !strings.Contains(string(res.body), "STRIPE_ACCOUNT added") {
		t.Errorf("value events: %s", res.body)
	}
	do(request{method: http.MethodGet, path: "/api/v1/events", token: admin})

	// No value anywhere: responses, logs, the database file (with its WAL).
	needles := map[string]string{}
	for _, p := range plaintexts {
		needles[p] = p
		needles[p+" (base64)"] = base64.StdEncoding.EncodeToString([]byte(p))
	}
	needles["the over-long value"] = strings.Repeat(tooLong, 64)
	haystacks := map[string][]byte{"responses": []byte(strings.Join(bodies, "\n")), "logs": logs.Bytes()}
	files, _ := filepath.Glob(h.dbPath + "*")
	if len(files) == 0 {
		t.Fatal("no database files to search")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		must(t, err)
		haystacks[filepath.Base(f)] = b
	}
	for where, hay := range haystacks {
		for what, needle := range needles {
			if bytes.Contains(hay, []byte(needle)) {
				t.Errorf("%s hold %s", where, what)
			}
		}
	}
	if !strings.Contains(logs.String(), "/api/v1/secret-bundles") {
		t.Error("the requests were not logged; the log search proves nothing")
	}
}

// Without a master key bundles cannot be written (503), and nothing is
// stored.
func TestSecretBundlesNeedMasterKey(t *testing.T) {
	h := newHarness(t)
	h.h = api.New(api.Options{Store: h.s, Logger: quiet(), Now: h.clock.Now}).Handler()
	admin := h.user("admin@acme.test", "org.owner")
	res := h.do(request{method: http.MethodPost, path: "/api/v1/secret-bundles", token: admin, body: map[string]any{
		"name": "stripe-live", "values": map[string]string{"STRIPE_KEY": "sk_live_x"}}})
	if code, _ := res.errorCode(); res.Code != http.StatusServiceUnavailable || code != "unavailable" {
		t.Errorf("create without a master key: %d %s", res.Code, res.body)
	}
	if bs, err := h.s.ListSecretBundles(context.Background(), h.org.ID); err != nil || len(bs) != 0 {
		t.Errorf("stored %d bundles, %v", len(bs), err)
	}
}
