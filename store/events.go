package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Event is an entry of the activity feed of an organization and its apps.
type Event struct {
	ID           int64
	OrgID        int64
	AppID        int64 // 0: organization-wide
	DeploymentID int64 // 0: none
	Kind         string
	Severity     string // info | warning | error
	Message      string
	Actor        string
	CreatedAt    time.Time
}

// AppendEvent records an event.
func (s *Store) AppendEvent(ctx context.Context, e *Event) error {
	if e.Severity == "" {
		e.Severity = "info"
	}
	e.CreatedAt = s.timestamp()
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO events (org_id, app_id, deployment_id, kind, severity, message, actor, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		e.OrgID, nullInt(e.AppID), nullInt(e.DeploymentID), e.Kind, e.Severity, e.Message, e.Actor, e.CreatedAt).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("append event %q: %w", e.Kind, err)
	}
	return nil
}

// EventFilter narrows ListEvents. Zero fields match everything.
type EventFilter struct {
	OrgID    int64
	AppID    int64
	Kind     string
	BeforeID int64 // pagination cursor: events sort newest first
	Limit    int   // default 50, at most 500
}

// ListEvents returns events newest first.
func (s *Store) ListEvents(ctx context.Context, f EventFilter) ([]*Event, error) {
	var (
		where = []string{"1 = 1"}
		args  []any
	)
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.OrgID != 0 {
		where = append(where, "org_id = "+arg(f.OrgID))
	}
	if f.AppID != 0 {
		where = append(where, "app_id = "+arg(f.AppID))
	}
	if f.Kind != "" {
		where = append(where, "kind = "+arg(f.Kind))
	}
	if f.BeforeID != 0 {
		where = append(where, "id < "+arg(f.BeforeID))
	}
	limit := clampLimit(f.Limit)
	rows, err := s.db.QueryContext(ctx,
		`SELECT id, org_id, app_id, deployment_id, kind, severity, message, actor, created_at FROM events WHERE `+
			strings.Join(where, " AND ")+fmt.Sprintf(` ORDER BY id DESC LIMIT %d`, limit), args...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	var out []*Event
	for rows.Next() {
		e := &Event{}
		var app, dep sql.NullInt64
		if err := rows.Scan(&e.ID, &e.OrgID, &app, &dep, &e.Kind, &e.Severity, &e.Message, &e.Actor, &e.CreatedAt); err != nil {
			return nil, fmt.Errorf("list events: %w", err)
		}
		e.AppID, e.DeploymentID = app.Int64, dep.Int64
		out = append(out, e)
	}
	return out, rows.Err()
}
