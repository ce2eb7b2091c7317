package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/astrolift/astrolift/store"
)

// scopeFrom says where a route finds the scope its permission is checked
// against.
type scopeFrom int

const (
	scopeOrg     scopeFrom = iota // the caller's organization
	scopeTeam                     // the :team path parameter
	scopeProject                  // the :project path parameter (and its team)
	scopeApp                      // the :slug path parameter (its project's team and the app)
	scopeHandler                  // the handler checks, from the request body or the object (create/grant/revoke)
)

// Route is one endpoint of the JSON API: what it needs and what it does.
// The table below is the whole API surface; the OpenAPI document and the
// RBAC matrix test are built from it.
type Route struct {
	Method  string
	Path    string
	Summary string
	// Permission is what the caller must hold at the route's scope; empty
	// means the route is public (no authentication).
	Permission Permission
	scope      scopeFrom
	handler    gin.HandlerFunc
	// in and out are the JSON request and response bodies, for the OpenAPI
	// document; nil when there is none.
	in, out any
}

// Routes lists every /api/v1 route.
func (a *API) Routes() []Route {
	return []Route{
		{http.MethodPost, "/api/v1/auth/login", "Log in with email and password; sets the session cookie", "", scopeOrg, a.login, loginRequest{}, loginResponse{}},
		{http.MethodPost, "/api/v1/auth/logout", "End the cookie session", PermOrgRead, scopeOrg, a.logout, nil, nil},
		{http.MethodGet, "/api/v1/me", "The caller and their role bindings", PermOrgRead, scopeOrg, a.me, nil, meResponse{}},
		{http.MethodGet, "/api/v1/me/tokens", "The caller's API tokens", PermOrgRead, scopeOrg, a.listTokens, nil, Page[tokenDTO]{}},
		{http.MethodPost, "/api/v1/me/tokens", "Create an API token (the secret is shown once)", PermOrgRead, scopeOrg, a.createToken, createTokenRequest{}, createTokenResponse{}},
		{http.MethodDelete, "/api/v1/me/tokens/:id", "Revoke one of the caller's API tokens", PermOrgRead, scopeOrg, a.deleteToken, nil, nil},

		{http.MethodPut, "/api/v1/me/password", "Change the caller's password (needs the current one)", PermOrgRead, scopeOrg, a.setPassword, passwordRequest{}, nil},
		{http.MethodGet, "/api/v1/users", "List the organization's users", PermOrgRead, scopeOrg, a.listUsers, nil, Page[userDTO]{}},
		{http.MethodPost, "/api/v1/users", "Create a local user (grant roles with POST /api/v1/members)", PermMembersManage, scopeOrg, a.createUser, createUserRequest{}, userDTO{}},
		{http.MethodGet, "/api/v1/secrets/recipient", "The platform's age recipient: `astrolift seal --recipient` seals values offline that only the platform opens", PermOrgRead, scopeOrg, a.recipient, nil, recipientResponse{}},
		{http.MethodGet, "/api/v1/roles", "The built-in roles and their permissions", PermOrgRead, scopeOrg, a.listRoles, nil, Page[Role]{}},

		{http.MethodGet, "/api/v1/teams", "List teams", PermOrgRead, scopeOrg, a.listTeams, nil, Page[teamDTO]{}},
		{http.MethodPost, "/api/v1/teams", "Create a team", PermTeamsWrite, scopeOrg, a.createTeam, teamRequest{}, teamDTO{}},
		{http.MethodGet, "/api/v1/teams/:team", "Show a team", PermOrgRead, scopeTeam, a.getTeam, nil, teamDTO{}},
		{http.MethodPatch, "/api/v1/teams/:team", "Rename a team (the slug is immutable)", PermTeamsWrite, scopeTeam, a.updateTeam, teamRequest{}, teamDTO{}},
		{http.MethodDelete, "/api/v1/teams/:team", "Delete a team (soft; refused while it owns projects)", PermTeamsWrite, scopeTeam, a.deleteTeam, nil, nil},

		{http.MethodGet, "/api/v1/projects", "List projects", PermOrgRead, scopeOrg, a.listProjects, nil, Page[projectDTO]{}},
		{http.MethodPost, "/api/v1/projects", "Create a project (projects.write on the org or its team)", PermProjectsWrite, scopeHandler, a.createProject, projectRequest{}, projectDTO{}},
		{http.MethodGet, "/api/v1/projects/:project", "Show a project", PermOrgRead, scopeProject, a.getProject, nil, projectDTO{}},
		{http.MethodPatch, "/api/v1/projects/:project", "Change a project's name, description or team", PermProjectsWrite, scopeProject, a.updateProject, projectRequest{}, projectDTO{}},
		{http.MethodDelete, "/api/v1/projects/:project", "Delete a project (soft; refused while it holds apps)", PermProjectsWrite, scopeProject, a.deleteProject, nil, nil},

		{http.MethodGet, "/api/v1/members", "List role bindings", PermOrgRead, scopeOrg, a.listMembers, nil, Page[bindingDTO]{}},
		{http.MethodPost, "/api/v1/members", "Grant a role at a scope (members.manage there)", PermMembersManage, scopeHandler, a.grantRole, grantRequest{}, bindingDTO{}},
		{http.MethodDelete, "/api/v1/members/:id", "Revoke a role binding (soft; members.manage at its scope)", PermMembersManage, scopeHandler, a.revokeRole, nil, nil},

		{http.MethodGet, "/api/v1/scm-connections", "List SCM connections (secrets never shown)", PermOrgRead, scopeOrg, a.listConnections, nil, Page[connectionDTO]{}},
		{http.MethodPost, "/api/v1/scm-connections", "Add an SCM connection; credentials and webhook secret are sealed; the secret is shown once", PermConnectionsWrite, scopeOrg, a.createConnection, connectionRequest{}, createConnectionResponse{}},
		{http.MethodDelete, "/api/v1/scm-connections/:id", "Delete an SCM connection (soft)", PermConnectionsWrite, scopeOrg, a.deleteConnection, nil, nil},
		{http.MethodPost, "/api/v1/scm-connections/:id/test", "Check a connection's credentials with its host now: account, write access, scopes", PermConnectionsWrite, scopeOrg, a.testConnection, nil, connectionTestResponse{}},
		{http.MethodGet, "/api/v1/scm-connections/:id/repos", "Repositories the connection sees, for the registration picker (?q, ?page, ?per_page)", PermOrgRead, scopeOrg, a.listConnectionRepos, nil, repoListResponse{}},

		{http.MethodGet, "/api/v1/secret-bundles", "List the organization's secret bundles with their keys (values are never shown)", PermOrgRead, scopeOrg, a.listSecretBundles, nil, Page[secretBundleDTO]{}},
		{http.MethodPost, "/api/v1/secret-bundles", "Create a secret bundle; its values are sealed with the master key and never shown again", PermSecretsManage, scopeOrg, a.createSecretBundle, secretBundleRequest{}, secretBundleDTO{}},
		{http.MethodGet, "/api/v1/secret-bundles/:name", "A secret bundle's keys (never values) and the apps and environments whose manifests attach it", PermOrgRead, scopeOrg, a.getSecretBundle, nil, secretBundleDetailDTO{}},
		{http.MethodPut, "/api/v1/secret-bundles/:name/values/:key", "Set or rotate one value (sealed); nothing deploys, each app's next deployment picks it up", PermSecretsManage, scopeOrg, a.setSecretBundleValue, secretValueRequest{}, secretBundleDTO{}},
		{http.MethodDelete, "/api/v1/secret-bundles/:name/values/:key", "Remove a key and its value from a secret bundle", PermSecretsManage, scopeOrg, a.deleteSecretBundleValue, nil, nil},
		{http.MethodDelete, "/api/v1/secret-bundles/:name", "Delete a secret bundle (soft; refused while an app's manifest attaches it)", PermSecretsManage, scopeOrg, a.deleteSecretBundle, nil, nil},

		{http.MethodGet, "/api/v1/apps", "List the apps the caller may read (?project, ?status, ?q, ?limit, ?cursor)", PermOrgRead, scopeOrg, a.listApps, nil, Page[appDTO]{}},
		{http.MethodPost, "/api/v1/apps", "Register an app in a project (app.create on the project's team or org)", PermAppCreate, scopeHandler, a.createApp, createAppRequest{}, appDTO{}},
		{http.MethodGet, "/api/v1/apps/:slug", "Show an app", PermAppRead, scopeApp, a.getApp, nil, appDTO{}},
		{http.MethodPatch, "/api/v1/apps/:slug", "Change an app's settings (the slug is immutable)", PermAppUpdate, scopeApp, a.updateApp, updateAppRequest{}, appDTO{}},
		{http.MethodDelete, "/api/v1/apps/:slug", "Delete an app (soft; the slug stays reserved for the grace window)", PermAppDelete, scopeApp, a.deleteApp, nil, nil},
		{http.MethodPost, "/api/v1/apps/:slug/onboard", "Onboard a failed app again (its status goes back to pending)", PermAppUpdate, scopeApp, a.onboardAgain, nil, appDTO{}},
		{http.MethodGet, "/api/v1/apps/:slug/overview", "The app page's hero, status cards, recent deployments and events", PermAppRead, scopeApp, a.overview, nil, overviewResponse{}},
		{http.MethodGet, "/api/v1/apps/:slug/screenshot", "The app's thumbnail: a 480x300 PNG of its primary public URL (the environment named production, else the last one with a public URL), captured after each successful deployment there and daily; 404 until one was taken or when screenshots are off", PermAppRead, scopeApp, a.screenshot, nil, nil},
		{http.MethodGet, "/api/v1/apps/:slug/config", "The manifest (draft or snapshot), sync state, repo head, render errors and a masked preview per environment", PermAppRead, scopeApp, a.config, nil, configResponse{}},
		{http.MethodPut, "/api/v1/apps/:slug/config/draft", "Save the editor's text as the draft (stored even when invalid; errors are reported)", PermAppConfigWrite, scopeApp, a.saveDraft, draftRequest{}, configResponse{}},
		{http.MethodDelete, "/api/v1/apps/:slug/config/draft", "Discard the draft", PermAppConfigWrite, scopeApp, a.discardDraft, nil, configResponse{}},
		{http.MethodPost, "/api/v1/apps/:slug/config/push", "Push to repo: commit the draft on a branch (three-way merged onto the repository if it moved) and open a pull request with the rendered diff", PermAppConfigWrite, scopeApp, a.pushDraft, nil, pushResponse{}},
		{http.MethodPost, "/api/v1/apps/:slug/config/sync", "Replace the snapshot with the repository's manifest and drop the draft", PermAppConfigWrite, scopeApp, a.syncFromRepo, nil, configResponse{}},
		{http.MethodPost, "/api/v1/apps/:slug/config/refresh", "Check the app's repository now", PermAppRead, scopeApp, a.refresh, nil, nil},
		{http.MethodGet, "/api/v1/apps/:slug/secrets", "The app's secret keys from the manifest (draft included), attached bundles and managed services; values always masked (?environment)", PermAppRead, scopeApp, a.listSecrets, nil, secretsResponse{}},
		{http.MethodPost, "/api/v1/apps/:slug/secrets", "Set a secret: the value is sealed to the platform and written into the draft ({\"environment\"} for an overlay)", PermAppSecretsWrite, scopeApp, a.setSecret, setSecretRequest{}, secretsResponse{}},
		{http.MethodPost, "/api/v1/apps/:slug/secrets/import", "Import a .env body: every KEY=value sealed into the draft, or nothing when a line is bad (?environment)", PermAppSecretsWrite, scopeApp, a.importSecrets, nil, secretsResponse{}},
		{http.MethodDelete, "/api/v1/apps/:slug/secrets/:key", "Remove a secret from the draft (?environment)", PermAppSecretsWrite, scopeApp, a.deleteSecret, nil, secretsResponse{}},
		{http.MethodGet, "/api/v1/apps/:slug/members", "The APP-scope roles that can be granted here and the app's active role bindings", PermAppRead, scopeApp, a.appMembers, nil, appMembersResponse{}},
		{http.MethodGet, "/api/v1/apps/:slug/environments", "The app's environments", PermAppRead, scopeApp, a.listEnvironments, nil, Page[environmentDTO]{}},
		{http.MethodPost, "/api/v1/apps/:slug/environments", "Add an environment (namespace <app>-<env>, cluster local by default)", PermAppUpdate, scopeApp, a.createEnvironment, environmentRequest{}, environmentDTO{}},
		{http.MethodPatch, "/api/v1/apps/:slug/environments/:env", "Change an environment: cluster, public URL, paused, required approvals, replicas (null clears), self_heal", PermAppUpdate, scopeApp, a.updateEnvironment, environmentRequest{}, environmentDTO{}},
		{http.MethodPost, "/api/v1/apps/:slug/environments/:env/:action", "pause (push and CI deployments wait; manual ones still run) or resume an environment", PermAppUpdate, scopeApp, a.environmentAction, nil, environmentDTO{}},
		{http.MethodGet, "/api/v1/apps/:slug/environments/:env/drift", "The environment's last drift check: drifted objects and fields, live and desired values, who changed them", PermAppRead, scopeApp, a.environmentDrift, nil, driftDTO{}},
		{http.MethodGet, "/api/v1/apps/:slug/workloads", "The app's workloads per environment as they run: status, replicas, HPA, resources, storage, containers, cronjob runs (?environment)", PermAppRead, scopeApp, a.listWorkloads, nil, Page[workloadDTO]{}},
		{http.MethodGet, "/api/v1/apps/:slug/workloads/:name", "One workload in every environment (?environment)", PermAppRead, scopeApp, a.getWorkload, nil, workloadDetailDTO{}},
		{http.MethodGet, "/api/v1/apps/:slug/topology", "The app's graph in one environment (?environment): ingress → services → workloads → dependencies, with status", PermAppRead, scopeApp, a.topology, nil, topologyDTO{}},
		{http.MethodPost, "/api/v1/apps/:slug/deploy", "Queue a manual deployment of the synced manifest to an environment", PermAppDeploy, scopeApp, a.deploy, deployRequest{}, deploymentDetailDTO{}},
		{http.MethodGet, "/api/v1/deployments", "Deployments of the apps the caller may read, newest first (?app, ?status, ?limit, ?cursor)", PermOrgRead, scopeOrg, a.listDeployments, nil, Page[deploymentDetailDTO]{}},
		{http.MethodGet, "/api/v1/deployments/:id", "One deployment: metadata, lifecycle log, rendered objects", PermAppRead, scopeHandler, a.getDeployment, nil, deploymentDetailDTO{}},
		{http.MethodPost, "/api/v1/deployments/:id/:action", "approve (deployment.approve; not the requester), abort, rollback, redeploy or promote ({\"environment\"}) a deployment", PermAppDeploy, scopeHandler, a.deploymentAction, promoteRequest{}, deploymentDetailDTO{}},
		{http.MethodGet, "/api/v1/apps/:slug/tokens", "The app's deploy tokens (never their secrets)", PermAppUpdate, scopeApp, a.listDeployTokens, nil, Page[deployTokenDTO]{}},
		{http.MethodPost, "/api/v1/apps/:slug/tokens", "Create a deploy token for CI (the secret is shown once)", PermAppUpdate, scopeApp, a.createDeployToken, createDeployTokenRequest{}, createDeployTokenResponse{}},
		{http.MethodPost, "/api/v1/apps/:slug/tokens/:id/rotate", "Give a deploy token a new secret (shown once); the old one works for 24 h more", PermAppUpdate, scopeApp, a.rotateDeployToken, nil, createDeployTokenResponse{}},
		{http.MethodDelete, "/api/v1/apps/:slug/tokens/:id", "Revoke a deploy token (soft)", PermAppUpdate, scopeApp, a.revokeDeployToken, nil, nil},
		{http.MethodGet, "/api/v1/apps/:slug/commands", "The caller's last 20 commands in the app, newest first, for re-run (never their output)", PermAppExec, scopeApp, a.listCommands, nil, Page[commandDTO]{}},
		{http.MethodGet, "/api/v1/apps/:slug/commands/ws", "WebSocket: run ?command with sh -c in a running pod of ?workload (default: the primary public one) and ?container (default: the primary) in ?environment; JSON frames {type: stdout|stderr|system}; send {\"type\":\"stop\"} to end it", PermAppExec, scopeApp, a.commandSocket, nil, nil},
		{http.MethodGet, "/api/v1/apps/:slug/managed-services", "The app's managed services per environment: status, variant, envelope keys (values are never shown) (?environment)", PermAppRead, scopeApp, a.listManagedServices, nil, Page[managedServiceDTO]{}},
		{http.MethodPost, "/api/v1/apps/:slug/managed-services", "Provision a managed service (postgres, mysql, redis, s3) for an environment; it starts pending and the reconciler makes it active", PermAppUpdate, scopeApp, a.createManagedService, managedServiceRequest{}, managedServiceDTO{}},
		{http.MethodGet, "/api/v1/apps/:slug/managed-services/:id", "One managed service: status, error, envelope keys (masked)", PermAppRead, scopeApp, a.getManagedService, nil, managedServiceDTO{}},
		{http.MethodDelete, "/api/v1/apps/:slug/managed-services/:id", "Deprovision a managed service: the reconciler tears it down (its data too), then it is removed (soft)", PermAppUpdate, scopeApp, a.deleteManagedService, nil, managedServiceDTO{}},
		{http.MethodGet, "/api/v1/apps/:slug/webhooks", "The app's outbound webhooks, with their last delivery (never their secrets)", PermAppUpdate, scopeApp, a.listWebhooks, nil, Page[webhookDTO]{}},
		{http.MethodPost, "/api/v1/apps/:slug/webhooks", "Create an outbound webhook for the app's events (the signing secret is shown once)", PermAppUpdate, scopeApp, a.createWebhook, webhookRequest{}, createWebhookResponse{}},
		{http.MethodDelete, "/api/v1/apps/:slug/webhooks/:id", "Delete an app's webhook (soft; its pending deliveries are dropped)", PermAppUpdate, scopeApp, a.deleteWebhook, nil, nil},
		{http.MethodPost, "/api/v1/apps/:slug/webhooks/:id/ping", "Send a signed test delivery now and show its outcome", PermAppUpdate, scopeApp, a.pingWebhook, nil, webhookDeliveryDTO{}},
		{http.MethodGet, "/api/v1/apps/:slug/webhooks/:id/deliveries", "An app webhook's recent deliveries, newest first: status, attempts, status code, duration, error (?limit, ?cursor)", PermAppUpdate, scopeApp, a.listWebhookDeliveries, nil, Page[webhookDeliveryDTO]{}},
		{http.MethodGet, "/api/v1/apps/:slug/domains", "The app's custom domains: state, the TXT challenge record, last check and its error", PermAppRead, scopeApp, a.listDomains, nil, Page[domainDTO]{}},
		{http.MethodPost, "/api/v1/apps/:slug/domains", "Bind a custom hostname to an environment (default the first); answers with the TXT record that proves it", PermAppUpdate, scopeApp, a.createDomain, domainRequest{}, domainDTO{}},
		{http.MethodGet, "/api/v1/apps/:slug/domains/:id", "One custom domain", PermAppRead, scopeApp, a.getDomain, nil, domainDTO{}},
		{http.MethodPost, "/api/v1/apps/:slug/domains/:id/recheck", "Resolve the domain's TXT record now; validated domains are served from the environment's next deployment", PermAppUpdate, scopeApp, a.recheckDomain, nil, domainDTO{}},
		{http.MethodDelete, "/api/v1/apps/:slug/domains/:id", "Remove a custom domain (soft; the hostname may be bound again, the next deployment stops serving it)", PermAppUpdate, scopeApp, a.deleteDomain, nil, nil},
		{http.MethodGet, "/api/v1/apps/:slug/events", "An app's events, newest first (?kind, ?limit, ?cursor)", PermAppRead, scopeApp, a.appEvents, nil, Page[eventDTO]{}},

		{http.MethodGet, "/api/v1/webhooks", "The organization-wide outbound webhooks (every event of the organization), never their secrets", PermConnectionsWrite, scopeOrg, a.listWebhooks, nil, Page[webhookDTO]{}},
		{http.MethodPost, "/api/v1/webhooks", "Create an organization-wide outbound webhook (the signing secret is shown once)", PermConnectionsWrite, scopeOrg, a.createWebhook, webhookRequest{}, createWebhookResponse{}},
		{http.MethodDelete, "/api/v1/webhooks/:id", "Delete an organization-wide webhook (soft; its pending deliveries are dropped)", PermConnectionsWrite, scopeOrg, a.deleteWebhook, nil, nil},
		{http.MethodPost, "/api/v1/webhooks/:id/ping", "Send a signed test delivery now and show its outcome", PermConnectionsWrite, scopeOrg, a.pingWebhook, nil, webhookDeliveryDTO{}},
		{http.MethodGet, "/api/v1/webhooks/:id/deliveries", "An organization-wide webhook's recent deliveries, newest first (?limit, ?cursor)", PermConnectionsWrite, scopeOrg, a.listWebhookDeliveries, nil, Page[webhookDeliveryDTO]{}},

		{http.MethodGet, "/api/v1/events", "Events of the organization and of the apps the caller may read, newest first (?app, ?kind, ?limit, ?cursor)", PermOrgRead, scopeOrg, a.listEvents, nil, Page[eventDTO]{}},
		{http.MethodGet, "/api/v1/stream", "Live events as Server-Sent Events (?app, ?kind; Last-Event-ID replays what was missed)", PermOrgRead, scopeOrg, a.stream, nil, nil},

		{http.MethodPost, "/api/v1/hooks/:kind/:connection", "Push webhook of an SCM connection (github, gitlab, gitea, bitbucket, generic); authenticated by the host's signature", "", scopeOrg, a.hook, nil, hookResponse{}},

		{http.MethodGet, "/api/v1/openapi.json", "This API as an OpenAPI 3 document", "", scopeOrg, a.openapi, nil, nil},
	}
}

