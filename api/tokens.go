package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/astrolift/astrolift/store"
)

// Deploy token scopes.
const (
	DeployScopeDeploy = "deploy" // POST /api/v1/apps/:slug/deploy
	DeployScopeRead   = "read"   // the app, its deployments
)

// deployTokenRoutes are the only routes a deploy token may call (on its
// own app); every other route answers 403.
var deployTokenRoutes = map[string]bool{
	"POST /api/v1/apps/:slug/deploy": true,
	"GET /api/v1/apps/:slug":         true,
	"GET /api/v1/deployments":        true,
	"GET /api/v1/deployments/:id":    true,
}

var errDeployTokenRoute = &Error{Status: http.StatusForbidden, Code: "forbidden",
	Message: "a deploy token may only deploy its app and read the app and its deployments"}

// IssueDeployToken creates a deploy token for an app and returns its
// secret, which is not stored anywhere (only its hash and last four
// characters). A zero expiry means store.DefaultDeployTokenTTL.
func IssueDeployToken(ctx context.Context, s *store.Store, t *store.DeployToken) (string, error) {
	secret := DeployTokenPrefix + newSecret()
	t.Last4 = secret[len(secret)-4:]
	if err := s.CreateDeployToken(ctx, hashSecret(secret), t); err != nil {
		return "", err
	}
	return secret, nil
}

// authenticateDeployToken authenticates a request carrying a deploy token
// (Bearer aldt_…) as the token's principal.
func (a *API) authenticateDeployToken(c *gin.Context, raw string) {
	ctx := c.Request.Context()
	tok, err := a.store.UseDeployToken(ctx, hashSecret(raw))
	if err != nil {
		a.failAuth(c, err)
		return
	}
	app, err := a.store.GetAppByID(ctx, tok.AppID)
	if err != nil { // a deleted app's tokens stop working
		a.failAuth(c, err)
		return
	}
	u := &store.User{OrgID: app.OrgID, Email: "token:" + tok.Name, Name: tok.Name}
	c.Set(principalKey, &principal{grants: &grants{user: u}, deployToken: tok})
	c.Next()
}

