package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Organization is the top of the tenancy tree.
type Organization struct {
	ID        int64
	Slug      string
	Name      string
	CreatedAt time.Time
}

// User is a local account of an organization.
type User struct {
	ID           int64
	OrgID        int64
	Email        string
	Name         string
	PasswordHash string
	CreatedAt    time.Time
}

// Team groups users inside an organization.
type Team struct {
	ID        int64
	OrgID     int64
	Slug      string
	Name      string
	CreatedAt time.Time
}

// Project groups apps, optionally owned by a team.
type Project struct {
	ID          int64
	OrgID       int64
	TeamID      int64 // 0: no owning team
	Slug        string
	Name        string
	Description string
	CreatedAt   time.Time
}

// CreateOrganization inserts an organization; its slug must be unused.
func (s *Store) CreateOrganization(ctx context.Context, o *Organization) error {
	o.CreatedAt = s.timestamp()
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO organizations (slug, name, created_at) VALUES ($1, $2, $3) RETURNING id`,
		o.Slug, o.Name, o.CreatedAt).Scan(&o.ID)
	if isUniqueViolation(err) {
		return fmt.Errorf("organization %q: slug taken: %w", o.Slug, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create organization %q: %w", o.Slug, err)
	}
	return nil
}

// GetOrganization returns the live organization with slug.
func (s *Store) GetOrganization(ctx context.Context, slug string) (*Organization, error) {
	o := &Organization{}
	err := s.db.QueryRowContext(ctx,
		`SELECT id, slug, name, created_at FROM organizations WHERE slug = $1 AND deleted_at IS NULL`, slug).
		Scan(&o.ID, &o.Slug, &o.Name, &o.CreatedAt)
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("organization %q", slug))
	}
	return o, nil
}

// GetOrganizationByID returns the live organization with id.
func (s *Store) GetOrganizationByID(ctx context.Context, id int64) (*Organization, error) {
	o := &Organization{}
	err := s.db.QueryRowContext(ctx,
		`SELECT id, slug, name, created_at FROM organizations WHERE id = $1 AND deleted_at IS NULL`, id).
		Scan(&o.ID, &o.Slug, &o.Name, &o.CreatedAt)
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("organization %d", id))
	}
	return o, nil
}

// CreateUser inserts a user; emails are unique (case-insensitive) among
// live users.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	u.CreatedAt = s.timestamp()
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO users (org_id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		u.OrgID, u.Email, u.Name, u.PasswordHash, u.CreatedAt).Scan(&u.ID)
	if isUniqueViolation(err) {
		return fmt.Errorf("user %q: email taken: %w", u.Email, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.Email, err)
	}
	return nil
}

const userColumns = `id, org_id, email, name, password_hash, created_at`

func scanUser(row interface{ Scan(...any) error }) (*User, error) {
	u := &User{}
	return u, row.Scan(&u.ID, &u.OrgID, &u.Email, &u.Name, &u.PasswordHash, &u.CreatedAt)
}

// GetUserByEmail returns the live user with email (case-insensitive).
func (s *Store) GetUserByEmail(ctx context.Context, email string) (*User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	u, err := scanUser(s.db.QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE email = $1 AND deleted_at IS NULL`, email))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("user %q", email))
	}
	return u, nil
}

// GetUser returns the live user with id.
func (s *Store) GetUser(ctx context.Context, id int64) (*User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE id = $1 AND deleted_at IS NULL`, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("user %d", id))
	}
	return u, nil
}

// CreateTeam inserts a team; its slug is unique in the organization.
func (s *Store) CreateTeam(ctx context.Context, t *Team) error {
	t.CreatedAt = s.timestamp()
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO teams (org_id, slug, name, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		t.OrgID, t.Slug, t.Name, t.CreatedAt).Scan(&t.ID)
	if isUniqueViolation(err) {
		return fmt.Errorf("team %q: slug taken: %w", t.Slug, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create team %q: %w", t.Slug, err)
	}
	return nil
}

// ListTeams returns the organization's live teams by slug.
func (s *Store) ListTeams(ctx context.Context, orgID int64) ([]*Team, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT id, org_id, slug, name, created_at FROM teams WHERE org_id = $1 AND deleted_at IS NULL ORDER BY slug`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	defer rows.Close()
	var out []*Team
	for rows.Next() {
		t := &Team{}
		if err := rows.Scan(&t.ID, &t.OrgID, &t.Slug, &t.Name, &t.CreatedAt); err != nil {
			return nil, fmt.Errorf("list teams: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// CreateProject inserts a project; its slug is unique in the organization.
func (s *Store) CreateProject(ctx context.Context, p *Project) error {
	p.CreatedAt = s.timestamp()
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO projects (org_id, team_id, slug, name, description, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		p.OrgID, nullInt(p.TeamID), p.Slug, p.Name, p.Description, p.CreatedAt).Scan(&p.ID)
	if isUniqueViolation(err) {
		return fmt.Errorf("project %q: slug taken: %w", p.Slug, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create project %q: %w", p.Slug, err)
	}
	return nil
}

const projectColumns = `id, org_id, team_id, slug, name, description, created_at`

func scanProject(row interface{ Scan(...any) error }) (*Project, error) {
	p := &Project{}
	var team sql.NullInt64
	err := row.Scan(&p.ID, &p.OrgID, &team, &p.Slug, &p.Name, &p.Description, &p.CreatedAt)
	p.TeamID = team.Int64
	return p, err
}

// GetProject returns the organization's live project with slug.
func (s *Store) GetProject(ctx context.Context, orgID int64, slug string) (*Project, error) {
	p, err := scanProject(s.db.QueryRowContext(ctx,
		`SELECT `+projectColumns+` FROM projects WHERE org_id = $1 AND slug = $2 AND deleted_at IS NULL`, orgID, slug))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("project %q", slug))
	}
	return p, nil
}

// ListProjects returns the organization's live projects by slug.
func (s *Store) ListProjects(ctx context.Context, orgID int64) ([]*Project, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT `+projectColumns+` FROM projects WHERE org_id = $1 AND deleted_at IS NULL ORDER BY slug`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	defer rows.Close()
	var out []*Project
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			return nil, fmt.Errorf("list projects: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// DeleteProject soft-deletes a project. It refuses while live apps remain.
func (s *Store) DeleteProject(ctx context.Context, id int64) error {
	return s.tx(ctx, func(q queryer) error {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM apps WHERE project_id = $1 AND deleted_at IS NULL`, id).Scan(&n); err != nil {
			return fmt.Errorf("delete project %d: %w", id, err)
		}
		if n > 0 {
			return fmt.Errorf("delete project %d: %d live apps remain: %w", id, n, ErrConflict)
		}
		return softDelete(ctx, q, "projects", id, s.timestamp(), fmt.Sprintf("project %d", id))
	})
}

