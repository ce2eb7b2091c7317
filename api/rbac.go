package api

import (
	"context"
	"fmt"
	"slices"

	"github.com/astrolift/astrolift/store"
)

// Permission is one thing a role allows. Every route names the permission
// it needs (routes.go).
type Permission string

// Permissions. org.read is held by every user of an organization.
const (
	PermOrgRead          Permission = "org.read"
	PermTeamsWrite       Permission = "teams.write"
	PermProjectsWrite    Permission = "projects.write"
	PermAppCreate        Permission = "app.create"
	PermAppRead          Permission = "app.read"
	PermAppUpdate        Permission = "app.update"
	PermAppDelete        Permission = "app.delete"
	PermAppDeploy        Permission = "app.deploy"
	PermAppConfigWrite   Permission = "app.config.write"
	PermAppSecretsWrite  Permission = "app.secrets.write"
	PermAppExec          Permission = "app.exec"
	PermDeploymentApprov Permission = "deployment.approve"
	PermMembersManage    Permission = "members.manage"
	PermConnectionsWrite Permission = "connections.write"
	// PermSecretsManage writes the organization's secret bundles.
	PermSecretsManage Permission = "secrets.manage"
)

// Role is a named set of permissions granted at one scope level.
type Role struct {
	Name        string       `json:"name"`
	ScopeLevel  string       `json:"scope_level"` // ORG, TEAM or APP
	Description string       `json:"description"`
	Permissions []Permission `json:"permissions"`
}

var appAdminPerms = []Permission{PermAppRead, PermAppUpdate, PermAppDelete, PermAppDeploy, PermAppConfigWrite,
	PermAppSecretsWrite, PermAppExec, PermDeploymentApprov, PermMembersManage}

// Roles are the built-in roles. An ORG binding applies to every team,
// project and app of the organization; a TEAM binding to the team's
// projects and their apps; an APP binding to one app.
var Roles = []Role{
	{"org.owner", store.ScopeOrg, "everything, including members at every scope",
		append([]Permission{PermOrgRead, PermTeamsWrite, PermProjectsWrite, PermAppCreate, PermConnectionsWrite, PermSecretsManage}, appAdminPerms...)},
	{"org.admin", store.ScopeOrg, "everything, including members at every scope",
		append([]Permission{PermOrgRead, PermTeamsWrite, PermProjectsWrite, PermAppCreate, PermConnectionsWrite, PermSecretsManage}, appAdminPerms...)},
	{"org.member", store.ScopeOrg, "reads everything, registers apps",
		[]Permission{PermOrgRead, PermAppCreate, PermAppRead}},
	{"org.viewer", store.ScopeOrg, "reads everything",
		[]Permission{PermOrgRead, PermAppRead}},
	{"team.maintainer", store.ScopeTeam, "manages the team's projects and apps and their members",
		append([]Permission{PermProjectsWrite, PermAppCreate}, appAdminPerms...)},
	{"team.member", store.ScopeTeam, "deploys and configures the team's apps",
		[]Permission{PermAppRead, PermAppDeploy, PermAppConfigWrite}},
	{"app.admin", store.ScopeApp, "everything on one app, including its members", appAdminPerms},
	{"app.developer", store.ScopeApp, "deploys, configures and runs commands on one app",
		[]Permission{PermAppRead, PermAppDeploy, PermAppConfigWrite, PermAppExec}},
	{"app.viewer", store.ScopeApp, "reads one app", []Permission{PermAppRead}},
}

func findRole(name string) (Role, bool) {
	i := slices.IndexFunc(Roles, func(r Role) bool { return r.Name == name })
	if i < 0 {
		return Role{}, false
	}
	return Roles[i], true
}

// scope is what a permission is checked against: the organization, a team,
// a project (which may belong to a team) or an app (in a project).
type scope struct {
	teamID int64 // 0: none
	appID  int64 // 0: none
}

// grants is what one user holds: their live bindings.
type grants struct {
	user     *store.User
	bindings []*store.RoleBinding
}

func (a *API) loadGrants(ctx context.Context, u *store.User) (*grants, error) {
	bs, err := a.store.ListRoleBindings(ctx, store.BindingFilter{OrgID: u.OrgID, UserID: u.ID})
	if err != nil {
		return nil, fmt.Errorf("permissions of user %d: %w", u.ID, err)
	}
	return &grants{user: u, bindings: bs}, nil
}

// allows reports whether the user holds perm at sc: through an ORG
// binding, a TEAM binding on sc's team, or an APP binding on sc's app.
func (g *grants) allows(perm Permission, sc scope) bool {
	if perm == PermOrgRead {
		return true
	}
	for _, b := range g.bindings {
		applies := b.ScopeLevel == store.ScopeOrg ||
			(b.ScopeLevel == store.ScopeTeam && sc.teamID != 0 && b.ScopeID == sc.teamID) ||
			(b.ScopeLevel == store.ScopeApp && sc.appID != 0 && b.ScopeID == sc.appID)
		if !applies {
			continue
		}
		if r, ok := findRole(b.Role); ok && slices.Contains(r.Permissions, perm) {
			return true
		}
	}
	return false
}

// visibleApps narrows an app listing to what the user may read: nil means
// everything (an ORG binding with app.read).
func (g *grants) visibleApps() *store.AppVisibility {
	v := &store.AppVisibility{}
	for _, b := range g.bindings {
		r, ok := findRole(b.Role)
		if !ok || !slices.Contains(r.Permissions, PermAppRead) {
			continue
		}
		switch b.ScopeLevel {
		case store.ScopeOrg:
			return nil
		case store.ScopeTeam:
			v.TeamIDs = append(v.TeamIDs, b.ScopeID)
		case store.ScopeApp:
			v.AppIDs = append(v.AppIDs, b.ScopeID)
		}
	}
	return v
}
