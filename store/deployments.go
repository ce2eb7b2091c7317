package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Deployment is one rollout of an app to one environment. Status values and
// which transitions are legal belong to the reconciler; the store records
// them and guarantees that a transition only applies from the status the
// caller last saw.
type Deployment struct {
	ID            int64
	AppID         int64
	EnvironmentID int64
	Trigger       string // push | manual | ci | scheduled | rollback | promotion
	Status        string
	CommitSHA     string
	Image         string
	ManifestRaw   string
	Rendered      string // the applied objects, so a rollback re-applies exactly them
	CreatedBy     string
	Error         string
	RollbackOf    int64 // 0: not a rollback
	// ImageDigest pins the image ("sha256:<64 hex>"); empty: Image as given.
	ImageDigest string
	// CI is the context of a ci-triggered deployment (empty otherwise).
	CI         CIContext
	CreatedAt  time.Time
	UpdatedAt  time.Time
	StartedAt  *time.Time // when it first moved to rendering
	FinishedAt *time.Time
}

// CIContext is what a CI run tells about the deployment it asks for.
type CIContext struct {
	Commit string
	Branch string
	RunURL string
}

// Transition is one row of a deployment's lifecycle log.
type Transition struct {
	ID           int64
	DeploymentID int64
	From         string
	To           string
	Detail       string
	At           time.Time
}

const deploymentColumns = `id, app_id, environment_id, trigger_kind, status, commit_sha, image, manifest_raw, rendered,
	created_by, error, rollback_of, image_digest, ci_commit, ci_branch, ci_run_url, created_at, updated_at, started_at, finished_at`

func scanDeployment(row interface{ Scan(...any) error }) (*Deployment, error) {
	d := &Deployment{}
	var rollback sql.NullInt64
	var started, finished sql.NullTime
	err := row.Scan(&d.ID, &d.AppID, &d.EnvironmentID, &d.Trigger, &d.Status, &d.CommitSHA, &d.Image, &d.ManifestRaw,
		&d.Rendered, &d.CreatedBy, &d.Error, &rollback, &d.ImageDigest, &d.CI.Commit, &d.CI.Branch, &d.CI.RunURL,
		&d.CreatedAt, &d.UpdatedAt, &started, &finished)
	d.RollbackOf = rollback.Int64
	d.StartedAt = nullTime(started)
	d.FinishedAt = nullTime(finished)
	return d, err
}

// CreateDeployment inserts a deployment in d.Status and logs its first
// transition (from "" to d.Status) in the same transaction.
func (s *Store) CreateDeployment(ctx context.Context, d *Deployment, detail string) error {
	if d.Status == "" {
		return fmt.Errorf("create deployment of app %d: status is empty", d.AppID)
	}
	now := s.timestamp()
	d.CreatedAt, d.UpdatedAt = now, now
	return s.tx(ctx, func(q queryer) error {
		err := q.QueryRowContext(ctx,
			`INSERT INTO deployments (app_id, environment_id, trigger_kind, status, commit_sha, image, manifest_raw, rendered,
				created_by, error, rollback_of, image_digest, ci_commit, ci_branch, ci_run_url, created_at, updated_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id`,
			d.AppID, d.EnvironmentID, d.Trigger, d.Status, d.CommitSHA, d.Image, d.ManifestRaw, d.Rendered,
			d.CreatedBy, d.Error, nullInt(d.RollbackOf), d.ImageDigest, d.CI.Commit, d.CI.Branch, d.CI.RunURL,
			d.CreatedAt, d.UpdatedAt).Scan(&d.ID)
		if err != nil {
			return fmt.Errorf("create deployment of app %d: %w", d.AppID, err)
		}
		return insertTransition(ctx, q, d.ID, "", d.Status, detail, now)
	})
}

func insertTransition(ctx context.Context, q queryer, id int64, from, to, detail string, at time.Time) error {
	_, err := q.ExecContext(ctx,
		`INSERT INTO deployment_transitions (deployment_id, from_status, to_status, detail, at) VALUES ($1, $2, $3, $4, $5)`,
		id, from, to, detail, at)
	if err != nil {
		return fmt.Errorf("deployment %d: log transition %s → %s: %w", id, from, to, err)
	}
	return nil
}