// softDelete marks a live row deleted.
func softDelete(ctx context.Context, q queryer, table string, id int64, at time.Time, what string) error {
	res, err := q.ExecContext(ctx, `UPDATE `+table+` SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL`, at, id)
	if err != nil {
		return fmt.Errorf("delete %s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete %s: %w", what, ErrNotFound)
	}
	return nil
}

// GetTeam returns the organization's live team with slug.
func (s *Store) GetTeam(ctx context.Context, orgID int64, slug string) (*Team, error) {
	t := &Team{}
	err := s.db.QueryRowContext(ctx,
		`SELECT id, org_id, slug, name, created_at FROM teams WHERE org_id = $1 AND slug = $2 AND deleted_at IS NULL`, orgID, slug).
		Scan(&t.ID, &t.OrgID, &t.Slug, &t.Name, &t.CreatedAt)
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("team %q", slug))
	}
	return t, nil
}

// DeleteTeam soft-deletes a team. It refuses while live projects belong to it.
func (s *Store) DeleteTeam(ctx context.Context, id int64) error {
	return s.tx(ctx, func(q queryer) error {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM projects WHERE team_id = $1 AND deleted_at IS NULL`, id).Scan(&n); err != nil {
			return fmt.Errorf("delete team %d: %w", id, err)
		}
		if n > 0 {
			return fmt.Errorf("delete team %d: %d live projects belong to it: %w", id, n, ErrConflict)
		}
		return softDelete(ctx, q, "teams", id, s.timestamp(), fmt.Sprintf("team %d", id))
	})
}

// GetProjectByID returns the live project with id.
func (s *Store) GetProjectByID(ctx context.Context, id int64) (*Project, error) {
	p, err := scanProject(s.db.QueryRowContext(ctx,
		`SELECT `+projectColumns+` FROM projects WHERE id = $1 AND deleted_at IS NULL`, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("project %d", id))
	}
	return p, nil
}

// UpdateProject changes a live project's name, description and team.
func (s *Store) UpdateProject(ctx context.Context, p *Project) error {
	res, err := s.db.ExecContext(ctx, `UPDATE projects SET name = $1, description = $2, team_id = $3 WHERE id = $4 AND deleted_at IS NULL`,
		p.Name, p.Description, nullInt(p.TeamID), p.ID)
	if err != nil {
		return fmt.Errorf("update project %q: %w", p.Slug, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("update project %q: %w", p.Slug, ErrNotFound)
	}
	return nil
}

// ListUsers returns the organization's live users by email.
func (s *Store) ListUsers(ctx context.Context, orgID int64) ([]*User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userColumns+` FROM users WHERE org_id = $1 AND deleted_at IS NULL ORDER BY email`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []*User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetUserPassword replaces a live user's password hash.
func (s *Store) SetUserPassword(ctx context.Context, id int64, hash string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2 AND deleted_at IS NULL`, hash, id)
	if err != nil {
		return fmt.Errorf("set password of user %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("set password of user %d: %w", id, ErrNotFound)
	}
	return nil
}

// UpdateTeam renames a live team (the slug stays).
func (s *Store) UpdateTeam(ctx context.Context, t *Team) error {
	res, err := s.db.ExecContext(ctx, `UPDATE teams SET name = $1 WHERE id = $2 AND deleted_at IS NULL`, t.Name, t.ID)
	if err != nil {
		return fmt.Errorf("update team %q: %w", t.Slug, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("update team %q: %w", t.Slug, ErrNotFound)
	}
	return nil
}
