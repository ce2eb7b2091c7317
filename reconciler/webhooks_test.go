package reconciler_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/astrolift/astrolift/internal/secretbox"
	"github.com/astrolift/astrolift/internal/ssrf"
	"github.com/astrolift/astrolift/internal/testdb"
	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/store"
)

// verifyWebhook is the receiver's check of docs/webhooks.md, written from
// the documentation rather than from the sender's code.
func verifyWebhook(secret []byte, h http.Header, body []byte, now time.Time) error {
	ts := h.Get("X-Astrolift-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("missing or malformed X-Astrolift-Timestamp")
	}
	if age := now.Sub(time.Unix(sec, 0)); age > 5*time.Minute || age < -5*time.Minute {
		return fmt.Errorf("timestamp is %s off", age)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(h.Get("X-Astrolift-Signature"))) {
		return errors.New("signature does not match")
	}
	return nil
}

// receiver is a real HTTP server on loopback that verifies every
// delivery's signature and answers 500 to the first `fail` requests.
type receiver struct {
	srv    *httptest.Server
	secret []byte

	mu   sync.Mutex
	fail int
	skew time.Duration // the sender's clock runs this far ahead
	got  []received
}

type received struct {
	delivery, event string
	status          int
	sigErr          error
	payload         reconciler.WebhookPayload
}

