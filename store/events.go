package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
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

// AppendEvent records an event and signals the subscribers of
// SubscribeEvents: on PostgreSQL those of every Store on the same database
// and schema (through NOTIFY), on SQLite those of this Store.
//
// On PostgreSQL the insert runs in a transaction that first takes an
// advisory lock (one per schema), so that events commit in id order: a
// reader following the events with EventFilter.AfterID can never see id
// n+1 before id n is committed and skip it. Appends are serialized across
// replicas, which costs little at the rate of an activity feed. The NOTIFY
// (pg_notify, payload: the id) is sent in the same transaction rather than
// after commit: PostgreSQL delivers it only when the transaction commits, so
// a listener never hears of an event it cannot read yet, a rolled-back
// append notifies nobody, and a crash between commit and a separate NOTIFY
// cannot lose the signal.
func (s *Store) AppendEvent(ctx context.Context, e *Event) error {
	if e.Severity == "" {
		e.Severity = "info"
	}
	e.CreatedAt = s.timestamp()
	insert := func(q queryer) error {
		return q.QueryRowContext(ctx,
			`INSERT INTO events (org_id, app_id, deployment_id, kind, severity, message, actor, created_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			e.OrgID, nullInt(e.AppID), nullInt(e.DeploymentID), e.Kind, e.Severity, e.Message, e.Actor, e.CreatedAt).Scan(&e.ID)
	}
	var err error
	if s.driver == Postgres {
		err = s.tx(ctx, func(q queryer) error {
			if _, err := q.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, s.eventsLock); err != nil {
				return fmt.Errorf("lock events: %w", err)
			}
			if err := insert(q); err != nil {
				return err
			}
			if _, err := q.ExecContext(ctx, `SELECT pg_notify($1, $2)`, s.eventsChannel, strconv.FormatInt(e.ID, 10)); err != nil {
				return fmt.Errorf("notify %s: %w", s.eventsChannel, err)
			}
			return nil
		})
	} else {
		// SQLite has one writer at a time: ids commit in order.
		err = insert(s.db)
	}
	if err != nil {
		return fmt.Errorf("append event %q: %w", e.Kind, err)
	}
	// Local subscribers hear at once, even while a PostgreSQL listener is
	// reconnecting (they also hear the NOTIFY: signals coalesce).
	s.notifyEvents()
	return nil
}

// EventFilter narrows ListEvents. Zero fields match everything.
type EventFilter struct {
	OrgID        int64
	AppID        int64
	DeploymentID int64
	Kind         string
	// BeforeID is the pagination cursor of the feed: only events with
	// id < BeforeID.
	BeforeID int64
	// AfterID is the cursor of a stream: only events with id > AfterID,
	// and then sorted OLDEST first (by id ascending) so that a stream
	// replays them in order; page on with the last id returned. Without
	// it (0), events sort newest first. A negative AfterID replays from the
	// first event. Both cursors may be set (a window).
	AfterID int64
	// Visible, when set, keeps organization-wide events (no app) and
	// events of apps in projects of these teams or with these ids.
	Visible *AppVisibility
	Limit   int // default 50, at most 500
}

// ListEvents returns events newest first, or oldest first when
// f.AfterID is set.
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
	if f.DeploymentID != 0 {
		where = append(where, "deployment_id = "+arg(f.DeploymentID))
	}
	if f.Kind != "" {
		where = append(where, "kind = "+arg(f.Kind))
	}
	if f.BeforeID != 0 {
		where = append(where, "id < "+arg(f.BeforeID))
	}
	if v := f.Visible; v != nil {
		conds := []string{"app_id IS NULL"}
		for _, id := range v.TeamIDs {
			conds = append(conds, "app_id IN (SELECT apps.id FROM apps JOIN projects ON projects.id = apps.project_id WHERE projects.team_id = "+arg(id)+")")
		}
		for _, id := range v.AppIDs {
			conds = append(conds, "app_id = "+arg(id))
		}
		where = append(where, "("+strings.Join(conds, " OR ")+")")
	}
	order := "DESC"
	if f.AfterID != 0 {
		where = append(where, "id > "+arg(f.AfterID))
		order = "ASC"
	}
	limit := clampLimit(f.Limit)
	rows, err := s.db.QueryContext(ctx,
		`SELECT id, org_id, app_id, deployment_id, kind, severity, message, actor, created_at FROM events WHERE `+
			strings.Join(where, " AND ")+fmt.Sprintf(` ORDER BY id %s LIMIT %d`, order, limit), args...)
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
