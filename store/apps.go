package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// App is an application tracked from a git repository.
type App struct {
	ID              int64
	OrgID           int64
	ProjectID       int64
	Slug            string
	Name            string
	Description     string
	SourceURL       string
	SourceKind      string
	SCMConnectionID int64 // 0: none
	// SCMRepo is the repository's full name on the connection's host
	// ("owner/name"); SCMHookID the push webhook registered there.
	SCMRepo      string
	SCMHookID    string
	DeployBranch string
	ManifestPath string
	Namespace    string
	TriggerMode  string        // push | manual | ci; default push
	PollInterval time.Duration // 0: the poller's default
	Status       string        // onboarding state, owned by the reconciler
	StatusError  string
	// Registry: the app's image repository and what onboarding last found
	// there; empty when no registry is configured.
	Registry Registry

	// Snapshot: the manifest the platform deploys from.
	Manifest Snapshot
	// Draft: dashboard edits not yet in the repository; nil when none.
	Draft *Draft
	// Repo: the deploy branch's head as last seen by the poller.
	Repo RepoHead

	CreatedAt time.Time
	UpdatedAt time.Time
	DeletedAt *time.Time
}

// Snapshot is the manifest copy the platform deploys from.
type Snapshot struct {
	Raw      string
	Commit   string
	BlobID   string
	SyncedAt *time.Time
}

// Draft is a staged manifest edit and the blob it was based on.
type Draft struct {
	Raw        string
	BaseBlobID string
	// BaseRaw is the text at BaseBlobID.
	BaseRaw  string
	StagedBy int64
	StagedAt time.Time
	PRURL    string
	PRNumber int64
	// PRBranch is the branch the pull request proposes; PRState its last
	// seen state: open, merged or closed ("" before any PR).
	PRBranch string
	PRState  string
}

// Registry is an app's image repository (<registry>/<org>/<app>) and the
// result of onboarding's last check of it ("no image pushed yet", "3 tags").
type Registry struct {
	Repository string
	Status     string
}

// RepoHead is what the poller last saw on the deploy branch.
type RepoHead struct {
	Commit    string
	BlobID    string
	CheckedAt *time.Time
	Error     string
}

const appColumns = `id, org_id, project_id, slug, name, description, source_url, source_kind, scm_connection_id,
	deploy_branch, manifest_path, namespace, status, status_error,
	manifest_raw, manifest_commit, manifest_blob, manifest_synced_at,
	manifest_raw_staged, staged_base_blob, staged_by, staged_at, staged_pr_url, staged_pr_number,
	repo_head_commit, repo_manifest_blob, repo_checked_at, repo_error,
	created_at, updated_at, deleted_at, trigger_mode, poll_interval_seconds,
	registry_repository, registry_status, scm_repo, scm_hook_id, staged_pr_branch, staged_pr_state, staged_base_raw`

func scanApp(row interface{ Scan(...any) error }) (*App, error) {
	a := &App{}
	var (
		scm, stagedBy                                 sql.NullInt64
		synced, stagedAt, checked, deleted            sql.NullTime
		staged                                        sql.NullString
		stagedBase, prURL, prBranch, prState, baseRaw string
		prNumber, pollSeconds                         int64
	)
	err := row.Scan(&a.ID, &a.OrgID, &a.ProjectID, &a.Slug, &a.Name, &a.Description, &a.SourceURL, &a.SourceKind, &scm,
		&a.DeployBranch, &a.ManifestPath, &a.Namespace, &a.Status, &a.StatusError,
		&a.Manifest.Raw, &a.Manifest.Commit, &a.Manifest.BlobID, &synced,
		&staged, &stagedBase, &stagedBy, &stagedAt, &prURL, &prNumber,
		&a.Repo.Commit, &a.Repo.BlobID, &checked, &a.Repo.Error,
		&a.CreatedAt, &a.UpdatedAt, &deleted, &a.TriggerMode, &pollSeconds,
		&a.Registry.Repository, &a.Registry.Status, &a.SCMRepo, &a.SCMHookID, &prBranch, &prState, &baseRaw)
	if err != nil {
		return nil, err
	}
	a.SCMConnectionID = scm.Int64
	a.PollInterval = time.Duration(pollSeconds) * time.Second
	a.Manifest.SyncedAt = nullTime(synced)
	a.Repo.CheckedAt = nullTime(checked)
	a.DeletedAt = nullTime(deleted)
	if staged.Valid {
		a.Draft = &Draft{Raw: staged.String, BaseBlobID: stagedBase, StagedBy: stagedBy.Int64, PRURL: prURL, PRNumber: prNumber, PRBranch: prBranch, PRState: prState, BaseRaw: baseRaw}
		if stagedAt.Valid {
			a.Draft.StagedAt = stagedAt.Time.UTC()
		}
	}
	return a, nil
}

