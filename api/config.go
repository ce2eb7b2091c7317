package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/astrolift/astrolift/drift"
	"github.com/astrolift/astrolift/render"
	"github.com/astrolift/astrolift/scm"
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
	// SnapshotPreviews is the snapshot's preview per environment, given
	// with a draft so the draft's rendering can be compared with it.
	SnapshotPreviews []environmentRender `json:"snapshot_previews,omitempty"`
	// Push says whether Push to repo can work for this app, and if not why.
	Push pushAvailability `json:"push"`
}

type pushAvailability struct {
	Available bool   `json:"available"`
	Reason    string `json:"reason,omitempty"`
}

type snapshotDTO struct {
	// Source is the snapshot's TOML, given when there is a draft (else it
	// is the response's source) so the two can be compared.
	Source   string     `json:"source,omitempty"`
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
	// PRState is the pull request's state when last looked at: open,
	// merged or closed (a closed one leaves the draft in place).
	PRState  string `json:"pr_state,omitempty"`
	PRBranch string `json:"pr_branch,omitempty"`
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

// config returns the editor's view of an app's manifest. An open pull
// request carrying the draft is looked up on its host first, so its state
// is current.
func (a *API) config(c *gin.Context) {
	app := c.MustGet("app").(*store.App)
	a.refreshPR(c.Request.Context(), app)
	out, err := a.configView(c.Request.Context(), app)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// refreshPR reads the state of the draft's open pull request from its
// host and records a change; a host that cannot be asked leaves the last
// known state.
func (a *API) refreshPR(ctx context.Context, app *store.App) {
	d := app.Draft
	if d == nil || d.PRState != scm.PROpen || app.SCMConnectionID == 0 {
		return
	}
	conn, err := a.store.GetSCMConnection(ctx, app.SCMConnectionID)
	if err != nil {
		return
	}
	p, err := a.provider(conn)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	pr, err := p.GetPullRequest(ctx, app.SCMRepo, d.PRNumber)
	if err != nil || pr.State == d.PRState {
		return
	}
	if err := a.store.SetDraftPRState(ctx, app.ID, d.PRNumber, pr.State); err != nil {
		return
	}
	d.PRState = pr.State
	a.event(ctx, app.OrgID, app.ID, "config.pr_"+pr.State, "", fmt.Sprintf("pull request #%d is %s: %s", pr.Number, pr.State, pr.URL))
}

func (a *API) pushAvailability(ctx context.Context, app *store.App) pushAvailability {
	if app.SCMConnectionID == 0 {
		return pushAvailability{Reason: "the app reads its repository without an SCM connection; commit drafts yourself"}
	}
	conn, err := a.store.GetSCMConnection(ctx, app.SCMConnectionID)
	switch {
	case err != nil:
		return pushAvailability{Reason: "the app's SCM connection was deleted"}
	case conn.Kind == "generic" || a.opts.SCM == nil:
		return pushAvailability{Reason: "connection " + conn.Name + " has no host API"}
	case conn.Test.At != nil && conn.Test.Error == "" && !conn.Test.CanWrite:
		return pushAvailability{Reason: "connection " + conn.Name + " has read-only credentials"}
	}
	return pushAvailability{Available: true}
}

func (a *API) configView(ctx context.Context, app *store.App) (*configResponse, error) {
	res := syncState(app)
	out := &configResponse{
		Source: app.Manifest.Raw, SourceKind: "snapshot", SyncState: res.State, DraftLanded: res.DraftLanded,
		Snapshot: snapshotDTO{Commit: app.Manifest.Commit, BlobID: app.Manifest.BlobID, SyncedAt: app.Manifest.SyncedAt},
		Repo:     repoDTO{HeadCommit: app.Repo.Commit, BlobID: app.Repo.BlobID, CheckedAt: app.Repo.CheckedAt, Error: app.Repo.Error},
		Errors:   []*render.Error{}, Previews: []environmentRender{},
		Push: a.pushAvailability(ctx, app),
	}
	if d := app.Draft; d != nil {
		out.Source, out.SourceKind, out.Snapshot.Source = d.Raw, "draft", app.Manifest.Raw
		out.Draft = &draftDTO{BaseBlobID: d.BaseBlobID, BlobID: drift.BlobID([]byte(d.Raw)), StagedAt: d.StagedAt, PRURL: d.PRURL, PRNumber: d.PRNumber,
			PRState: d.PRState, PRBranch: d.PRBranch}
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
	if out.Previews, err = a.previews(ctx, app, m); err != nil {
		return nil, err
	}
	if out.Draft != nil && app.Manifest.Raw != "" {
		if sm, err := render.Parse(app.ManifestPath, []byte(app.Manifest.Raw)); err == nil {
			if out.SnapshotPreviews, err = a.previews(ctx, app, sm); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// previews renders a manifest for each of its preview targets.
func (a *API) previews(ctx context.Context, app *store.App, m *render.Manifest) ([]environmentRender, error) {
	targets, err := a.previewTargets(ctx, app, m)
	if err != nil {
		return nil, err
	}
	out := make([]environmentRender, 0, len(targets))
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
		out = append(out, t)
	}
	return out, nil
}

// previewTargets are the environments a manifest is previewed for: the
// app's environments or, before onboarding, the manifest's own (or
// "production" when it names none).
func (a *API) previewTargets(ctx context.Context, app *store.App, m *render.Manifest) ([]environmentRender, error) {
	envs, err := a.store.ListEnvironments(ctx, app.ID)
	if err != nil {
		return nil, err
	}
	targets := make([]environmentRender, 0, len(envs))
	for _, e := range envs {
		targets = append(targets, environmentRender{Environment: e.Name, Namespace: e.Namespace})
	}
	if len(targets) == 0 {
		for _, name := range m.Environments() {
			targets = append(targets, environmentRender{Environment: name})
		}
		if len(targets) == 0 {
			targets = append(targets, environmentRender{Environment: "production"})
		}
	}
	return targets, nil
}

// newDraft is the draft of text: a new one is based on the snapshot, an
// existing one keeps its base (and its pull request: keepPR).
func newDraft(app *store.App, text string, userID int64) (d store.Draft, keepPR bool) {
	d = store.Draft{Raw: text, BaseBlobID: app.Manifest.BlobID, BaseRaw: app.Manifest.Raw, StagedBy: userID}
	if app.Draft != nil {
		d.BaseBlobID, d.BaseRaw, keepPR = app.Draft.BaseBlobID, app.Draft.BaseRaw, true
	}
	return d, keepPR
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
	d, keepPR := newDraft(app, req.Source, p.user.ID)
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
