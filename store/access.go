package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Session is a browser login. The cookie value itself is never stored, only
// its hash (the caller hashes; see api).
type Session struct {
	ID         int64
	UserID     int64
	UserAgent  string
	RemoteAddr string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// CreateSession stores a session under the hash of its token.
func (s *Store) CreateSession(ctx context.Context, tokenHash string, sess *Session) error {
	now := s.timestamp()
	sess.CreatedAt, sess.LastSeenAt = now, now
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO sessions (token_hash, user_id, user_agent, remote_addr, created_at, last_seen_at, expires_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		tokenHash, sess.UserID, sess.UserAgent, sess.RemoteAddr, now, now, sess.ExpiresAt.UTC()).Scan(&sess.ID)
	if err != nil {
		return fmt.Errorf("create session for user %d: %w", sess.UserID, err)
	}
	return nil
}

// GetSession returns the live, unexpired session with the token hash.
func (s *Store) GetSession(ctx context.Context, tokenHash string) (*Session, error) {
	sess := &Session{}
	err := s.db.QueryRowContext(ctx,
		`SELECT id, user_id, user_agent, remote_addr, created_at, last_seen_at, expires_at FROM sessions
		 WHERE token_hash = $1 AND deleted_at IS NULL AND expires_at > $2`, tokenHash, s.timestamp()).
		Scan(&sess.ID, &sess.UserID, &sess.UserAgent, &sess.RemoteAddr, &sess.CreatedAt, &sess.LastSeenAt, &sess.ExpiresAt)
	if err != nil {
		return nil, notFound(err, "session")
	}
	return sess, nil
}

// TouchSession records activity and moves the expiry (sliding sessions).
func (s *Store) TouchSession(ctx context.Context, id int64, expiresAt time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id = $3 AND deleted_at IS NULL`,
		s.timestamp(), expiresAt.UTC(), id)
	if err != nil {
		return fmt.Errorf("touch session %d: %w", id, err)
	}
	return nil
}

// DeleteSession ends a session (logout).
func (s *Store) DeleteSession(ctx context.Context, id int64) error {
	return softDelete(ctx, s.db, "sessions", id, s.timestamp(), fmt.Sprintf("session %d", id))
}

// APIToken authenticates the CLI and CI. Only the hash of the secret and
// its last four characters are stored.
type APIToken struct {
	ID         int64
	UserID     int64
	Name       string
	Last4      string
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
}

// CreateAPIToken stores a token under the hash of its secret.
func (s *Store) CreateAPIToken(ctx context.Context, tokenHash string, t *APIToken) error {
	t.CreatedAt = s.timestamp()
	var expires any
	if t.ExpiresAt != nil {
		expires = t.ExpiresAt.UTC()
	}
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO api_tokens (user_id, name, token_hash, last4, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		t.UserID, t.Name, tokenHash, t.Last4, t.CreatedAt, expires).Scan(&t.ID)
	if err != nil {
		return fmt.Errorf("create API token %q: %w", t.Name, err)
	}
	return nil
}

const apiTokenColumns = `id, user_id, name, last4, created_at, expires_at, last_used_at`

func scanAPIToken(row interface{ Scan(...any) error }) (*APIToken, error) {
	t := &APIToken{}
	var expires, used sql.NullTime
	if err := row.Scan(&t.ID, &t.UserID, &t.Name, &t.Last4, &t.CreatedAt, &expires, &used); err != nil {
		return nil, err
	}
	t.ExpiresAt, t.LastUsedAt = nullTime(expires), nullTime(used)
	return t, nil
}

// UseAPIToken returns the live, unexpired token with the hash and records
// its use.
func (s *Store) UseAPIToken(ctx context.Context, tokenHash string) (*APIToken, error) {
	now := s.timestamp()
	t, err := scanAPIToken(s.db.QueryRowContext(ctx,
		`SELECT `+apiTokenColumns+` FROM api_tokens WHERE token_hash = $1 AND deleted_at IS NULL AND (expires_at IS NULL OR expires_at > $2)`,
		tokenHash, now))
	if err != nil {
		return nil, notFound(err, "API token")
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, now, t.ID); err != nil {
		return nil, fmt.Errorf("API token %d: record use: %w", t.ID, err)
	}
	t.LastUsedAt = &now
	return t, nil
}

// ListAPITokens returns a user's live tokens, newest first.
func (s *Store) ListAPITokens(ctx context.Context, userID int64) ([]*APIToken, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT `+apiTokenColumns+` FROM api_tokens WHERE user_id = $1 AND deleted_at IS NULL ORDER BY id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("list API tokens of user %d: %w", userID, err)
	}
	defer rows.Close()
	var out []*APIToken
	for rows.Next() {
		t, err := scanAPIToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list API tokens of user %d: %w", userID, err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// DeleteAPIToken revokes one of a user's tokens.
func (s *Store) DeleteAPIToken(ctx context.Context, userID, id int64) error {
	res, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET deleted_at = $1 WHERE id = $2 AND user_id = $3 AND deleted_at IS NULL`,
		s.timestamp(), id, userID)
	if err != nil {
		return fmt.Errorf("delete API token %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete API token %d: %w", id, ErrNotFound)
	}
	return nil
}

