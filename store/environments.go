package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Environment is one deploy target of an app (staging, production, …).
type Environment struct {
	ID                int64
	AppID             int64
	Name              string
	ClusterID         int64 // 0: not yet assigned
	Namespace         string
	PublicURL         string
	Paused            bool
	RequiredApprovals int
	Position          int // display order
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

const environmentColumns = `id, app_id, name, cluster_id, namespace, public_url, paused, required_approvals, position, created_at, updated_at`

func scanEnvironment(row interface{ Scan(...any) error }) (*Environment, error) {
	e := &Environment{}
	var cluster sql.NullInt64
	err := row.Scan(&e.ID, &e.AppID, &e.Name, &cluster, &e.Namespace, &e.PublicURL, &e.Paused, &e.RequiredApprovals,
		&e.Position, &e.CreatedAt, &e.UpdatedAt)
	e.ClusterID = cluster.Int64
	return e, err
}

// CreateEnvironment inserts an environment; its name is unique in the app.
func (s *Store) CreateEnvironment(ctx context.Context, e *Environment) error {
	e.CreatedAt = s.timestamp()
	e.UpdatedAt = e.CreatedAt
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO environments (app_id, name, cluster_id, namespace, public_url, paused, required_approvals, position, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		e.AppID, e.Name, nullInt(e.ClusterID), e.Namespace, e.PublicURL, e.Paused, e.RequiredApprovals, e.Position,
		e.CreatedAt, e.UpdatedAt).Scan(&e.ID)
	if isUniqueViolation(err) {
		return fmt.Errorf("environment %q: name taken in app %d: %w", e.Name, e.AppID, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create environment %q: %w", e.Name, err)
	}
	return nil
}

// GetEnvironment returns the app's live environment named name.
func (s *Store) GetEnvironment(ctx context.Context, appID int64, name string) (*Environment, error) {
	e, err := scanEnvironment(s.db.QueryRowContext(ctx,
		`SELECT `+environmentColumns+` FROM environments WHERE app_id = $1 AND name = $2 AND deleted_at IS NULL`, appID, name))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("environment %q of app %d", name, appID))
	}
	return e, nil
}

// ListEnvironments returns the app's live environments in display order.
func (s *Store) ListEnvironments(ctx context.Context, appID int64) ([]*Environment, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT `+environmentColumns+` FROM environments WHERE app_id = $1 AND deleted_at IS NULL ORDER BY position, name`, appID)
	if err != nil {
		return nil, fmt.Errorf("list environments of app %d: %w", appID, err)
	}
	defer rows.Close()
	var out []*Environment
	for rows.Next() {
		e, err := scanEnvironment(rows)
		if err != nil {
			return nil, fmt.Errorf("list environments of app %d: %w", appID, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// UpdateEnvironment writes an environment's settings (cluster, namespace,
// public URL, paused, required approvals, position).
func (s *Store) UpdateEnvironment(ctx context.Context, e *Environment) error {
	e.UpdatedAt = s.timestamp()
	res, err := s.db.ExecContext(ctx,
		`UPDATE environments SET cluster_id = $1, namespace = $2, public_url = $3, paused = $4, required_approvals = $5,
			position = $6, updated_at = $7
		 WHERE id = $8 AND deleted_at IS NULL`,
		nullInt(e.ClusterID), e.Namespace, e.PublicURL, e.Paused, e.RequiredApprovals, e.Position, e.UpdatedAt, e.ID)
	if err != nil {
		return fmt.Errorf("update environment %q: %w", e.Name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("update environment %q: %w", e.Name, ErrNotFound)
	}
	return nil
}

// DeleteEnvironment soft-deletes an environment.
func (s *Store) DeleteEnvironment(ctx context.Context, id int64) error {
	return softDelete(ctx, s.db, "environments", id, s.timestamp(), fmt.Sprintf("environment %d", id))
}

// Inventory returns what the environment's last successful deployment
// applied (as stored by SetInventory).
func (s *Store) Inventory(ctx context.Context, envID int64) (string, error) {
	var inv string
	if err := s.db.QueryRowContext(ctx, `SELECT inventory FROM environments WHERE id = $1`, envID).Scan(&inv); err != nil {
		return "", notFound(err, fmt.Sprintf("environment %d", envID))
	}
	return inv, nil
}

// SetInventory stores what a successful deployment applied.
func (s *Store) SetInventory(ctx context.Context, envID int64, inventory string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE environments SET inventory = $1, updated_at = $2 WHERE id = $3`, inventory, s.timestamp(), envID); err != nil {
		return fmt.Errorf("environment %d: inventory: %w", envID, err)
	}
	return nil
}