func newReceiver(t *testing.T, secret string, fail int) *receiver {
	r := &receiver{secret: []byte(secret), fail: fail}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		rec := received{delivery: req.Header.Get("X-Astrolift-Delivery"), event: req.Header.Get("X-Astrolift-Event"),
			sigErr: verifyWebhook(r.secret, req.Header, body, time.Now().Add(r.skew))}
		_ = json.Unmarshal(body, &rec.payload)
		switch {
		case rec.sigErr != nil:
			rec.status = http.StatusUnauthorized
		case r.fail > 0:
			r.fail--
			rec.status = http.StatusInternalServerError
		default:
			rec.status = http.StatusNoContent
		}
		r.got = append(r.got, rec)
		w.WriteHeader(rec.status)
		if rec.status == http.StatusInternalServerError {
			_, _ = io.WriteString(w, "database is down")
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// succeeded counts the 2xx answers per delivery id.
func (r *receiver) succeeded() map[string]int {
	out := map[string]int{}
	for _, g := range r.requests() {
		if g.status/100 == 2 {
			out[g.delivery]++
		}
	}
	return out
}

// webhookWorld is a store with an organization, two apps, a master key
// and an app webhook (secret "s3cr3t") to a receiver.
type webhookWorld struct {
	s        *store.Store
	box      *secretbox.Box
	org      *store.Organization
	app, api *store.App
	dep      *store.Deployment // of app
	hook     *store.OutboundWebhook
}

func newWebhookWorld(t *testing.T, dbURL, url string, types ...string) *webhookWorld {
	t.Helper()
	ctx := context.Background()
	w := &webhookWorld{s: openStore(t, dbURL)}
	box, err := secretbox.New(bytes.Repeat([]byte{7}, 32))
	must(t, err)
	w.box = box
	w.org = &store.Organization{Slug: "acme", Name: "Acme"}
	must(t, w.s.CreateOrganization(ctx, w.org))
	p := &store.Project{OrgID: w.org.ID, Slug: "shop", Name: "Shop"}
	must(t, w.s.CreateProject(ctx, p))
	w.app = &store.App{OrgID: w.org.ID, ProjectID: p.ID, Slug: "web", Name: "web", SourceURL: "https://git.example.com/acme/web.git"}
	must(t, w.s.CreateApp(ctx, w.app))
	w.api = &store.App{OrgID: w.org.ID, ProjectID: p.ID, Slug: "api", Name: "api", SourceURL: "https://git.example.com/acme/api.git"}
	must(t, w.s.CreateApp(ctx, w.api))
	cl := &store.Cluster{OrgID: w.org.ID, Name: "local", Kind: store.ClusterInCluster}
	must(t, w.s.CreateCluster(ctx, cl))
	env := &store.Environment{AppID: w.app.ID, Name: "staging", Namespace: "web-staging", ClusterID: cl.ID}
	must(t, w.s.CreateEnvironment(ctx, env))
	w.dep = &store.Deployment{AppID: w.app.ID, EnvironmentID: env.ID, Trigger: "manual", Status: "pending"}
	must(t, w.s.CreateDeployment(ctx, w.dep, "test"))
	time.Sleep(time.Millisecond) // the webhook is newer than the events so far
	w.hook = &store.OutboundWebhook{OrgID: w.org.ID, AppID: w.app.ID, URL: url, EventTypes: types,
		SecretSealed: box.Seal(store.WebhookSecretPurpose, []byte("s3cr3t"))}
	must(t, w.s.CreateOutboundWebhook(ctx, w.hook))
	return w
}

func openStore(t *testing.T, dbURL string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dbURL, store.Options{})
	must(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func (w *webhookWorld) event(t *testing.T, app *store.App, kind string) *store.Event {
	t.Helper()
	var dep int64
	if app.ID == w.app.ID {
		dep = w.dep.ID
	}
	e := &store.Event{OrgID: w.org.ID, AppID: app.ID, Kind: kind, DeploymentID: dep, Message: kind + " on staging", Actor: "ada@acme.test"}
	must(t, w.s.AppendEvent(context.Background(), e))
	return e
}

func (w *webhookWorld) dispatcher(s *store.Store) *reconciler.WebhookDispatcher {
	return &reconciler.WebhookDispatcher{Store: s, Box: w.box, Policy: ssrf.Policy{AllowLoopback: true},
		Interval: 20 * time.Millisecond, Timeout: 5 * time.Second, Backoff: func(int) time.Duration { return 30 * time.Millisecond },
		Log: slog.New(slog.DiscardHandler)}
}

func (w *webhookWorld) deliveries(t *testing.T, s *store.Store) []*store.OutboundDelivery {
	t.Helper()
	ds, err := s.ListOutboundDeliveries(context.Background(), w.hook.ID, 0, 100)
	must(t, err)
	return ds
}

// run starts d until the returned stop is called, which waits for Run to
// return.
func run(d *reconciler.WebhookDispatcher) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = d.Run(ctx) }()
	return func() { cancel(); <-done }
}

// A receiver on loopback gets the event signed as documented; it fails
// twice, then succeeds: it gets the event exactly once, and the delivery
// records each attempt's outcome.
func TestWebhookDeliveredOnceAfterTwoFailures(t *testing.T) {
	r := newReceiver(t, "s3cr3t", 2)
	w := newWebhookWorld(t, filepath.Join(t.TempDir(), "a.db"), r.srv.URL+"/hooks/astrolift", "deployment.*")
	stop := run(w.dispatcher(w.s))
	defer stop()

	ev := w.event(t, w.app, "deployment.succeeded")
	w.event(t, w.app, "drift.detected")       // not subscribed
	w.event(t, w.api, "deployment.succeeded") // another app
	waitFor(t, func() bool {
		ds := w.deliveries(t, w.s)
		return len(ds) == 1 && ds[0].Status == store.DeliveryDelivered
	})
	time.Sleep(200 * time.Millisecond) // several more scans: nothing else is sent
	stop()

	got := r.requests()
	if len(got) != 3 {
		t.Fatalf("receiver got %d requests, want 3 (two failures, one success): %+v", len(got), got)
	}
	for i, g := range got {
		if g.sigErr != nil {
			t.Errorf("request %d: signature: %v", i, g.sigErr)
		}
		if g.delivery != got[0].delivery || g.event != "deployment.succeeded" {
			t.Errorf("request %d: delivery %q event %q, want one delivery id on every retry", i, g.delivery, g.event)
		}
	}
	if ok := r.succeeded(); len(ok) != 1 || ok[got[0].delivery] != 1 {
		t.Errorf("2xx answers per delivery: %v, want exactly one", ok)
	}
	p := got[2].payload
	if p.ID != ev.ID || p.Type != "deployment.succeeded" || p.App != "web" || p.Org != "acme" || p.DeploymentID != w.dep.ID ||
		p.Message != "deployment.succeeded on staging" || p.Actor != "ada@acme.test" || p.WebhookID != w.hook.ID || p.CreatedAt.IsZero() {
		t.Errorf("payload %+v", p)
	}
	d := w.deliveries(t, w.s)[0]
	if d.Attempt != 3 || d.StatusCode != http.StatusNoContent || d.Error != "" || d.DeliveredAt == nil || d.EventID != ev.ID ||
		strconv.FormatInt(d.ID, 10) != got[0].delivery {
		t.Errorf("delivery %+v", d)
	}
	hook, err := w.s.GetOutboundWebhook(context.Background(), w.hook.ID)
	must(t, err)
	if hook.LastStatus != http.StatusNoContent || hook.LastDeliveryAt == nil || hook.FailedCount != 0 {
		t.Errorf("webhook after delivery: %+v", hook)
	}
}

// A failed attempt is stored with its status code, duration and error;
// after MaxAttempts the delivery fails and the webhook counts it.
func TestWebhookDeliveryGivesUp(t *testing.T) {
	ctx := context.Background()
	r := newReceiver(t, "s3cr3t", 100)
	w := newWebhookWorld(t, filepath.Join(t.TempDir(), "a.db"), r.srv.URL, "*")
	d := w.dispatcher(w.s)
	d.MaxAttempts, d.Backoff = 3, func(int) time.Duration { return 0 }
	w.event(t, w.app, "deployment.failed")
	if n, err := d.Enqueue(ctx); err != nil || n != 1 {
		t.Fatalf("Enqueue = %d, %v", n, err)
	}
	for i := 1; i <= 4; i++ {
		if _, err := d.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		del := w.deliveries(t, w.s)[0]
		if i < 3 && (del.Status != store.DeliveryPending || del.Attempt != i || del.StatusCode != 500 ||
			!strings.Contains(del.Error, "500") || !strings.Contains(del.Error, "database is down") || del.NextAttemptAt == nil) {
			t.Fatalf("after attempt %d: %+v", i, del)
		}
	}
	del := w.deliveries(t, w.s)[0]
	if del.Status != store.DeliveryFailed || del.Attempt != 3 || del.NextAttemptAt != nil {
		t.Errorf("after MaxAttempts: %+v", del)
	}
	if n := len(r.requests()); n != 3 {
		t.Errorf("receiver got %d requests, want 3", n)
	}
	hook, _ := w.s.GetOutboundWebhook(ctx, w.hook.ID)
	if hook.FailedCount != 1 || hook.LastStatus != 500 || !strings.Contains(hook.LastError, "500") {
		t.Errorf("webhook: %+v", hook)
	}
}

// A dispatcher stopped after a failed attempt loses nothing: a new one, on
// the database reopened, retries the delivery once, delivers an event
// appended while none ran, and queues nothing twice. On both drivers.
func TestWebhookRestartMidRetry(t *testing.T) {
	for _, tc := range []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "a.db") }},
		{"postgres", func(t *testing.T) string { return testdb.PostgresURL(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbURL := tc.url(t)
			r := newReceiver(t, "s3cr3t", 1)
			w := newWebhookWorld(t, dbURL, r.srv.URL, "deployment.succeeded", "app.*")
			first := w.dispatcher(w.s)
			first.Backoff = func(int) time.Duration { return time.Hour }
			stop := run(first)
			ev1 := w.event(t, w.app, "deployment.succeeded")
			waitFor(t, func() bool {
				ds := w.deliveries(t, w.s)
				return len(ds) == 1 && ds[0].Attempt == 1 && ds[0].StatusCode == 500
			})
			stop()
			_ = w.s.Close()

			// The process is gone; an event comes in meanwhile (another replica).
			s2 := openStore(t, dbURL)
			ev2 := &store.Event{OrgID: w.org.ID, AppID: w.app.ID, Kind: "app.updated", Message: "settings changed"}
			must(t, s2.AppendEvent(context.Background(), ev2))

			// The next process starts an hour and a bit later: the retry is due.
			second := w.dispatcher(s2)
			second.Now = func() time.Time { return time.Now().Add(time.Hour + time.Minute) }
			r.mu.Lock()
			r.skew = time.Hour + time.Minute
			r.mu.Unlock()
			stop = run(second)
			defer stop()
			waitFor(t, func() bool {
				ds := w.deliveries(t, s2)
				return len(ds) == 2 && ds[0].Status == store.DeliveryDelivered && ds[1].Status == store.DeliveryDelivered
			})
			time.Sleep(200 * time.Millisecond)
			stop()

			ds := w.deliveries(t, s2) // newest first
			if ds[1].EventID != ev1.ID || ds[1].Attempt != 2 || ds[0].EventID != ev2.ID || ds[0].Attempt != 1 {
				t.Errorf("deliveries: %+v, %+v", ds[0], ds[1])
			}
			ok := r.succeeded()
			if len(ok) != 2 || ok[strconv.FormatInt(ds[0].ID, 10)] != 1 || ok[strconv.FormatInt(ds[1].ID, 10)] != 1 {
				t.Errorf("2xx answers per delivery: %v, want one for each of the two", ok)
			}
			if n := len(r.requests()); n != 3 {
				t.Errorf("receiver got %d requests, want 3", n)
			}
			for _, g := range r.requests() {
				if g.sigErr != nil {
					t.Errorf("signature: %v", g.sigErr)
				}
			}
		})
	}
}

