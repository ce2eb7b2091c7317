package api

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/astrolift/astrolift/store"
)

// DefaultManagedServiceKinds are the kinds the built-in in-cluster
// provider runs (reconciler.InClusterKinds), accepted when
// Options.ManagedServiceKinds is empty.
var DefaultManagedServiceKinds = []string{"mysql", "postgres", "redis", "s3"}

// managedVariants are the sizes of a managed service (reconciler.ManagedVariants).
var managedVariants = []string{"small", "medium", "large"}

// managedNameRE: a named service's name, also its env prefix (NAME_).
var managedNameRE = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,28}[a-z0-9])?$`)

type managedServiceRequest struct {
	Environment string `json:"environment"`
	Kind        string `json:"kind"`
	// Name: "" for the environment's default service of its kind; a named
	// one's envelope keys start with NAME_.
	Name    string `json:"name"`
	Variant string `json:"variant"` // small (default), medium, large
}

type envelopeKeyDTO struct {
	Key   string `json:"key"`
	Value string `json:"value"` // always masked
}

type managedServiceDTO struct {
	ID          int64  `json:"id"`
	Environment string `json:"environment"`
	Kind        string `json:"kind"`
	Name        string `json:"name"`
	Variant     string `json:"variant"`
	// Status: pending, provisioning, active, failed or deprovisioning.
	Status      string `json:"status"`
	StatusError string `json:"status_error,omitempty"`
	// Envelope lists the connection keys injected into the app's workloads
	// once active (values masked).
	Envelope  []envelopeKeyDTO `json:"envelope"`
	CreatedBy string           `json:"created_by"`
	CreatedAt time.Time        `json:"created_at"`
	UpdatedAt time.Time        `json:"updated_at"`
}

func newManagedServiceDTO(m *store.ManagedService, env string) managedServiceDTO {
	keys := []envelopeKeyDTO{}
	for _, k := range m.EnvelopeKeys {
		keys = append(keys, envelopeKeyDTO{Key: k, Value: maskedValue})
	}
	return managedServiceDTO{ID: m.ID, Environment: env, Kind: m.Kind, Name: m.Name, Variant: m.Variant, Status: m.Status,
		StatusError: m.StatusError, Envelope: keys, CreatedBy: m.CreatedBy, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
}

func (a *API) managedKinds() []string {
	if len(a.opts.ManagedServiceKinds) > 0 {
		return a.opts.ManagedServiceKinds
	}
	return DefaultManagedServiceKinds
}

// environmentNames maps the app's environments' ids to their names.
func (a *API) environmentNames(c *gin.Context, app *store.App) (map[int64]string, error) {
	envs, err := a.store.ListEnvironments(c.Request.Context(), app.ID)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(envs))
	for _, e := range envs {
		out[e.ID] = e.Name
	}
	return out, nil
}

// listManagedServices lists the app's live managed services (those being
// deprovisioned included), ?environment narrowing to one.
func (a *API) listManagedServices(c *gin.Context) {
	app := c.MustGet("app").(*store.App)
	names, err := a.environmentNames(c, app)
	if err != nil {
		a.fail(c, err)
		return
	}
	f := store.ManagedServiceFilter{AppID: app.ID}
	if only := c.Query("environment"); only != "" {
		e, err := a.store.GetEnvironment(c.Request.Context(), app.ID, only)
		if err != nil {
			a.fail(c, err)
			return
		}
		f.EnvironmentID = e.ID
	}
	svcs, err := a.store.ListManagedServices(c.Request.Context(), f)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := make([]managedServiceDTO, len(svcs))
	for i, m := range svcs {
		out[i] = newManagedServiceDTO(m, names[m.EnvironmentID])
	}
	c.JSON(http.StatusOK, Page[managedServiceDTO]{Items: out})
}

// createManagedService records a managed service as pending; the
// reconciler's loop provisions it.
func (a *API) createManagedService(c *gin.Context) {
	app := c.MustGet("app").(*store.App)
	var req managedServiceRequest
	if err := bindJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	if req.Environment == "" {
		a.fail(c, invalid("environment", "environment is required (the environment the service runs for)"))
		return
	}
	e, err := a.store.GetEnvironment(ctx, app.ID, req.Environment)
	if err != nil {
		a.fail(c, invalid("environment", "app %s has no environment %q", app.Slug, req.Environment))
		return
	}
	req.Kind = strings.ToLower(strings.TrimSpace(req.Kind))
	if kinds := a.managedKinds(); !slices.Contains(kinds, req.Kind) {
		what := fmt.Sprintf("kind %q", req.Kind)
		if req.Kind == "" {
			what = "kind is required:"
		} else {
			what += " has no provider in the cluster of environment " + e.Name + ":"
		}
		a.fail(c, &Error{Status: http.StatusUnprocessableEntity, Code: "unsupported_kind", Field: "kind",
			Message: fmt.Sprintf("%s supported kinds are %s", what, strings.Join(kinds, ", "))})
		return
	}
	if req.Name != "" && !managedNameRE.MatchString(req.Name) {
		a.fail(c, invalid("name", "name %q: lowercase letters, digits and dashes, starting with a letter, at most 30 (empty for the default service)", req.Name))
		return
	}
	if req.Variant == "" {
		req.Variant = "small"
	}
	if !slices.Contains(managedVariants, req.Variant) {
		a.fail(c, invalid("variant", "variant %q: want one of %s", req.Variant, strings.Join(managedVariants, ", ")))
		return
	}
	p := principalOf(c)
	m := &store.ManagedService{OrgID: app.OrgID, AppID: app.ID, EnvironmentID: e.ID, Kind: req.Kind, Name: req.Name,
		Variant: req.Variant, CreatedBy: p.user.Email}
	if err := a.store.CreateManagedService(ctx, m); err != nil {
		a.fail(c, err)
		return
	}
	a.event(ctx, app.OrgID, app.ID, "managed_service.created", p.user.Email,
		fmt.Sprintf("managed service %s requested for %s (%s)", managedLabel(m), e.Name, m.Variant))
	c.JSON(http.StatusAccepted, newManagedServiceDTO(m, e.Name))
}

func managedLabel(m *store.ManagedService) string {
	if m.Name == "" {
		return m.Kind
	}
	return m.Kind + " " + m.Name
}

// managedServiceOf loads the route's :id managed service of the app.
func (a *API) managedServiceOf(c *gin.Context) (*store.ManagedService, bool) {
	app := c.MustGet("app").(*store.App)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		a.fail(c, invalid("id", "managed service id must be a number"))
		return nil, false
	}
	m, err := a.store.GetManagedService(c.Request.Context(), id)
	if err == nil && m.AppID != app.ID {
		err = fmt.Errorf("managed service %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		a.fail(c, err)
		return nil, false
	}
	return m, true
}

func (a *API) getManagedService(c *gin.Context) {
	m, ok := a.managedServiceOf(c)
	if !ok {
		return
	}
	names, err := a.environmentNames(c, c.MustGet("app").(*store.App))
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newManagedServiceDTO(m, names[m.EnvironmentID]))
}

// deleteManagedService marks the service deprovisioning: the loop tears
// it down, then it disappears from the lists (soft delete).
func (a *API) deleteManagedService(c *gin.Context) {
	m, ok := a.managedServiceOf(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	if err := a.store.DeprovisionManagedService(ctx, m.ID); err != nil {
		a.fail(c, err)
		return
	}
	app := c.MustGet("app").(*store.App)
	a.event(ctx, app.OrgID, app.ID, "managed_service.deprovisioning", principalOf(c).user.Email,
		fmt.Sprintf("managed service %s: deprovisioning (its data is deleted)", managedLabel(m)))
	names, err := a.environmentNames(c, app)
	if err != nil {
		a.fail(c, err)
		return
	}
	m.Status, m.StatusError = "deprovisioning", ""
	c.JSON(http.StatusAccepted, newManagedServiceDTO(m, names[m.EnvironmentID]))
}
