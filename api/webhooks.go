package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/astrolift/astrolift/store"
)

// WebhookPinger sends a test delivery to an outbound webhook now (the
// reconciler's WebhookDispatcher).
type WebhookPinger interface {
	Ping(ctx context.Context, w *store.OutboundWebhook) (*store.OutboundDelivery, error)
}

// WebhookSecretPrefix starts every outbound webhook's signing secret.
const WebhookSecretPrefix = "whsec_"

// maxEventTypes bounds a webhook's event types.
const maxEventTypes = 50

// eventTypePattern: an exact kind (deployment.succeeded), a prefix
// (deployment.*) or * for every event.
var eventTypePattern = regexp.MustCompile(`^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$`)

type webhookRequest struct {
	URL string `json:"url"`
	// EventTypes: exact kinds (deployment.succeeded), prefixes
	// (deployment.*) or *; default ["*"].
	EventTypes []string `json:"event_types"`
}

type webhookDTO struct {
	ID         int64     `json:"id"`
	App        string    `json:"app,omitempty"` // empty: organization-wide
	URL        string    `json:"url"`
	EventTypes []string  `json:"event_types"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	// The latest attempt of any delivery: when, the receiver's status code
	// (0: none yet, or no response) and the error.
	LastDeliveryAt *time.Time `json:"last_delivery_at"`
	LastStatus     int        `json:"last_status"`
	LastError      string     `json:"last_error,omitempty"`
	// FailedCount counts deliveries that failed for good.
	FailedCount int `json:"failed_count"`
}

type createWebhookResponse struct {
	webhookDTO
	// Secret signs every delivery (X-Astrolift-Signature); shown once.
	Secret string `json:"secret"`
}

type webhookDeliveryDTO struct {
	ID            int64           `json:"id"`
	EventID       int64           `json:"event_id,omitempty"` // absent for pings
	EventType     string          `json:"event_type"`
	Status        string          `json:"status"` // pending | delivered | failed
	Attempt       int             `json:"attempt"`
	StatusCode    int             `json:"status_code"` // of the latest attempt; 0: no response
	DurationMS    int64           `json:"duration_ms"`
	Error         string          `json:"error,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
	DeliveredAt   *time.Time      `json:"delivered_at"`
	NextAttemptAt *time.Time      `json:"next_attempt_at"` // pending: when it is tried (again)
	Payload       json.RawMessage `json:"payload" openapi:"object"`
}

func newWebhookDTO(w *store.OutboundWebhook, app string) webhookDTO {
	types := w.EventTypes
	if types == nil {
		types = []string{}
	}
	return webhookDTO{ID: w.ID, App: app, URL: w.URL, EventTypes: types, CreatedBy: w.CreatedBy, CreatedAt: w.CreatedAt,
		LastDeliveryAt: w.LastDeliveryAt, LastStatus: w.LastStatus, LastError: w.LastError, FailedCount: w.FailedCount}
}

func newWebhookDeliveryDTO(d *store.OutboundDelivery) webhookDeliveryDTO {
	out := webhookDeliveryDTO{ID: d.ID, EventID: d.EventID, EventType: d.EventType, Status: d.Status, Attempt: d.Attempt,
		StatusCode: d.StatusCode, DurationMS: d.Duration.Milliseconds(), Error: d.Error, CreatedAt: d.CreatedAt,
		DeliveredAt: d.DeliveredAt, Payload: json.RawMessage(d.Payload)}
	if d.Status == store.DeliveryPending {
		out.NextAttemptAt = d.NextAttemptAt
	}
	if !json.Valid(out.Payload) {
		out.Payload = json.RawMessage("null")
	}
	return out
}

// webhookScope is the app of an app's webhook route (nil on the
// organization-wide routes).
func webhookScope(c *gin.Context) *store.App {
	if v, ok := c.Get("app"); ok {
		return v.(*store.App)
	}
	return nil
}

func appSlug(app *store.App) string {
	if app == nil {
		return ""
	}
	return app.Slug
}

func appIDOf(app *store.App) int64 {
	if app == nil {
		return 0
	}
	return app.ID
}

func (a *API) listWebhooks(c *gin.Context) {
	app := webhookScope(c)
	ws, err := a.store.ListOutboundWebhooks(c.Request.Context(), principalOf(c).user.OrgID, appIDOf(app))
	if err != nil {
		a.fail(c, err)
		return
	}
	out := make([]webhookDTO, len(ws))
	for i, w := range ws {
		out[i] = newWebhookDTO(w, appSlug(app))
	}
	c.JSON(http.StatusOK, Page[webhookDTO]{Items: out})
}

