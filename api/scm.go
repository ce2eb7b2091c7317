package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/astrolift/astrolift/scm"
	"github.com/astrolift/astrolift/scm/git"
	"github.com/astrolift/astrolift/store"
)

// scmTimeout bounds one conversation with a git host's API.
const scmTimeout = 30 * time.Second

// provider returns the API client of a connection, with its credentials
// opened from their sealed form.
func (a *API) provider(conn *store.SCMConnection) (scm.Provider, error) {
	if a.opts.SCM == nil {
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "this server talks to no git host APIs"}
	}
	if conn.Kind == "generic" {
		return nil, &Error{Status: http.StatusConflict, Code: "no_api",
			Message: "connection " + conn.Name + " is generic: it receives webhooks but has no host API"}
	}
	o := scm.Options{BaseURL: conn.BaseURL}
	if len(conn.CredentialsSealed) > 0 {
		if a.opts.Secrets == nil {
			return nil, &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "SCM connections need the master key (ASTROLIFT_MASTER_KEY)"}
		}
		raw, err := a.opts.Secrets.Open(git.SealPurpose, conn.CredentialsSealed)
		if err != nil {
			return nil, fmt.Errorf("scm connection %s: open credentials: %w", conn.Name, err)
		}
		var creds git.Credentials
		if err := json.Unmarshal(raw, &creds); err != nil {
			return nil, fmt.Errorf("scm connection %s: credentials: %w", conn.Name, err)
		}
		o.Token, o.Username, o.Password = creds.Token, creds.Username, creds.Password
	}
	p, err := a.opts.SCM(conn.Kind, o)
	if err != nil {
		return nil, invalid("base_url", "connection %s: %v", conn.Name, err)
	}
	return p, nil
}

// scmError turns a host's refusal into an answer that says which host and
// what to do; other errors pass through.
func scmError(conn *store.SCMConnection, err error) error {
	var rl *scm.RateLimitError
	status, code := http.StatusBadGateway, "scm_error"
	switch {
	case errors.As(err, &rl):
		status, code = http.StatusTooManyRequests, "scm_rate_limited"
	case errors.Is(err, scm.ErrUnauthorized):
		code = "scm_unauthorized"
	case errors.Is(err, scm.ErrForbidden):
		status, code = http.StatusForbidden, "scm_forbidden"
	case errors.Is(err, scm.ErrNotFound):
		status, code = http.StatusNotFound, "scm_not_found"
	case errors.Is(err, scm.ErrConflict):
		status, code = http.StatusConflict, "scm_conflict"
	}
	e := &Error{Status: status, Code: code, Message: "connection " + conn.Name + " (" + conn.Kind + "): " + err.Error()}
	if rl != nil {
		e.RetryAfter = rl.RetryAfter
	}
	return e
}

// connectionOf loads the caller's organization's connection named by :id.
func (a *API) connectionOf(c *gin.Context) (*store.SCMConnection, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return nil, invalid("id", "connection id must be a number")
	}
	conn, err := a.store.GetSCMConnection(c.Request.Context(), id)
	if err != nil || conn.OrgID != principalOf(c).user.OrgID {
		return nil, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "scm connection " + c.Param("id") + ": not found"}
	}
	return conn, nil
}

// checkConnection validates a connection's credentials with its host and
// records what it found.
func (a *API) checkConnection(ctx context.Context, conn *store.SCMConnection) (*scm.Account, error) {
	p, err := a.provider(conn)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, scmTimeout)
	defer cancel()
	acct, verr := p.Validate(ctx)
	now := a.now()
	t := store.ConnectionTest{At: &now}
	if verr != nil {
		t.Error = verr.Error()
	} else {
		t.Account, t.CanWrite = acct.Login, acct.CanWrite
	}
	conn.Test = t
	if conn.ID != 0 {
		if err := a.store.RecordConnectionTest(ctx, conn.ID, t); err != nil {
			return nil, err
		}
	}
	if verr != nil {
		return nil, scmError(conn, verr)
	}
	return acct, nil
}

type connectionTestResponse struct {
	connectionDTO
	Scopes []string `json:"scopes,omitempty"`
}

// testConnection checks a connection's credentials now.
func (a *API) testConnection(c *gin.Context) {
	conn, err := a.connectionOf(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	acct, err := a.checkConnection(c.Request.Context(), conn)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || !strings.HasPrefix(e.Code, "scm_") {
			a.fail(c, err)
			return
		}
		// The host refused: the answer is the recorded failure.
		c.JSON(http.StatusOK, connectionTestResponse{connectionDTO: newConnectionDTO(conn)})
		return
	}
	c.JSON(http.StatusOK, connectionTestResponse{connectionDTO: newConnectionDTO(conn), Scopes: acct.Scopes})
}

type repoListResponse struct {
	Items    []scm.Repo `json:"items"`
	NextPage int        `json:"next_page,omitempty"`
}

