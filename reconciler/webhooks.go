package reconciler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/astrolift/astrolift/internal/ssrf"
	"github.com/astrolift/astrolift/scm/webhook"
	"github.com/astrolift/astrolift/store"
)

// Headers of an outbound webhook delivery (docs/webhooks.md).
const (
	HeaderEvent     = "X-Astrolift-Event"     // the event type, e.g. deployment.succeeded
	HeaderDelivery  = "X-Astrolift-Delivery"  // the delivery id, the same on every retry
	HeaderTimestamp = "X-Astrolift-Timestamp" // unix seconds of this attempt
	HeaderSignature = "X-Astrolift-Signature" // sha256=hex(HMAC-SHA256(secret, timestamp + "." + body))
)

// PingEvent is the event type of a test delivery.
const PingEvent = "ping"

// WebhookDispatcher delivers the platform's events to outbound webhooks.
//
// It follows the events feed from a cursor stored in the database, queues
// one delivery per matching webhook and moves the cursor in the same
// transaction, so a restart neither loses nor repeats an event. Workers
// claim due deliveries in the store (several replicas never send the same
// delivery at once), POST the event signed with the webhook's secret, and
// on anything but a 2xx retry with backoff until MaxAttempts; every
// attempt's status code, duration and error is stored. A delivery is sent
// at least once: a receiver tells retries apart by X-Astrolift-Delivery.
type WebhookDispatcher struct {
	Store *store.Store
	// Box opens the webhooks' signing secrets.
	Box Opener
	// Policy says which addresses deliveries may reach; it is checked
	// again on every connection.
	Policy ssrf.Policy
	// Interval between scans for due deliveries (default 2 s); new events
	// are queued as soon as they are appended.
	Interval time.Duration
	// Timeout of one attempt (default 10 s).
	Timeout time.Duration
	// MaxAttempts before a delivery fails for good (default 12).
	MaxAttempts int
	// Backoff is the wait after failed attempt n (1, 2, …) (default
	// WebhookBackoff).
	Backoff func(attempt int) time.Duration
	// Concurrency bounds deliveries in flight (default 4).
	Concurrency int
	// Now is the clock of schedules (default time.Now).
	Now func() time.Time
	Log *slog.Logger

	once   sync.Once
	client *http.Client
}

// WebhookBackoff waits 10 s after the first failed attempt and doubles
// each time, up to an hour: with 12 attempts a delivery is retried for
// 3 h 25 min (the last two waits are capped at an hour).
func WebhookBackoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 10 {
		return time.Hour
	}
	return min(10*time.Second<<(attempt-1), time.Hour)
}

func (d *WebhookDispatcher) defaults() {
	d.once.Do(func() {
		if d.Interval <= 0 {
			d.Interval = 2 * time.Second
		}
		if d.Timeout <= 0 {
			d.Timeout = 10 * time.Second
		}
		if d.MaxAttempts <= 0 {
			d.MaxAttempts = 12
		}
		if d.Backoff == nil {
			d.Backoff = WebhookBackoff
		}
		if d.Concurrency <= 0 {
			d.Concurrency = 4
		}
		if d.Now == nil {
			d.Now = time.Now
		}
		if d.Log == nil {
			d.Log = slog.Default()
		}
		d.client = d.Policy.Client(d.Timeout)
	})
}

func (d *WebhookDispatcher) now() time.Time { return d.Now().UTC() }

// claimTTL is how long a claimed delivery is kept from other workers: an
// attempt and its recording fit well within it.
func (d *WebhookDispatcher) claimTTL() time.Duration { return d.Timeout + 30*time.Second }

// Run queues and delivers until ctx ends.
func (d *WebhookDispatcher) Run(ctx context.Context) error {
	d.defaults()
	events, err := d.Store.SubscribeEvents(ctx)
	if err != nil && ctx.Err() == nil {
		d.Log.Warn("webhooks: no live events, following the feed every interval", "error", err)
	}
	tick := time.NewTicker(d.Interval)
	defer tick.Stop()
	for {
		if _, err := d.Enqueue(ctx); err != nil && ctx.Err() == nil {
			d.Log.Error("webhooks: queue events", "error", err)
		}
		if _, err := d.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			d.Log.Error("webhooks: deliver", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case _, ok := <-events:
			if !ok {
				events = nil // the store closed; the ticker still runs until ctx ends
			}
		}
	}
}

// enqueueBatch is how many events one step of Enqueue reads.
const enqueueBatch = 500

