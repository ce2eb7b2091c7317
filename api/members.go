package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/astrolift/astrolift/store"
)

// scopeName shows a binding's scope by slug.
func (a *API) scopeName(ctx context.Context, b *store.RoleBinding, teams map[int64]string) string {
	switch b.ScopeLevel {
	case store.ScopeTeam:
		return teams[b.ScopeID]
	case store.ScopeApp:
		if app, err := a.store.GetAppByID(ctx, b.ScopeID); err == nil {
			return app.Slug
		}
	}
	return ""
}

// bindingScope resolves the scope a binding applies to, for permission checks.
func (a *API) bindingScope(ctx context.Context, level string, id int64) (scope, error) {
	switch level {
	case store.ScopeTeam:
		return scope{teamID: id}, nil
	case store.ScopeApp:
		return a.appScope(ctx, id)
	}
	return scope{}, nil
}

func (a *API) appScope(ctx context.Context, appID int64) (scope, error) {
	app, err := a.store.GetAppByID(ctx, appID)
	if err != nil {
		return scope{}, err
	}
	pr, err := a.store.GetProjectByID(ctx, app.ProjectID)
	if err != nil {
		return scope{}, err
	}
	return scope{teamID: pr.TeamID, appID: app.ID}, nil
}

func (a *API) listMembers(c *gin.Context) {
	ctx := c.Request.Context()
	p := principalOf(c)
	bs, err := a.store.ListRoleBindings(ctx, store.BindingFilter{OrgID: p.user.OrgID})
	if err != nil {
		a.fail(c, err)
		return
	}
	users := map[int64]userDTO{}
	us, err := a.store.ListUsers(ctx, p.user.OrgID)
	if err != nil {
		a.fail(c, err)
		return
	}
	for _, u := range us {
		users[u.ID] = newUserDTO(u)
	}
	teams := a.teamSlugs(ctx, p.user.OrgID)
	out := make([]bindingDTO, 0, len(bs))
	for _, b := range bs {
		out = append(out, bindingDTO{ID: b.ID, User: users[b.UserID], Role: b.Role, ScopeLevel: b.ScopeLevel,
			Scope: a.scopeName(ctx, b, teams), GrantedAt: b.GrantedAt, ExpiresAt: b.ExpiresAt})
	}
	respondPageOf(a, c, out, func(b bindingDTO) string { return fmt.Sprintf("%020d", b.ID) })
}

type grantRequest struct {
	Email     string     `json:"email"`
	Role      string     `json:"role"`
	Scope     string     `json:"scope"` // team or app slug; empty for the organization
	ExpiresAt *time.Time `json:"expires_at"`
}

// grantRole binds a role; it needs members.manage at the role's scope.
func (a *API) grantRole(c *gin.Context) {
	var req grantRequest
	if err := bindJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	p := principalOf(c)
	role, ok := findRole(req.Role)
	if !ok {
		a.fail(c, invalid("role", "unknown role %q", req.Role))
		return
	}
	u, err := a.store.GetUserByEmail(ctx, req.Email)
	if err != nil || u.OrgID != p.user.OrgID {
		a.fail(c, invalid("email", "no user %q in this organization", req.Email))
		return
	}
	b := &store.RoleBinding{OrgID: p.user.OrgID, UserID: u.ID, Role: role.Name, ScopeLevel: role.ScopeLevel, GrantedBy: p.user.ID, ExpiresAt: req.ExpiresAt}
	switch role.ScopeLevel {
	case store.ScopeOrg:
		b.ScopeID = p.user.OrgID
	case store.ScopeTeam:
		t, err := a.store.GetTeam(ctx, p.user.OrgID, req.Scope)
		if err != nil {
			a.fail(c, invalid("scope", "role %s needs a team; no team %q", role.Name, req.Scope))
			return
		}
		b.ScopeID = t.ID
	case store.ScopeApp:
		app, err := a.store.GetApp(ctx, req.Scope)
		if err != nil || app.OrgID != p.user.OrgID {
			a.fail(c, invalid("scope", "role %s needs an app; no app %q", role.Name, req.Scope))
			return
		}
		b.ScopeID = app.ID
	}
	if req.ExpiresAt != nil && !req.ExpiresAt.After(a.now()) {
		a.fail(c, invalid("expires_at", "expires_at is in the past"))
		return
	}
	sc, err := a.bindingScope(ctx, b.ScopeLevel, b.ScopeID)
	if err != nil {
		a.fail(c, err)
		return
	}
	if !p.allows(PermMembersManage, sc) {
		a.fail(c, forbidden(PermMembersManage))
		return
	}
	if err := a.store.CreateRoleBinding(ctx, b); err != nil {
		a.fail(c, err)
		return
	}
	var appID int64
	if b.ScopeLevel == store.ScopeApp {
		appID = b.ScopeID
	}
	a.event(ctx, b.OrgID, appID, "member.granted", p.user.Email, "granted "+b.Role+" to "+u.Email)
	c.JSON(http.StatusCreated, bindingDTO{ID: b.ID, User: newUserDTO(u), Role: b.Role, ScopeLevel: b.ScopeLevel,
		Scope: a.scopeName(ctx, b, a.teamSlugs(ctx, b.OrgID)), GrantedAt: b.GrantedAt, ExpiresAt: b.ExpiresAt})
}

// revokeRole soft-deletes a binding; it needs members.manage at its scope.
func (a *API) revokeRole(c *gin.Context) {
	ctx := c.Request.Context()
	p := principalOf(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		a.fail(c, invalid("id", "binding id must be a number"))
		return
	}
	bs, err := a.store.ListRoleBindings(ctx, store.BindingFilter{OrgID: p.user.OrgID})
	if err != nil {
		a.fail(c, err)
		return
	}
	var b *store.RoleBinding
	for _, x := range bs {
		if x.ID == id {
			b = x
		}
	}
	if b == nil {
		a.fail(c, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "role binding " + c.Param("id") + ": not found"})
		return
	}
	sc, err := a.bindingScope(ctx, b.ScopeLevel, b.ScopeID)
	if err != nil {
		a.fail(c, err)
		return
	}
	if !p.allows(PermMembersManage, sc) {
		a.fail(c, forbidden(PermMembersManage))
		return
	}
	if err := a.store.DeleteRoleBinding(ctx, b.ID); err != nil {
		a.fail(c, err)
		return
	}
	a.event(ctx, b.OrgID, 0, "member.revoked", p.user.Email, "revoked "+b.Role+" from user "+strconv.FormatInt(b.UserID, 10))
	c.Status(http.StatusNoContent)
}
