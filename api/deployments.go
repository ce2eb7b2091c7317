package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/astrolift/astrolift/store"
)

// Deployments is told when a deployment is queued.
type Deployments interface {
	Wake()
}

// Drift checks an environment against its cluster soon.
type Drift interface {
	Trigger(envID int64)
}

type environmentDTO struct {
	ID                int64  `json:"id"`
	Name              string `json:"name"`
	Cluster           string `json:"cluster"`
	Namespace         string `json:"namespace"`
	PublicURL         string `json:"public_url,omitempty"`
	Paused            bool   `json:"paused"`
	RequiredApprovals int    `json:"required_approvals"`
	// Replicas overrides every workload's replica count (null: the
	// manifest's); autoscaled workloads keep their HPA.
	Replicas  *int      `json:"replicas"`
	SelfHeal  bool      `json:"self_heal"`
	UpdatedAt time.Time `json:"updated_at"`
}

type environmentRequest struct {
	Name              string  `json:"name"`
	Cluster           *string `json:"cluster"` // cluster name; default "local"
	Namespace         string  `json:"namespace"`
	PublicURL         *string `json:"public_url"`
	Paused            *bool   `json:"paused"`
	RequiredApprovals *int    `json:"required_approvals"`
	// Replicas: a number sets the override, null clears it, absent keeps it.
	Replicas json.RawMessage `json:"replicas,omitempty" openapi:"integer"`
	SelfHeal *bool           `json:"self_heal"`
}

func (a *API) environmentDTO(ctx context.Context, e *store.Environment, clusters map[int64]string) environmentDTO {
	return environmentDTO{ID: e.ID, Name: e.Name, Cluster: clusters[e.ClusterID], Namespace: e.Namespace, PublicURL: e.PublicURL,
		Paused: e.Paused, RequiredApprovals: e.RequiredApprovals, Replicas: e.Replicas, SelfHeal: e.SelfHeal, UpdatedAt: e.UpdatedAt}
}

func (a *API) clusterNames(ctx context.Context, orgID int64) map[int64]string {
	out := map[int64]string{}
	if cs, err := a.store.ListClusters(ctx, orgID); err == nil {
		for _, c := range cs {
			out[c.ID] = c.Name
		}
	}
	return out
}

func (a *API) listEnvironments(c *gin.Context) {
	ctx := c.Request.Context()
	app := c.MustGet("app").(*store.App)
	envs, err := a.store.ListEnvironments(ctx, app.ID)
	if err != nil {
		a.fail(c, err)
		return
	}
	names := a.clusterNames(ctx, app.OrgID)
	out := make([]environmentDTO, len(envs))
	for i, e := range envs {
		out[i] = a.environmentDTO(ctx, e, names)
	}
	c.JSON(http.StatusOK, Page[environmentDTO]{Items: out})
}

// applyEnvironment copies a request onto an environment, resolving the cluster.
func (a *API) applyEnvironment(ctx context.Context, orgID int64, e *store.Environment, req environmentRequest) error {
	if req.Cluster != nil || e.ClusterID == 0 {
		name := "local"
		if req.Cluster != nil {
			name = *req.Cluster
		}
		cl, err := a.store.GetCluster(ctx, orgID, name)
		if err != nil {
			return invalid("cluster", "no cluster %q", name)
		}
		e.ClusterID = cl.ID
	}
	if req.PublicURL != nil {
		e.PublicURL = strings.TrimSpace(*req.PublicURL)
	}
	if req.Paused != nil {
		e.Paused = *req.Paused
	}
	if req.RequiredApprovals != nil {
		if *req.RequiredApprovals < 0 || *req.RequiredApprovals > 10 {
			return invalid("required_approvals", "required_approvals must be between 0 and 10")
		}
		e.RequiredApprovals = *req.RequiredApprovals
	}
	if len(req.Replicas) > 0 {
		if string(req.Replicas) == "null" {
			e.Replicas = nil
		} else {
			var n int
			if err := json.Unmarshal(req.Replicas, &n); err != nil || n < 0 || n > 1000 {
				return invalid("replicas", "replicas must be a whole number from 0 to 1000, or null to use the manifest's counts")
			}
			e.Replicas = &n
		}
	}
	if req.SelfHeal != nil {
		e.SelfHeal = *req.SelfHeal
	}
	return nil
}

