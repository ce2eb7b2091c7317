package api_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/astrolift/astrolift/internal/ssrf"
	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/store"
)

// webhookDispatcher delivers the harness's webhooks to loopback receivers.
func (h *harness) webhookDispatcher() *reconciler.WebhookDispatcher {
	return &reconciler.WebhookDispatcher{Store: h.s, Box: h.box, Policy: ssrf.Policy{AllowLoopback: true},
		Timeout: 5 * time.Second, Log: quiet()}
}

// hookReceiver is a real HTTP server on 127.0.0.1 that checks each
// request's signature as docs/webhooks.md tells receivers to.
type hookReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	secret string
	got    []hookRequest
}

type hookRequest struct {
	event, delivery string
	body            string
	signed          bool
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		ts := req.Header.Get("X-Astrolift-Timestamp")
		mac := hmac.New(sha256.New, []byte(r.secret))
		mac.Write([]byte(ts + "." + string(body)))
		want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
		signed := r.secret != "" && ts != "" && hmac.Equal([]byte(want), []byte(req.Header.Get("X-Astrolift-Signature")))
		r.got = append(r.got, hookRequest{event: req.Header.Get("X-Astrolift-Event"), delivery: req.Header.Get("X-Astrolift-Delivery"), body: string(body), signed: signed})
		if !signed && r.secret != "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *hookReceiver) setSecret(s string) { r.mu.Lock(); r.secret = s; r.mu.Unlock() }

func (r *hookReceiver) requests() []hookRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hookRequest(nil), r.got...)
}

// outboundWebhook stores a webhook (of an app, or organization-wide with
// appID 0) to a fresh loopback receiver.
func (h *harness) outboundWebhook(appID int64) *store.OutboundWebhook {
	h.t.Helper()
	r := newHookReceiver(h.t)
	w := &store.OutboundWebhook{OrgID: h.org.ID, AppID: appID, URL: r.URL, EventTypes: []string{"*"},
		SecretSealed: h.box.Seal(store.WebhookSecretPurpose, []byte("whsec_test"))}
	must(h.t, h.s.CreateOutboundWebhook(context.Background(), w))
	return w
}

type webhookJSON struct {
	ID             int64      `json:"id"`
	App            string     `json:"app"`
	URL            string     `json:"url"`
	EventTypes     []string   `json:"event_types"`
	Secret         string     `json:"secret"`
	CreatedBy      string     `json:"created_by"`
	LastDeliveryAt *time.Time `json:"last_delivery_at"`
	LastStatus     int        `json:"last_status"`
	FailedCount    int        `json:"failed_count"`
}

type deliveryJSON struct {
	ID         int64  `json:"id"`
	EventID    int64  `json:"event_id"`
	EventType  string `json:"event_type"`
	Status     string `json:"status"`
	Attempt    int    `json:"attempt"`
	StatusCode int    `json:"status_code"`
	Error      string `json:"error"`
	Payload    struct {
		Type string `json:"type"`
		App  string `json:"app"`
		ID   int64  `json:"id"`
	} `json:"payload"`
}

