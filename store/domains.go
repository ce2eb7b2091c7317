package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// States of a custom domain.
const (
	DomainPending   = "pending"   // waiting for the TXT challenge record
	DomainValidated = "validated" // the record was seen; the domain is served
	DomainFailed    = "failed"    // given up on; a recheck may still validate it
)

// Domain is a custom hostname bound to one environment of an app, proven
// with a DNS TXT challenge.
type Domain struct {
	ID             int64
	OrgID          int64
	AppID          int64
	EnvironmentID  int64
	Hostname       string
	ChallengeToken string
	State          string // DomainPending, DomainValidated or DomainFailed
	// LastCheckedAt and CheckError describe the latest check (CheckError
	// empty when it validated).
	LastCheckedAt *time.Time
	CheckError    string
	// NextCheckAt is when the domain checker looks again (nil: never).
	NextCheckAt *time.Time
	Attempts    int
	CreatedBy   string
	CreatedAt   time.Time
}

// DomainCheck is the outcome of one check, for RecordDomainCheck.
type DomainCheck struct {
	At          time.Time
	State       string
	Error       string
	NextCheckAt *time.Time // nil: no further automatic check
}

const domainColumns = `id, org_id, app_id, environment_id, hostname, challenge_token, state, last_checked_at, check_error,
	next_check_at, attempts, created_by, created_at`

func scanDomain(row interface{ Scan(...any) error }) (*Domain, error) {
	d := &Domain{}
	var checked, next sql.NullTime
	if err := row.Scan(&d.ID, &d.OrgID, &d.AppID, &d.EnvironmentID, &d.Hostname, &d.ChallengeToken, &d.State, &checked,
		&d.CheckError, &next, &d.Attempts, &d.CreatedBy, &d.CreatedAt); err != nil {
		return nil, err
	}
	d.LastCheckedAt, d.NextCheckAt, d.CreatedAt = nullTime(checked), nullTime(next), d.CreatedAt.UTC()
	return d, nil
}

// CreateDomain stores a pending binding, due for its first check now. A
// hostname bound live elsewhere is ErrConflict.
func (s *Store) CreateDomain(ctx context.Context, d *Domain) error {
	d.CreatedAt = s.timestamp()
	d.State, d.Attempts, d.NextCheckAt = DomainPending, 0, &d.CreatedAt
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO domains (org_id, app_id, environment_id, hostname, challenge_token, state, next_check_at, created_by, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7) RETURNING id`,
		d.OrgID, d.AppID, d.EnvironmentID, d.Hostname, d.ChallengeToken, d.State, d.CreatedAt, d.CreatedBy).Scan(&d.ID)
	if isUniqueViolation(err) {
		return fmt.Errorf("domain %q: hostname already bound: %w", d.Hostname, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create domain %q: %w", d.Hostname, err)
	}
	return nil
}

// GetDomain returns the live domain with id.
func (s *Store) GetDomain(ctx context.Context, id int64) (*Domain, error) {
	d, err := scanDomain(s.db.QueryRowContext(ctx,
		`SELECT `+domainColumns+` FROM domains WHERE id = $1 AND deleted_at IS NULL`, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("domain %d", id))
	}
	return d, nil
}

// ListDomains returns an app's live domains by hostname.
func (s *Store) ListDomains(ctx context.Context, appID int64) ([]*Domain, error) {
	return s.listDomains(ctx, fmt.Sprintf("list domains of app %d", appID),
		`SELECT `+domainColumns+` FROM domains WHERE app_id = $1 AND deleted_at IS NULL ORDER BY hostname`, appID)
}

// DueDomains returns up to limit live pending domains whose next check is
// at or before now, the longest waiting first.
func (s *Store) DueDomains(ctx context.Context, now time.Time, limit int) ([]*Domain, error) {
	return s.listDomains(ctx, "list domains due for a check",
		`SELECT `+domainColumns+` FROM domains WHERE state = $1 AND deleted_at IS NULL AND next_check_at <= $2
		 ORDER BY next_check_at, id LIMIT $3`, DomainPending, now.UTC(), clampLimit(limit))
}

// ValidatedHostnames returns the validated hostnames of an environment,
// sorted: the custom domains its next deployment serves.
func (s *Store) ValidatedHostnames(ctx context.Context, environmentID int64) ([]string, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT hostname FROM domains WHERE environment_id = $1 AND state = $2 AND deleted_at IS NULL ORDER BY hostname`,
		environmentID, DomainValidated)
	if err != nil {
		return nil, fmt.Errorf("validated domains of environment %d: %w", environmentID, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("validated domains of environment %d: %w", environmentID, err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

func (s *Store) listDomains(ctx context.Context, what, q string, args ...any) ([]*Domain, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []*Domain
	for rows.Next() {
		d, err := scanDomain(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// RecordDomainCheck stores the outcome of a check of a live domain and
// counts the attempt; it returns the domain as updated.
func (s *Store) RecordDomainCheck(ctx context.Context, id int64, c DomainCheck) (*Domain, error) {
	var next any
	if c.NextCheckAt != nil {
		next = c.NextCheckAt.UTC().Truncate(time.Microsecond)
	}
	res, err := s.db.ExecContext(ctx,
		`UPDATE domains SET state = $1, check_error = $2, last_checked_at = $3, next_check_at = $4, attempts = attempts + 1
		 WHERE id = $5 AND deleted_at IS NULL`,
		c.State, c.Error, c.At.UTC().Truncate(time.Microsecond), next, id)
	if err != nil {
		return nil, fmt.Errorf("domain %d: record check: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, fmt.Errorf("domain %d: record check: %w", id, ErrNotFound)
	}
	return s.GetDomain(ctx, id)
}

// DeleteDomain soft-deletes a binding: its hostname may be bound again.
func (s *Store) DeleteDomain(ctx context.Context, id int64) error {
	return softDelete(ctx, s.db, "domains", id, s.timestamp(), fmt.Sprintf("domain %d", id))
}