// createWebhook stores an outbound webhook: the URL must pass the address
// policy, and the signing secret is sealed with the master key and shown
// once.
func (a *API) createWebhook(c *gin.Context) {
	var req webhookRequest
	if err := bindJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	sealer, ok := a.opts.Secrets.(Sealer)
	if a.opts.Secrets == nil || !ok {
		a.fail(c, &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "webhooks need the master key (ASTROLIFT_MASTER_KEY)"})
		return
	}
	ctx := c.Request.Context()
	req.URL = strings.TrimSpace(req.URL)
	if req.URL == "" || len(req.URL) > 2048 {
		a.fail(c, invalid("url", "url is required (an http or https URL of at most 2048 characters)"))
		return
	}
	checkCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	err := a.opts.WebhookPolicy.CheckURL(checkCtx, req.URL)
	cancel()
	if err != nil {
		a.fail(c, invalid("url", "url refused: %v", err))
		return
	}
	types, err := eventTypes(req.EventTypes)
	if err != nil {
		a.fail(c, err)
		return
	}
	secret := WebhookSecretPrefix + newSecret()
	app, p := webhookScope(c), principalOf(c)
	w := &store.OutboundWebhook{OrgID: p.user.OrgID, AppID: appIDOf(app), URL: req.URL, EventTypes: types,
		SecretSealed: sealer.Seal(store.WebhookSecretPurpose, []byte(secret)), CreatedBy: p.user.Email}
	if err := a.store.CreateOutboundWebhook(ctx, w); err != nil {
		a.fail(c, err)
		return
	}
	a.event(ctx, w.OrgID, w.AppID, "webhook.created", p.user.Email, fmt.Sprintf("webhook %d to %s created (%s)", w.ID, hostOf(w.URL), strings.Join(types, ", ")))
	c.JSON(http.StatusCreated, createWebhookResponse{webhookDTO: newWebhookDTO(w, appSlug(app)), Secret: secret})
}

// eventTypes validates and deduplicates a webhook's event types.
func eventTypes(in []string) ([]string, error) {
	if in == nil {
		return []string{"*"}, nil
	}
	var out []string
	for _, t := range in {
		t = strings.TrimSpace(t)
		if !eventTypePattern.MatchString(t) {
			return nil, invalid("event_types", "event type %q: want an event kind (deployment.succeeded), a prefix (deployment.*) or *", t)
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) == 0 || len(out) > maxEventTypes {
		return nil, invalid("event_types", "event_types needs 1 to %d types; [\"*\"] subscribes to every event", maxEventTypes)
	}
	return out, nil
}

// hostOf names a URL's host for events (its path may hold a token).
func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Host
	}
	return "?"
}

// webhookOf loads the route's :id webhook, which must belong to the
// route's scope: the app, or the organization (organization-wide only).
func (a *API) webhookOf(c *gin.Context) (*store.OutboundWebhook, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		a.fail(c, invalid("id", "webhook id must be a number"))
		return nil, false
	}
	w, err := a.store.GetOutboundWebhook(c.Request.Context(), id)
	if err == nil && (w.OrgID != principalOf(c).user.OrgID || w.AppID != appIDOf(webhookScope(c))) {
		err = fmt.Errorf("webhook %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		a.fail(c, err)
		return nil, false
	}
	return w, true
}

func (a *API) deleteWebhook(c *gin.Context) {
	w, ok := a.webhookOf(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	if err := a.store.DeleteOutboundWebhook(ctx, w.ID); err != nil {
		a.fail(c, err)
		return
	}
	a.event(ctx, w.OrgID, w.AppID, "webhook.deleted", principalOf(c).user.Email, fmt.Sprintf("webhook %d to %s deleted (soft)", w.ID, hostOf(w.URL)))
	c.Status(http.StatusNoContent)
}

// pingWebhook sends a test delivery now and answers with it (201: it is
// recorded among the deliveries), delivered or not.
func (a *API) pingWebhook(c *gin.Context) {
	w, ok := a.webhookOf(c)
	if !ok {
		return
	}
	if a.opts.Webhooks == nil {
		a.fail(c, &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "webhook deliveries are not running on this server"})
		return
	}
	d, err := a.opts.Webhooks.Ping(c.Request.Context(), w)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, newWebhookDeliveryDTO(d)) // a delivery was recorded
}

// listWebhookDeliveries shows a webhook's deliveries, newest first
// (?limit, ?cursor).
func (a *API) listWebhookDeliveries(c *gin.Context) {
	w, ok := a.webhookOf(c)
	if !ok {
		return
	}
	limit, cursor, err := pageParams(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	before, err := idCursor(cursor)
	if err != nil {
		a.fail(c, err)
		return
	}
	ds, err := a.store.ListOutboundDeliveries(c.Request.Context(), w.ID, before, limit)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := make([]webhookDeliveryDTO, len(ds))
	for i, d := range ds {
		out[i] = newWebhookDeliveryDTO(d)
	}
	c.JSON(http.StatusOK, page(out, limit, func(d webhookDeliveryDTO) string { return strconv.FormatInt(d.ID, 10) }))
}