// Enqueue queues deliveries for the events after the stored cursor and
// reports how many it queued.
func (d *WebhookDispatcher) Enqueue(ctx context.Context) (int, error) {
	d.defaults()
	total := 0
	names := &slugCache{store: d.Store, orgs: map[int64]string{}, apps: map[int64]string{}}
	for {
		cursor, err := d.Store.OutboundCursor(ctx)
		if err != nil {
			return total, err
		}
		after := cursor
		if after == 0 {
			after = -1 // ListEvents: from the first event
		}
		evs, err := d.Store.ListEvents(ctx, store.EventFilter{AfterID: after, Limit: enqueueBatch})
		if err != nil || len(evs) == 0 {
			return total, err
		}
		hooks, err := d.Store.LiveOutboundWebhooks(ctx)
		if err != nil {
			return total, err
		}
		var ds []*store.OutboundDelivery
		now := d.now()
		for _, e := range evs {
			for _, w := range hooks {
				if !webhookWants(w, e) {
					continue
				}
				body, err := json.Marshal(names.payload(ctx, w, e))
				if err != nil {
					return total, fmt.Errorf("event %d for webhook %d: %w", e.ID, w.ID, err)
				}
				ds = append(ds, &store.OutboundDelivery{WebhookID: w.ID, EventID: e.ID, EventType: e.Kind, Payload: string(body), CreatedAt: now})
			}
		}
		n, err := d.Store.EnqueueOutboundDeliveries(ctx, ds, evs[len(evs)-1].ID)
		total += n
		if err != nil || len(evs) < enqueueBatch {
			return total, err
		}
	}
}

// webhookWants reports whether w subscribes to e: an event of its
// organization (and of its app, for an app's webhook) appended after the
// webhook was created, whose kind one of its event types matches.
func webhookWants(w *store.OutboundWebhook, e *store.Event) bool {
	if w.OrgID != e.OrgID || (w.AppID != 0 && w.AppID != e.AppID) || e.CreatedAt.Before(w.CreatedAt) {
		return false
	}
	return EventTypeMatches(w.EventTypes, e.Kind)
}

// EventTypeMatches reports whether an event kind matches one of the
// patterns: * (everything), an exact kind (deployment.succeeded) or a
// prefix (deployment.* matches deployment.succeeded and deployment.failed).
func EventTypeMatches(patterns []string, kind string) bool {
	for _, p := range patterns {
		if p == "*" || p == kind {
			return true
		}
		if prefix, ok := strings.CutSuffix(p, "*"); ok && strings.HasSuffix(prefix, ".") && strings.HasPrefix(kind, prefix) {
			return true
		}
	}
	return false
}

// WebhookPayload is the JSON body of a delivery (docs/webhooks.md).
type WebhookPayload struct {
	ID           int64     `json:"id"` // the event id; 0 for a ping
	Type         string    `json:"type"`
	CreatedAt    time.Time `json:"created_at"`
	WebhookID    int64     `json:"webhook_id"`
	Org          string    `json:"org"`
	App          string    `json:"app,omitempty"`
	DeploymentID int64     `json:"deployment_id,omitempty"`
	Severity     string    `json:"severity"`
	Message      string    `json:"message"`
	Actor        string    `json:"actor,omitempty"`
}

// slugCache names organizations and apps in payloads, reading each once
// per batch.
type slugCache struct {
	store      *store.Store
	orgs, apps map[int64]string
}

func (c *slugCache) payload(ctx context.Context, w *store.OutboundWebhook, e *store.Event) WebhookPayload {
	return WebhookPayload{ID: e.ID, Type: e.Kind, CreatedAt: e.CreatedAt.UTC(), WebhookID: w.ID, Org: c.org(ctx, e.OrgID),
		App: c.app(ctx, e.AppID), DeploymentID: e.DeploymentID, Severity: e.Severity, Message: e.Message, Actor: e.Actor}
}

func (c *slugCache) org(ctx context.Context, id int64) string {
	if s, ok := c.orgs[id]; ok {
		return s
	}
	if o, err := c.store.GetOrganizationByID(ctx, id); err == nil {
		c.orgs[id] = o.Slug
	}
	return c.orgs[id]
}

func (c *slugCache) app(ctx context.Context, id int64) string {
	if id == 0 {
		return ""
	}
	if s, ok := c.apps[id]; ok {
		return s
	}
	if a, err := c.store.GetAppByID(ctx, id); err == nil {
		c.apps[id] = a.Slug
	} // a deleted app's events carry no slug
	return c.apps[id]
}

// dueBatch is how many due deliveries one DeliverDue pass reads.
const dueBatch = 100

// DeliverDue makes one attempt at each delivery that is due (at most
// Concurrency at a time) and reports how many were delivered.
func (d *WebhookDispatcher) DeliverDue(ctx context.Context) (int, error) {
	d.defaults()
	due, err := d.Store.DueOutboundDeliveries(ctx, d.now(), dueBatch)
	if err != nil {
		return 0, err
	}
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		delivered int
		claimErr  error
		slots     = make(chan struct{}, d.Concurrency)
	)
loop:
	for _, del := range due {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			break loop
		}
		// Claim only once a slot is free, so the claim covers the attempt.
		now := d.now()
		ok, err := d.Store.ClaimOutboundDelivery(ctx, del, now, now.Add(d.claimTTL()))
		if err != nil || !ok {
			<-slots
			if err != nil {
				claimErr = err
				break loop
			}
			continue // another worker has it
		}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			if d.attempt(ctx, del) {
				mu.Lock()
				delivered++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return delivered, claimErr
}

