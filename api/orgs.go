package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/astrolift/astrolift/store"
)

// event records a platform event; failing to record one never fails the
// action that caused it (it is logged).
func (a *API) event(ctx context.Context, orgID, appID int64, kind, actor, message string) {
	if err := a.store.AppendEvent(ctx, &store.Event{OrgID: orgID, AppID: appID, Kind: kind, Actor: actor, Message: message}); err != nil {
		a.log.Error("record event", "kind", kind, "error", err)
	}
}

type meResponse struct {
	User     userDTO      `json:"user"`
	Bindings []bindingDTO `json:"bindings"`
}

func (a *API) me(c *gin.Context) {
	p := principalOf(c)
	out := meResponse{User: newUserDTO(p.user), Bindings: []bindingDTO{}}
	teams := a.teamSlugs(c.Request.Context(), p.user.OrgID)
	for _, b := range p.bindings {
		out.Bindings = append(out.Bindings, bindingDTO{ID: b.ID, User: out.User, Role: b.Role, ScopeLevel: b.ScopeLevel,
			Scope: a.scopeName(c.Request.Context(), b, teams), GrantedAt: b.GrantedAt, ExpiresAt: b.ExpiresAt})
	}
	c.JSON(http.StatusOK, out)
}

type createTokenRequest struct {
	Name          string `json:"name"`
	ExpiresInDays *int   `json:"expires_in_days"` // default 90; 0 = never
}

type createTokenResponse struct {
	tokenDTO
	// Token is the secret, shown once.
	Token string `json:"token"`
}

func (a *API) createToken(c *gin.Context) {
	var req createTokenRequest
	if err := bindJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" || len(req.Name) > 100 {
		a.fail(c, invalid("name", "name is required (at most 100 characters)"))
		return
	}
	days := 90
	if req.ExpiresInDays != nil {
		days = *req.ExpiresInDays
	}
	if days < 0 || days > 3650 {
		a.fail(c, invalid("expires_in_days", "expires_in_days must be between 0 (never) and 3650"))
		return
	}
	p := principalOf(c)
	var expires *time.Time
	if days > 0 {
		exp := a.now().Add(time.Duration(days) * 24 * time.Hour)
		expires = &exp
	}
	secret, t, err := IssueAPIToken(c.Request.Context(), a.store, p.user.ID, req.Name, expires)
	if err != nil {
		a.fail(c, err)
		return
	}
	a.event(c.Request.Context(), p.user.OrgID, 0, "token.created", p.user.Email, "API token "+strconv.Quote(t.Name)+" created")
	c.JSON(http.StatusCreated, createTokenResponse{tokenDTO: newTokenDTO(t), Token: secret})
}

func (a *API) listTokens(c *gin.Context) {
	ts, err := a.store.ListAPITokens(c.Request.Context(), principalOf(c).user.ID)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := make([]tokenDTO, len(ts))
	for i, t := range ts {
		out[i] = newTokenDTO(t)
	}
	c.JSON(http.StatusOK, Page[tokenDTO]{Items: out})
}

func (a *API) deleteToken(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		a.fail(c, invalid("id", "token id must be a number"))
		return
	}
	if err := a.store.DeleteAPIToken(c.Request.Context(), principalOf(c).user.ID, id); err != nil {
		a.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// slugField validates a user-chosen slug: a DNS-1035 label (it prefixes
// Kubernetes object names, so it must start with a letter) of at most max
// characters.
func slugField(field, s string, maxLen int) error {
	if msgs := validation.IsDNS1035Label(s); len(msgs) > 0 {
		return invalid(field, "%s %q: %s", field, s, msgs[0])
	}
	if len(s) > maxLen {
		return invalid(field, "%s %q is longer than %d characters", field, s, maxLen)
	}
	return nil
}

type teamRequest struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

func (a *API) listTeams(c *gin.Context) {
	ts, err := a.store.ListTeams(c.Request.Context(), principalOf(c).user.OrgID)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := make([]teamDTO, len(ts))
	for i, t := range ts {
		out[i] = newTeamDTO(t)
	}
	respondPageOf(a, c, out, func(t teamDTO) string { return t.Slug })
}

func (a *API) createTeam(c *gin.Context) {
	var req teamRequest
	if err := bindJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	if err := nameAndSlug(&req.Name, &req.Slug); err != nil {
		a.fail(c, err)
		return
	}
	p := principalOf(c)
	t := &store.Team{OrgID: p.user.OrgID, Slug: req.Slug, Name: req.Name}
	if err := a.store.CreateTeam(c.Request.Context(), t); err != nil {
		a.fail(c, err)
		return
	}
	a.event(c.Request.Context(), t.OrgID, 0, "team.created", p.user.Email, "team "+t.Slug+" created")
	c.JSON(http.StatusCreated, newTeamDTO(t))
}

func (a *API) getTeam(c *gin.Context) {
	c.JSON(http.StatusOK, newTeamDTO(c.MustGet("team").(*store.Team)))
}

func (a *API) updateTeam(c *gin.Context) {
	var req teamRequest
	if err := bindJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	t := c.MustGet("team").(*store.Team)
	if req.Slug != "" && req.Slug != t.Slug {
		a.fail(c, invalid("slug", "a team's slug cannot change"))
		return
	}
	if strings.TrimSpace(req.Name) == "" {
		a.fail(c, invalid("name", "name is required"))
		return
	}
	t.Name = strings.TrimSpace(req.Name)
	if err := a.store.UpdateTeam(c.Request.Context(), t); err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newTeamDTO(t))
}

