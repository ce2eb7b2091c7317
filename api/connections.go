package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/astrolift/astrolift/scm/git"
	"github.com/astrolift/astrolift/store"
)

// Sealer seals values with the master key.
type Sealer interface {
	Seal(purpose string, plaintext []byte) []byte
}

type connectionRequest struct {
	Kind          string `json:"kind"` // github | gitlab | gitea | bitbucket | generic
	Name          string `json:"name"`
	BaseURL       string `json:"base_url"`
	Token         string `json:"token"`
	Username      string `json:"username"`
	Password      string `json:"password"`
	SSHPrivateKey string `json:"ssh_private_key"`
	WebhookSecret string `json:"webhook_secret"` // generated when empty
}

type connectionDTO struct {
	ID             int64     `json:"id"`
	Kind           string    `json:"kind"`
	Name           string    `json:"name"`
	BaseURL        string    `json:"base_url,omitempty"`
	HasCredentials bool      `json:"has_credentials"`
	WebhookPath    string    `json:"webhook_path"` // POST deliveries here
	CreatedAt      time.Time `json:"created_at"`
	// What the last test of the credentials found (kinds with a host API).
	Account   string     `json:"account,omitempty"`
	CanWrite  bool       `json:"can_write"`
	TestedAt  *time.Time `json:"tested_at"`
	TestError string     `json:"test_error,omitempty"`
}

type createConnectionResponse struct {
	connectionDTO
	// WebhookSecret is shown once; configure it on the host's webhook.
	WebhookSecret string `json:"webhook_secret"`
}

func newConnectionDTO(c *store.SCMConnection) connectionDTO {
	kind := c.Kind
	return connectionDTO{ID: c.ID, Kind: c.Kind, Name: c.Name, BaseURL: c.BaseURL, HasCredentials: len(c.CredentialsSealed) > 0,
		WebhookPath: "/api/v1/hooks/" + kind + "/" + strconv.FormatInt(c.ID, 10), CreatedAt: c.CreatedAt,
		Account: c.Test.Account, CanWrite: c.Test.CanWrite, TestedAt: c.Test.At, TestError: c.Test.Error}
}

var connectionKinds = []string{"github", "gitlab", "gitea", "bitbucket", "generic"}

// createConnection stores an SCM connection: its credentials and webhook
// secret are sealed with the master key; the secret is returned once. A
// connection to a host with an API is tested first: credentials the host
// refuses are not stored.
func (a *API) createConnection(c *gin.Context) {
	var req connectionRequest
	if err := bindJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	sealer, ok := a.opts.Secrets.(Sealer)
	if a.opts.Secrets == nil || !ok {
		a.fail(c, &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "SCM connections need the master key (ASTROLIFT_MASTER_KEY)"})
		return
	}
	if err := oneOfField("kind", req.Kind, connectionKinds); err != nil {
		a.fail(c, err)
		return
	}
	if err := slugField("name", req.Name, 40); err != nil {
		a.fail(c, err)
		return
	}
	if req.BaseURL != "" {
		if u, err := url.Parse(req.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			a.fail(c, invalid("base_url", "base_url %q must be an http(s) URL", req.BaseURL))
			return
		}
	}
	p := principalOf(c)
	conn := &store.SCMConnection{OrgID: p.user.OrgID, Kind: req.Kind, Name: req.Name, BaseURL: strings.TrimRight(req.BaseURL, "/")}
	creds := git.Credentials{Token: req.Token, Username: req.Username, Password: req.Password, SSHPrivateKey: []byte(req.SSHPrivateKey)}
	if req.Token != "" || req.Password != "" || req.SSHPrivateKey != "" {
		raw, _ := json.Marshal(creds)
		conn.CredentialsSealed = sealer.Seal(git.SealPurpose, raw)
	}
	secret := req.WebhookSecret
	if secret == "" {
		secret = newSecret()
	}
	conn.WebhookSecretSealed = sealer.Seal(PurposeWebhookSecret, []byte(secret))
	if req.Kind != "generic" && a.opts.SCM != nil {
		if _, err := a.checkConnection(c.Request.Context(), conn); err != nil {
			var e *Error
			if errors.As(err, &e) && strings.HasPrefix(e.Code, "scm_") && e.Code != "scm_rate_limited" {
				e.Status, e.Field = http.StatusUnprocessableEntity, "token"
				if e.Code != "scm_unauthorized" && e.Code != "scm_forbidden" {
					e.Field = "base_url"
				}
				e.Message = "the host refused the connection, nothing was stored: " + e.Message
			}
			a.fail(c, err)
			return
		}
	}
	if err := a.store.CreateSCMConnection(c.Request.Context(), conn); err != nil {
		a.fail(c, err)
		return
	}
	if conn.Test.At != nil {
		if err := a.store.RecordConnectionTest(c.Request.Context(), conn.ID, conn.Test); err != nil {
			a.fail(c, err)
			return
		}
	}
	a.event(c.Request.Context(), conn.OrgID, 0, "scm_connection.created", p.user.Email, req.Kind+" connection "+conn.Name+" created")
	c.JSON(http.StatusCreated, createConnectionResponse{connectionDTO: newConnectionDTO(conn), WebhookSecret: secret})
}

func (a *API) listConnections(c *gin.Context) {
	cs, err := a.store.ListSCMConnections(c.Request.Context(), principalOf(c).user.OrgID)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := make([]connectionDTO, len(cs))
	for i, conn := range cs {
		out[i] = newConnectionDTO(conn)
	}
	respondPageOf(a, c, out, func(d connectionDTO) string { return d.Name })
}

func (a *API) deleteConnection(c *gin.Context) {
	ctx := c.Request.Context()
	p := principalOf(c)
	conn, err := a.connectionOf(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	if err := a.store.DeleteSCMConnection(ctx, conn.ID); err != nil {
		a.fail(c, err)
		return
	}
	a.event(ctx, conn.OrgID, 0, "scm_connection.deleted", p.user.Email, "connection "+conn.Name+" deleted (soft)")
	c.Status(http.StatusNoContent)
}
