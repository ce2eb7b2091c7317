package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/astrolift/astrolift/render"
	"github.com/astrolift/astrolift/scm"
	"github.com/astrolift/astrolift/store"
)

// appSlugMax leaves room in Kubernetes names for "-<workload>" suffixes.
const appSlugMax = 40

var (
	scpLikeRE  = regexp.MustCompile(`^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+$`)
	branchRE   = regexp.MustCompile(`^[A-Za-z0-9._/-]+$`)
	sourceKind = []string{"git", "github", "gitlab", "gitea", "bitbucket"}
	triggers   = []string{"push", "manual", "ci"}
)

type createAppRequest struct {
	Project       string `json:"project"`
	Name          string `json:"name"`
	Slug          string `json:"slug"`
	Description   string `json:"description"`
	SourceURL     string `json:"source_url"`
	SourceKind    string `json:"source_kind"`
	SCMConnection string `json:"scm_connection"`
	// SCMRepo picks the repository from the connection's host by full name
	// ("owner/name", as GET /scm-connections/:id/repos lists it): its clone
	// URL, kind and default branch fill source_url, source_kind and
	// deploy_branch when those are empty.
	SCMRepo      string `json:"scm_repo"`
	ManifestPath string `json:"manifest_path"`
	DeployBranch string `json:"deploy_branch"`
	TriggerMode  string `json:"trigger_mode"`
}

type updateAppRequest struct {
	Slug         *string `json:"slug"`
	Name         *string `json:"name"`
	Description  *string `json:"description"`
	ManifestPath *string `json:"manifest_path"`
	DeployBranch *string `json:"deploy_branch"`
	TriggerMode  *string `json:"trigger_mode"`
	// PollIntervalSeconds overrides the poller's interval for this app
	// (0: the server's default; at least 10 s).
	PollIntervalSeconds *int `json:"poll_interval_seconds"`
}

func checkSourceURL(s string) error {
	if scpLikeRE.MatchString(s) {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" && u.Scheme != "file" {
		return invalid("source_url", "source_url %q is not a clone URL (https://host/owner/repo.git, ssh://…, git@host:owner/repo.git)", s)
	}
	switch u.Scheme {
	case "https", "http", "ssh", "git", "file":
		return nil
	}
	return invalid("source_url", "source_url %q: scheme %q is not supported", s, u.Scheme)
}

func checkManifestPath(p string) error {
	if p == "" || path.IsAbs(p) || strings.Contains(p, "\\") || path.Clean(p) != p || strings.HasPrefix(p, "../") || !strings.HasSuffix(p, ".toml") {
		return invalid("manifest_path", "manifest_path %q must be a clean relative path to a .toml file, for example astrolift.toml or services/api/astrolift.toml", p)
	}
	return nil
}

func checkBranch(b string) error {
	if !branchRE.MatchString(b) || strings.Contains(b, "..") || strings.HasPrefix(b, "-") || strings.HasPrefix(b, "/") ||
		strings.HasSuffix(b, "/") || strings.HasSuffix(b, ".lock") || len(b) > 200 {
		return invalid("deploy_branch", "deploy_branch %q is not a branch name", b)
	}
	return nil
}

func oneOfField(field, v string, allowed []string) error {
	for _, x := range allowed {
		if v == x {
			return nil
		}
	}
	return invalid(field, "%s %q is not one of %s", field, v, strings.Join(allowed, ", "))
}

// appConnection resolves a registration's SCM connection by name and,
// for hosts with an API, the repository on it: scm_repo fills the source
// URL, kind and default branch; a source URL alone names the repository
// by its path. It returns the provider when webhooks can be registered.
func (a *API) appConnection(ctx context.Context, app *store.App, name, repo string) (*store.SCMConnection, scm.Provider, error) {
	conns, err := a.store.ListSCMConnections(ctx, app.OrgID)
	if err != nil {
		return nil, nil, err
	}
	var conn *store.SCMConnection
	for _, c := range conns {
		if c.Name == name {
			conn = c
		}
	}
	if conn == nil {
		return nil, nil, invalid("scm_connection", "no SCM connection %q", name)
	}
	app.SCMConnectionID = conn.ID
	if conn.Kind == "generic" || a.opts.SCM == nil {
		if repo != "" {
			return nil, nil, invalid("scm_repo", "connection %s has no host API to pick %s from; give source_url instead", name, repo)
		}
		return conn, nil, nil
	}
	prov, err := a.provider(conn)
	if err != nil {
		return nil, nil, err
	}
	if repo == "" {
		if app.SourceURL == "" {
			return nil, nil, invalid("scm_repo", "give scm_repo (a repository of connection %s) or source_url", name)
		}
		app.SCMRepo = repoFullName(app.SourceURL, conn.BaseURL)
		return conn, prov, nil
	}
	lookup, cancel := context.WithTimeout(ctx, scmTimeout)
	defer cancel()
	r, err := prov.GetRepo(lookup, repo)
	if err != nil {
		var e *Error
		if errors.As(scmError(conn, err), &e) {
			e.Field = "scm_repo"
		}
		return nil, nil, e
	}
	app.SCMRepo = r.FullName
	if app.SourceURL == "" {
		app.SourceURL = r.CloneURL
	}
	if app.SourceKind == "" || app.SourceKind == "git" {
		app.SourceKind = r.Kind
	}
	if app.DeployBranch == "" {
		app.DeployBranch = r.DefaultBranch
	}
	return conn, prov, nil
}

