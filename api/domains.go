package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/astrolift/astrolift/render"
	"github.com/astrolift/astrolift/store"
)

// DomainChecker checks a custom domain's TXT challenge now and stores the
// outcome (the reconciler's DomainChecker).
type DomainChecker interface {
	Check(ctx context.Context, d *store.Domain) (*store.Domain, error)
}

// The challenge a custom domain is proven with (reconciler.ChallengeRecord
// and ChallengeValue spell the same).
const (
	challengePrefix      = "_astrolift-challenge."
	challengeValuePrefix = "astrolift-verify="
)

type domainRequest struct {
	Hostname string `json:"hostname"`
	// Environment is the environment that serves the hostname; default the
	// app's first environment.
	Environment string `json:"environment"`
}

type domainDTO struct {
	ID          int64  `json:"id"`
	Hostname    string `json:"hostname"`
	Environment string `json:"environment"`
	State       string `json:"state"` // pending | validated | failed
	// RecordName and RecordValue are the TXT record to create.
	RecordName    string     `json:"record_name"`
	RecordValue   string     `json:"record_value"`
	LastCheckedAt *time.Time `json:"last_checked_at"`
	Error         string     `json:"error,omitempty"`
	NextCheckAt   *time.Time `json:"next_check_at"`
	Attempts      int        `json:"attempts"`
	CreatedBy     string     `json:"created_by"`
	CreatedAt     time.Time  `json:"created_at"`
}

func newDomainDTO(d *store.Domain, env string) domainDTO {
	return domainDTO{ID: d.ID, Hostname: d.Hostname, Environment: env, State: d.State,
		RecordName: challengePrefix + d.Hostname, RecordValue: challengeValuePrefix + d.ChallengeToken,
		LastCheckedAt: d.LastCheckedAt, Error: d.CheckError, NextCheckAt: d.NextCheckAt, Attempts: d.Attempts,
		CreatedBy: d.CreatedBy, CreatedAt: d.CreatedAt}
}

// validHostname lower-cases and checks a custom hostname: a DNS name of at
// least two labels, no wildcard, not under the platform domain.
func validHostname(raw, platform string) (string, error) {
	h := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(raw)), ".")
	if h == "" {
		return "", invalid("hostname", "hostname is required")
	}
	if strings.Contains(h, "*") {
		return "", invalid("hostname", "hostname %q: wildcard domains are not supported", h)
	}
	if msgs := validation.IsDNS1123Subdomain(h); len(msgs) > 0 {
		return "", invalid("hostname", "hostname %q is not a DNS name: %s", h, msgs[0])
	}
	labels := strings.Split(h, ".")
	if len(labels) < 2 {
		return "", invalid("hostname", "hostname %q needs at least two labels (shop.example.com)", h)
	}
	for _, l := range labels {
		if len(l) > 63 {
			return "", invalid("hostname", "hostname %q: label %q is longer than 63 characters", h, l)
		}
	}
	if platform == "" {
		platform = render.DefaultDomain
	}
	for _, p := range []string{strings.ToLower(platform), render.DefaultDomain} {
		if h == p || strings.HasSuffix(h, "."+p) {
			return "", invalid("hostname", "hostname %q is under the platform domain %s, which serves apps already", h, p)
		}
	}
	return h, nil
}

// envNames maps an app's environment ids to names.
func (a *API) envNames(ctx context.Context, app *store.App) (map[int64]string, []*store.Environment, error) {
	envs, err := a.store.ListEnvironments(ctx, app.ID)
	if err != nil {
		return nil, nil, err
	}
	names := make(map[int64]string, len(envs))
	for _, e := range envs {
		names[e.ID] = e.Name
	}
	return names, envs, nil
}

func (a *API) listDomains(c *gin.Context) {
	ctx, app := c.Request.Context(), appOf(c)
	ds, err := a.store.ListDomains(ctx, app.ID)
	if err != nil {
		a.fail(c, err)
		return
	}
	names, _, err := a.envNames(ctx, app)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := make([]domainDTO, len(ds))
	for i, d := range ds {
		out[i] = newDomainDTO(d, names[d.EnvironmentID])
	}
	c.JSON(http.StatusOK, Page[domainDTO]{Items: out})
}