func (a *API) deleteTeam(c *gin.Context) {
	t := c.MustGet("team").(*store.Team)
	if err := a.store.DeleteTeam(c.Request.Context(), t.ID); err != nil {
		a.fail(c, err)
		return
	}
	a.event(c.Request.Context(), t.OrgID, 0, "team.deleted", principalOf(c).user.Email, "team "+t.Slug+" deleted")
	c.Status(http.StatusNoContent)
}

type projectRequest struct {
	Slug        string  `json:"slug"`
	Name        string  `json:"name"`
	Description *string `json:"description"`
	Team        *string `json:"team"` // team slug; "" for none
}

func newProjectDTO(p *store.Project, teams map[int64]string) projectDTO {
	return projectDTO{ID: p.ID, Slug: p.Slug, Name: p.Name, Description: p.Description, Team: teams[p.TeamID], CreatedAt: p.CreatedAt}
}

// teamSlugs maps the organization's team ids to slugs (one query, for
// showing teams by slug in lists).
func (a *API) teamSlugs(ctx context.Context, orgID int64) map[int64]string {
	out := map[int64]string{}
	if ts, err := a.store.ListTeams(ctx, orgID); err == nil {
		for _, t := range ts {
			out[t.ID] = t.Slug
		}
	}
	return out
}

func (a *API) listProjects(c *gin.Context) {
	ctx := c.Request.Context()
	ps, err := a.store.ListProjects(ctx, principalOf(c).user.OrgID)
	if err != nil {
		a.fail(c, err)
		return
	}
	teams := a.teamSlugs(ctx, principalOf(c).user.OrgID)
	out := make([]projectDTO, len(ps))
	for i, p := range ps {
		out[i] = newProjectDTO(p, teams)
	}
	respondPageOf(a, c, out, func(p projectDTO) string { return p.Slug })
}

func (a *API) resolveTeam(ctx context.Context, orgID int64, slug *string) (int64, error) {
	if slug == nil || *slug == "" {
		return 0, nil
	}
	t, err := a.store.GetTeam(ctx, orgID, *slug)
	if err != nil {
		return 0, invalid("team", "no team %q", *slug)
	}
	return t.ID, nil
}

// createProject needs projects.write on the organization, or on the team
// the project will belong to.
func (a *API) createProject(c *gin.Context) {
	var req projectRequest
	if err := bindJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	p := principalOf(c)
	teamID, err := a.resolveTeam(ctx, p.user.OrgID, req.Team)
	if err != nil {
		a.fail(c, err)
		return
	}
	if !p.allows(PermProjectsWrite, scope{teamID: teamID}) {
		a.fail(c, forbidden(PermProjectsWrite))
		return
	}
	if err := nameAndSlug(&req.Name, &req.Slug); err != nil {
		a.fail(c, err)
		return
	}
	pr := &store.Project{OrgID: p.user.OrgID, TeamID: teamID, Slug: req.Slug, Name: req.Name}
	if req.Description != nil {
		pr.Description = *req.Description
	}
	if err := a.store.CreateProject(ctx, pr); err != nil {
		a.fail(c, err)
		return
	}
	a.event(ctx, pr.OrgID, 0, "project.created", p.user.Email, "project "+pr.Slug+" created")
	c.JSON(http.StatusCreated, newProjectDTO(pr, a.teamSlugs(ctx, pr.OrgID)))
}

func (a *API) getProject(c *gin.Context) {
	pr := c.MustGet("project").(*store.Project)
	c.JSON(http.StatusOK, newProjectDTO(pr, a.teamSlugs(c.Request.Context(), pr.OrgID)))
}

func (a *API) updateProject(c *gin.Context) {
	var req projectRequest
	if err := bindJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	pr := c.MustGet("project").(*store.Project)
	if req.Slug != "" && req.Slug != pr.Slug {
		a.fail(c, invalid("slug", "a project's slug cannot change"))
		return
	}
	if req.Name != "" {
		pr.Name = strings.TrimSpace(req.Name)
	}
	if req.Description != nil {
		pr.Description = *req.Description
	}
	if req.Team != nil {
		teamID, err := a.resolveTeam(ctx, pr.OrgID, req.Team)
		if err != nil {
			a.fail(c, err)
			return
		}
		// Moving a project to a team needs projects.write there too.
		if p := principalOf(c); !p.allows(PermProjectsWrite, scope{teamID: teamID}) {
			a.fail(c, forbidden(PermProjectsWrite))
			return
		}
		pr.TeamID = teamID
	}
	if err := a.store.UpdateProject(ctx, pr); err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newProjectDTO(pr, a.teamSlugs(ctx, pr.OrgID)))
}

func (a *API) deleteProject(c *gin.Context) {
	pr := c.MustGet("project").(*store.Project)
	if err := a.store.DeleteProject(c.Request.Context(), pr.ID); err != nil {
		a.fail(c, err)
		return
	}
	a.event(c.Request.Context(), pr.OrgID, 0, "project.deleted", principalOf(c).user.Email, "project "+pr.Slug+" deleted")
	c.Status(http.StatusNoContent)
}

// slugify makes a DNS-1035 label from a display name: lower case, runs of
// anything else than letters and digits become one hyphen, leading digits
// and hyphens are dropped, at most maxLen characters.
func slugify(name string, maxLen int) string {
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9' && b.Len() > 0:
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			hyphen = false
		default:
			hyphen = true
		}
	}
	s := b.String()
	if len(s) > maxLen {
		s = strings.TrimRight(s[:maxLen], "-")
	}
	return s
}

// nameAndSlug checks a team's or project's display name (trimmed, required)
// and its slug, generated from the name when empty.
func nameAndSlug(name, slug *string) error {
	*name = strings.TrimSpace(*name)
	if *slug == "" {
		*slug = slugify(*name, 40)
	}
	if err := slugField("slug", *slug, 40); err != nil {
		return err
	}
	if *name == "" {
		return invalid("name", "name is required")
	}
	return nil
}