// listConnectionRepos lists the repositories a connection sees, for the
// registration form's repository picker (?q, ?page, ?per_page).
func (a *API) listConnectionRepos(c *gin.Context) {
	conn, err := a.connectionOf(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	opts := scm.ListOptions{Query: c.Query("q")}
	for field, dst := range map[string]*int{"page": &opts.Page, "per_page": &opts.PerPage} {
		if v := c.Query(field); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || (field == "per_page" && n > 100) {
				a.fail(c, invalid(field, "%s must be a number from 1%s", field, map[bool]string{true: " to 100", false: ""}[field == "per_page"]))
				return
			}
			*dst = n
		}
	}
	p, err := a.provider(conn)
	if err != nil {
		a.fail(c, err)
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), scmTimeout)
	defer cancel()
	page, err := p.ListRepos(ctx, opts)
	if err != nil {
		a.fail(c, scmError(conn, err))
		return
	}
	out := repoListResponse{Items: page.Repos, NextPage: page.NextPage}
	if out.Items == nil {
		out.Items = []scm.Repo{}
	}
	c.JSON(http.StatusOK, out)
}

// repoFullName derives a repository's full name on its host from a clone
// URL: the URL's path without ".git", less the path of a host installed
// under a sub-path (base URL https://example.com/gitea).
func repoFullName(cloneURL, baseURL string) string {
	p := cloneURL
	if i := strings.Index(p, "://"); i >= 0 {
		if u, err := url.Parse(cloneURL); err == nil {
			p = u.Path
		}
	} else if _, after, ok := strings.Cut(p, ":"); ok { // git@host:owner/name.git
		p = after
	}
	if b, err := url.Parse(baseURL); err == nil && b.Path != "" && b.Path != "/" {
		p = strings.TrimPrefix(p, strings.TrimSuffix(b.Path, "/"))
	}
	p = strings.TrimSuffix(strings.Trim(path.Clean("/"+p), "/"), ".git")
	return p
}

// hookURL is where the connection's webhooks deliver.
func (a *API) hookURL(conn *store.SCMConnection) string {
	return strings.TrimRight(a.opts.ExternalURL, "/") + newConnectionDTO(conn).WebhookPath
}

// registerHook registers the push webhook of a connection-backed app on
// its repository; a failure is an event on the app, not a failed
// registration (polling still finds pushes).
func (a *API) registerHook(ctx context.Context, app *store.App, conn *store.SCMConnection, p scm.Provider, actor string) {
	if a.opts.ExternalURL == "" || app.SCMRepo == "" {
		return
	}
	fail := func(err error) {
		a.event(ctx, app.OrgID, app.ID, "webhook.registration_failed", actor,
			"push webhook on "+app.SCMRepo+" not registered ("+err.Error()+"); the poller still checks every interval")
	}
	if a.opts.Secrets == nil || len(conn.WebhookSecretSealed) == 0 {
		fail(errors.New("the connection has no webhook secret"))
		return
	}
	secret, err := a.opts.Secrets.Open(PurposeWebhookSecret, conn.WebhookSecretSealed)
	if err != nil {
		fail(err)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, scmTimeout)
	defer cancel()
	id, err := p.CreateHook(ctx, app.SCMRepo, scm.Hook{URL: a.hookURL(conn), Secret: string(secret)})
	if err != nil {
		fail(err)
		return
	}
	if err := a.store.SetAppHook(ctx, app.ID, id); err != nil {
		fail(err)
		return
	}
	app.SCMHookID = id
	a.event(ctx, app.OrgID, app.ID, "webhook.registered", actor, "push webhook "+id+" registered on "+app.SCMRepo)
}

// removeHook deletes an app's webhook from its repository (one already
// gone is fine).
func (a *API) removeHook(ctx context.Context, app *store.App, actor string) {
	if app.SCMHookID == "" || app.SCMConnectionID == 0 {
		return
	}
	conn, err := a.store.GetSCMConnection(ctx, app.SCMConnectionID)
	if err != nil {
		return // the connection is gone, and with it the means to remove the hook
	}
	p, err := a.provider(conn)
	if err == nil {
		hctx, cancel := context.WithTimeout(ctx, scmTimeout)
		err = p.DeleteHook(hctx, app.SCMRepo, app.SCMHookID)
		cancel()
	}
	if err != nil && !errors.Is(err, scm.ErrNotFound) {
		a.event(ctx, app.OrgID, app.ID, "webhook.removal_failed", actor, "push webhook "+app.SCMHookID+" on "+app.SCMRepo+" not removed: "+err.Error())
		return
	}
	_ = a.store.SetAppHook(ctx, app.ID, "")
	a.event(ctx, app.OrgID, app.ID, "webhook.removed", actor, "push webhook "+app.SCMHookID+" removed from "+app.SCMRepo)
}
