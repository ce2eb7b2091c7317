package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// CommandHistory is how many commands are kept per app and user.
const CommandHistory = 20

// Command is one command run in a pod of an app's workload.
type Command struct {
	ID            int64
	OrgID         int64
	AppID         int64
	EnvironmentID int64
	UserID        int64
	Workload      string
	Container     string
	Pod           string
	Command       string
	// ExitCode is the remote process's exit status; nil while it runs, or
	// when it ended without one (stopped, connection lost: see Error).
	ExitCode   *int
	StartedAt  time.Time
	FinishedAt *time.Time
	Error      string
}

const commandColumns = `id, org_id, app_id, environment_id, user_id, workload, container, pod, command,
	exit_code, started_at, finished_at, error`

func scanCommand(row interface{ Scan(...any) error }) (*Command, error) {
	c := &Command{}
	var code sql.NullInt64
	var finished sql.NullTime
	if err := row.Scan(&c.ID, &c.OrgID, &c.AppID, &c.EnvironmentID, &c.UserID, &c.Workload, &c.Container, &c.Pod,
		&c.Command, &code, &c.StartedAt, &finished, &c.Error); err != nil {
		return nil, err
	}
	if code.Valid {
		v := int(code.Int64)
		c.ExitCode = &v
	}
	c.StartedAt, c.FinishedAt = c.StartedAt.UTC(), nullTime(finished)
	return c, nil
}

// StartCommand records a command as started now and prunes the app and
// user's history to the newest CommandHistory commands.
func (s *Store) StartCommand(ctx context.Context, c *Command) error {
	c.StartedAt = s.timestamp()
	c.ExitCode, c.FinishedAt, c.Error = nil, nil, ""
	return s.tx(ctx, func(q queryer) error {
		err := q.QueryRowContext(ctx,
			`INSERT INTO commands (org_id, app_id, environment_id, user_id, workload, container, pod, command, started_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			c.OrgID, c.AppID, c.EnvironmentID, c.UserID, c.Workload, c.Container, c.Pod, c.Command, c.StartedAt).Scan(&c.ID)
		if err != nil {
			return fmt.Errorf("record command in workload %s: %w", c.Workload, err)
		}
		_, err = q.ExecContext(ctx,
			`DELETE FROM commands WHERE app_id = $1 AND user_id = $2 AND id NOT IN
			 (SELECT id FROM commands WHERE app_id = $1 AND user_id = $2 ORDER BY id DESC LIMIT $3)`,
			c.AppID, c.UserID, CommandHistory)
		if err != nil {
			return fmt.Errorf("prune commands of app %d user %d: %w", c.AppID, c.UserID, err)
		}
		return nil
	})
}

// FinishCommand records how command id ended: its exit code (nil: none)
// and, when it did not run to an exit status, the error.
func (s *Store) FinishCommand(ctx context.Context, id int64, exitCode *int, errMsg string) error {
	var code sql.NullInt64
	if exitCode != nil {
		code = sql.NullInt64{Int64: int64(*exitCode), Valid: true}
	}
	res, err := s.db.ExecContext(ctx, `UPDATE commands SET exit_code = $1, error = $2, finished_at = $3 WHERE id = $4`,
		code, errMsg, s.timestamp(), id)
	if err != nil {
		return fmt.Errorf("finish command %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("command %d: %w", id, ErrNotFound)
	}
	return nil
}

// GetCommand returns command id.
func (s *Store) GetCommand(ctx context.Context, id int64) (*Command, error) {
	c, err := scanCommand(s.db.QueryRowContext(ctx, `SELECT `+commandColumns+` FROM commands WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("command %d", id))
	}
	return c, nil
}

// ListCommands returns the commands a user ran in an app, newest first
// (at most CommandHistory are kept).
func (s *Store) ListCommands(ctx context.Context, appID, userID int64) ([]*Command, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT `+commandColumns+` FROM commands WHERE app_id = $1 AND user_id = $2 ORDER BY id DESC`, appID, userID)
	if err != nil {
		return nil, fmt.Errorf("list commands of app %d: %w", appID, err)
	}
	defer func() { _ = rows.Close() }()
	out := []*Command{}
	for rows.Next() {
		c, err := scanCommand(rows)
		if err != nil {
			return nil, fmt.Errorf("list commands of app %d: %w", appID, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list commands of app %d: %w", appID, err)
	}
	return out, nil
}
