package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
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
	// Replicas overrides the manifest's replica counts (nil: no override).
	Replicas *int
	// SelfHeal: drift is corrected by re-applying the last deployment.
	SelfHeal  bool
	Position  int // display order
	CreatedAt time.Time
	UpdatedAt time.Time
}

const environmentColumns = `id, app_id, name, cluster_id, namespace, public_url, paused, required_approvals, replicas, self_heal,
	position, created_at, updated_at`

func scanEnvironment(row interface{ Scan(...any) error }) (*Environment, error) {
	e := &Environment{}
	var cluster, replicas sql.NullInt64
	err := row.Scan(&e.ID, &e.AppID, &e.Name, &cluster, &e.Namespace, &e.PublicURL, &e.Paused, &e.RequiredApprovals,
		&replicas, &e.SelfHeal, &e.Position, &e.CreatedAt, &e.UpdatedAt)
	e.ClusterID = cluster.Int64
	if replicas.Valid {
		n := int(replicas.Int64)
		e.Replicas = &n
	}
	return e, err
}

func nullReplicas(n *int) sql.NullInt64 {
	if n == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: int64(*n), Valid: true}
}

// CreateEnvironment inserts an environment; its name is unique in the app.
func (s *Store) CreateEnvironment(ctx context.Context, e *Environment) error {
	e.CreatedAt = s.timestamp()
	e.UpdatedAt = e.CreatedAt
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO environments (app_id, name, cluster_id, namespace, public_url, paused, required_approvals, replicas, self_heal,
			position, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		e.AppID, e.Name, nullInt(e.ClusterID), e.Namespace, e.PublicURL, e.Paused, e.RequiredApprovals, nullReplicas(e.Replicas),
		e.SelfHeal, e.Position, e.CreatedAt, e.UpdatedAt).Scan(&e.ID)
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
// public URL, paused, required approvals, replicas, self-heal, position).
func (s *Store) UpdateEnvironment(ctx context.Context, e *Environment) error {
	e.UpdatedAt = s.timestamp()
	res, err := s.db.ExecContext(ctx,
		`UPDATE environments SET cluster_id = $1, namespace = $2, public_url = $3, paused = $4, required_approvals = $5,
			replicas = $6, self_heal = $7, position = $8, updated_at = $9
		 WHERE id = $10 AND deleted_at IS NULL`,
		nullInt(e.ClusterID), e.Namespace, e.PublicURL, e.Paused, e.RequiredApprovals, nullReplicas(e.Replicas), e.SelfHeal,
		e.Position, e.UpdatedAt, e.ID)
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

// Observation is a JSON document the reconciler writes about an
// environment (its drift report, its live state) with the time it was taken.
type Observation struct {
	JSON string
	At   *time.Time // nil: never observed
}

// observationColumns are the columns of the two observations.
var observationColumns = map[string][2]string{"drift": {"drift", "drift_checked_at"}, "live": {"live", "live_at"}}

// Observe returns the environment's drift ("drift") or live state ("live").
func (s *Store) Observe(ctx context.Context, envID int64, what string) (*Observation, error) {
	cols, ok := observationColumns[what]
	if !ok {
		return nil, fmt.Errorf("environment %d: no observation %q", envID, what)
	}
	o := &Observation{}
	var at sql.NullTime
	err := s.db.QueryRowContext(ctx, `SELECT `+cols[0]+`, `+cols[1]+` FROM environments WHERE id = $1`, envID).Scan(&o.JSON, &at)
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("environment %d", envID))
	}
	o.At = nullTime(at)
	return o, nil
}

// SetObservation stores the environment's drift or live state, taken now.
// It does not touch updated_at: observations are not settings.
func (s *Store) SetObservation(ctx context.Context, envID int64, what, doc string) error {
	cols, ok := observationColumns[what]
	if !ok {
		return fmt.Errorf("environment %d: no observation %q", envID, what)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE environments SET `+cols[0]+` = $1, `+cols[1]+` = $2 WHERE id = $3`,
		doc, s.timestamp(), envID); err != nil {
		return fmt.Errorf("environment %d: store %s: %w", envID, what, err)
	}
	return nil
}

// DeployedEnvironments returns the live environments of live apps that
// have a succeeded deployment, with the newest succeeded deployment's id:
// what the drift check and the live-state watch look at.
func (s *Store) DeployedEnvironments(ctx context.Context) ([]*Environment, []int64, error) {
	return s.deployedEnvironments(ctx, "")
}

// DeployedEnvironment is DeployedEnvironments for one environment; an
// environment without a succeeded deployment is ErrNotFound.
func (s *Store) DeployedEnvironment(ctx context.Context, envID int64) (*Environment, int64, error) {
	envs, deps, err := s.deployedEnvironments(ctx, " AND e.id = $1", envID)
	if err != nil {
		return nil, 0, err
	}
	if len(envs) == 0 {
		return nil, 0, fmt.Errorf("deployed environment %d: %w", envID, ErrNotFound)
	}
	return envs[0], deps[0], nil
}

func (s *Store) deployedEnvironments(ctx context.Context, and string, args ...any) ([]*Environment, []int64, error) {
	cols := strings.Split(environmentColumns, ",")
	for i, c := range cols {
		cols[i] = "e." + strings.TrimSpace(c)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+`, last.id
		 FROM environments e
		 JOIN apps a ON a.id = e.app_id
		 JOIN (SELECT environment_id, MAX(id) AS id FROM deployments WHERE status = 'succeeded' GROUP BY environment_id) last
		   ON last.environment_id = e.id
		 WHERE e.deleted_at IS NULL AND a.deleted_at IS NULL`+and+`
		 ORDER BY e.id`, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("list deployed environments: %w", err)
	}
	defer rows.Close()
	var envs []*Environment
	var deps []int64
	for rows.Next() {
		var dep int64
		e, err := scanEnvironment(scanPlus{rows, &dep})
		if err != nil {
			return nil, nil, fmt.Errorf("list deployed environments: %w", err)
		}
		envs = append(envs, e)
		deps = append(deps, dep)
	}
	return envs, deps, rows.Err()
}

// scanPlus scans a row's leading columns through a scan function and the
// trailing ones into extra.
type scanPlus struct {
	row   interface{ Scan(...any) error }
	extra any
}

func (p scanPlus) Scan(dest ...any) error { return p.row.Scan(append(dest, p.extra)...) }
