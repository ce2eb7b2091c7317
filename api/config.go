package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/astrolift/astrolift/drift"
	"github.com/astrolift/astrolift/render"
	"github.com/astrolift/astrolift/store"
)

// Source reads an app's manifest from its repository: the head commit of
// the deploy branch and the manifest's blob id and text there.
type Source interface {
	ReadManifest(ctx context.Context, app *store.App) (commit, blobID string, content []byte, err error)
}

type configResponse struct {
	// Source is the TOML shown in the editor: the draft if there is one,
	// else the snapshot.
	Source      string              `json:"source"`
	SourceKind  string              `json:"source_kind"` // draft | snapshot
	SyncState   drift.State         `json:"sync_state"`
	DraftLanded bool                `json:"draft_landed,omitempty"`
	Snapshot    snapshotDTO         `json:"snapshot"`
	Draft       *draftDTO           `json:"draft"`
	Repo        repoDTO             `json:"repo"`
	Errors      []*render.Error     `json:"errors"`
	Previews    []environmentRender `json:"previews"`
}

type snapshotDTO struct {
	Commit   string     `json:"commit"`
	BlobID   string     `json:"blob_id"`
	SyncedAt *time.Time `json:"synced_at"`
}

type draftDTO struct {
	BaseBlobID string    `json:"base_blob_id"`
	BlobID     string    `json:"blob_id"`
	StagedBy   string    `json:"staged_by"`
	StagedAt   time.Time `json:"staged_at"`
	PRURL      string    `json:"pr_url,omitempty"`
	PRNumber   int64     `json:"pr_number,omitempty"`
}

type repoDTO struct {
	HeadCommit string     `json:"head_commit"`
	BlobID     string     `json:"blob_id"`
	CheckedAt  *time.Time `json:"checked_at"`
	Error      string     `json:"error,omitempty"`
}

// environmentRender is the preview of one environment: the same Render the
// deployer applies, with Secret values masked.
type environmentRender struct {
	Environment string `json:"environment"`
	Namespace   string `json:"namespace"`
	YAML        string `json:"yaml,omitempty"`
	Error       string `json:"error,omitempty"`
}

type draftRequest struct {
	Source string `json:"source"`
}

// syncState computes an app's sync state from what the store holds.
func syncState(app *store.App) drift.Result {
	in := drift.Input{SnapshotBlob: app.Manifest.BlobID, RepoBlob: app.Repo.BlobID}
	if app.Draft != nil {
		in.Draft = &drift.Draft{BaseBlob: app.Draft.BaseBlobID, Blob: drift.BlobID([]byte(app.Draft.Raw)), PR: app.Draft.PRState}
	}
	return drift.Sync(in)
}

