package api

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/astrolift/astrolift/scm/webhook"
	"github.com/astrolift/astrolift/store"
)

// Poller is asked for immediate checks by webhooks and the dashboard.
type Poller interface {
	// Trigger checks a repository's branch now and reports how many
	// tracked repositories matched.
	Trigger(url, branch string) int
}

// SecretBox opens values sealed with the master key.
type SecretBox interface {
	Open(purpose string, sealed []byte) ([]byte, error)
}

// PurposeWebhookSecret is the secretbox purpose of SCM connections'
// webhook secrets.
const PurposeWebhookSecret = "scm-webhook-secret"

type hookResponse struct {
	Branch string   `json:"branch"`
	After  string   `json:"after,omitempty"`
	Apps   []string `json:"apps"` // slugs whose repository and branch matched
}

// hook receives a push webhook for an SCM connection: it verifies the
// host's signature with the connection's secret, refuses replayed
// deliveries, and asks the poller to check the matching apps' repository
// at once. The signature is the authentication; there is no session.
func (a *API) hook(c *gin.Context) {
	ctx := c.Request.Context()
	kind := c.Param("kind")
	id, err := strconv.ParseInt(c.Param("connection"), 10, 64)
	if err != nil {
		a.fail(c, invalid("connection", "connection must be a connection id"))
		return
	}
	if a.opts.Secrets == nil || a.opts.Poller == nil {
		a.fail(c, &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "webhooks need the master key and the poller"})
		return
	}
	conn, err := a.store.GetSCMConnection(ctx, id)
	if err != nil {
		a.fail(c, err)
		return
	}
	if kind != webhook.Generic && kind != conn.Kind {
		a.fail(c, invalid("kind", "connection %d is a %s connection, not %s", id, conn.Kind, kind))
		return
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		a.fail(c, err)
		return
	}
	var secret []byte
	if len(conn.WebhookSecretSealed) > 0 {
		if secret, err = a.opts.Secrets.Open(PurposeWebhookSecret, conn.WebhookSecretSealed); err != nil {
			a.fail(c, err)
			return
		}
	}
	push, err := webhook.Verify(kind, secret, c.Request.Header, body, a.now())
	switch {
	case errors.Is(err, webhook.ErrSignature), errors.Is(err, webhook.ErrStale):
		a.fail(c, &Error{Status: http.StatusUnauthorized, Code: "bad_signature", Message: err.Error()})
		return
	case errors.Is(err, webhook.ErrNotPush):
		c.JSON(http.StatusAccepted, hookResponse{Apps: []string{}}) // pings and other events: nothing to do
		return
	case err != nil:
		a.fail(c, invalid("body", "%v", err))
		return
	}
	if push.Delivery != "" {
		if err := a.store.RecordDelivery(ctx, conn.ID, push.Delivery); err != nil {
			a.fail(c, err) // a replay is 409
			return
		}
	}
	out := hookResponse{Branch: push.Branch, After: push.After, Apps: []string{}}
	if push.Branch == "" {
		c.JSON(http.StatusAccepted, out) // a tag
		return
	}
	apps, err := a.store.ListApps(ctx, store.AppFilter{OrgID: conn.OrgID, Limit: 500})
	if err != nil {
		a.fail(c, err)
		return
	}
	triggered := map[string]bool{}
	for _, app := range apps {
		if app.DeployBranch != push.Branch || !matchesAny(app.SourceURL, push.Repos) {
			continue
		}
		out.Apps = append(out.Apps, app.Slug)
		if !triggered[app.SourceURL] {
			triggered[app.SourceURL] = true
			a.opts.Poller.Trigger(app.SourceURL, push.Branch)
		}
	}
	c.JSON(http.StatusAccepted, out)
}

func matchesAny(url string, repos []string) bool {
	for _, r := range repos {
		if webhook.SameRepo(url, r) {
			return true
		}
	}
	return false
}

// refresh asks the poller to check an app's repository now (the
// dashboard's refresh button).
func (a *API) refresh(c *gin.Context) {
	app := c.MustGet("app").(*store.App)
	if a.opts.Poller == nil {
		a.fail(c, &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "this server runs no poller"})
		return
	}
	a.opts.Poller.Trigger(app.SourceURL, app.DeployBranch)
	c.Status(http.StatusAccepted)
}