// TransitionUpdate carries optional fields written with a transition.
type TransitionUpdate struct {
	Detail   string
	Error    string  // stored on the deployment when non-empty
	Rendered *string // stored when non-nil
	Finished bool    // stamps finished_at
}

// TransitionDeployment moves deployment id from status from to status to and
// logs the transition, atomically. The first transition to "rendering"
// stamps started_at (a later one, after a retry, keeps the first stamp). It fails with ErrConflict, changing
// nothing, when the deployment is no longer in from (another replica moved it).
func (s *Store) TransitionDeployment(ctx context.Context, id int64, from, to string, u TransitionUpdate) error {
	now := s.timestamp()
	return s.tx(ctx, func(q queryer) error {
		set := []string{"status = $1", "updated_at = $2"}
		args := []any{to, now}
		if u.Error != "" {
			args = append(args, u.Error)
			set = append(set, fmt.Sprintf("error = $%d", len(args)))
		}
		if u.Rendered != nil {
			args = append(args, *u.Rendered)
			set = append(set, fmt.Sprintf("rendered = $%d", len(args)))
		}
		if to == "rendering" {
			args = append(args, now)
			set = append(set, fmt.Sprintf("started_at = COALESCE(started_at, $%d)", len(args)))
		}
		if u.Finished {
			args = append(args, now)
			set = append(set, fmt.Sprintf("finished_at = $%d", len(args)))
		}
		args = append(args, id, from)
		res, err := q.ExecContext(ctx, fmt.Sprintf(`UPDATE deployments SET %s WHERE id = $%d AND status = $%d`,
			strings.Join(set, ", "), len(args)-1, len(args)), args...)
		if err != nil {
			return fmt.Errorf("deployment %d: %s → %s: %w", id, from, to, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var cur string
			err := q.QueryRowContext(ctx, `SELECT status FROM deployments WHERE id = $1`, id).Scan(&cur)
			if err != nil {
				return notFound(err, fmt.Sprintf("deployment %d", id))
			}
			return fmt.Errorf("deployment %d: %s → %s: status is %s: %w", id, from, to, cur, ErrConflict)
		}
		return insertTransition(ctx, q, id, from, to, u.Detail, now)
	})
}

// GetDeployment returns a deployment.
func (s *Store) GetDeployment(ctx context.Context, id int64) (*Deployment, error) {
	d, err := scanDeployment(s.db.QueryRowContext(ctx, `SELECT `+deploymentColumns+` FROM deployments WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("deployment %d", id))
	}
	return d, nil
}

// DeploymentFilter narrows ListDeployments. Zero fields match everything.
type DeploymentFilter struct {
	AppID         int64
	EnvironmentID int64
	Statuses      []string
	// BeforeID is the pagination cursor: deployments sort newest first.
	BeforeID int64
	// Limit caps the result (default 50, at most 500).
	Limit int
}

// ListDeployments returns deployments newest first.
func (s *Store) ListDeployments(ctx context.Context, f DeploymentFilter) ([]*Deployment, error) {
	var (
		where = []string{"1 = 1"}
		args  []any
	)
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.AppID != 0 {
		where = append(where, "app_id = "+arg(f.AppID))
	}
	if f.EnvironmentID != 0 {
		where = append(where, "environment_id = "+arg(f.EnvironmentID))
	}
	if len(f.Statuses) > 0 {
		ph := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			ph[i] = arg(st)
		}
		where = append(where, "status IN ("+strings.Join(ph, ", ")+")")
	}
	if f.BeforeID != 0 {
		where = append(where, "id < "+arg(f.BeforeID))
	}
	limit := clampLimit(f.Limit)
	rows, err := s.db.QueryContext(ctx, `SELECT `+deploymentColumns+` FROM deployments WHERE `+
		strings.Join(where, " AND ")+fmt.Sprintf(` ORDER BY id DESC LIMIT %d`, limit), args...)
	if err != nil {
		return nil, fmt.Errorf("list deployments: %w", err)
	}
	defer rows.Close()
	var out []*Deployment
	for rows.Next() {
		d, err := scanDeployment(rows)
		if err != nil {
			return nil, fmt.Errorf("list deployments: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// ListTransitions returns a deployment's lifecycle log, oldest first.
func (s *Store) ListTransitions(ctx context.Context, deploymentID int64) ([]*Transition, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT id, deployment_id, from_status, to_status, detail, at FROM deployment_transitions
		 WHERE deployment_id = $1 ORDER BY id`, deploymentID)
	if err != nil {
		return nil, fmt.Errorf("list transitions of deployment %d: %w", deploymentID, err)
	}
	defer rows.Close()
	var out []*Transition
	for rows.Next() {
		t := &Transition{}
		if err := rows.Scan(&t.ID, &t.DeploymentID, &t.From, &t.To, &t.Detail, &t.At); err != nil {
			return nil, fmt.Errorf("list transitions of deployment %d: %w", deploymentID, err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// ApproveDeployment records userID's approval; approving twice is
// ErrConflict. It returns the number of distinct approvals.
func (s *Store) ApproveDeployment(ctx context.Context, deploymentID, userID int64) (int, error) {
	var n int
	err := s.tx(ctx, func(q queryer) error {
		_, err := q.ExecContext(ctx, `INSERT INTO deployment_approvals (deployment_id, user_id, approved_at) VALUES ($1, $2, $3)`,
			deploymentID, userID, s.timestamp())
		if isUniqueViolation(err) {
			return fmt.Errorf("deployment %d: already approved by user %d: %w", deploymentID, userID, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("approve deployment %d: %w", deploymentID, err)
		}
		return q.QueryRowContext(ctx, `SELECT COUNT(*) FROM deployment_approvals WHERE deployment_id = $1`, deploymentID).Scan(&n)
	})
	return n, err
}

// Approvals counts a deployment's distinct approvals.
func (s *Store) Approvals(ctx context.Context, deploymentID int64) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM deployment_approvals WHERE deployment_id = $1`, deploymentID).Scan(&n); err != nil {
		return 0, fmt.Errorf("approvals of deployment %d: %w", deploymentID, err)
	}
	return n, nil
}

// QueuedDeployment is what the deploy runner needs to schedule a
// deployment: no manifest, no rendered objects.
type QueuedDeployment struct {
	ID            int64
	AppID         int64
	EnvironmentID int64
	Status        string
}

// QueuedDeployments returns the deployments in the given statuses, oldest
// first, at most limit (default 50, at most 500), reading only the columns
// a scheduler needs: the runner scans them on every wake.
func (s *Store) QueuedDeployments(ctx context.Context, statuses []string, limit int) ([]*QueuedDeployment, error) {
	if len(statuses) == 0 {
		return nil, nil
	}
	args := make([]any, len(statuses))
	ph := make([]string, len(statuses))
	for i, st := range statuses {
		args[i], ph[i] = st, fmt.Sprintf("$%d", i+1)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, app_id, environment_id, status FROM deployments WHERE status IN (`+
		strings.Join(ph, ", ")+fmt.Sprintf(`) ORDER BY id LIMIT %d`, clampLimit(limit)), args...)
	if err != nil {
		return nil, fmt.Errorf("queued deployments: %w", err)
	}
	defer rows.Close()
	var out []*QueuedDeployment
	for rows.Next() {
		d := &QueuedDeployment{}
		if err := rows.Scan(&d.ID, &d.AppID, &d.EnvironmentID, &d.Status); err != nil {
			return nil, fmt.Errorf("queued deployments: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DeploymentStatus returns a deployment's current status.
func (s *Store) DeploymentStatus(ctx context.Context, id int64) (string, error) {
	var st string
	if err := s.db.QueryRowContext(ctx, `SELECT status FROM deployments WHERE id = $1`, id).Scan(&st); err != nil {
		return "", notFound(err, fmt.Sprintf("deployment %d", id))
	}
	return st, nil
}
