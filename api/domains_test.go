package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/astrolift/astrolift/internal/dnstest"
	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/store"
)

// domainChecker checks custom domains against the harness's loopback DNS
// server.
func (h *harness) domainChecker() *reconciler.DomainChecker {
	h.dns = dnstest.New(h.t)
	return &reconciler.DomainChecker{Store: h.s, Resolver: reconciler.NewTXTResolver(h.dns.Addr), Holder: "test",
		Timeout: 5 * time.Second, Now: h.clock.Now, Log: quiet()}
}

type domainBody struct {
	ID            int64      `json:"id"`
	Hostname      string     `json:"hostname"`
	Environment   string     `json:"environment"`
	State         string     `json:"state"`
	RecordName    string     `json:"record_name"`
	RecordValue   string     `json:"record_value"`
	LastCheckedAt *time.Time `json:"last_checked_at"`
	Error         string     `json:"error"`
	Attempts      int        `json:"attempts"`
}

// The domains API: add (validated, unique), the TXT challenge shown, a
// recheck without the record stays pending with the reason, with it
// validates; removal frees the hostname for another app.
func TestDomainsAPI(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	owner := h.user("owner@acme.test", "org.owner")
	base := "/api/v1/apps/" + h.app.Slug + "/domains"

	for _, bad := range []struct{ host, want string }{
		{"", "required"},
		{"localhost", "two labels"},
		{"*.example.com", "wildcard"},
		{"shop_1.example.com", "not a DNS name"},
		{"web.apps.acme.test", "platform domain"},
		{"shop.localhost", "platform domain"},
		{strings.Repeat("a", 64) + ".example.com", "63"},
	} {
		res := h.do(request{method: http.MethodPost, path: base, token: owner, body: map[string]any{"hostname": bad.host}})
		if _, field := res.errorCode(); res.Code != http.StatusBadRequest || field != "hostname" || !strings.Contains(string(res.body), bad.want) {
			t.Errorf("hostname %q: %d %s, want 400 on hostname saying %q", bad.host, res.Code, res.body, bad.want)
		}
	}
	res := h.do(request{method: http.MethodPost, path: base, token: owner, body: map[string]any{"hostname": "shop.example.com", "environment": "nope"}})
	if res.Code != http.StatusBadRequest || !strings.Contains(string(res.body), `"environment"`) {
		t.Errorf("unknown environment: %d %s", res.Code, res.body)
	}

	var d domainBody
	res = h.do(request{method: http.MethodPost, path: base, token: owner, body: map[string]any{"hostname": " Shop.Example.com. "}})
	res.decode(t, &d)
	if res.Code != http.StatusCreated || d.Hostname != "shop.example.com" || d.State != "pending" || d.Environment != h.env.Name ||
		d.RecordName != "_astrolift-challenge.shop.example.com" || !strings.HasPrefix(d.RecordValue, "astrolift-verify=") || len(d.RecordValue) < 40 {
		t.Fatalf("create: %d %s", res.Code, res.body)
	}
	res = h.do(request{method: http.MethodPost, path: base, token: owner, body: map[string]any{"hostname": "shop.example.com"}})
	if res.Code != http.StatusConflict || !strings.Contains(string(res.body), `"hostname"`) {
		t.Errorf("second binding: %d %s, want 409 on hostname", res.Code, res.body)
	}

	one := fmt.Sprintf("%s/%d", base, d.ID)
	res = h.do(request{method: http.MethodPost, path: one + "/recheck", token: owner})
	res.decode(t, &d)
	if res.Code != http.StatusOK || d.State != "pending" || d.LastCheckedAt == nil || d.Attempts != 1 ||
		!strings.Contains(d.Error, "no TXT record at _astrolift-challenge.shop.example.com") {
		t.Fatalf("recheck without a record: %d %s", res.Code, res.body)
	}
	h.dns.SetTXT(d.RecordName, d.RecordValue)
	res = h.do(request{method: http.MethodPost, path: one + "/recheck", token: owner})
	d = domainBody{}
	res.decode(t, &d)
	if res.Code != http.StatusOK || d.State != "validated" || d.Error != "" || d.Attempts != 2 {
		t.Fatalf("recheck with the record: %d %s", res.Code, res.body)
	}
	if hosts, err := h.s.ValidatedHostnames(ctx, h.env.ID); err != nil || len(hosts) != 1 || hosts[0] != "shop.example.com" {
		t.Fatalf("validated hostnames %v, %v", hosts, err)
	}
	var list struct{ Items []domainBody }
	res = h.do(request{method: http.MethodGet, path: base, token: owner})
	res.decode(t, &list)
	if res.Code != http.StatusOK || len(list.Items) != 1 || list.Items[0].State != "validated" {
		t.Fatalf("list: %d %s", res.Code, res.body)
	}

	// Another app cannot take the hostname until it is removed here.
	other := &store.App{OrgID: h.org.ID, ProjectID: h.project.ID, Slug: "blog", Name: "blog", SourceURL: "https://git.example.com/acme/blog.git"}
	must(t, h.s.CreateApp(ctx, other))
	must(t, h.s.CreateEnvironment(ctx, &store.Environment{AppID: other.ID, Name: "production", Namespace: "blog-production"}))
	otherBase := "/api/v1/apps/blog/domains"
	if res := h.do(request{method: http.MethodPost, path: otherBase, token: owner, body: map[string]any{"hostname": "shop.example.com"}}); res.Code != http.StatusConflict {
		t.Fatalf("taken hostname on another app: %d %s", res.Code, res.body)
	}
	// The other app does not see this app's domain.
	if res := h.do(request{method: http.MethodGet, path: fmt.Sprintf("%s/%d", otherBase, d.ID), token: owner}); res.Code != http.StatusNotFound {
		t.Errorf("domain through another app: %d %s", res.Code, res.body)
	}
	if res := h.do(request{method: http.MethodDelete, path: one, token: owner}); res.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", res.Code, res.body)
	}
	if res := h.do(request{method: http.MethodGet, path: one, token: owner}); res.Code != http.StatusNotFound {
		t.Errorf("removed domain: %d %s", res.Code, res.body)
	}
	var moved domainBody
	res = h.do(request{method: http.MethodPost, path: otherBase, token: owner, body: map[string]any{"hostname": "shop.example.com"}})
	res.decode(t, &moved)
	if res.Code != http.StatusCreated || moved.Environment != "production" || moved.State != "pending" || moved.RecordValue == d.RecordValue {
		t.Fatalf("hostname bound elsewhere after removal: %d %s", res.Code, res.body)
	}
	if hosts, err := h.s.ValidatedHostnames(ctx, h.env.ID); err != nil || len(hosts) != 0 {
		t.Fatalf("validated hostnames after removal %v, %v", hosts, err)
	}
}