// attempt sends a claimed delivery once and records the outcome: a retry
// after Backoff, or failure once MaxAttempts are used. A dispatcher that
// stops mid-attempt records it as failed and due at once, for the next one.
func (d *WebhookDispatcher) attempt(ctx context.Context, del *store.OutboundDelivery) bool {
	w, err := d.Store.GetOutboundWebhook(ctx, del.WebhookID)
	if err != nil {
		if ctx.Err() == nil && !errors.Is(err, store.ErrNotFound) {
			d.Log.Warn("webhooks: delivery", "delivery", del.ID, "error", err)
		}
		return false // deleted meanwhile (its deliveries failed then), or retried after the claim
	}
	a, permanent := d.send(ctx, w, del)
	a.At = d.now()
	switch {
	case a.Delivered:
	case ctx.Err() != nil:
		a.RetryAt = &a.At
	case !permanent && del.Attempt < d.MaxAttempts:
		next := a.At.Add(d.Backoff(del.Attempt))
		a.RetryAt = &next
	}
	if err := d.Store.RecordOutboundAttempt(context.WithoutCancel(ctx), del, a); err != nil {
		d.Log.Warn("webhooks: record attempt", "delivery", del.ID, "error", err)
		return false
	}
	if a.Delivered {
		d.Log.Debug("webhook delivered", "webhook", w.ID, "delivery", del.ID, "event", del.EventType, "attempt", del.Attempt)
	} else {
		d.Log.Warn("webhook delivery failed", "webhook", w.ID, "url", w.URL, "delivery", del.ID, "event", del.EventType,
			"attempt", del.Attempt, "status", a.StatusCode, "error", a.Error, "retry_at", a.RetryAt)
	}
	return a.Delivered
}

// send POSTs a delivery's payload to its webhook, signed. permanent says
// that retrying cannot help (the address policy refused the target).
func (d *WebhookDispatcher) send(ctx context.Context, w *store.OutboundWebhook, del *store.OutboundDelivery) (a store.OutboundAttempt, permanent bool) {
	if d.Box == nil {
		return store.OutboundAttempt{Error: "no master key to open the signing secret"}, false
	}
	secret, err := d.Box.Open(store.WebhookSecretPurpose, w.SecretSealed)
	if err != nil {
		return store.OutboundAttempt{Error: fmt.Sprintf("webhook %d: signing secret: %v", w.ID, err)}, false
	}
	ts := strconv.FormatInt(d.now().Unix(), 10)
	body := []byte(del.Payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, strings.NewReader(del.Payload))
	if err != nil {
		return store.OutboundAttempt{Error: fmt.Sprintf("webhook %d: %v", w.ID, err)}, true
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Astrolift-Webhooks/1")
	req.Header.Set(HeaderEvent, del.EventType)
	req.Header.Set(HeaderDelivery, strconv.FormatInt(del.ID, 10))
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, webhook.Sign(secret, ts, body))
	start := time.Now()
	res, err := d.client.Do(req)
	a.Duration = time.Since(start)
	if err != nil {
		a.Error = err.Error()
		return a, errors.Is(err, ssrf.ErrRefused)
	}
	snippet, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20)) // lets the connection be reused
	_ = res.Body.Close()
	a.StatusCode = res.StatusCode
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		a.Delivered = true
		return a, false
	}
	a.Error = fmt.Sprintf("receiver answered %s", res.Status)
	if s := strings.TrimSpace(string(snippet)); s != "" {
		a.Error += ": " + s
	}
	return a, false
}

// Ping sends a test delivery to a webhook now, once (no retries), records
// it among the webhook's deliveries and returns it with its outcome.
func (d *WebhookDispatcher) Ping(ctx context.Context, w *store.OutboundWebhook) (*store.OutboundDelivery, error) {
	d.defaults()
	names := &slugCache{store: d.Store, orgs: map[int64]string{}, apps: map[int64]string{}}
	body, err := json.Marshal(WebhookPayload{Type: PingEvent, CreatedAt: d.now(), WebhookID: w.ID, Org: names.org(ctx, w.OrgID),
		App: names.app(ctx, w.AppID), Severity: "info", Message: "Ping from Astrolift: the webhook is reachable and its signature verifies."})
	if err != nil {
		return nil, fmt.Errorf("ping webhook %d: %w", w.ID, err)
	}
	del := &store.OutboundDelivery{WebhookID: w.ID, EventType: PingEvent, Payload: string(body)}
	if err := d.Store.CreateOutboundDelivery(ctx, del, d.now().Add(d.claimTTL())); err != nil {
		return nil, err
	}
	a, _ := d.send(ctx, w, del)
	a.At = d.now()
	if err := d.Store.RecordOutboundAttempt(context.WithoutCancel(ctx), del, a); err != nil {
		return nil, fmt.Errorf("ping webhook %d: %w", w.ID, err)
	}
	return del, nil
}