// Scope levels of role bindings.
const (
	ScopeOrg  = "ORG"
	ScopeTeam = "TEAM"
	ScopeApp  = "APP"
)

// RoleBinding grants a role to a user at a scope (see the role_bindings
// table). Which permissions a role carries is the api package's business.
type RoleBinding struct {
	ID         int64
	OrgID      int64
	UserID     int64
	Role       string
	ScopeLevel string // ScopeOrg, ScopeTeam or ScopeApp
	ScopeID    int64  // the organization, team or app id
	GrantedBy  int64  // 0: the platform
	GrantedAt  time.Time
	ExpiresAt  *time.Time
}

// CreateRoleBinding stores a binding.
func (s *Store) CreateRoleBinding(ctx context.Context, b *RoleBinding) error {
	b.GrantedAt = s.timestamp()
	var expires any
	if b.ExpiresAt != nil {
		expires = b.ExpiresAt.UTC()
	}
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO role_bindings (org_id, user_id, role, scope_level, scope_id, granted_by, granted_at, expires_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		b.OrgID, b.UserID, b.Role, b.ScopeLevel, b.ScopeID, nullInt(b.GrantedBy), b.GrantedAt, expires).Scan(&b.ID)
	if err != nil {
		return fmt.Errorf("grant %s on %s %d to user %d: %w", b.Role, b.ScopeLevel, b.ScopeID, b.UserID, err)
	}
	return nil
}

// BindingFilter narrows ListRoleBindings. Zero fields match everything;
// only live, unexpired bindings are listed.
type BindingFilter struct {
	OrgID      int64
	UserID     int64
	ScopeLevel string
	ScopeID    int64
}

// ListRoleBindings returns live, unexpired bindings, oldest first.
func (s *Store) ListRoleBindings(ctx context.Context, f BindingFilter) ([]*RoleBinding, error) {
	where := []string{"deleted_at IS NULL", "(expires_at IS NULL OR expires_at > $1)"}
	args := []any{s.timestamp()}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.OrgID != 0 {
		add("org_id = $%d", f.OrgID)
	}
	if f.UserID != 0 {
		add("user_id = $%d", f.UserID)
	}
	if f.ScopeLevel != "" {
		add("scope_level = $%d", f.ScopeLevel)
	}
	if f.ScopeID != 0 {
		add("scope_id = $%d", f.ScopeID)
	}
	rows, err := s.db.QueryContext(ctx,
		`SELECT id, org_id, user_id, role, scope_level, scope_id, granted_by, granted_at, expires_at FROM role_bindings WHERE `+
			strings.Join(where, " AND ")+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list role bindings: %w", err)
	}
	defer rows.Close()
	var out []*RoleBinding
	for rows.Next() {
		b := &RoleBinding{}
		var by sql.NullInt64
		var expires sql.NullTime
		if err := rows.Scan(&b.ID, &b.OrgID, &b.UserID, &b.Role, &b.ScopeLevel, &b.ScopeID, &by, &b.GrantedAt, &expires); err != nil {
			return nil, fmt.Errorf("list role bindings: %w", err)
		}
		b.GrantedBy, b.ExpiresAt = by.Int64, nullTime(expires)
		out = append(out, b)
	}
	return out, rows.Err()
}

// DeleteRoleBinding revokes a binding (soft delete).
func (s *Store) DeleteRoleBinding(ctx context.Context, id int64) error {
	return softDelete(ctx, s.db, "role_bindings", id, s.timestamp(), fmt.Sprintf("role binding %d", id))
}
