package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// WebhookSecretPurpose is the secretbox purpose of outbound webhooks'
// signing secrets: the API seals with it, the dispatcher opens with it.
const WebhookSecretPurpose = "outbound-webhook-secret"

// States of an outbound delivery.
const (
	DeliveryPending   = "pending"   // queued or waiting for its next attempt
	DeliveryDelivered = "delivered" // the receiver answered 2xx
	DeliveryFailed    = "failed"    // gave up (attempts used, or the webhook was deleted)
)

// OutboundWebhook is a subscription of an app (AppID set) or of the whole
// organization (AppID 0) to event types, delivered to URL.
type OutboundWebhook struct {
	ID    int64
	OrgID int64
	AppID int64 // 0: every event of the organization
	URL   string
	// EventTypes are exact kinds (deployment.succeeded), prefixes
	// (deployment.*) or * for all.
	EventTypes   []string
	SecretSealed []byte // the signing secret, sealed for WebhookSecretPurpose
	CreatedBy    string
	CreatedAt    time.Time
	// The latest attempt of any of its deliveries: when, the receiver's
	// status code (0: no response) and the error.
	LastDeliveryAt *time.Time
	LastStatus     int
	LastError      string
	// FailedCount counts deliveries that failed for good.
	FailedCount int
}

// OutboundDelivery is one event (or ping) queued for one webhook, with
// the outcome of its latest attempt.
type OutboundDelivery struct {
	ID        int64
	WebhookID int64
	EventID   int64 // 0: a ping
	EventType string
	Payload   string // the JSON body, the same on every attempt
	Status    string // DeliveryPending, DeliveryDelivered or DeliveryFailed
	// Attempt counts attempts made (a claimed attempt included).
	Attempt       int
	NextAttemptAt *time.Time
	StatusCode    int
	Duration      time.Duration
	Error         string
	CreatedAt     time.Time
	DeliveredAt   *time.Time
}

// OutboundAttempt is the outcome of one attempt, for RecordOutboundAttempt.
type OutboundAttempt struct {
	At         time.Time
	StatusCode int // 0: no response
	Duration   time.Duration
	Error      string
	Delivered  bool
	// RetryAt, for an attempt that did not deliver, is when to try again;
	// nil gives up (the delivery fails).
	RetryAt *time.Time
}

const webhookColumns = `id, org_id, app_id, url, event_types, secret_sealed, created_by, created_at,
	last_delivery_at, last_status, last_error, failed_count`

func scanWebhook(row interface{ Scan(...any) error }) (*OutboundWebhook, error) {
	w := &OutboundWebhook{}
	var app sql.NullInt64
	var types string
	var last sql.NullTime
	if err := row.Scan(&w.ID, &w.OrgID, &app, &w.URL, &types, &w.SecretSealed, &w.CreatedBy, &w.CreatedAt,
		&last, &w.LastStatus, &w.LastError, &w.FailedCount); err != nil {
		return nil, err
	}
	w.AppID, w.EventTypes, w.LastDeliveryAt = app.Int64, splitScopes(types), nullTime(last)
	w.CreatedAt = w.CreatedAt.UTC()
	return w, nil
}

// CreateOutboundWebhook stores a webhook.
func (s *Store) CreateOutboundWebhook(ctx context.Context, w *OutboundWebhook) error {
	w.CreatedAt = s.timestamp()
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO outbound_webhooks (org_id, app_id, url, event_types, secret_sealed, created_by, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		w.OrgID, nullInt(w.AppID), w.URL, strings.Join(w.EventTypes, ","), w.SecretSealed, w.CreatedBy, w.CreatedAt).Scan(&w.ID)
	if err != nil {
		return fmt.Errorf("create webhook to %s: %w", w.URL, err)
	}
	return nil
}

// GetOutboundWebhook returns the live webhook with id.
func (s *Store) GetOutboundWebhook(ctx context.Context, id int64) (*OutboundWebhook, error) {
	w, err := scanWebhook(s.db.QueryRowContext(ctx,
		`SELECT `+webhookColumns+` FROM outbound_webhooks WHERE id = $1 AND deleted_at IS NULL`, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("webhook %d", id))
	}
	return w, nil
}

// ListOutboundWebhooks returns the live webhooks of an app, or with appID
// 0 the organization-wide ones, oldest first.
func (s *Store) ListOutboundWebhooks(ctx context.Context, orgID, appID int64) ([]*OutboundWebhook, error) {
	q := `SELECT ` + webhookColumns + ` FROM outbound_webhooks WHERE org_id = $1 AND deleted_at IS NULL AND app_id IS NULL ORDER BY id`
	args := []any{orgID}
	if appID != 0 {
		q = `SELECT ` + webhookColumns + ` FROM outbound_webhooks WHERE org_id = $1 AND deleted_at IS NULL AND app_id = $2 ORDER BY id`
		args = append(args, appID)
	}
	return s.listWebhooks(ctx, fmt.Sprintf("list webhooks of org %d app %d", orgID, appID), q, args...)
}