// CreateApp inserts an app. Its slug must not be used by a live app, nor by
// an app soft-deleted less than the slug grace window ago (so that app can
// still be restored).
func (s *Store) CreateApp(ctx context.Context, a *App) error {
	now := s.timestamp()
	a.CreatedAt, a.UpdatedAt = now, now
	if a.Status == "" {
		a.Status = "pending"
	}
	if a.SourceKind == "" {
		a.SourceKind = "git"
	}
	if a.DeployBranch == "" {
		a.DeployBranch = "main"
	}
	if a.ManifestPath == "" {
		a.ManifestPath = "astrolift.toml"
	}
	if a.TriggerMode == "" {
		a.TriggerMode = "push"
	}
	return s.tx(ctx, func(q queryer) error {
		var recent int
		err := q.QueryRowContext(ctx,
			`SELECT COUNT(*) FROM apps WHERE slug = $1 AND deleted_at IS NOT NULL AND deleted_at > $2`,
			a.Slug, now.Add(-s.slugGrace)).Scan(&recent)
		if err != nil {
			return fmt.Errorf("create app %q: %w", a.Slug, err)
		}
		if recent > 0 {
			return fmt.Errorf("app %q: slug belongs to an app deleted less than %s ago: %w", a.Slug, s.slugGrace, ErrConflict)
		}
		err = q.QueryRowContext(ctx,
			`INSERT INTO apps (org_id, project_id, slug, name, description, source_url, source_kind, scm_connection_id,
				deploy_branch, manifest_path, namespace, status, status_error, created_at, updated_at, trigger_mode, poll_interval_seconds,
				scm_repo)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id`,
			a.OrgID, a.ProjectID, a.Slug, a.Name, a.Description, a.SourceURL, a.SourceKind, nullInt(a.SCMConnectionID),
			a.DeployBranch, a.ManifestPath, a.Namespace, a.Status, a.StatusError, a.CreatedAt, a.UpdatedAt, a.TriggerMode,
			int64(a.PollInterval/time.Second), a.SCMRepo).Scan(&a.ID)
		if isUniqueViolation(err) {
			return fmt.Errorf("app %q: slug taken: %w", a.Slug, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("create app %q: %w", a.Slug, err)
		}
		return nil
	})
}

// GetApp returns the live app with slug.
func (s *Store) GetApp(ctx context.Context, slug string) (*App, error) {
	a, err := scanApp(s.db.QueryRowContext(ctx, `SELECT `+appColumns+` FROM apps WHERE slug = $1 AND deleted_at IS NULL`, slug))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("app %q", slug))
	}
	return a, nil
}

// GetAppByID returns the live app with id.
func (s *Store) GetAppByID(ctx context.Context, id int64) (*App, error) {
	a, err := scanApp(s.db.QueryRowContext(ctx, `SELECT `+appColumns+` FROM apps WHERE id = $1 AND deleted_at IS NULL`, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("app %d", id))
	}
	return a, nil
}

// AppFilter narrows ListApps. Zero fields match everything.
type AppFilter struct {
	OrgID     int64
	ProjectID int64
	Status    string
	// Query matches slug or name (case-insensitive substring).
	Query string
	// Visible, when set, keeps only apps in projects of these teams or
	// with these ids (what a user's role bindings let them read).
	Visible *AppVisibility
	// AfterSlug is the pagination cursor: apps sort by slug.
	AfterSlug string
	// Limit caps the result (default 50, at most 500).
	Limit int
}

// AppVisibility is a set of teams and apps; see AppFilter.Visible.
type AppVisibility struct {
	TeamIDs []int64
	AppIDs  []int64
}