// routes registers every route, in one place.
func (a *API) routes() {
	r := a.router
	r.Use(a.recoverPanics, a.observe, limitBody)
	r.NoRoute(a.notFound)
	r.NoMethod(a.methodNotAllowed)

	r.GET("/healthz", a.healthz)
	r.GET("/readyz", a.readyz)
	r.GET("/metrics", a.metricsHandler())
	if a.store == nil {
		return // health and metrics only
	}
	for _, rt := range a.Routes() {
		if rt.Permission == "" {
			r.Handle(rt.Method, rt.Path, rt.handler)
			continue
		}
		r.Handle(rt.Method, rt.Path, a.authenticate, a.authorize(rt), rt.handler)
	}
}

// authorize loads the route's scope object (team, project or app, stored in
// the gin context under that name) and checks the route's permission on it.
// scopeHandler routes check in the handler, once they know the scope.
func (a *API) authorize(rt Route) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		p := principalOf(c)
		if p.deployToken != nil && !deployTokenRoutes[rt.Method+" "+rt.Path] {
			a.fail(c, errDeployTokenRoute)
			return
		}
		var sc scope
		switch rt.scope {
		case scopeHandler:
			c.Next()
			return
		case scopeTeam:
			t, err := a.store.GetTeam(ctx, p.user.OrgID, c.Param("team"))
			if err != nil {
				a.fail(c, err)
				return
			}
			c.Set("team", t)
			sc.teamID = t.ID
		case scopeProject:
			pr, err := a.store.GetProject(ctx, p.user.OrgID, c.Param("project"))
			if err != nil {
				a.fail(c, err)
				return
			}
			c.Set("project", pr)
			sc.teamID = pr.TeamID
		case scopeApp:
			app, err := a.store.GetApp(ctx, c.Param("slug"))
			if err == nil && app.OrgID != p.user.OrgID {
				err = store.ErrNotFound
			}
			if err != nil {
				a.fail(c, err)
				return
			}
			pr, err := a.store.GetProjectByID(ctx, app.ProjectID)
			if err != nil {
				a.fail(c, err)
				return
			}
			c.Set("app", app)
			c.Set("project", pr)
			sc = scope{teamID: pr.TeamID, appID: app.ID}
		}
		if !p.allows(rt.Permission, sc) {
			a.fail(c, forbidden(rt.Permission))
			return
		}
		c.Next()
	}
}