// LiveOutboundWebhooks returns every live webhook (the dispatcher matches
// events against them).
func (s *Store) LiveOutboundWebhooks(ctx context.Context) ([]*OutboundWebhook, error) {
	return s.listWebhooks(ctx, "list live webhooks",
		`SELECT `+webhookColumns+` FROM outbound_webhooks WHERE deleted_at IS NULL ORDER BY id`)
}

func (s *Store) listWebhooks(ctx context.Context, what, q string, args ...any) ([]*OutboundWebhook, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []*OutboundWebhook
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// DeleteOutboundWebhook soft-deletes a webhook; its pending deliveries
// fail (they will not be sent).
func (s *Store) DeleteOutboundWebhook(ctx context.Context, id int64) error {
	now := s.timestamp()
	return s.tx(ctx, func(q queryer) error {
		if err := softDelete(ctx, q, "outbound_webhooks", id, now, fmt.Sprintf("webhook %d", id)); err != nil {
			return err
		}
		_, err := q.ExecContext(ctx,
			`UPDATE outbound_deliveries SET status = $1, error = 'webhook deleted', next_attempt_at = NULL
			 WHERE webhook_id = $2 AND status = $3`, DeliveryFailed, id, DeliveryPending)
		if err != nil {
			return fmt.Errorf("delete webhook %d: drop pending deliveries: %w", id, err)
		}
		return nil
	})
}

// OutboundCursor returns the id of the last event the dispatcher queued
// deliveries for.
func (s *Store) OutboundCursor(ctx context.Context) (int64, error) {
	var id int64
	if err := s.db.QueryRowContext(ctx, `SELECT event_id FROM outbound_cursor WHERE name = 'events'`).Scan(&id); err != nil {
		return 0, fmt.Errorf("read webhook event cursor: %w", err)
	}
	return id, nil
}

// EnqueueOutboundDeliveries queues deliveries and moves the event cursor
// to cursor, in one transaction: the events up to cursor are then handled
// exactly once, whether or not the process stops right after. A delivery
// of an event already queued for its webhook is skipped (two dispatchers
// may follow the feed at once). It returns how many were queued.
func (s *Store) EnqueueOutboundDeliveries(ctx context.Context, ds []*OutboundDelivery, cursor int64) (int, error) {
	queued := 0
	err := s.tx(ctx, func(q queryer) error {
		queued = 0
		for _, d := range ds {
			d.Status, d.Attempt = DeliveryPending, 0
			d.CreatedAt = d.CreatedAt.UTC().Truncate(time.Microsecond)
			res, err := q.ExecContext(ctx,
				`INSERT INTO outbound_deliveries (webhook_id, event_id, event_type, payload, status, attempt, next_attempt_at, created_at)
				 VALUES ($1, $2, $3, $4, $5, 0, $6, $6) ON CONFLICT (webhook_id, event_id) DO NOTHING`,
				d.WebhookID, nullInt(d.EventID), d.EventType, d.Payload, DeliveryPending, d.CreatedAt)
			if err != nil {
				return fmt.Errorf("queue event %d for webhook %d: %w", d.EventID, d.WebhookID, err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				queued++
			}
		}
		if _, err := q.ExecContext(ctx, `UPDATE outbound_cursor SET event_id = $1 WHERE name = 'events' AND event_id < $1`, cursor); err != nil {
			return fmt.Errorf("move webhook event cursor to %d: %w", cursor, err)
		}
		return nil
	})
	return queued, err
}

// CreateOutboundDelivery inserts a delivery that is already claimed for
// its first attempt until until (a ping, sent at once by its caller; should
// the caller die, the dispatcher retries it after until).
func (s *Store) CreateOutboundDelivery(ctx context.Context, d *OutboundDelivery, until time.Time) error {
	d.CreatedAt, d.Status, d.Attempt = s.timestamp(), DeliveryPending, 1
	next := until.UTC().Truncate(time.Microsecond)
	d.NextAttemptAt = &next
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO outbound_deliveries (webhook_id, event_id, event_type, payload, status, attempt, next_attempt_at, created_at)
		 VALUES ($1, $2, $3, $4, $5, 1, $6, $7) RETURNING id`,
		d.WebhookID, nullInt(d.EventID), d.EventType, d.Payload, DeliveryPending, next, d.CreatedAt).Scan(&d.ID)
	if err != nil {
		return fmt.Errorf("create %s delivery for webhook %d: %w", d.EventType, d.WebhookID, err)
	}
	return nil
}

const deliveryColumns = `d.id, d.webhook_id, d.event_id, d.event_type, d.payload, d.status, d.attempt, d.next_attempt_at,
	d.status_code, d.duration_ms, d.error, d.created_at, d.delivered_at`

func scanDelivery(row interface{ Scan(...any) error }) (*OutboundDelivery, error) {
	d := &OutboundDelivery{}
	var event sql.NullInt64
	var next, delivered sql.NullTime
	var ms int64
	if err := row.Scan(&d.ID, &d.WebhookID, &event, &d.EventType, &d.Payload, &d.Status, &d.Attempt, &next,
		&d.StatusCode, &ms, &d.Error, &d.CreatedAt, &delivered); err != nil {
		return nil, err
	}
	d.EventID, d.Duration = event.Int64, time.Duration(ms)*time.Millisecond
	d.NextAttemptAt, d.DeliveredAt, d.CreatedAt = nullTime(next), nullTime(delivered), d.CreatedAt.UTC()
	return d, nil
}

func (s *Store) listDeliveries(ctx context.Context, what, q string, args ...any) ([]*OutboundDelivery, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []*OutboundDelivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DueOutboundDeliveries returns up to limit pending deliveries of live
// webhooks whose next attempt is due at now, the longest waiting first.
func (s *Store) DueOutboundDeliveries(ctx context.Context, now time.Time, limit int) ([]*OutboundDelivery, error) {
	return s.listDeliveries(ctx, "list due webhook deliveries",
		`SELECT `+deliveryColumns+` FROM outbound_deliveries d JOIN outbound_webhooks w ON w.id = d.webhook_id
		 WHERE d.status = $1 AND d.next_attempt_at <= $2 AND w.deleted_at IS NULL
		 ORDER BY d.next_attempt_at, d.id LIMIT `+fmt.Sprint(clampLimit(limit)),
		DeliveryPending, now.UTC().Truncate(time.Microsecond))
}

// ClaimOutboundDelivery takes a due delivery for one attempt: it counts
// the attempt and moves its next attempt to until, so that no other worker
// takes it meanwhile and, should this one die, it is due again then. It
// reports false when another worker claimed it first (d.Attempt is what the
// caller saw). On success d.Attempt is the attempt's number.
func (s *Store) ClaimOutboundDelivery(ctx context.Context, d *OutboundDelivery, now, until time.Time) (bool, error) {
	until = until.UTC().Truncate(time.Microsecond)
	res, err := s.db.ExecContext(ctx,
		`UPDATE outbound_deliveries SET attempt = attempt + 1, next_attempt_at = $1
		 WHERE id = $2 AND status = $3 AND attempt = $4 AND next_attempt_at <= $5`,
		until, d.ID, DeliveryPending, d.Attempt, now.UTC().Truncate(time.Microsecond))
	if err != nil {
		return false, fmt.Errorf("claim webhook delivery %d: %w", d.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	d.Attempt++
	d.NextAttemptAt = &until
	return true, nil
}

// RecordOutboundAttempt stores the outcome of attempt d.Attempt of a
// claimed delivery, and on its webhook the latest status (and one more
// failure when the delivery gives up). It is ErrConflict when the delivery
// is no longer at that attempt (another worker took it over).
func (s *Store) RecordOutboundAttempt(ctx context.Context, d *OutboundDelivery, a OutboundAttempt) error {
	at := a.At.UTC().Truncate(time.Microsecond)
	status, failed := DeliveryPending, 0
	var next, delivered *time.Time
	switch {
	case a.Delivered:
		status, delivered = DeliveryDelivered, &at
	case a.RetryAt != nil:
		t := a.RetryAt.UTC().Truncate(time.Microsecond)
		next = &t
	default:
		status, failed = DeliveryFailed, 1
	}
	what := fmt.Sprintf("webhook delivery %d attempt %d", d.ID, d.Attempt)
	err := s.tx(ctx, func(q queryer) error {
		res, err := q.ExecContext(ctx,
			`UPDATE outbound_deliveries SET status = $1, status_code = $2, duration_ms = $3, error = $4, next_attempt_at = $5, delivered_at = $6
			 WHERE id = $7 AND status = $8 AND attempt = $9`,
			status, a.StatusCode, a.Duration.Milliseconds(), a.Error, next, delivered, d.ID, DeliveryPending, d.Attempt)
		if err != nil {
			return fmt.Errorf("record %s: %w", what, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("record %s: no longer at that attempt: %w", what, ErrConflict)
		}
		_, err = q.ExecContext(ctx,
			`UPDATE outbound_webhooks SET last_delivery_at = $1, last_status = $2, last_error = $3, failed_count = failed_count + $4 WHERE id = $5`,
			at, a.StatusCode, a.Error, failed, d.WebhookID)
		if err != nil {
			return fmt.Errorf("record %s on webhook %d: %w", what, d.WebhookID, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	d.Status, d.StatusCode, d.Duration, d.Error, d.NextAttemptAt, d.DeliveredAt = status, a.StatusCode, a.Duration, a.Error, next, delivered
	return nil
}

// ListOutboundDeliveries returns a webhook's deliveries newest first;
// beforeID (0: from the newest) pages on.
func (s *Store) ListOutboundDeliveries(ctx context.Context, webhookID, beforeID int64, limit int) ([]*OutboundDelivery, error) {
	q := `SELECT ` + deliveryColumns + ` FROM outbound_deliveries d WHERE d.webhook_id = $1`
	args := []any{webhookID}
	if beforeID > 0 {
		q += ` AND d.id < $2`
		args = append(args, beforeID)
	}
	q += fmt.Sprintf(` ORDER BY d.id DESC LIMIT %d`, clampLimit(limit))
	return s.listDeliveries(ctx, fmt.Sprintf("list deliveries of webhook %d", webhookID), q, args...)
}
