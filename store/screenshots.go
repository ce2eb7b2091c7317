package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Screenshot is the latest capture of an app's primary public URL (the
// dashboard's thumbnail) and the outcome of the last attempt.
type Screenshot struct {
	AppID int64
	// EnvironmentID, URL and DeploymentID say what the image shows: the
	// environment's latest succeeded deployment when it was captured.
	EnvironmentID int64
	URL           string
	DeploymentID  int64
	// PNG is nil until a capture succeeds; SHA256 is its hex digest.
	PNG        []byte
	SHA256     string
	CapturedAt *time.Time
	// AttemptedAt is the last attempt; Failures counts failed attempts
	// since the last success and Error is the last failure's reason.
	AttemptedAt time.Time
	Failures    int
	Error       string
}

const screenshotMetaColumns = `app_id, environment_id, url, deployment_id, sha256, captured_at, attempted_at, failures, error`

func scanScreenshot(row interface{ Scan(...any) error }, withPNG bool) (*Screenshot, error) {
	sh := &Screenshot{}
	var env sql.NullInt64
	var captured sql.NullTime
	dst := []any{&sh.AppID, &env, &sh.URL, &sh.DeploymentID, &sh.SHA256, &captured, &sh.AttemptedAt, &sh.Failures, &sh.Error}
	if withPNG {
		dst = append(dst, &sh.PNG)
	}
	if err := row.Scan(dst...); err != nil {
		return nil, err
	}
	sh.EnvironmentID = env.Int64
	sh.CapturedAt = nullTime(captured)
	sh.AttemptedAt = sh.AttemptedAt.UTC()
	return sh, nil
}

// SaveScreenshot stores a successful capture of the app's primary URL at
// at, replacing the previous image and clearing the failure count.
func (s *Store) SaveScreenshot(ctx context.Context, appID, envID int64, url string, deploymentID int64, png []byte, at time.Time) error {
	if len(png) == 0 {
		return fmt.Errorf("screenshot of app %d: empty image", appID)
	}
	sum := sha256.Sum256(png)
	at = at.UTC().Truncate(time.Microsecond)
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO app_screenshots (app_id, environment_id, url, deployment_id, png, sha256, captured_at, attempted_at, failures, error)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 0, '')
		 ON CONFLICT (app_id) DO UPDATE SET environment_id = excluded.environment_id, url = excluded.url,
			deployment_id = excluded.deployment_id, png = excluded.png, sha256 = excluded.sha256,
			captured_at = excluded.captured_at, attempted_at = excluded.attempted_at, failures = 0, error = ''`,
		appID, nullInt(envID), url, deploymentID, png, hex.EncodeToString(sum[:]), at)
	if err != nil {
		return fmt.Errorf("save screenshot of app %d: %w", appID, err)
	}
	return nil
}

// RecordScreenshotFailure records a failed capture attempt at at: the
// previous image (if any) stays, the failure count grows.
func (s *Store) RecordScreenshotFailure(ctx context.Context, appID int64, reason string, at time.Time) error {
	at = at.UTC().Truncate(time.Microsecond)
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO app_screenshots (app_id, attempted_at, failures, error) VALUES ($1, $2, 1, $3)
		 ON CONFLICT (app_id) DO UPDATE SET attempted_at = excluded.attempted_at,
			failures = app_screenshots.failures + 1, error = excluded.error`,
		appID, at, reason)
	if err != nil {
		return fmt.Errorf("record screenshot failure of app %d: %w", appID, err)
	}
	return nil
}

// GetScreenshot returns the app's screenshot with its image; ErrNotFound
// when no capture has succeeded yet.
func (s *Store) GetScreenshot(ctx context.Context, appID int64) (*Screenshot, error) {
	sh, err := scanScreenshot(s.db.QueryRowContext(ctx,
		`SELECT `+screenshotMetaColumns+`, png FROM app_screenshots WHERE app_id = $1 AND png IS NOT NULL`, appID), true)
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("screenshot of app %d", appID))
	}
	return sh, nil
}

// ScreenshotState returns what is known of the app's screenshot, without
// the image; ErrNotFound when nothing was ever attempted.
func (s *Store) ScreenshotState(ctx context.Context, appID int64) (*Screenshot, error) {
	sh, err := scanScreenshot(s.db.QueryRowContext(ctx,
		`SELECT `+screenshotMetaColumns+` FROM app_screenshots WHERE app_id = $1`, appID), false)
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("screenshot state of app %d", appID))
	}
	return sh, nil
}

// ScreenshotStates returns every app's screenshot state (no images), by
// app id.
func (s *Store) ScreenshotStates(ctx context.Context) (map[int64]*Screenshot, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+screenshotMetaColumns+` FROM app_screenshots`)
	if err != nil {
		return nil, fmt.Errorf("list screenshot states: %w", err)
	}
	defer rows.Close()
	out := map[int64]*Screenshot{}
	for rows.Next() {
		sh, err := scanScreenshot(rows, false)
		if err != nil {
			return nil, fmt.Errorf("list screenshot states: %w", err)
		}
		out[sh.AppID] = sh
	}
	return out, rows.Err()
}

// ScreenshotTarget is an environment with a public URL of a live app, and
// the environment's latest succeeded deployment (0: none).
type ScreenshotTarget struct {
	AppID            int64
	AppSlug          string
	Environment      *Environment
	LastDeploymentID int64
}

// ScreenshotTargets lists the live environments that have a public URL,
// of the live apps in status appStatus, by app and display order.
func (s *Store) ScreenshotTargets(ctx context.Context, appStatus string) ([]ScreenshotTarget, error) {
	cols := strings.Split(environmentColumns, ",")
	for i, c := range cols {
		cols[i] = "e." + strings.TrimSpace(c)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+`, COALESCE(last.id, 0), a.slug
		 FROM environments e
		 JOIN apps a ON a.id = e.app_id
		 LEFT JOIN (SELECT environment_id, MAX(id) AS id FROM deployments WHERE status = 'succeeded' GROUP BY environment_id) last
		   ON last.environment_id = e.id
		 WHERE e.deleted_at IS NULL AND a.deleted_at IS NULL AND a.status = $1 AND e.public_url <> ''
		 ORDER BY a.id, e.position, e.name`, appStatus)
	if err != nil {
		return nil, fmt.Errorf("list screenshot targets: %w", err)
	}
	defer rows.Close()
	var out []ScreenshotTarget
	for rows.Next() {
		var t ScreenshotTarget
		e, err := scanEnvironment(scanPlus{scanPlus{rows, &t.AppSlug}, &t.LastDeploymentID})
		if err != nil {
			return nil, fmt.Errorf("list screenshot targets: %w", err)
		}
		t.AppID, t.Environment = e.AppID, e
		out = append(out, t)
	}
	return out, rows.Err()
}
