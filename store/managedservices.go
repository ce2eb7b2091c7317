package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// ManagedServicePurpose is the secretbox purpose (followed by ":<id>") the
// connection envelopes of managed services are sealed with (by the
// managed-service loop) and opened with (by the deployer).
const ManagedServicePurpose = "managed-service"

// ManagedService is a database, cache or object store provisioned for one
// environment of an app. The store holds its connection envelope sealed by
// the caller (EnvelopeSealed) and its key names in plain text
// (EnvelopeKeys), so the keys can be listed without the master key.
type ManagedService struct {
	ID            int64
	OrgID         int64
	AppID         int64
	EnvironmentID int64
	Kind          string // postgres, mysql, redis, s3, …
	Name          string // "" for the environment's default service of its kind
	Variant       string // size: small, medium, large
	// Status is pending, provisioning, active, failed or deprovisioning.
	Status         string
	StatusError    string
	EnvelopeKeys   []string // sorted
	EnvelopeSealed []byte
	CreatedBy      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// ManagedServiceFilter narrows ListManagedServices; zero fields match all.
type ManagedServiceFilter struct {
	AppID         int64
	EnvironmentID int64
	Statuses      []string
}

// ManagedServiceUpdate is what a status transition writes besides the
// status: the error (cleared when empty) and, when Sealed is set, the new
// envelope with its keys.
type ManagedServiceUpdate struct {
	Error  string
	Keys   []string
	Sealed []byte
}

const managedServiceColumns = `id, org_id, app_id, environment_id, kind, name, variant, status, status_error, envelope_keys,
	envelope_sealed, created_by, created_at, updated_at`

func scanManagedService(row interface{ Scan(...any) error }) (*ManagedService, error) {
	m := &ManagedService{}
	var keys string
	err := row.Scan(&m.ID, &m.OrgID, &m.AppID, &m.EnvironmentID, &m.Kind, &m.Name, &m.Variant, &m.Status, &m.StatusError,
		&keys, &m.EnvelopeSealed, &m.CreatedBy, &m.CreatedAt, &m.UpdatedAt)
	if keys != "" {
		m.EnvelopeKeys = strings.Split(keys, ",")
	}
	return m, err
}

func (m *ManagedService) what() string {
	if m.Name == "" {
		return fmt.Sprintf("managed service %s", m.Kind)
	}
	return fmt.Sprintf("managed service %s %q", m.Kind, m.Name)
}

// CreateManagedService inserts a managed service as pending (Status, when
// empty). Its (environment, kind, name) is unique among live services.
func (s *Store) CreateManagedService(ctx context.Context, m *ManagedService) error {
	now := s.timestamp()
	if m.Status == "" {
		m.Status = "pending"
	}
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO managed_services (org_id, app_id, environment_id, kind, name, variant, status, created_by, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id`,
		m.OrgID, m.AppID, m.EnvironmentID, m.Kind, m.Name, m.Variant, m.Status, m.CreatedBy, now).Scan(&m.ID)
	if isUniqueViolation(err) {
		return fmt.Errorf("%s: already provisioned in environment %d: %w", m.what(), m.EnvironmentID, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create %s: %w", m.what(), err)
	}
	m.CreatedAt, m.UpdatedAt = now, now
	m.StatusError, m.EnvelopeKeys, m.EnvelopeSealed = "", nil, nil
	return nil
}

// GetManagedService returns a live managed service.
func (s *Store) GetManagedService(ctx context.Context, id int64) (*ManagedService, error) {
	m, err := scanManagedService(s.db.QueryRowContext(ctx,
		`SELECT `+managedServiceColumns+` FROM managed_services WHERE id = $1 AND deleted_at IS NULL`, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("managed service %d", id))
	}
	return m, nil
}

// ListManagedServices returns the live managed services matching f, by
// environment, kind and name.
func (s *Store) ListManagedServices(ctx context.Context, f ManagedServiceFilter) ([]*ManagedService, error) {
	where := []string{"deleted_at IS NULL"}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.AppID != 0 {
		where = append(where, "app_id = "+arg(f.AppID))
	}
	if f.EnvironmentID != 0 {
		where = append(where, "environment_id = "+arg(f.EnvironmentID))
	}
	if len(f.Statuses) > 0 {
		marks := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			marks[i] = arg(st)
		}
		where = append(where, "status IN ("+strings.Join(marks, ", ")+")")
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+managedServiceColumns+` FROM managed_services WHERE `+
		strings.Join(where, " AND ")+` ORDER BY environment_id, kind, name, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list managed services: %w", err)
	}
	defer rows.Close()
	var out []*ManagedService
	for rows.Next() {
		m, err := scanManagedService(rows)
		if err != nil {
			return nil, fmt.Errorf("list managed services: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list managed services: %w", err)
	}
	return out, nil
}

// TransitionManagedService moves a live managed service from status from
// to status to (compare-and-set: ErrConflict when it is not in from, for
// example deprovisioned meanwhile), writing u.
func (s *Store) TransitionManagedService(ctx context.Context, id int64, from, to string, u ManagedServiceUpdate) error {
	now := s.timestamp()
	q := `UPDATE managed_services SET status = $1, status_error = $2, updated_at = $3`
	args := []any{to, u.Error, now}
	if u.Sealed != nil {
		q += `, envelope_keys = $6, envelope_sealed = $7`
	}
	q += ` WHERE id = $4 AND status = $5 AND deleted_at IS NULL`
	args = append(args, id, from)
	if u.Sealed != nil {
		args = append(args, strings.Join(u.Keys, ","), u.Sealed)
	}
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("managed service %d: %s → %s: %w", id, from, to, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("managed service %d: %s → %s: not %s any more: %w", id, from, to, from, ErrConflict)
	}
	return nil
}

// DeprovisionManagedService marks a live managed service deprovisioning
// (whatever its status; again is no error): the loop tears its upstream
// down, then RemoveManagedService hides it.
func (s *Store) DeprovisionManagedService(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx,
		`UPDATE managed_services SET status = 'deprovisioning', status_error = '', updated_at = $1 WHERE id = $2 AND deleted_at IS NULL`,
		s.timestamp(), id)
	if err != nil {
		return fmt.Errorf("deprovision managed service %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("deprovision managed service %d: %w", id, ErrNotFound)
	}
	return nil
}

// RemoveManagedService soft-deletes a deprovisioning managed service once
// its upstream is gone. Its sealed envelope is dropped with it: nothing can
// use it any more.
func (s *Store) RemoveManagedService(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx,
		`UPDATE managed_services SET deleted_at = $1, updated_at = $1, envelope_sealed = NULL
		 WHERE id = $2 AND status = 'deprovisioning' AND deleted_at IS NULL`, s.timestamp(), id)
	if err != nil {
		return fmt.Errorf("remove managed service %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("remove managed service %d: not deprovisioning: %w", id, ErrConflict)
	}
	return nil
}
