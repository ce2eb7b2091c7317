package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// DefaultDeployTokenTTL is a deploy token's lifetime when none is given.
const DefaultDeployTokenTTL = 365 * 24 * time.Hour

// DeployTokenRotationGrace is how long a rotated deploy token's previous
// secret keeps working.
const DeployTokenRotationGrace = 24 * time.Hour

// DeployToken is a credential bound to one app, used by CI to deploy it.
// Only the SHA-256 of its secret is stored (the caller hashes; see api),
// plus the last four characters for display.
type DeployToken struct {
	ID        int64
	AppID     int64
	Name      string
	Last4     string
	Scopes    []string // e.g. deploy, read
	CreatedBy string
	CreatedAt time.Time
	ExpiresAt time.Time
	// PreviousValidUntil is set after a rotation: until then the previous
	// secret still authenticates.
	PreviousValidUntil *time.Time
	LastUsedAt         *time.Time
	RevokedAt          *time.Time
}

// HasScope reports whether the token carries scope.
func (t *DeployToken) HasScope(scope string) bool {
	for _, s := range t.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

const deployTokenColumns = `id, app_id, name, last4, scopes, created_by, created_at, expires_at, previous_valid_until, last_used_at, revoked_at`

func scanDeployToken(row interface{ Scan(...any) error }) (*DeployToken, error) {
	t := &DeployToken{}
	var scopes string
	var prev, used, revoked sql.NullTime
	if err := row.Scan(&t.ID, &t.AppID, &t.Name, &t.Last4, &scopes, &t.CreatedBy, &t.CreatedAt, &t.ExpiresAt,
		&prev, &used, &revoked); err != nil {
		return nil, err
	}
	t.Scopes = splitScopes(scopes)
	t.PreviousValidUntil, t.LastUsedAt, t.RevokedAt = nullTime(prev), nullTime(used), nullTime(revoked)
	t.CreatedAt, t.ExpiresAt = t.CreatedAt.UTC(), t.ExpiresAt.UTC()
	return t, nil
}

func splitScopes(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// CreateDeployToken stores a token under the hash of its secret. A zero
// ExpiresAt means DefaultDeployTokenTTL from now. A live token of the same
// app with the same name is ErrConflict.
func (s *Store) CreateDeployToken(ctx context.Context, tokenHash string, t *DeployToken) error {
	t.CreatedAt = s.timestamp()
	if t.ExpiresAt.IsZero() {
		t.ExpiresAt = t.CreatedAt.Add(DefaultDeployTokenTTL)
	}
	t.ExpiresAt = t.ExpiresAt.UTC().Truncate(time.Microsecond)
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO deploy_tokens (app_id, name, token_hash, last4, scopes, created_by, created_at, expires_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		t.AppID, t.Name, tokenHash, t.Last4, strings.Join(t.Scopes, ","), t.CreatedBy, t.CreatedAt, t.ExpiresAt).Scan(&t.ID)
	if isUniqueViolation(err) {
		return fmt.Errorf("create deploy token %q of app %d: a live token has this name: %w", t.Name, t.AppID, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create deploy token %q of app %d: %w", t.Name, t.AppID, err)
	}
	return nil
}

// UseDeployToken returns the live (not revoked, not expired) token whose
// current secret has the hash, or whose previous secret has it while the
// rotation grace lasts, and records its use.
func (s *Store) UseDeployToken(ctx context.Context, tokenHash string) (*DeployToken, error) {
	now := s.timestamp()
	t, err := scanDeployToken(s.db.QueryRowContext(ctx,
		`SELECT `+deployTokenColumns+` FROM deploy_tokens
		 WHERE (token_hash = $1 OR (previous_hash = $1 AND previous_valid_until > $2))
		   AND revoked_at IS NULL AND expires_at > $2`,
		tokenHash, now))
	if err != nil {
		return nil, notFound(err, "deploy token")
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE deploy_tokens SET last_used_at = $1 WHERE id = $2`, now, t.ID); err != nil {
		return nil, fmt.Errorf("deploy token %d: record use: %w", t.ID, err)
	}
	t.LastUsedAt = &now
	return t, nil
}

// ListDeployTokens returns an app's live (not revoked) tokens, newest
// first; expired ones are listed too, with their expiry.
func (s *Store) ListDeployTokens(ctx context.Context, appID int64) ([]*DeployToken, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT `+deployTokenColumns+` FROM deploy_tokens WHERE app_id = $1 AND revoked_at IS NULL ORDER BY id DESC`, appID)
	if err != nil {
		return nil, fmt.Errorf("list deploy tokens of app %d: %w", appID, err)
	}
	defer rows.Close()
	var out []*DeployToken
	for rows.Next() {
		t, err := scanDeployToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list deploy tokens of app %d: %w", appID, err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RotateDeployToken gives app appID's live token id a new secret (its hash
// and last four characters). The old secret keeps working for
// DeployTokenRotationGrace; a secret older than that (from an earlier
// rotation) stops now. The expiry does not change.
func (s *Store) RotateDeployToken(ctx context.Context, appID, id int64, newHash, newLast4 string) (*DeployToken, error) {
	now := s.timestamp()
	var t *DeployToken
	err := s.tx(ctx, func(q queryer) error {
		res, err := q.ExecContext(ctx,
			`UPDATE deploy_tokens SET previous_hash = token_hash, previous_valid_until = $1, token_hash = $2, last4 = $3
			 WHERE id = $4 AND app_id = $5 AND revoked_at IS NULL`,
			now.Add(DeployTokenRotationGrace), newHash, newLast4, id, appID)
		if isUniqueViolation(err) {
			return fmt.Errorf("rotate deploy token %d: %w", id, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("rotate deploy token %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("deploy token %d: %w", id, ErrNotFound)
		}
		t, err = scanDeployToken(q.QueryRowContext(ctx, `SELECT `+deployTokenColumns+` FROM deploy_tokens WHERE id = $1`, id))
		if err != nil {
			return fmt.Errorf("rotate deploy token %d: %w", id, err)
		}
		return nil
	})
	return t, err
}

// RevokeDeployToken revokes app appID's live token id (soft: the row stays,
// with revoked_at). Both its current and previous secrets stop working.
func (s *Store) RevokeDeployToken(ctx context.Context, appID, id int64) error {
	res, err := s.db.ExecContext(ctx, `UPDATE deploy_tokens SET revoked_at = $1 WHERE id = $2 AND app_id = $3 AND revoked_at IS NULL`,
		s.timestamp(), id, appID)
	if err != nil {
		return fmt.Errorf("revoke deploy token %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("deploy token %d: %w", id, ErrNotFound)
	}
	return nil
}