// config returns the editor's view of an app's manifest.
func (a *API) config(c *gin.Context) {
	app := c.MustGet("app").(*store.App)
	out, err := a.configView(c.Request.Context(), app)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (a *API) configView(ctx context.Context, app *store.App) (*configResponse, error) {
	res := syncState(app)
	out := &configResponse{
		Source: app.Manifest.Raw, SourceKind: "snapshot", SyncState: res.State, DraftLanded: res.DraftLanded,
		Snapshot: snapshotDTO{Commit: app.Manifest.Commit, BlobID: app.Manifest.BlobID, SyncedAt: app.Manifest.SyncedAt},
		Repo:     repoDTO{HeadCommit: app.Repo.Commit, BlobID: app.Repo.BlobID, CheckedAt: app.Repo.CheckedAt, Error: app.Repo.Error},
		Errors:   []*render.Error{}, Previews: []environmentRender{},
	}
	if d := app.Draft; d != nil {
		out.Source, out.SourceKind = d.Raw, "draft"
		out.Draft = &draftDTO{BaseBlobID: d.BaseBlobID, BlobID: drift.BlobID([]byte(d.Raw)), StagedAt: d.StagedAt, PRURL: d.PRURL, PRNumber: d.PRNumber}
		if u, err := a.store.GetUser(ctx, d.StagedBy); err == nil {
			out.Draft.StagedBy = u.Email
		}
	}
	if out.Source == "" {
		return out, nil
	}
	m, err := render.Parse(app.ManifestPath, []byte(out.Source))
	var list render.ErrorList
	if errors.As(err, &list) {
		out.Errors = list
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	envs, err := a.store.ListEnvironments(ctx, app.ID)
	if err != nil {
		return nil, err
	}
	targets := make([]environmentRender, 0, len(envs))
	for _, e := range envs {
		targets = append(targets, environmentRender{Environment: e.Name, Namespace: e.Namespace})
	}
	if len(targets) == 0 { // not onboarded yet: the manifest's own environments
		for _, name := range m.Environments() {
			targets = append(targets, environmentRender{Environment: name})
		}
		if len(targets) == 0 {
			targets = append(targets, environmentRender{Environment: "production"})
		}
	}
	for _, t := range targets {
		objs, err := render.Preview(m, render.Input{App: app.Slug, Environment: t.Environment, Namespace: t.Namespace})
		if err == nil {
			var y []byte
			if y, err = render.YAML(objs); err == nil {
				t.YAML = string(y)
				t.Namespace = objs[0].GetNamespace()
			}
		}
		if err != nil {
			t.Error = err.Error()
		}
		out.Previews = append(out.Previews, t)
	}
	return out, nil
}

// saveDraft stores the editor's text as the draft, valid or not; the answer
// carries the render errors. A new draft is based on the snapshot's blob; an
// existing draft keeps its base (and its pull request).
func (a *API) saveDraft(c *gin.Context) {
	var req draftRequest
	if err := bindJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	if len(req.Source) > render.MaxManifestSize {
		a.fail(c, invalid("source", "the manifest is %d bytes; the limit is %d (1 MiB)", len(req.Source), render.MaxManifestSize))
		return
	}
	ctx := c.Request.Context()
	app := c.MustGet("app").(*store.App)
	p := principalOf(c)
	d := store.Draft{Raw: req.Source, BaseBlobID: app.Manifest.BlobID, BaseRaw: app.Manifest.Raw, StagedBy: p.user.ID}
	keepPR := false
	if app.Draft != nil {
		d.BaseBlobID, d.BaseRaw, keepPR = app.Draft.BaseBlobID, app.Draft.BaseRaw, true
	}
	if err := a.store.SaveDraft(ctx, app.ID, d, keepPR); err != nil {
		a.fail(c, err)
		return
	}
	a.event(ctx, app.OrgID, app.ID, "config.draft_saved", p.user.Email, "draft of "+app.ManifestPath+" saved")
	a.configAfter(c, app.ID)
}

// discardDraft drops the draft.
func (a *API) discardDraft(c *gin.Context) {
	ctx := c.Request.Context()
	app := c.MustGet("app").(*store.App)
	if app.Draft == nil {
		a.fail(c, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "app " + app.Slug + " has no draft"})
		return
	}
	if err := a.store.DropDraft(ctx, app.ID); err != nil {
		a.fail(c, err)
		return
	}
	a.event(ctx, app.OrgID, app.ID, "config.draft_discarded", principalOf(c).user.Email, "draft discarded")
	a.configAfter(c, app.ID)
}

// syncFromRepo replaces the snapshot with the manifest at the repository's
// head and drops any draft. A repository that cannot be read changes
// nothing and reports why.
func (a *API) syncFromRepo(c *gin.Context) {
	ctx := c.Request.Context()
	app := c.MustGet("app").(*store.App)
	if a.opts.Source == nil {
		a.fail(c, &Error{Status: http.StatusServiceUnavailable, Code: "no_source", Message: "this server reads no repositories"})
		return
	}
	commit, blob, content, err := a.opts.Source.ReadManifest(ctx, app)
	if err != nil {
		a.fail(c, &Error{Status: http.StatusBadGateway, Code: "repository", Message: "read " + app.ManifestPath + " from " + app.SourceURL + ": " + err.Error()})
		return
	}
	now := a.now()
	if err := a.store.SetSnapshot(ctx, app.ID, store.Snapshot{Raw: string(content), Commit: commit, BlobID: blob, SyncedAt: &now}, true); err != nil {
		a.fail(c, err)
		return
	}
	if err := a.store.RecordRepoHead(ctx, app.ID, store.RepoHead{Commit: commit, BlobID: blob, CheckedAt: &now}); err != nil {
		a.fail(c, err)
		return
	}
	a.event(ctx, app.OrgID, app.ID, "config.synced", principalOf(c).user.Email, "snapshot synced from "+shortCommit(commit))
	a.configAfter(c, app.ID)
}

func (a *API) configAfter(c *gin.Context, appID int64) {
	app, err := a.store.GetAppByID(c.Request.Context(), appID)
	if err != nil {
		a.fail(c, err)
		return
	}
	out, err := a.configView(c.Request.Context(), app)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func shortCommit(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