type deployTokenDTO struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Last4     string    `json:"last4"`
	Scopes    []string  `json:"scopes"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// PreviousValidUntil: after a rotation, the old secret works until then
	// (it stays listed once past).
	PreviousValidUntil *time.Time `json:"previous_valid_until,omitempty"`
	LastUsedAt         *time.Time `json:"last_used_at,omitempty"`
}

func newDeployTokenDTO(t *store.DeployToken) deployTokenDTO {
	out := deployTokenDTO{ID: t.ID, Name: t.Name, Last4: t.Last4, Scopes: t.Scopes, CreatedBy: t.CreatedBy,
		CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt, PreviousValidUntil: t.PreviousValidUntil}
	if out.Scopes == nil {
		out.Scopes = []string{}
	}
	return out
}

type createDeployTokenRequest struct {
	Name string `json:"name"`
	// Scopes: deploy and/or read, as a list or a comma-separated string
	// ("deploy,read"); default both.
	Scopes scopeList `json:"scopes" openapi:"string"`
	// ExpiresInDays: default 365, at most 3650.
	ExpiresInDays *int `json:"expires_in_days"`
}

// scopeList is a JSON list of scopes or one comma-separated string.
type scopeList []string

// UnmarshalJSON accepts ["deploy","read"] and "deploy,read".
func (s *scopeList) UnmarshalJSON(b []byte) error {
	var list []string
	if err := json.Unmarshal(b, &list); err == nil {
		*s = list
		return nil
	}
	var csv string
	if err := json.Unmarshal(b, &csv); err != nil {
		return fmt.Errorf("scopes: want a list or a comma-separated string: %w", err)
	}
	out := scopeList{}
	for _, part := range strings.Split(csv, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	*s = out
	return nil
}

type createDeployTokenResponse struct {
	deployTokenDTO
	// Token is the secret (aldt_…), shown once.
	Token string `json:"token"`
}

func (a *API) listDeployTokens(c *gin.Context) {
	app := c.MustGet("app").(*store.App)
	ts, err := a.store.ListDeployTokens(c.Request.Context(), app.ID)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := make([]deployTokenDTO, len(ts))
	for i, t := range ts {
		out[i] = newDeployTokenDTO(t)
	}
	c.JSON(http.StatusOK, Page[deployTokenDTO]{Items: out})
}

func (a *API) createDeployToken(c *gin.Context) {
	var req createDeployTokenRequest
	if err := bindJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" || len(req.Name) > 100 {
		a.fail(c, invalid("name", "name is required (at most 100 characters)"))
		return
	}
	scopes := []string{DeployScopeDeploy, DeployScopeRead}
	if req.Scopes != nil {
		scopes = nil
		for _, s := range req.Scopes {
			if s != DeployScopeDeploy && s != DeployScopeRead {
				a.fail(c, invalid("scopes", "unknown scope %q (deploy, read)", s))
				return
			}
			if !slices.Contains(scopes, s) {
				scopes = append(scopes, s)
			}
		}
		if len(scopes) == 0 {
			a.fail(c, invalid("scopes", "at least one scope is needed (deploy, read)"))
			return
		}
	}
	days := 365
	if req.ExpiresInDays != nil {
		days = *req.ExpiresInDays
	}
	if days < 1 || days > 3650 {
		a.fail(c, invalid("expires_in_days", "expires_in_days must be between 1 and 3650"))
		return
	}
	ctx := c.Request.Context()
	app := c.MustGet("app").(*store.App)
	p := principalOf(c)
	t := &store.DeployToken{AppID: app.ID, Name: req.Name, Scopes: scopes, CreatedBy: p.user.Email,
		ExpiresAt: a.now().Add(time.Duration(days) * 24 * time.Hour)}
	secret, err := IssueDeployToken(ctx, a.store, t)
	if errors.Is(err, store.ErrConflict) {
		a.fail(c, &Error{Status: http.StatusConflict, Code: "conflict", Field: "name", Message: fmt.Sprintf("the app already has a deploy token named %q", req.Name)})
		return
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	a.event(ctx, app.OrgID, app.ID, "deploy_token.created", p.user.Email, "deploy token "+strconv.Quote(t.Name)+" created")
	c.JSON(http.StatusCreated, createDeployTokenResponse{deployTokenDTO: newDeployTokenDTO(t), Token: secret})
}

func (a *API) rotateDeployToken(c *gin.Context) {
	id, ok := a.deployTokenID(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	app := c.MustGet("app").(*store.App)
	secret := DeployTokenPrefix + newSecret()
	t, err := a.store.RotateDeployToken(ctx, app.ID, id, hashSecret(secret), secret[len(secret)-4:])
	if err != nil {
		a.fail(c, err)
		return
	}
	a.event(ctx, app.OrgID, app.ID, "deploy_token.rotated", principalOf(c).user.Email,
		"deploy token "+strconv.Quote(t.Name)+" rotated; the previous secret works for 24 h")
	c.JSON(http.StatusOK, createDeployTokenResponse{deployTokenDTO: newDeployTokenDTO(t), Token: secret})
}

func (a *API) revokeDeployToken(c *gin.Context) {
	id, ok := a.deployTokenID(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	app := c.MustGet("app").(*store.App)
	if err := a.store.RevokeDeployToken(ctx, app.ID, id); err != nil {
		a.fail(c, err)
		return
	}
	a.event(ctx, app.OrgID, app.ID, "deploy_token.revoked", principalOf(c).user.Email, fmt.Sprintf("deploy token %d revoked", id))
	c.Status(http.StatusNoContent)
}

func (a *API) deployTokenID(c *gin.Context) (int64, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		a.fail(c, invalid("id", "token id must be a number"))
		return 0, false
	}
	return id, true
}
