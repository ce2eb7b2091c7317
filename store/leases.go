package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// AcquireLease takes or renews the lease name for holder until now+ttl. It
// succeeds when the lease is free, expired, or already held by holder, and
// reports false (no error) when another holder has it.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	now := s.timestamp()
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
		 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		 WHERE leases.expires_at <= $4 OR leases.holder = excluded.holder`,
		name, holder, now.Add(ttl), now)
	if err != nil {
		return false, fmt.Errorf("lease %q: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("lease %q: %w", name, err)
	}
	return n == 1, nil
}

// ReleaseLease gives up a lease held by holder.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder); err != nil {
		return fmt.Errorf("release lease %q: %w", name, err)
	}
	return nil
}

// TouchRepoChecked records that the apps' repository was checked at at and
// found unchanged (no error).
func (s *Store) TouchRepoChecked(ctx context.Context, ids []int64, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{at.UTC().Truncate(time.Microsecond)}
	marks := make([]string, len(ids))
	for i, id := range ids {
		args = append(args, id)
		marks[i] = fmt.Sprintf("$%d", i+2)
	}
	_, err := s.db.ExecContext(ctx, `UPDATE apps SET repo_checked_at = $1, repo_error = '' WHERE id IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return fmt.Errorf("record check time of %d apps: %w", len(ids), err)
	}
	return nil
}