// An app's webhook: created with its secret shown once (and sealed in the
// database), pinged, and fed the app's events, each signed so that a real
// receiver on loopback verifies it with that secret.
func TestAppWebhookLifecycle(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	admin := h.user("admin@acme.test", "app.admin")
	r := newHookReceiver(t)
	base := "/api/v1/apps/" + h.app.Slug + "/webhooks"

	res := h.do(request{method: http.MethodPost, path: base, token: admin, body: map[string]any{
		"url": r.URL + "/astrolift", "event_types": []string{"deployment.*", "drift.detected", "deployment.*"}}})
	if res.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Code, res.body)
	}
	var created webhookJSON
	res.decode(t, &created)
	if !strings.HasPrefix(created.Secret, "whsec_") || len(created.Secret) < 40 || created.App != h.app.Slug ||
		strings.Join(created.EventTypes, ",") != "deployment.*,drift.detected" || created.CreatedBy != "admin@acme.test" {
		t.Fatalf("create answer: %s", res.body)
	}
	r.setSecret(created.Secret)

	// The secret is never shown again, nor stored in plaintext.
	list := h.do(request{method: http.MethodGet, path: base, token: admin})
	var page struct{ Items []webhookJSON }
	list.decode(t, &page)
	if list.Code != http.StatusOK || len(page.Items) != 1 || page.Items[0].ID != created.ID || strings.Contains(string(list.body), created.Secret) ||
		strings.Contains(string(list.body), `"secret"`) {
		t.Errorf("list: %d %s", list.Code, list.body)
	}
	w, err := h.s.GetOutboundWebhook(ctx, created.ID)
	must(t, err)
	if bytes.Contains(w.SecretSealed, []byte(created.Secret)) {
		t.Error("the secret is stored in plaintext")
	}
	if opened, err := h.box.Open(store.WebhookSecretPurpose, w.SecretSealed); err != nil || string(opened) != created.Secret {
		t.Errorf("the sealed secret does not open to the one shown: %v", err)
	}
	var files []byte // the database and its write-ahead log
	for _, f := range []string{h.dbPath, h.dbPath + "-wal"} {
		raw, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		files = append(files, raw...)
	}
	if !bytes.Contains(files, []byte(r.URL+"/astrolift")) {
		t.Fatal("the webhook's URL is not in the database files: the search below would prove nothing")
	}
	if bytes.Contains(files, []byte(strings.TrimPrefix(created.Secret, "whsec_"))) {
		t.Error("the database files hold the plaintext secret")
	}

	// Ping: delivered at once, signed.
	res = h.do(request{method: http.MethodPost, path: fmt.Sprintf("%s/%d/ping", base, created.ID), token: admin})
	var ping deliveryJSON
	res.decode(t, &ping)
	if res.Code != http.StatusCreated || ping.Status != "delivered" || ping.StatusCode != http.StatusNoContent || ping.EventType != "ping" || ping.Payload.Type != "ping" {
		t.Fatalf("ping: %d %s", res.Code, res.body)
	}
	if got := r.requests(); len(got) != 1 || !got[0].signed || got[0].event != "ping" || got[0].delivery != strconv.FormatInt(ping.ID, 10) {
		t.Fatalf("receiver got %+v", got)
	}

	// Events of the app reach it through the dispatcher, signed.
	d := h.webhookDispatcher()
	h.event("deployment.succeeded")
	h.event("app.updated") // not subscribed
	if n, err := d.Enqueue(ctx); err != nil || n != 1 {
		t.Fatalf("Enqueue = %d, %v", n, err)
	}
	if n, err := d.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("DeliverDue = %d, %v", n, err)
	}
	got := r.requests()
	if len(got) != 2 || !got[1].signed || got[1].event != "deployment.succeeded" || !strings.Contains(got[1].body, `"app":"shop"`) {
		t.Fatalf("receiver got %+v", got)
	}

	res = h.do(request{method: http.MethodGet, path: fmt.Sprintf("%s/%d/deliveries", base, created.ID), token: admin})
	var deliveries struct{ Items []deliveryJSON }
	res.decode(t, &deliveries)
	if res.Code != http.StatusOK || len(deliveries.Items) != 2 || deliveries.Items[0].EventType != "deployment.succeeded" ||
		deliveries.Items[0].Status != "delivered" || deliveries.Items[0].Attempt != 1 || deliveries.Items[0].Payload.App != "shop" ||
		deliveries.Items[0].EventID == 0 || deliveries.Items[1].EventType != "ping" {
		t.Errorf("deliveries: %d %s", res.Code, res.body)
	}
	list = h.do(request{method: http.MethodGet, path: base, token: admin})
	list.decode(t, &page)
	if page.Items[0].LastStatus != http.StatusNoContent || page.Items[0].LastDeliveryAt == nil || page.Items[0].FailedCount != 0 {
		t.Errorf("list after deliveries: %s", list.body)
	}

	// Delete (soft): gone from the list, nothing more is queued.
	res = h.do(request{method: http.MethodDelete, path: fmt.Sprintf("%s/%d", base, created.ID), token: admin})
	if res.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", res.Code, res.body)
	}
	if res := h.do(request{method: http.MethodDelete, path: fmt.Sprintf("%s/%d", base, created.ID), token: admin}); res.Code != http.StatusNotFound {
		t.Errorf("delete twice: %d", res.Code)
	}
	if list := h.do(request{method: http.MethodGet, path: base, token: admin}); !strings.Contains(string(list.body), `"items":[]`) {
		t.Errorf("list after delete: %s", list.body)
	}
	h.event("deployment.failed")
	if n, _ := d.Enqueue(ctx); n != 0 {
		t.Errorf("%d deliveries queued for a deleted webhook", n)
	}
	evs, _ := h.s.ListEvents(ctx, store.EventFilter{AppID: h.app.ID, Kind: "webhook.deleted"})
	if len(evs) != 1 || strings.Contains(evs[0].Message, "/astrolift") {
		t.Errorf("webhook.deleted events %+v", evs)
	}
}