// Two replicas following the same database send every event once.
func TestWebhookTwoReplicas(t *testing.T) {
	r := newReceiver(t, "s3cr3t", 0)
	dbURL := "sqlite://" + filepath.Join(t.TempDir(), "a.db")
	w := newWebhookWorld(t, dbURL, r.srv.URL, "*")
	other := openStore(t, dbURL)
	for _, s := range []*store.Store{w.s, other} {
		stop := run(w.dispatcher(s))
		defer stop()
	}
	const n = 30
	for i := range n {
		w.event(t, w.app, fmt.Sprintf("deployment.step%d", i))
	}
	waitFor(t, func() bool { return len(r.requests()) >= n })
	time.Sleep(200 * time.Millisecond)
	got := r.requests()
	ok := r.succeeded()
	if len(got) != n || len(ok) != n {
		t.Errorf("%d requests for %d deliveries, want %d and %d", len(got), len(ok), n, n)
	}
	if ds := w.deliveries(t, w.s); len(ds) != n {
		t.Errorf("%d deliveries queued, want %d", len(ds), n)
	}
}

// The address policy applies when connecting: a name that resolves to
// loopback is refused under the strict policy, and the delivery fails at
// once (retrying cannot help).
func TestWebhookRefusedAtDialTime(t *testing.T) {
	ctx := context.Background()
	r := newReceiver(t, "s3cr3t", 0)
	port := r.srv.URL[strings.LastIndex(r.srv.URL, ":"):]
	w := newWebhookWorld(t, filepath.Join(t.TempDir(), "a.db"), "http://localhost"+port+"/hook", "*")
	d := w.dispatcher(w.s)
	d.Policy = ssrf.Policy{}
	w.event(t, w.app, "deployment.succeeded")
	if _, err := d.Enqueue(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	del := w.deliveries(t, w.s)[0]
	if del.Status != store.DeliveryFailed || del.Attempt != 1 || !strings.Contains(del.Error, "loopback") {
		t.Errorf("delivery %+v", del)
	}
	if n := len(r.requests()); n != 0 {
		t.Errorf("receiver got %d requests", n)
	}
}

// Ping sends a signed test delivery at once and records it.
func TestWebhookPing(t *testing.T) {
	r := newReceiver(t, "s3cr3t", 0)
	w := newWebhookWorld(t, filepath.Join(t.TempDir(), "a.db"), r.srv.URL, "deployment.succeeded")
	del, err := w.dispatcher(w.s).Ping(context.Background(), w.hook)
	must(t, err)
	if del.Status != store.DeliveryDelivered || del.StatusCode != http.StatusNoContent || del.EventType != "ping" || del.Attempt != 1 {
		t.Errorf("ping delivery %+v", del)
	}
	got := r.requests()
	if len(got) != 1 || got[0].sigErr != nil || got[0].event != "ping" || got[0].payload.App != "web" || got[0].payload.WebhookID != w.hook.ID {
		t.Errorf("receiver got %+v", got)
	}
	if ds := w.deliveries(t, w.s); len(ds) != 1 || ds[0].Status != store.DeliveryDelivered {
		t.Errorf("stored deliveries %+v", ds)
	}
}

func TestEventTypeMatches(t *testing.T) {
	for _, tc := range []struct {
		patterns []string
		kind     string
		want     bool
	}{
		{[]string{"*"}, "deployment.succeeded", true},
		{[]string{"deployment.succeeded"}, "deployment.succeeded", true},
		{[]string{"deployment.succeeded"}, "deployment.failed", false},
		{[]string{"deployment.*"}, "deployment.failed", true},
		{[]string{"deployment.*"}, "deployments.x", false},
		{[]string{"deploy*"}, "deployment.failed", false}, // prefixes end at a dot
		{[]string{"drift.detected", "app.*"}, "app.updated", true},
		{nil, "app.updated", false},
	} {
		if got := reconciler.EventTypeMatches(tc.patterns, tc.kind); got != tc.want {
			t.Errorf("EventTypeMatches(%v, %q) = %v, want %v", tc.patterns, tc.kind, got, tc.want)
		}
	}
}

func TestWebhookBackoff(t *testing.T) {
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second}
	for i, d := range want {
		if got := reconciler.WebhookBackoff(i + 1); got != d {
			t.Errorf("attempt %d: %v, want %v", i+1, got, d)
		}
	}
	if got := reconciler.WebhookBackoff(30); got != time.Hour {
		t.Errorf("attempt 30: %v, want the 1 h cap", got)
	}
}