// createApp registers an app in a project: it needs app.create on the
// project's team (or the organization). The app starts pending; the
// onboarding workflow provisions it.
func (a *API) createApp(c *gin.Context) {
	var req createAppRequest
	if err := bindJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	p := principalOf(c)
	if req.Project == "" {
		a.fail(c, invalid("project", "project is required"))
		return
	}
	pr, err := a.store.GetProject(ctx, p.user.OrgID, req.Project)
	if err != nil {
		a.fail(c, invalid("project", "no project %q", req.Project))
		return
	}
	if !p.allows(PermAppCreate, scope{teamID: pr.TeamID}) {
		a.fail(c, forbidden(PermAppCreate))
		return
	}
	app := &store.App{OrgID: p.user.OrgID, ProjectID: pr.ID, Name: strings.TrimSpace(req.Name), Description: req.Description,
		SourceURL: req.SourceURL, SourceKind: req.SourceKind, ManifestPath: req.ManifestPath, DeployBranch: req.DeployBranch,
		TriggerMode: req.TriggerMode, Status: "pending"}
	if app.Name == "" {
		a.fail(c, invalid("name", "name is required"))
		return
	}
	var (
		conn *store.SCMConnection
		prov scm.Provider
	)
	if req.SCMConnection != "" {
		if conn, prov, err = a.appConnection(ctx, app, req.SCMConnection, req.SCMRepo); err != nil {
			a.fail(c, err)
			return
		}
	} else if req.SCMRepo != "" {
		a.fail(c, invalid("scm_repo", "scm_repo needs scm_connection"))
		return
	}
	if app.SourceKind == "" {
		app.SourceKind = "git"
	}
	if app.ManifestPath == "" {
		app.ManifestPath = "astrolift.toml"
	}
	if app.DeployBranch == "" {
		app.DeployBranch = "main"
		if a.opts.Repos != nil && checkSourceURL(app.SourceURL) == nil {
			lookup, cancel := context.WithTimeout(ctx, 15*time.Second)
			branch, err := a.opts.Repos.DefaultBranch(lookup, app.SourceURL)
			cancel()
			if err != nil {
				a.fail(c, invalid("deploy_branch", "could not read the default branch of %s (%v); set deploy_branch", app.SourceURL, err))
				return
			}
			app.DeployBranch = branch
		}
	}
	if app.TriggerMode == "" {
		app.TriggerMode = "push"
	}
	for _, err := range []error{
		checkSourceURL(app.SourceURL), oneOfField("source_kind", app.SourceKind, sourceKind), checkManifestPath(app.ManifestPath),
		checkBranch(app.DeployBranch), oneOfField("trigger_mode", app.TriggerMode, triggers),
	} {
		if err != nil {
			a.fail(c, err)
			return
		}
	}
	explicit := req.Slug != ""
	if !explicit {
		req.Slug = slugify(app.Name, appSlugMax)
	}
	if err := slugField("slug", req.Slug, appSlugMax); err != nil {
		a.fail(c, err)
		return
	}
	// A generated slug that is taken gets a numeric suffix; a chosen one is a 409.
	for i := 1; ; i++ {
		app.Slug = req.Slug
		if i > 1 {
			suffix := fmt.Sprintf("-%d", i)
			app.Slug = strings.TrimRight(req.Slug[:min(len(req.Slug), appSlugMax-len(suffix))], "-") + suffix
		}
		err = a.store.CreateApp(ctx, app)
		if err == nil || !errors.Is(err, store.ErrConflict) || explicit || i == 20 {
			break
		}
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	a.event(ctx, app.OrgID, app.ID, "app.registered", p.user.Email, "app "+app.Slug+" registered from "+app.SourceURL)
	if prov != nil {
		a.registerHook(ctx, app, conn, prov, p.user.Email)
	}
	// Read the new app's repository now, not at the next poll interval: its
	// config page and first deployment should not wait minutes.
	if a.opts.Poller != nil {
		a.opts.Poller.Trigger(app.SourceURL, app.DeployBranch)
	}
	c.JSON(http.StatusCreated, newAppDTO(app, pr.Slug))
}

func (a *API) projectSlugs(ctx context.Context, orgID int64) map[int64]string {
	ps, err := a.store.ListProjects(ctx, orgID)
	out := map[int64]string{}
	if err != nil {
		return out
	}
	for _, p := range ps {
		out[p.ID] = p.Slug
	}
	return out
}

// listApps lists the apps the caller may read, by slug, with filters
// ?project=, ?status=, ?q= (slug or name contains) and cursor pagination.
func (a *API) listApps(c *gin.Context) {
	ctx := c.Request.Context()
	p := principalOf(c)
	limit, cursor, err := pageParams(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	f := store.AppFilter{OrgID: p.user.OrgID, Status: c.Query("status"), Query: c.Query("q"), AfterSlug: cursor, Limit: limit, Visible: p.visibleApps()}
	if slug := c.Query("project"); slug != "" {
		pr, err := a.store.GetProject(ctx, p.user.OrgID, slug)
		if err != nil {
			a.fail(c, invalid("project", "no project %q", slug))
			return
		}
		f.ProjectID = pr.ID
	}
	apps, err := a.store.ListApps(ctx, f)
	if err != nil {
		a.fail(c, err)
		return
	}
	projects := a.projectSlugs(ctx, p.user.OrgID)
	out := make([]appDTO, len(apps))
	for i, app := range apps {
		out[i] = newAppDTO(app, projects[app.ProjectID])
	}
	c.JSON(http.StatusOK, page(out, limit, func(x appDTO) string { return x.Slug }))
}

func (a *API) getApp(c *gin.Context) {
	app := c.MustGet("app").(*store.App)
	c.JSON(http.StatusOK, newAppDTO(app, c.MustGet("project").(*store.Project).Slug))
}

func (a *API) updateApp(c *gin.Context) {
	var req updateAppRequest
	if err := bindJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	app := c.MustGet("app").(*store.App)
	if req.Slug != nil && *req.Slug != app.Slug {
		a.fail(c, invalid("slug", "an app's slug cannot change after registration"))
		return
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&app.Name, req.Name)
	set(&app.Description, req.Description)
	set(&app.ManifestPath, req.ManifestPath)
	set(&app.DeployBranch, req.DeployBranch)
	set(&app.TriggerMode, req.TriggerMode)
	if n := req.PollIntervalSeconds; n != nil {
		if *n != 0 && (*n < 10 || *n > 86400) {
			a.fail(c, invalid("poll_interval_seconds", "poll_interval_seconds must be 0 (the default) or between 10 and 86400"))
			return
		}
		app.PollInterval = time.Duration(*n) * time.Second
	}
	if app.Name == "" {
		a.fail(c, invalid("name", "name cannot be empty"))
		return
	}
	for _, err := range []error{checkManifestPath(app.ManifestPath), checkBranch(app.DeployBranch), oneOfField("trigger_mode", app.TriggerMode, triggers)} {
		if err != nil {
			a.fail(c, err)
			return
		}
	}
	ctx := c.Request.Context()
	if err := a.store.UpdateApp(ctx, app); err != nil {
		a.fail(c, err)
		return
	}
	a.event(ctx, app.OrgID, app.ID, "app.updated", principalOf(c).user.Email, "settings of "+app.Slug+" changed")
	updated, err := a.store.GetAppByID(ctx, app.ID)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newAppDTO(updated, c.MustGet("project").(*store.Project).Slug))
}

// deleteApp soft-deletes an app; its slug stays reserved for the grace window.
func (a *API) deleteApp(c *gin.Context) {
	app := c.MustGet("app").(*store.App)
	ctx := c.Request.Context()
	if err := a.store.DeleteApp(ctx, app.ID); err != nil {
		a.fail(c, err)
		return
	}
	a.removeHook(ctx, app, principalOf(c).user.Email)
	a.event(ctx, app.OrgID, app.ID, "app.deleted", principalOf(c).user.Email, "app "+app.Slug+" deleted (soft; the slug stays reserved for the grace window)")
	c.Status(http.StatusNoContent)
}

type overviewResponse struct {
	App               appDTO          `json:"app"`
	Provisioning      provisioningDTO `json:"provisioning"`
	Workloads         workloadsCard   `json:"workloads"`
	Source            sourceCard      `json:"source"`
	Trigger           triggerCard     `json:"trigger"`
	RecentDeployments []deploymentDTO `json:"recent_deployments"`
	RecentEvents      []eventDTO      `json:"recent_events"`
}

type provisioningDTO struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

type workloadsCard struct {
	Count    int    `json:"count"`
	Replicas int    `json:"replicas"`
	Note     string `json:"note,omitempty"` // why the counts are unknown
}

type sourceCard struct {
	URL          string `json:"url"`
	Kind         string `json:"kind"`
	Branch       string `json:"branch"`
	ManifestPath string `json:"manifest_path"`
	HeadCommit   string `json:"head_commit,omitempty"`
	Error        string `json:"error,omitempty"`
}

type triggerCard struct {
	Mode      string `json:"mode"`
	Namespace string `json:"namespace"`
}

type deploymentDTO struct {
	ID            int64  `json:"id"`
	EnvironmentID int64  `json:"environment_id"`
	Trigger       string `json:"trigger"`
	Status        string `json:"status"`
	CommitSHA     string `json:"commit_sha,omitempty"`
	Image         string `json:"image,omitempty"`
	ImageDigest   string `json:"image_digest,omitempty"`
	// CI is the context a CI run sent with the deployment.
	CI        *ciDTO     `json:"ci,omitempty"`
	CreatedAt string     `json:"created_at"`
	StartedAt *time.Time `json:"started_at,omitempty"` // first move to rendering
	// FinishedAt and DurationSeconds (finished − started) are set once it ended.
	FinishedAt      *time.Time `json:"finished_at,omitempty"`
	DurationSeconds *float64   `json:"duration_seconds,omitempty"`
}

type ciDTO struct {
	Commit string `json:"commit,omitempty"`
	Branch string `json:"branch,omitempty"`
	RunURL string `json:"run_url,omitempty"`
}

func newDeploymentDTO(d *store.Deployment) deploymentDTO {
	out := deploymentDTO{ID: d.ID, EnvironmentID: d.EnvironmentID, Trigger: d.Trigger, Status: d.Status, CommitSHA: d.CommitSHA,
		Image: d.Image, ImageDigest: d.ImageDigest, CreatedAt: d.CreatedAt.UTC().Format(time.RFC3339),
		StartedAt: d.StartedAt, FinishedAt: d.FinishedAt}
	if d.CI != (store.CIContext{}) {
		out.CI = &ciDTO{Commit: d.CI.Commit, Branch: d.CI.Branch, RunURL: d.CI.RunURL}
	}
	if d.StartedAt != nil && d.FinishedAt != nil {
		secs := d.FinishedAt.Sub(*d.StartedAt).Round(time.Millisecond).Seconds()
		out.DurationSeconds = &secs
	}
	return out
}

// overview returns what the app page's hero and four status cards show.
func (a *API) overview(c *gin.Context) {
	ctx := c.Request.Context()
	app := c.MustGet("app").(*store.App)
	out := overviewResponse{
		App:          newAppDTO(app, c.MustGet("project").(*store.Project).Slug),
		Provisioning: provisioningDTO{Status: app.Status, Error: app.StatusError},
		Source: sourceCard{URL: app.SourceURL, Kind: app.SourceKind, Branch: app.DeployBranch, ManifestPath: app.ManifestPath,
			HeadCommit: app.Repo.Commit, Error: app.Repo.Error},
		Trigger:           triggerCard{Mode: app.TriggerMode, Namespace: app.Namespace},
		RecentDeployments: []deploymentDTO{},
		RecentEvents:      []eventDTO{},
	}
	if app.Manifest.Raw == "" {
		out.Workloads.Note = "the manifest has not been read from the repository yet"
	} else if m, err := render.Parse(app.ManifestPath, []byte(app.Manifest.Raw)); err != nil {
		out.Workloads.Note = "the manifest is invalid: " + err.Error()
	} else {
		for _, w := range m.Workloads {
			out.Workloads.Count++
			if w.Replicas != nil {
				out.Workloads.Replicas += *w.Replicas
			} else if w.Autoscale != nil {
				out.Workloads.Replicas += *w.Autoscale.Min
			}
		}
	}
	ds, err := a.store.ListDeployments(ctx, store.DeploymentFilter{AppID: app.ID, Limit: 5})
	if err != nil {
		a.fail(c, err)
		return
	}
	for _, d := range ds {
		out.RecentDeployments = append(out.RecentDeployments, newDeploymentDTO(d))
	}
	es, err := a.store.ListEvents(ctx, store.EventFilter{AppID: app.ID, Limit: 10})
	if err != nil {
		a.fail(c, err)
		return
	}
	for _, e := range es {
		out.RecentEvents = append(out.RecentEvents, newEventDTO(e, app.Slug))
	}
	c.JSON(http.StatusOK, out)
}

// appEvents lists one app's events, newest first, with ?kind= and paging.
func (a *API) appEvents(c *gin.Context) {
	ctx := c.Request.Context()
	app := c.MustGet("app").(*store.App)
	limit, cursor, err := pageParams(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	before, err := idCursor(cursor)
	if err != nil {
		a.fail(c, err)
		return
	}
	es, err := a.store.ListEvents(ctx, store.EventFilter{AppID: app.ID, Kind: c.Query("kind"), BeforeID: before, Limit: limit})
	if err != nil {
		a.fail(c, err)
		return
	}
	out := make([]eventDTO, len(es))
	for i, e := range es {
		out[i] = newEventDTO(e, app.Slug)
	}
	c.JSON(http.StatusOK, page(out, limit, func(e eventDTO) string { return fmt.Sprint(e.ID) }))
}

// listEvents lists the organization's events that the caller may see:
// organization-wide ones and those of apps they may read.
func (a *API) listEvents(c *gin.Context) {
	ctx := c.Request.Context()
	p := principalOf(c)
	limit, cursor, err := pageParams(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	f := store.EventFilter{OrgID: p.user.OrgID, Kind: c.Query("kind"), Limit: limit, Visible: p.visibleApps()}
	if f.BeforeID, err = idCursor(cursor); err != nil {
		a.fail(c, err)
		return
	}
	if slug := c.Query("app"); slug != "" {
		app, err := a.appParam(ctx, p.user.OrgID, slug)
		if err != nil {
			a.fail(c, err)
			return
		}
		f.AppID = app.ID
	}
	es, err := a.store.ListEvents(ctx, f)
	if err != nil {
		a.fail(c, err)
		return
	}
	slugs := map[int64]string{}
	out := make([]eventDTO, len(es))
	for i, e := range es {
		if _, ok := slugs[e.AppID]; !ok && e.AppID != 0 {
			if app, err := a.store.GetAppByID(ctx, e.AppID); err == nil {
				slugs[e.AppID] = app.Slug
			}
		}
		out[i] = newEventDTO(e, slugs[e.AppID])
	}
	c.JSON(http.StatusOK, page(out, limit, func(e eventDTO) string { return fmt.Sprint(e.ID) }))
}

// appParam finds an app named by a query parameter in the caller's
// organization (400 naming the parameter when there is none).
func (a *API) appParam(ctx context.Context, orgID int64, slug string) (*store.App, error) {
	app, err := a.store.GetApp(ctx, slug)
	if err != nil || app.OrgID != orgID {
		return nil, invalid("app", "no app %q", slug)
	}
	return app, nil
}

// onboardAgain sends a failed app back to onboarding (pending), e.g. after
// its cluster or registry was fixed. Apps that are not failed answer 409.
func (a *API) onboardAgain(c *gin.Context) {
	ctx := c.Request.Context()
	app := c.MustGet("app").(*store.App)
	if app.Status != "failed" {
		a.fail(c, &Error{Status: http.StatusConflict, Code: "conflict", Message: "app " + app.Slug + " is " + app.Status + "; only a failed app is onboarded again"})
		return
	}
	if err := a.store.SetAppStatus(ctx, app.ID, "pending", ""); err != nil {
		a.fail(c, err)
		return
	}
	a.event(ctx, app.OrgID, app.ID, "app.status", principalOf(c).user.Email, "onboarding again (was failed: "+app.StatusError+")")
	app, err := a.store.GetAppByID(ctx, app.ID)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newAppDTO(app, c.MustGet("project").(*store.Project).Slug))
}