// Organization-wide webhooks get every event of the organization and live
// apart from app webhooks: neither route family sees the other's.
func TestOrgWebhooks(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	owner := h.user("owner@acme.test", "org.owner")
	r := newHookReceiver(t)
	res := h.do(request{method: http.MethodPost, path: "/api/v1/webhooks", token: owner, body: map[string]any{"url": r.URL}})
	if res.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Code, res.body)
	}
	var created webhookJSON
	res.decode(t, &created)
	if created.App != "" || strings.Join(created.EventTypes, ",") != "*" {
		t.Errorf("create answer: %s", res.body)
	}
	r.setSecret(created.Secret)
	appHook := h.outboundWebhook(h.app.ID)

	list := h.do(request{method: http.MethodGet, path: "/api/v1/webhooks", token: owner})
	if !strings.Contains(string(list.body), fmt.Sprintf(`"id":%d`, created.ID)) || strings.Contains(string(list.body), fmt.Sprintf(`"id":%d`, appHook.ID)) {
		t.Errorf("org list: %s", list.body)
	}
	for _, path := range []string{
		fmt.Sprintf("/api/v1/webhooks/%d/ping", appHook.ID),
		fmt.Sprintf("/api/v1/apps/%s/webhooks/%d/ping", h.app.Slug, created.ID),
	} {
		if res := h.do(request{method: http.MethodPost, path: path, token: owner}); res.Code != http.StatusNotFound {
			t.Errorf("POST %s: %d, want 404", path, res.Code)
		}
	}

	// An app event and an organization event both reach it.
	h.event("deployment.succeeded")
	must(t, h.s.AppendEvent(ctx, &store.Event{OrgID: h.org.ID, Kind: "scm_connection.created", Message: "connection created"}))
	d := h.webhookDispatcher()
	if _, err := d.Enqueue(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	events := map[string]bool{}
	for _, g := range r.requests() {
		if !g.signed {
			t.Errorf("unsigned delivery %+v", g)
		}
		events[g.event] = true
	}
	if !events["deployment.succeeded"] || !events["scm_connection.created"] {
		t.Errorf("org webhook got %v", events)
	}

	// A ping to a receiver that is down reports the failure, once.
	r.Close()
	res = h.do(request{method: http.MethodPost, path: fmt.Sprintf("/api/v1/webhooks/%d/ping", created.ID), token: owner})
	var ping deliveryJSON
	res.decode(t, &ping)
	if res.Code != http.StatusCreated || ping.Status != "failed" || ping.StatusCode != 0 || !strings.Contains(ping.Error, "connection refused") || ping.Attempt != 1 {
		t.Errorf("ping to a closed receiver: %d %s", res.Code, res.body)
	}
	list = h.do(request{method: http.MethodGet, path: "/api/v1/webhooks", token: owner})
	var page struct{ Items []webhookJSON }
	list.decode(t, &page)
	if len(page.Items) != 1 || page.Items[0].FailedCount != 1 || page.Items[0].LastStatus != 0 || page.Items[0].LastDeliveryAt == nil {
		t.Errorf("org list after a failed ping: %s", list.body)
	}
}

// URLs that would reach link-local, metadata or (without allow-private)
// private addresses are refused at create time with a 400 naming "url";
// nothing is stored.
func TestWebhookURLPolicy(t *testing.T) {
	h := newHarness(t)
	admin := h.user("admin@acme.test", "org.admin")
	for _, tc := range []struct{ url, why string }{
		{"http://169.254.169.254/latest/meta-data/", "metadata"},
		{"http://metadata.google.internal/computeMetadata/v1/", "metadata"},
		{"https://10.0.0.1/hook", "private"},
		{"http://[fe80::1]/hook", "link-local"},
		{"http://0.0.0.0:8080/", "unspecified"},
		{"ftp://hooks.example.com/", "http or https"},
		{"https://bot:pw@hooks.example.com/", "credentials"},
		{"", "required"},
	} {
		for _, path := range []string{"/api/v1/webhooks", "/api/v1/apps/" + h.app.Slug + "/webhooks"} {
			res := h.do(request{method: http.MethodPost, path: path, token: admin, body: map[string]any{"url": tc.url}})
			code, field := res.errorCode()
			if res.Code != http.StatusBadRequest || code != "invalid" || field != "url" || !strings.Contains(string(res.body), tc.why) {
				t.Errorf("POST %s %q: %d %s", path, tc.url, res.Code, res.body)
			}
		}
	}
	for _, types := range [][]string{{"Deployment!"}, {}, {"deploy*"}} {
		res := h.do(request{method: http.MethodPost, path: "/api/v1/webhooks", token: admin, body: map[string]any{"url": "http://127.0.0.1:9/", "event_types": types}})
		if _, field := res.errorCode(); res.Code != http.StatusBadRequest || field != "event_types" {
			t.Errorf("event_types %q: %d %s", types, res.Code, res.body)
		}
	}
	if ws, _ := h.s.LiveOutboundWebhooks(context.Background()); len(ws) != 0 {
		t.Errorf("refused webhooks were stored: %+v", ws)
	}
}
