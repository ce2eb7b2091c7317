package api_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/astrolift/astrolift/api"
	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/store"
)

// fakeProvider runs postgres instantly (the in-cluster provider has its
// own tests on the local control plane).
type fakeProvider struct{ removed []int64 }

func (p *fakeProvider) Supports(kind string) bool { return kind == "postgres" }
func (p *fakeProvider) Provision(_ context.Context, t *reconciler.ManagedTarget) (map[string]string, bool, error) {
	return map[string]string{"DATABASE_URL": "postgres://app:" + apiTestPassword + "@db." + t.Env.Namespace + ".svc:5432/shop"}, true, nil
}
func (p *fakeProvider) Deprovision(_ context.Context, t *reconciler.ManagedTarget) error {
	p.removed = append(p.removed, t.Service.ID)
	return nil
}

const apiTestPassword = "Gen3ratedPassw0rdNeverShown"

type managedBody struct {
	ID          int64  `json:"id"`
	Environment string `json:"environment"`
	Kind        string `json:"kind"`
	Name        string `json:"name"`
	Variant     string `json:"variant"`
	Status      string `json:"status"`
	Envelope    []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	} `json:"envelope"`
}

// Managed services through the API: provisioned pending (validated:
// environment, kind with the supported ones named, name, variant), made
// active by the loop, listed with envelope keys masked and on the Secrets
// page as managed_service; deprovisioned (202), torn down by the loop and
// gone from the lists. No response holds the generated password.
func TestManagedServicesAPI(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	admin := h.user("admin@acme.test", "org.admin")
	viewer := h.user("viewer@acme.test", "app.viewer")
	base := "/api/v1/apps/shop/managed-services"
	var bodies []string
	call := func(r request) response {
		t.Helper()
		res := h.do(r)
		bodies = append(bodies, string(res.body))
		return res
	}

	for _, c := range []struct {
		body        map[string]any
		code, field string
		says        []string
	}{
		{map[string]any{"environment": "staging", "kind": "kafka"}, "unsupported_kind", "kind", []string{`kind "kafka"`, "mysql, postgres, redis, s3"}},
		{map[string]any{"environment": "staging", "kind": "sqs"}, "unsupported_kind", "kind", []string{`"sqs"`}},
		{map[string]any{"environment": "nope", "kind": "postgres"}, "invalid", "environment", []string{`"nope"`}},
		{map[string]any{"environment": "staging", "kind": "postgres", "variant": "huge"}, "invalid", "variant", []string{"small, medium, large"}},
		{map[string]any{"environment": "staging", "kind": "postgres", "name": "Bad_Name"}, "invalid", "name", []string{"Bad_Name"}},
	} {
		res := call(request{method: http.MethodPost, path: base, token: admin, body: c.body})
		code, field := res.errorCode()
		if res.Code/100 != 4 || code != c.code || field != c.field {
			t.Errorf("%v: %d %s %s: %s", c.body, res.Code, code, field, res.body)
		}
		var e api.ErrorBody
		res.decode(t, &e)
		for _, s := range c.says {
			if !strings.Contains(e.Error.Message, s) {
				t.Errorf("%v: %s does not say %s", c.body, res.body, s)
			}
		}
	}
	if res := call(request{method: http.MethodPost, path: base, token: admin, body: map[string]any{"environment": "staging", "kind": "kafka"}}); res.Code != http.StatusUnprocessableEntity {
		t.Errorf("kafka: %d, want 422", res.Code)
	}
	if res := call(request{method: http.MethodPost, path: base, token: viewer, body: map[string]any{"environment": "staging", "kind": "postgres"}}); res.Code != http.StatusForbidden {
		t.Errorf("viewer provisions: %d, want 403", res.Code)
	}

	res := call(request{method: http.MethodPost, path: base, token: admin, body: map[string]any{"environment": "staging", "kind": "postgres"}})
	ok(t, res, http.StatusAccepted)
	var created managedBody
	res.decode(t, &created)
	if created.Status != "pending" || created.Variant != "small" || created.Environment != "staging" || len(created.Envelope) != 0 {
		t.Fatalf("created %+v", created)
	}
	if res := call(request{method: http.MethodPost, path: base, token: admin, body: map[string]any{"environment": "staging", "kind": "postgres"}}); res.Code != http.StatusConflict {
		t.Errorf("second default postgres: %d, want 409", res.Code)
	}

	provider := &fakeProvider{}
	loop := &reconciler.ManagedServices{Store: h.s, Box: h.box, Holder: "api-test", Providers: []reconciler.ManagedProvider{provider},
		Cluster: func(context.Context, *store.Environment) (*reconciler.ClusterClient, error) {
			return &reconciler.ClusterClient{}, nil
		}}
	must(t, loop.Scan(ctx))

	var list struct{ Items []managedBody }
	res = call(request{method: http.MethodGet, path: base, token: viewer})
	ok(t, res, http.StatusOK)
	res.decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].Status != "active" || len(list.Items[0].Envelope) != 1 ||
		list.Items[0].Envelope[0].Key != "DATABASE_URL" || list.Items[0].Envelope[0].Value != "********" {
		t.Fatalf("list %+v", list.Items)
	}

	var secrets struct {
		Items []struct {
			Key, Source, Environment, Value string
			ManagedService                  string `json:"managed_service"`
		}
	}
	res = call(request{method: http.MethodGet, path: "/api/v1/apps/shop/secrets", token: viewer})
	ok(t, res, http.StatusOK)
	res.decode(t, &secrets)
	found := false
	for _, it := range secrets.Items {
		if it.Key == "DATABASE_URL" {
			found = it.Source == "managed_service" && it.Environment == "staging" && it.Value == "********" && it.ManagedService == "postgres"
		}
	}
	if !found {
		t.Errorf("secrets page: %+v", secrets.Items)
	}

	res = call(request{method: http.MethodDelete, path: base + "/" + itoa64(created.ID), token: admin})
	ok(t, res, http.StatusAccepted)
	var gone managedBody
	res.decode(t, &gone)
	if gone.Status != "deprovisioning" {
		t.Errorf("delete answered %+v", gone)
	}
	// Until the loop has torn it down it is listed (deprovisioning), and
	// its keys are off the Secrets page already.
	res = call(request{method: http.MethodGet, path: base + "/" + itoa64(created.ID), token: viewer})
	ok(t, res, http.StatusOK)
	if res = call(request{method: http.MethodGet, path: "/api/v1/apps/shop/secrets", token: viewer}); strings.Contains(string(res.body), "managed_service") {
		t.Errorf("secrets page while deprovisioning: %s", res.body)
	}
	must(t, loop.Scan(ctx))
	if len(provider.removed) != 1 || provider.removed[0] != created.ID {
		t.Errorf("provider removed %v", provider.removed)
	}
	ok(t, call(request{method: http.MethodGet, path: base + "/" + itoa64(created.ID), token: viewer}), http.StatusNotFound)
	res = call(request{method: http.MethodGet, path: base, token: viewer})
	res.decode(t, &list)
	if len(list.Items) != 0 {
		t.Errorf("listed after deprovisioning: %+v", list.Items)
	}

	for _, b := range bodies {
		if strings.Contains(b, apiTestPassword) {
			t.Errorf("a response holds the password: %s", b)
		}
	}
	if db, err := os.ReadFile(h.dbPath); err == nil && bytes.Contains(db, []byte(apiTestPassword)) {
		t.Error("the database holds the password in plaintext")
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