// createEnvironment adds an environment (namespace default <app>-<env>,
// cluster default "local").
func (a *API) createEnvironment(c *gin.Context) {
	var req environmentRequest
	if err := bindJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	app := c.MustGet("app").(*store.App)
	if msgs := validation.IsDNS1123Label(req.Name); len(msgs) > 0 {
		a.fail(c, invalid("name", "environment name %q: %s", req.Name, msgs[0]))
		return
	}
	e := &store.Environment{AppID: app.ID, Name: req.Name, Namespace: req.Namespace}
	if e.Namespace == "" {
		e.Namespace = app.Slug + "-" + req.Name
	}
	if msgs := validation.IsDNS1123Label(e.Namespace); len(msgs) > 0 {
		a.fail(c, invalid("namespace", "namespace %q: %s", e.Namespace, msgs[0]))
		return
	}
	if err := a.applyEnvironment(ctx, app.OrgID, e, req); err != nil {
		a.fail(c, err)
		return
	}
	if err := a.store.CreateEnvironment(ctx, e); err != nil {
		a.fail(c, err)
		return
	}
	a.event(ctx, app.OrgID, app.ID, "environment.created", principalOf(c).user.Email, "environment "+e.Name+" created")
	c.JSON(http.StatusCreated, a.environmentDTO(ctx, e, a.clusterNames(ctx, app.OrgID)))
}

// updateEnvironment changes cluster, public URL, paused (pause halts push
// and CI deployments), required approvals, replicas and self-heal.
func (a *API) updateEnvironment(c *gin.Context) {
	var req environmentRequest
	if err := bindJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	a.changeEnvironment(c, req)
}