// ListApps returns live apps by slug.
func (s *Store) ListApps(ctx context.Context, f AppFilter) ([]*App, error) {
	var (
		where = []string{"deleted_at IS NULL"}
		args  []any
	)
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args))))
	}
	if f.OrgID != 0 {
		add("org_id = ?", f.OrgID)
	}
	if f.ProjectID != 0 {
		add("project_id = ?", f.ProjectID)
	}
	if f.Status != "" {
		add("status = ?", f.Status)
	}
	if f.Query != "" {
		add("(LOWER(slug) LIKE ? OR LOWER(name) LIKE ?)", "%"+strings.ToLower(f.Query)+"%")
	}
	if v := f.Visible; v != nil {
		conds := []string{"1 = 0"}
		for _, id := range v.TeamIDs {
			args = append(args, id)
			conds = append(conds, fmt.Sprintf("project_id IN (SELECT id FROM projects WHERE team_id = $%d)", len(args)))
		}
		for _, id := range v.AppIDs {
			args = append(args, id)
			conds = append(conds, fmt.Sprintf("id = $%d", len(args)))
		}
		where = append(where, "("+strings.Join(conds, " OR ")+")")
	}
	if f.AfterSlug != "" {
		add("slug > ?", f.AfterSlug)
	}
	limit := clampLimit(f.Limit)
	rows, err := s.db.QueryContext(ctx,
		`SELECT `+appColumns+` FROM apps WHERE `+strings.Join(where, " AND ")+fmt.Sprintf(` ORDER BY slug LIMIT %d`, limit), args...)
	if err != nil {
		return nil, fmt.Errorf("list apps: %w", err)
	}
	defer rows.Close()
	var out []*App
	for rows.Next() {
		a, err := scanApp(rows)
		if err != nil {
			return nil, fmt.Errorf("list apps: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// updateApp runs one UPDATE on a live app, stamping updated_at.
func (s *Store) updateApp(ctx context.Context, id int64, what, set string, args ...any) error {
	args = append(args, s.timestamp(), id)
	n := len(args)
	res, err := s.db.ExecContext(ctx,
		fmt.Sprintf(`UPDATE apps SET %s, updated_at = $%d WHERE id = $%d AND deleted_at IS NULL`, set, n-1, n), args...)
	if err != nil {
		return fmt.Errorf("app %d: %s: %w", id, what, err)
	}
	if c, _ := res.RowsAffected(); c == 0 {
		return fmt.Errorf("app %d: %s: %w", id, what, ErrNotFound)
	}
	return nil
}

// SetAppStatus records the app's onboarding state and its error ("" when none).
func (s *Store) SetAppStatus(ctx context.Context, id int64, status, statusErr string) error {
	return s.updateApp(ctx, id, "set status", `status = $1, status_error = $2`, status, statusErr)
}

// SetAppRegistry records the app's image repository and the status of its
// last check.
func (s *Store) SetAppRegistry(ctx context.Context, id int64, r Registry) error {
	return s.updateApp(ctx, id, "set registry", `registry_repository = $1, registry_status = $2`, r.Repository, r.Status)
}

// SetAppNamespace records the app's base namespace.
func (s *Store) SetAppNamespace(ctx context.Context, id int64, namespace string) error {
	return s.updateApp(ctx, id, "set namespace", `namespace = $1`, namespace)
}

// SetSnapshot replaces the manifest snapshot (sync from repo) and, when
// dropDraft, discards the draft in the same statement.
func (s *Store) SetSnapshot(ctx context.Context, id int64, snap Snapshot, dropDraft bool) error {
	set := `manifest_raw = $1, manifest_commit = $2, manifest_blob = $3, manifest_synced_at = $4`
	if dropDraft {
		set += `, manifest_raw_staged = NULL, staged_base_blob = '', staged_by = NULL, staged_at = NULL, staged_pr_url = '', staged_pr_number = 0, staged_pr_branch = '', staged_pr_state = '', staged_base_raw = ''`
	}
	at := s.timestamp()
	if snap.SyncedAt != nil {
		at = snap.SyncedAt.UTC().Truncate(time.Microsecond)
	}
	return s.updateApp(ctx, id, "set manifest snapshot", set, snap.Raw, snap.Commit, snap.BlobID, at)
}

// SaveDraft stores a staged manifest and the blob it was based on. A PR
// recorded on an earlier draft is kept only if keepPR.
func (s *Store) SaveDraft(ctx context.Context, id int64, d Draft, keepPR bool) error {
	set := `manifest_raw_staged = $1, staged_base_blob = $2, staged_by = $3, staged_at = $4, staged_base_raw = $5`
	if !keepPR {
		set += `, staged_pr_url = '', staged_pr_number = 0, staged_pr_branch = '', staged_pr_state = ''`
	}
	return s.updateApp(ctx, id, "save draft", set, d.Raw, d.BaseBlobID, nullInt(d.StagedBy), s.timestamp(), d.BaseRaw)
}

// SetDraftPR records the pull request carrying the current draft and the
// draft text it carries: it is recorded only while the draft still holds
// exactly that text (an edit saved meanwhile keeps its own state), and
// ErrConflict says so.
func (s *Store) SetDraftPR(ctx context.Context, id int64, raw string, pr Draft) error {
	res, err := s.db.ExecContext(ctx,
		`UPDATE apps SET staged_pr_url = $1, staged_pr_number = $2, staged_pr_branch = $3, staged_pr_state = $4,
			manifest_raw_staged = $5, staged_base_blob = $6, staged_base_raw = $7, updated_at = $8
		 WHERE id = $9 AND deleted_at IS NULL AND manifest_raw_staged = $10`,
		pr.PRURL, pr.PRNumber, pr.PRBranch, pr.PRState, pr.Raw, pr.BaseBlobID, pr.BaseRaw, s.timestamp(), id, raw)
	if err != nil {
		return fmt.Errorf("app %d: record draft pull request: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("app %d: record draft pull request: the draft changed meanwhile: %w", id, ErrConflict)
	}
	return nil
}

// SetDraftPRState records the last seen state of the draft's pull request
// number (nothing happens if the draft now carries another one).
func (s *Store) SetDraftPRState(ctx context.Context, id, number int64, state string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE apps SET staged_pr_state = $1 WHERE id = $2 AND staged_pr_number = $3`, state, id, number)
	if err != nil {
		return fmt.Errorf("app %d: record pull request #%d state: %w", id, number, err)
	}
	return nil
}

// SetAppSCM links an app to an SCM connection and its repository's full
// name on that host.
func (s *Store) SetAppSCM(ctx context.Context, id, connectionID int64, repo string) error {
	return s.updateApp(ctx, id, "link to scm connection", `scm_connection_id = $1, scm_repo = $2`, nullInt(connectionID), repo)
}

// SetAppHook records the id of the push webhook registered for the app on
// its host ("" once removed).
func (s *Store) SetAppHook(ctx context.Context, id int64, hookID string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE apps SET scm_hook_id = $1 WHERE id = $2`, hookID, id)
	if err != nil {
		return fmt.Errorf("app %d: record webhook: %w", id, err)
	}
	return nil
}

// DropDraft discards the draft.
func (s *Store) DropDraft(ctx context.Context, id int64) error {
	return s.updateApp(ctx, id, "drop draft",
		`manifest_raw_staged = NULL, staged_base_blob = '', staged_by = NULL, staged_at = NULL, staged_pr_url = '', staged_pr_number = 0, staged_pr_branch = '', staged_pr_state = '', staged_base_raw = ''`)
}

// DropLandedDraft discards the draft if it still holds exactly raw (the
// text the repository now has); a draft saved meanwhile stays. It reports
// whether it dropped one.
func (s *Store) DropLandedDraft(ctx context.Context, id int64, raw string) (bool, error) {
	res, err := s.db.ExecContext(ctx,
		`UPDATE apps SET manifest_raw_staged = NULL, staged_base_blob = '', staged_by = NULL, staged_at = NULL, staged_pr_url = '',
			staged_pr_number = 0, staged_pr_branch = '', staged_pr_state = '', staged_base_raw = '', updated_at = $1
		 WHERE id = $2 AND manifest_raw_staged = $3`, s.timestamp(), id, raw)
	if err != nil {
		return false, fmt.Errorf("app %d: drop landed draft: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// RecordRepoHead stores what the poller saw on the deploy branch.
func (s *Store) RecordRepoHead(ctx context.Context, id int64, head RepoHead) error {
	at := s.timestamp()
	if head.CheckedAt != nil {
		at = head.CheckedAt.UTC().Truncate(time.Microsecond)
	}
	return s.updateApp(ctx, id, "record repository head",
		`repo_head_commit = $1, repo_manifest_blob = $2, repo_checked_at = $3, repo_error = $4`,
		head.Commit, head.BlobID, at, head.Error)
}

// DeleteApp soft-deletes an app. Its slug stays reserved for the grace
// window; RestoreApp undoes the delete within it.
func (s *Store) DeleteApp(ctx context.Context, id int64) error {
	return softDelete(ctx, s.db, "apps", id, s.timestamp(), fmt.Sprintf("app %d", id))
}

// RestoreApp undoes a soft delete, provided no live app took the slug.
func (s *Store) RestoreApp(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, `UPDATE apps SET deleted_at = NULL, updated_at = $1 WHERE id = $2 AND deleted_at IS NOT NULL`,
		s.timestamp(), id)
	if isUniqueViolation(err) {
		return fmt.Errorf("restore app %d: slug taken by a live app: %w", id, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("restore app %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("restore app %d: no deleted app with that id: %w", id, ErrNotFound)
	}
	return nil
}

// UpdateApp changes a live app's settings: name, description, deploy
// branch, manifest path, trigger mode and poll interval. The slug never changes.
func (s *Store) UpdateApp(ctx context.Context, a *App) error {
	return s.updateApp(ctx, a.ID, "settings",
		`name = $1, description = $2, deploy_branch = $3, manifest_path = $4, trigger_mode = $5, poll_interval_seconds = $6`,
		a.Name, a.Description, a.DeployBranch, a.ManifestPath, a.TriggerMode, int64(a.PollInterval/time.Second))
}

// SetAppSource points an app at another clone URL of its repository (the
// demo repository of astrolift dev moves with its server's port).
func (s *Store) SetAppSource(ctx context.Context, id int64, sourceURL string) error {
	return s.updateApp(ctx, id, "source", `source_url = $1`, sourceURL)
}