// createDomain binds a hostname to an environment of the app and answers
// with the TXT challenge to create; the domain checker validates it.
func (a *API) createDomain(c *gin.Context) {
	var req domainRequest
	if err := bindJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	host, err := validHostname(req.Hostname, a.opts.PlatformDomain)
	if err != nil {
		a.fail(c, err)
		return
	}
	ctx, app, p := c.Request.Context(), appOf(c), principalOf(c)
	_, envs, err := a.envNames(ctx, app)
	if err != nil {
		a.fail(c, err)
		return
	}
	var env *store.Environment
	for _, e := range envs {
		if req.Environment == "" || e.Name == req.Environment {
			env = e
			break
		}
	}
	if env == nil {
		if req.Environment == "" {
			a.fail(c, invalid("environment", "app %s has no environment to serve %s; add one first", app.Slug, host))
		} else {
			a.fail(c, invalid("environment", "app %s has no environment %q", app.Slug, req.Environment))
		}
		return
	}
	token := make([]byte, 16)
	_, _ = rand.Read(token)
	d := &store.Domain{OrgID: app.OrgID, AppID: app.ID, EnvironmentID: env.ID, Hostname: host,
		ChallengeToken: hex.EncodeToString(token), CreatedBy: p.user.Email}
	if err := a.store.CreateDomain(ctx, d); err != nil {
		if errors.Is(err, store.ErrConflict) {
			a.fail(c, &Error{Status: http.StatusConflict, Code: "conflict", Field: "hostname",
				Message: fmt.Sprintf("hostname %s is already bound to an app; remove that binding first", host)})
			return
		}
		a.fail(c, err)
		return
	}
	a.event(ctx, app.OrgID, app.ID, "domain.added", p.user.Email,
		fmt.Sprintf("custom domain %s added to %s (pending its TXT record %s)", host, env.Name, challengePrefix+host))
	c.JSON(http.StatusCreated, newDomainDTO(d, env.Name))
}

// domainOf loads the :id domain of the :slug app.
func (a *API) domainOf(c *gin.Context) (*store.Domain, string, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		a.fail(c, invalid("id", "domain id must be a number"))
		return nil, "", false
	}
	ctx, app := c.Request.Context(), appOf(c)
	d, err := a.store.GetDomain(ctx, id)
	if err == nil && d.AppID != app.ID {
		err = fmt.Errorf("domain %d: %w", id, store.ErrNotFound)
	}
	var names map[int64]string
	if err == nil {
		names, _, err = a.envNames(ctx, app)
	}
	if err != nil {
		a.fail(c, err)
		return nil, "", false
	}
	return d, names[d.EnvironmentID], true
}

func (a *API) getDomain(c *gin.Context) {
	if d, env, ok := a.domainOf(c); ok {
		c.JSON(http.StatusOK, newDomainDTO(d, env))
	}
}

// recheckDomain checks the domain's TXT record now.
func (a *API) recheckDomain(c *gin.Context) {
	d, env, ok := a.domainOf(c)
	if !ok {
		return
	}
	if a.opts.Domains == nil {
		a.fail(c, &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "domain checks are not running on this server"})
		return
	}
	ctx := c.Request.Context()
	before := d.State
	d, err := a.opts.Domains.Check(ctx, d)
	if err != nil {
		a.fail(c, err)
		return
	}
	if before != d.State && d.State == store.DomainValidated {
		a.event(ctx, d.OrgID, d.AppID, "domain.validated", principalOf(c).user.Email,
			fmt.Sprintf("custom domain %s validated; the next deployment of %s serves it", d.Hostname, env))
	}
	c.JSON(http.StatusOK, newDomainDTO(d, env))
}

// deleteDomain removes the binding (soft): the hostname may be bound again,
// and the next deployment stops serving it.
func (a *API) deleteDomain(c *gin.Context) {
	d, env, ok := a.domainOf(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	if err := a.store.DeleteDomain(ctx, d.ID); err != nil {
		a.fail(c, err)
		return
	}
	a.event(ctx, d.OrgID, d.AppID, "domain.removed", principalOf(c).user.Email,
		fmt.Sprintf("custom domain %s removed from %s (soft; served until the next deployment)", d.Hostname, env))
	c.Status(http.StatusNoContent)
}

func appOf(c *gin.Context) *store.App { return c.MustGet("app").(*store.App) }