// environmentAction pauses or resumes an environment.
func (a *API) environmentAction(c *gin.Context) {
	var paused bool
	switch c.Param("action") {
	case "pause":
		paused = true
	case "resume":
	default:
		a.fail(c, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no action " + strconv.Quote(c.Param("action")) + " (pause, resume)"})
		return
	}
	a.changeEnvironment(c, environmentRequest{Paused: &paused})
}

func (a *API) changeEnvironment(c *gin.Context, req environmentRequest) {
	ctx := c.Request.Context()
	app := c.MustGet("app").(*store.App)
	e, err := a.store.GetEnvironment(ctx, app.ID, c.Param("env"))
	if err != nil {
		a.fail(c, err)
		return
	}
	if req.Name != "" && req.Name != e.Name || req.Namespace != "" && req.Namespace != e.Namespace {
		a.fail(c, invalid("name", "an environment's name and namespace cannot change"))
		return
	}
	wasPaused := e.Paused
	if err := a.applyEnvironment(ctx, app.OrgID, e, req); err != nil {
		a.fail(c, err)
		return
	}
	if err := a.store.UpdateEnvironment(ctx, e); err != nil {
		a.fail(c, err)
		return
	}
	if req.SelfHeal != nil && *req.SelfHeal && a.opts.Drift != nil {
		a.opts.Drift.Trigger(e.ID) // correct what drifted now, not at the next interval
	}
	if e.Paused != wasPaused {
		kind := map[bool]string{true: "environment.paused", false: "environment.resumed"}[e.Paused]
		a.event(ctx, app.OrgID, app.ID, kind, principalOf(c).user.Email, e.Name+" "+strings.TrimPrefix(kind, "environment."))
	} else {
		a.event(ctx, app.OrgID, app.ID, "environment.updated", principalOf(c).user.Email, e.Name+" updated")
	}
	c.JSON(http.StatusOK, a.environmentDTO(ctx, e, a.clusterNames(ctx, app.OrgID)))
}

type deployRequest struct {
	Environment string `json:"environment"`
	// Image is a tag, a digest or a full reference; empty keeps the image
	// the environment runs.
	Image string `json:"image"`
	// ImageDigest ("sha256:<64 hex>") pins the image: the deployer runs
	// repository@digest (a tag on image is dropped).
	ImageDigest string `json:"image_digest"`
	// Commit, Branch and RunURL describe the CI run asking for the deployment.
	Commit string `json:"commit"`
	Branch string `json:"branch"`
	RunURL string `json:"run_url"`
}

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// validate trims the request and checks the digest and the CI fields.
func (r *deployRequest) validate() error {
	for _, f := range []*string{&r.Image, &r.ImageDigest, &r.Commit, &r.Branch, &r.RunURL} {
		*f = strings.TrimSpace(*f)
	}
	if r.ImageDigest != "" && !digestRE.MatchString(r.ImageDigest) {
		return invalid("image_digest", "image_digest %q must be sha256: followed by 64 lower-case hex digits", r.ImageDigest)
	}
	for field, v := range map[string]string{"image": r.Image, "commit": r.Commit, "branch": r.Branch, "run_url": r.RunURL} {
		if len(v) > 1000 {
			return invalid(field, "%s is longer than 1000 characters", field)
		}
	}
	if r.RunURL != "" {
		if u, err := url.Parse(r.RunURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return invalid("run_url", "run_url %q must be an http(s) URL", r.RunURL)
		}
	}
	return nil
}

type deploymentDetailDTO struct {
	deploymentDTO
	App         string          `json:"app"`
	Environment string          `json:"environment"`
	Error       string          `json:"error,omitempty"`
	CreatedBy   string          `json:"created_by"`
	Duration    string          `json:"duration,omitempty"` // finished − created, queueing included
	Rendered    string          `json:"rendered,omitempty"`
	Lifecycle   []transitionDTO `json:"lifecycle,omitempty"`
	// Events are the deployment's events, oldest first (detail only).
	Events []eventDTO `json:"events,omitempty"`
}

type transitionDTO struct {
	From   string    `json:"from"`
	To     string    `json:"to"`
	Detail string    `json:"detail,omitempty"`
	At     time.Time `json:"at"`
}

// deploy queues a manual deployment of the app's snapshot to one
// environment.
func (a *API) deploy(c *gin.Context) {
	var req deployRequest
	if err := bindJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	if err := req.validate(); err != nil {
		a.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	app := c.MustGet("app").(*store.App)
	e, err := a.store.GetEnvironment(ctx, app.ID, req.Environment)
	if err != nil {
		a.fail(c, invalid("environment", "no environment %q", req.Environment))
		return
	}
	p := principalOf(c)
	trigger := "manual"
	if p.deployToken != nil {
		trigger = "ci"
		// Paused environments ignore push and CI triggers; a person's
		// manual deploy still runs.
		if e.Paused {
			a.fail(c, &Error{Status: http.StatusConflict, Code: "environment_paused",
				Message: fmt.Sprintf("environment %s is paused; CI deployments are refused until it is resumed", e.Name)})
			return
		}
	}
	if app.Manifest.Raw == "" {
		a.fail(c, &Error{Status: http.StatusConflict, Code: "no_manifest", Message: "the app's manifest has not been synced from the repository yet"})
		return
	}
	d := &store.Deployment{AppID: app.ID, EnvironmentID: e.ID, Trigger: trigger, Status: "pending", CommitSHA: app.Manifest.Commit,
		Image: req.Image, ImageDigest: req.ImageDigest, ManifestRaw: app.Manifest.Raw, CreatedBy: p.user.Email,
		CI: store.CIContext{Commit: req.Commit, Branch: req.Branch, RunURL: req.RunURL}}
	if err := a.store.CreateDeployment(ctx, d, trigger+" deploy by "+p.user.Email); err != nil {
		a.fail(c, err)
		return
	}
	a.event(ctx, app.OrgID, app.ID, "deployment.created", p.user.Email, fmt.Sprintf("%s deployment %d to %s", trigger, d.ID, e.Name))
	if a.opts.Deployments != nil {
		a.opts.Deployments.Wake()
	}
	c.JSON(http.StatusCreated, a.deploymentDetail(ctx, d, app, false))
}

func (a *API) deploymentDetail(ctx context.Context, d *store.Deployment, app *store.App, full bool) deploymentDetailDTO {
	out := deploymentDetailDTO{deploymentDTO: newDeploymentDTO(d), App: app.Slug, Error: d.Error, CreatedBy: d.CreatedBy}
	if envs, err := a.store.ListEnvironments(ctx, app.ID); err == nil {
		for _, e := range envs {
			if e.ID == d.EnvironmentID {
				out.Environment = e.Name
			}
		}
	}
	if d.FinishedAt != nil {
		out.Duration = d.FinishedAt.Sub(d.CreatedAt).Round(time.Millisecond).String()
	}
	if full {
		out.Rendered = maskRendered(d.Rendered)
		if evs, err := a.store.ListEvents(ctx, store.EventFilter{AppID: app.ID, DeploymentID: d.ID, AfterID: -1, Limit: 500}); err == nil {
			for _, e := range evs {
				out.Events = append(out.Events, newEventDTO(e, app.Slug))
			}
		}
		if ts, err := a.store.ListTransitions(ctx, d.ID); err == nil {
			for _, t := range ts {
				out.Lifecycle = append(out.Lifecycle, transitionDTO{From: t.From, To: t.To, Detail: t.Detail, At: t.At})
			}
		}
	}
	return out
}

// listDeployments lists deployments of the apps the caller may read,
// newest first (?app, ?status, ?limit, ?cursor).
func (a *API) listDeployments(c *gin.Context) {
	ctx := c.Request.Context()
	p := principalOf(c)
	limit, cursor, err := pageParams(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	f := store.DeploymentFilter{Limit: limit}
	if f.BeforeID, err = idCursor(cursor); err != nil {
		a.fail(c, err)
		return
	}
	if s := c.Query("status"); s != "" {
		f.Statuses = strings.Split(s, ",")
	}
	apps := map[int64]*store.App{}
	if slug := c.Query("app"); slug != "" {
		app, err := a.appParam(ctx, p.user.OrgID, slug)
		if err != nil {
			a.fail(c, err)
			return
		}
		f.AppID, apps[app.ID] = app.ID, app
	}
	if t := p.deployToken; t != nil { // a deploy token lists its own app's deployments only
		if f.AppID != 0 && f.AppID != t.AppID || !t.HasScope(DeployScopeRead) {
			a.fail(c, forbidden(PermAppRead))
			return
		}
		f.AppID = t.AppID
	}
	ds, err := a.store.ListDeployments(ctx, f)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := []deploymentDetailDTO{}
	for _, d := range ds {
		app, ok := apps[d.AppID]
		if !ok {
			if app, err = a.store.GetAppByID(ctx, d.AppID); err != nil {
				continue
			}
			apps[d.AppID] = app
		}
		sc, err := a.appScope(ctx, app.ID)
		if app.OrgID != p.user.OrgID || err != nil || !p.allows(PermAppRead, sc) {
			continue
		}
		out = append(out, a.deploymentDetail(ctx, d, app, false))
	}
	pg := Page[deploymentDetailDTO]{Items: out}
	if len(ds) == limit {
		pg.NextCursor = encodeCursor(strconv.FormatInt(ds[len(ds)-1].ID, 10))
	}
	c.JSON(http.StatusOK, pg)
}

// deploymentParam loads the :id deployment, its app (404 outside the
// caller's organization) and the app's scope.
func (a *API) deploymentParam(c *gin.Context) (*store.Deployment, *store.App, scope, bool) {
	ctx := c.Request.Context()
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		a.fail(c, invalid("id", "deployment id must be a number"))
		return nil, nil, scope{}, false
	}
	d, err := a.store.GetDeployment(ctx, id)
	if err != nil {
		a.fail(c, err)
		return nil, nil, scope{}, false
	}
	app, err := a.store.GetAppByID(ctx, d.AppID)
	if err != nil || app.OrgID != principalOf(c).user.OrgID {
		a.fail(c, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "deployment " + c.Param("id") + ": not found"})
		return nil, nil, scope{}, false
	}
	sc, err := a.appScope(ctx, app.ID)
	if err != nil {
		a.fail(c, err)
		return nil, nil, scope{}, false
	}
	return d, app, sc, true
}

// getDeployment shows one deployment with its lifecycle and rendered objects.
func (a *API) getDeployment(c *gin.Context) {
	d, app, sc, ok := a.deploymentParam(c)
	if !ok {
		return
	}
	if !principalOf(c).allows(PermAppRead, sc) {
		a.fail(c, forbidden(PermAppRead))
		return
	}
	c.JSON(http.StatusOK, a.deploymentDetail(c.Request.Context(), d, app, true))
}

type promoteRequest struct {
	Environment string `json:"environment"`
}

// deploymentAction runs approve, abort, rollback, redeploy or promote on a
// deployment. Approving needs deployment.approve (and not being its
// requester); the others need app.deploy.
func (a *API) deploymentAction(c *gin.Context) {
	ctx := c.Request.Context()
	p := principalOf(c)
	action := c.Param("action")
	d, app, sc, ok := a.deploymentParam(c)
	if !ok {
		return
	}
	id := d.ID
	need := PermAppDeploy
	if action == "approve" {
		need = PermDeploymentApprov
	}
	if !p.allows(need, sc) {
		a.fail(c, forbidden(need))
		return
	}
	conflict := func(msg string) { a.fail(c, &Error{Status: http.StatusConflict, Code: "conflict", Message: msg}) }
	var next *store.Deployment
	switch action {
	case "approve":
		if d.Status != "awaiting_approval" {
			conflict(fmt.Sprintf("deployment %d is %s, not awaiting approval", id, d.Status))
			return
		}
		if d.CreatedBy == p.user.Email {
			a.fail(c, &Error{Status: http.StatusForbidden, Code: "forbidden", Message: "you requested this deployment; someone else must approve it"})
			return
		}
		n, err := a.store.ApproveDeployment(ctx, id, p.user.ID)
		if err != nil {
			a.fail(c, err)
			return
		}
		a.event(ctx, app.OrgID, app.ID, "deployment.approved", p.user.Email, fmt.Sprintf("deployment %d approved (%d so far)", id, n))
	case "abort":
		switch d.Status {
		case "succeeded", "failed", "aborted":
			conflict(fmt.Sprintf("deployment %d already ended (%s)", id, d.Status))
			return
		}
		// Compare-and-set: a running deployer's next step sees the change
		// and stops there.
		if err := a.store.TransitionDeployment(ctx, id, d.Status, "aborted", store.TransitionUpdate{
			Detail: "aborted by " + p.user.Email, Finished: true}); err != nil {
			a.fail(c, err)
			return
		}
		a.event(ctx, app.OrgID, app.ID, "deployment.aborted", p.user.Email, fmt.Sprintf("deployment %d aborted", id))
	case "redeploy", "rollback", "promote":
		src := d
		next = &store.Deployment{AppID: app.ID, EnvironmentID: d.EnvironmentID, Status: "pending", CreatedBy: p.user.Email}
		switch action {
		case "redeploy":
			next.Trigger = "manual"
		case "rollback":
			prev, err := a.store.ListDeployments(ctx, store.DeploymentFilter{EnvironmentID: d.EnvironmentID, Statuses: []string{"succeeded"}, BeforeID: d.ID, Limit: 1})
			if err != nil {
				a.fail(c, err)
				return
			}
			if len(prev) == 0 {
				conflict(fmt.Sprintf("no succeeded deployment before %d in this environment to roll back to", id))
				return
			}
			src, next.Trigger, next.RollbackOf = prev[0], "rollback", prev[0].ID
		case "promote":
			var req promoteRequest
			if err := bindJSON(c, &req); err != nil {
				a.fail(c, err)
				return
			}
			if d.Status != "succeeded" {
				conflict(fmt.Sprintf("only a succeeded deployment can be promoted; %d is %s", id, d.Status))
				return
			}
			target, err := a.store.GetEnvironment(ctx, app.ID, req.Environment)
			if err != nil {
				a.fail(c, invalid("environment", "no environment %q", req.Environment))
				return
			}
			if target.ID == d.EnvironmentID {
				a.fail(c, invalid("environment", "deployment %d already runs in %s", id, req.Environment))
				return
			}
			next.EnvironmentID, next.Trigger = target.ID, "promotion"
		}
		next.CommitSHA, next.Image, next.ImageDigest, next.ManifestRaw = src.CommitSHA, src.Image, src.ImageDigest, src.ManifestRaw
		if action == "rollback" {
			next.Rendered = src.Rendered // re-applied exactly as it ran
		}
		if err := a.store.CreateDeployment(ctx, next, fmt.Sprintf("%s of deployment %d by %s", action, src.ID, p.user.Email)); err != nil {
			a.fail(c, err)
			return
		}
		a.event(ctx, app.OrgID, app.ID, "deployment.created", p.user.Email, fmt.Sprintf("%s: deployment %d from %d", action, next.ID, src.ID))
	default:
		a.fail(c, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no action " + strconv.Quote(action) + " (approve, abort, rollback, redeploy, promote)"})
		return
	}
	if a.opts.Deployments != nil {
		a.opts.Deployments.Wake()
	}
	if next == nil {
		var err error
		next, err = a.store.GetDeployment(ctx, id)
		if err != nil {
			a.fail(c, err)
			return
		}
	}
	c.JSON(http.StatusOK, a.deploymentDetail(ctx, next, app, false))
}
