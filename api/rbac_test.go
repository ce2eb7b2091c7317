package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/astrolift/astrolift/api"
	"github.com/astrolift/astrolift/drift"
	"github.com/astrolift/astrolift/store"
)

// wantPermission is the permission every route must demand, written down
// independently of routes.go: a route added without a line here fails.
var wantPermission = map[string]api.Permission{
	"POST /api/v1/auth/logout":                          "org.read",
	"GET /api/v1/me":                                    "org.read",
	"GET /api/v1/me/tokens":                             "org.read",
	"POST /api/v1/me/tokens":                            "org.read",
	"DELETE /api/v1/me/tokens/:id":                      "org.read",
	"PUT /api/v1/me/password":                           "org.read",
	"GET /api/v1/users":                                 "org.read",
	"POST /api/v1/users":                                "members.manage",
	"GET /api/v1/roles":                                 "org.read",
	"GET /api/v1/teams":                                 "org.read",
	"POST /api/v1/teams":                                "teams.write",
	"GET /api/v1/teams/:team":                           "org.read",
	"PATCH /api/v1/teams/:team":                         "teams.write",
	"DELETE /api/v1/teams/:team":                        "teams.write",
	"GET /api/v1/projects":                              "org.read",
	"POST /api/v1/projects":                             "projects.write",
	"GET /api/v1/projects/:project":                     "org.read",
	"PATCH /api/v1/projects/:project":                   "projects.write",
	"DELETE /api/v1/projects/:project":                  "projects.write",
	"GET /api/v1/members":                               "org.read",
	"POST /api/v1/members":                              "members.manage",
	"DELETE /api/v1/members/:id":                        "members.manage",
	"GET /api/v1/scm-connections":                       "org.read",
	"POST /api/v1/scm-connections":                      "connections.write",
	"DELETE /api/v1/scm-connections/:id":                "connections.write",
	"POST /api/v1/scm-connections/:id/test":             "connections.write",
	"GET /api/v1/scm-connections/:id/repos":             "org.read",
	"GET /api/v1/secret-bundles":                        "org.read",
	"POST /api/v1/secret-bundles":                       "secrets.manage",
	"GET /api/v1/secret-bundles/:name":                  "org.read",
	"PUT /api/v1/secret-bundles/:name/values/:key":      "secrets.manage",
	"DELETE /api/v1/secret-bundles/:name/values/:key":   "secrets.manage",
	"DELETE /api/v1/secret-bundles/:name":               "secrets.manage",
	"POST /api/v1/apps/:slug/config/push":               "app.config.write",
	"GET /api/v1/secrets/recipient":                     "org.read",
	"GET /api/v1/apps/:slug/secrets":                    "app.read",
	"POST /api/v1/apps/:slug/secrets":                   "app.secrets.write",
	"POST /api/v1/apps/:slug/secrets/import":            "app.secrets.write",
	"DELETE /api/v1/apps/:slug/secrets/:key":            "app.secrets.write",
	"GET /api/v1/apps/:slug/members":                    "app.read",
	"GET /api/v1/apps":                                  "org.read",
	"POST /api/v1/apps":                                 "app.create",
	"GET /api/v1/apps/:slug":                            "app.read",
	"PATCH /api/v1/apps/:slug":                          "app.update",
	"DELETE /api/v1/apps/:slug":                         "app.delete",
	"POST /api/v1/apps/:slug/onboard":                   "app.update",
	"GET /api/v1/apps/:slug/overview":                   "app.read",
	"GET /api/v1/apps/:slug/events":                     "app.read",
	"GET /api/v1/apps/:slug/screenshot":                 "app.read",
	"GET /api/v1/apps/:slug/domains":                    "app.read",
	"POST /api/v1/apps/:slug/domains":                   "app.update",
	"GET /api/v1/apps/:slug/domains/:id":                "app.read",
	"POST /api/v1/apps/:slug/domains/:id/recheck":       "app.update",
	"DELETE /api/v1/apps/:slug/domains/:id":             "app.update",
	"GET /api/v1/apps/:slug/config":                     "app.read",
	"PUT /api/v1/apps/:slug/config/draft":               "app.config.write",
	"DELETE /api/v1/apps/:slug/config/draft":            "app.config.write",
	"POST /api/v1/apps/:slug/config/sync":               "app.config.write",
	"POST /api/v1/apps/:slug/config/refresh":            "app.read",
	"GET /api/v1/apps/:slug/environments":               "app.read",
	"POST /api/v1/apps/:slug/environments":              "app.update",
	"PATCH /api/v1/apps/:slug/environments/:env":        "app.update",
	"POST /api/v1/apps/:slug/environments/:env/:action": "app.update",
	"GET /api/v1/apps/:slug/environments/:env/drift":    "app.read",
	"GET /api/v1/apps/:slug/workloads":                  "app.read",
	"GET /api/v1/apps/:slug/workloads/:name":            "app.read",
	"GET /api/v1/apps/:slug/topology":                   "app.read",
	"GET /api/v1/apps/:slug/tokens":                     "app.update",
	"POST /api/v1/apps/:slug/tokens":                    "app.update",
	"POST /api/v1/apps/:slug/tokens/:id/rotate":         "app.update",
	"DELETE /api/v1/apps/:slug/tokens/:id":              "app.update",
	"POST /api/v1/apps/:slug/deploy":                    "app.deploy",
	"GET /api/v1/deployments":                           "org.read",
	"GET /api/v1/deployments/:id":                       "app.read",
	"POST /api/v1/deployments/:id/:action":              "app.deploy",
	"GET /api/v1/events":                                "org.read",
	"GET /api/v1/stream":                                "org.read",
	"GET /api/v1/apps/:slug/managed-services":           "app.read",
	"POST /api/v1/apps/:slug/managed-services":          "app.update",
	"GET /api/v1/apps/:slug/managed-services/:id":       "app.read",
	"DELETE /api/v1/apps/:slug/managed-services/:id":    "app.update",
	"GET /api/v1/apps/:slug/webhooks":                   "app.update",
	"POST /api/v1/apps/:slug/webhooks":                  "app.update",
	"DELETE /api/v1/apps/:slug/webhooks/:id":            "app.update",
	"POST /api/v1/apps/:slug/webhooks/:id/ping":         "app.update",
	"GET /api/v1/apps/:slug/webhooks/:id/deliveries":    "app.update",
	"GET /api/v1/webhooks":                              "connections.write",
	"POST /api/v1/webhooks":                             "connections.write",
	"DELETE /api/v1/webhooks/:id":                       "connections.write",
	"POST /api/v1/webhooks/:id/ping":                    "connections.write",
	"GET /api/v1/webhooks/:id/deliveries":               "connections.write",
	"GET /api/v1/apps/:slug/commands":                   "app.exec",
	"GET /api/v1/apps/:slug/commands/ws":                "app.exec",
}

// upgradeOnly routes speak WebSocket only: the matrix's plain request
// (httptest cannot upgrade) passes authorization and parameter checks and
// is then answered 426 upgrade_required, which counts as allowed.
// TestCommandSocket upgrades for real.
var upgradeOnly = map[string]bool{
	"GET /api/v1/apps/:slug/commands/ws": true,
}

// orgLevel routes act on the organization itself: only ORG bindings grant
// their permission (a team maintainer manages the team's members, not the
// organization's accounts).
var orgLevel = map[string]bool{
	"POST /api/v1/scm-connections":                    true,
	"DELETE /api/v1/scm-connections/:id":              true,
	"POST /api/v1/scm-connections/:id/test":           true,
	"POST /api/v1/secret-bundles":                     true,
	"PUT /api/v1/secret-bundles/:name/values/:key":    true,
	"DELETE /api/v1/secret-bundles/:name/values/:key": true,
	"DELETE /api/v1/secret-bundles/:name":             true,
	"GET /api/v1/webhooks":                            true,
	"POST /api/v1/webhooks":                           true,
	"DELETE /api/v1/webhooks/:id":                     true,
	"POST /api/v1/webhooks/:id/ping":                  true,
	"GET /api/v1/webhooks/:id/deliveries":             true,
	"POST /api/v1/users":                              true,
	"POST /api/v1/teams":                              true,
}

// rolePermissions is what each built-in role may do on the harness's team,
// project and app, again written down independently of rbac.go.
var rolePermissions = map[string][]api.Permission{
	"org.owner":       {"connections.write", "secrets.manage", "org.read", "teams.write", "projects.write", "app.create", "app.read", "app.update", "app.delete", "members.manage", "app.config.write", "app.deploy", "app.secrets.write", "app.exec"},
	"org.admin":       {"connections.write", "secrets.manage", "org.read", "teams.write", "projects.write", "app.create", "app.read", "app.update", "app.delete", "members.manage", "app.config.write", "app.deploy", "app.secrets.write", "app.exec"},
	"org.member":      {"org.read", "app.create", "app.read"},
	"org.viewer":      {"org.read", "app.read"},
	"team.maintainer": {"org.read", "projects.write", "app.create", "app.read", "app.update", "app.delete", "members.manage", "app.config.write", "app.deploy", "app.secrets.write", "app.exec"},
	"team.member":     {"org.read", "app.read", "app.config.write", "app.deploy"},
	"app.admin":       {"org.read", "app.read", "app.update", "app.delete", "members.manage", "app.config.write", "app.deploy", "app.secrets.write", "app.exec"},
	"app.developer":   {"org.read", "app.read", "app.config.write", "app.deploy", "app.exec"},
	"app.viewer":      {"org.read", "app.read"},
	"":                {"org.read"}, // a user of the organization without any binding
}

// TestRBACMatrix sends every route as every role, each on a fresh
// database, and asserts 403 exactly where the role lacks the route's
// permission.
func TestRBACMatrix(t *testing.T) {
	routes := api.New(api.Options{Store: newStore(t), Logger: quiet()}).Routes()
	seen := map[string]bool{}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		if rt.Permission == "" {
			continue // public: login
		}
		seen[key] = true
		want, ok := wantPermission[key]
		if !ok {
			t.Errorf("%s: not in the expected matrix; add it to wantPermission", key)
			continue
		}
		if rt.Permission != want {
			t.Errorf("%s demands %s, want %s", key, rt.Permission, want)
		}
		for role, perms := range rolePermissions {
			t.Run(fmt.Sprintf("%s/%s", key, role), func(t *testing.T) {
				h := newHarness(t)
				token := h.user("caller@acme.test", role)
				req := h.matrixRequest(rt)
				req.token = token
				res := h.do(req)
				allowed := slices.Contains(perms, want) && (!orgLevel[key] || strings.HasPrefix(role, "org.") || want == "org.read")
				switch {
				case res.Code == http.StatusUnauthorized:
					t.Fatalf("401: %s", res.body)
				case allowed && res.Code == http.StatusForbidden:
					t.Errorf("role %q was refused: %s", role, res.body)
				case !allowed && res.Code != http.StatusForbidden:
					t.Errorf("role %q got %d, want 403: %s", role, res.Code, res.body)
				case allowed && upgradeOnly[key] && res.Code == http.StatusUpgradeRequired && strings.Contains(string(res.body), "upgrade_required"):
				case allowed && res.Code >= 400:
					t.Errorf("role %q allowed but the request failed with %d: %s", role, res.Code, res.body)
				}
			})
		}
	}
	for key := range wantPermission {
		if !seen[key] {
			t.Errorf("%s is expected but not registered", key)
		}
	}
}

// matrixRequest fills a route's path parameters with the harness's objects
// and gives mutating routes a valid body.
func (h *harness) matrixRequest(rt api.Route) request {
	ctx := context.Background()
	path := strings.NewReplacer(":slug", h.app.Slug, ":team", h.team.Slug, ":project", h.project.Slug, ":env", h.env.Name).Replace(rt.Path)
	req := request{method: rt.Method, path: path}
	switch rt.Method + " " + rt.Path {
	case "POST /api/v1/me/tokens":
		req.body = map[string]any{"name": "ci"}
	case "DELETE /api/v1/me/tokens/:id":
		req.path = "/api/v1/me/tokens/1" // the caller's own token (the first one issued)
	case "PUT /api/v1/me/password":
		req.body = map[string]any{"current_password": "correct horse battery", "new_password": "another long password"}
	case "POST /api/v1/users":
		req.body = map[string]any{"email": "new@acme.test", "name": "New", "password": "a long password"}
	case "PATCH /api/v1/teams/:team":
		req.body = map[string]any{"name": "Payments & Billing"}
	case "POST /api/v1/scm-connections":
		req.body = map[string]any{"kind": "gitea", "name": "gitea", "base_url": gitea.URL, "token": gitea.Token}
	case "DELETE /api/v1/scm-connections/:id", "POST /api/v1/scm-connections/:id/test", "GET /api/v1/scm-connections/:id/repos":
		conn := h.giteaConnection("gitea")
		req.path = strings.Replace(rt.Path, ":id", fmt.Sprint(conn.ID), 1)
	case "POST /api/v1/secret-bundles":
		req.body = map[string]any{"name": "stripe-live", "description": "Stripe", "values": map[string]string{"STRIPE_KEY": "sk_test_rbac"}}
	case "GET /api/v1/secret-bundles/:name", "DELETE /api/v1/secret-bundles/:name",
		"PUT /api/v1/secret-bundles/:name/values/:key", "DELETE /api/v1/secret-bundles/:name/values/:key":
		b := &store.SecretBundle{OrgID: h.org.ID, Name: "stripe-live"}
		must(h.t, h.s.CreateSecretBundle(ctx, b, map[string][]byte{"STRIPE_KEY": h.box.Seal(store.SecretBundlePurpose, []byte("sk_test_rbac"))}))
		req.path = strings.NewReplacer(":name", b.Name, ":key", "STRIPE_KEY").Replace(rt.Path)
		if rt.Method == http.MethodPut {
			req.body = map[string]any{"value": "sk_test_rotated"}
		}
	case "POST /api/v1/apps/:slug/managed-services":
		req.body = map[string]any{"environment": h.env.Name, "kind": "postgres"}
	case "GET /api/v1/apps/:slug/managed-services/:id", "DELETE /api/v1/apps/:slug/managed-services/:id":
		m := &store.ManagedService{OrgID: h.org.ID, AppID: h.app.ID, EnvironmentID: h.env.ID, Kind: "redis"}
		must(h.t, h.s.CreateManagedService(ctx, m))
		req.path = strings.Replace(path, ":id", fmt.Sprint(m.ID), 1)
	case "POST /api/v1/teams":
		req.body = map[string]any{"name": "Search"}
	case "DELETE /api/v1/teams/:team":
		empty := &store.Team{OrgID: h.org.ID, Slug: "empty", Name: "Empty"}
		must(h.t, h.s.CreateTeam(ctx, empty))
		// Deleting needs teams.write (ORG only); "empty" owns no projects.
		req.path = "/api/v1/teams/empty"
	case "POST /api/v1/projects":
		req.body = map[string]any{"name": "Billing", "team": h.team.Slug}
	case "PATCH /api/v1/projects/:project":
		req.body = map[string]any{"description": "changed"}
	case "DELETE /api/v1/projects/:project":
		must(h.t, h.s.DeleteApp(ctx, h.app.ID)) // a project with apps cannot be deleted
	case "POST /api/v1/members":
		other := h.user("other@acme.test", "")
		_ = other
		req.body = map[string]any{"email": "other@acme.test", "role": "app.viewer", "scope": h.app.Slug}
	case "DELETE /api/v1/members/:id":
		u := &store.User{OrgID: h.org.ID, Email: "bound@acme.test", Name: "Bound"}
		must(h.t, h.s.CreateUser(ctx, u))
		b := &store.RoleBinding{OrgID: h.org.ID, UserID: u.ID, Role: "app.viewer", ScopeLevel: store.ScopeApp, ScopeID: h.app.ID}
		must(h.t, h.s.CreateRoleBinding(ctx, b))
		req.path = fmt.Sprintf("/api/v1/members/%d", b.ID)
	case "POST /api/v1/apps":
		req.body = map[string]any{"project": h.project.Slug, "name": "Storefront", "source_url": "https://git.example.com/acme/storefront.git"}
	case "GET /api/v1/apps/:slug/screenshot":
		must(h.t, h.s.SaveScreenshot(ctx, h.app.ID, h.env.ID, "https://shop.example.com", 0, []byte("\x89PNG\r\n\x1a\n"), h.clock.Now()))
	case "GET /api/v1/apps/:slug/commands/ws":
		req.path += "?environment=" + h.env.Name + "&workload=web&command=echo+hi"
	case "GET /api/v1/stream":
		req.timeout = 300 * time.Millisecond
	case "PUT /api/v1/apps/:slug/config/draft":
		req.body = map[string]any{"source": "schema = 1\n"}
	case "POST /api/v1/apps/:slug/config/push":
		// The harness's app, linked to a repository on the test Gitea.
		must(h.t, h.s.SetAppSCM(ctx, h.app.ID, h.giteaConnection("gitea").ID, giteaRepo(h.t)))
		blob := drift.BlobID([]byte(sharedManifest))
		must(h.t, h.s.SetSnapshot(ctx, h.app.ID, store.Snapshot{Raw: sharedManifest, Commit: "c0", BlobID: blob}, false))
		must(h.t, h.s.SaveDraft(ctx, h.app.ID, store.Draft{Raw: sharedManifest + "# rbac\n", BaseBlobID: blob, BaseRaw: sharedManifest}, false))
	case "POST /api/v1/apps/:slug/secrets":
		req.body = map[string]any{"key": "API_KEY", "value": "v4lue"}
	case "POST /api/v1/apps/:slug/secrets/import":
		req.body = "API_KEY=v4lue\n"
	case "DELETE /api/v1/apps/:slug/secrets/:key":
		must(h.t, h.s.SaveDraft(ctx, h.app.ID, store.Draft{Raw: sharedManifest + "[env]\nAPI_KEY = \"x\"\n"}, false))
		req.path = "/api/v1/apps/" + h.app.Slug + "/secrets/API_KEY"
	case "DELETE /api/v1/apps/:slug/config/draft":
		must(h.t, h.s.SaveDraft(ctx, h.app.ID, store.Draft{Raw: "schema = 1\n"}, false))
	case "POST /api/v1/apps/:slug/environments":
		req.body = map[string]any{"name": "qa"}
	case "PATCH /api/v1/apps/:slug/environments/:env":
		req.body = map[string]any{"paused": true}
	case "GET /api/v1/apps/:slug/workloads/:name":
		req.path = "/api/v1/apps/" + h.app.Slug + "/workloads/web"
	case "POST /api/v1/apps/:slug/onboard":
		must(h.t, h.s.SetAppStatus(ctx, h.app.ID, "failed", "registry unreachable"))
	case "POST /api/v1/apps/:slug/environments/:env/:action":
		req.path = "/api/v1/apps/" + h.app.Slug + "/environments/" + h.env.Name + "/pause"
	case "POST /api/v1/apps/:slug/deploy":
		req.body = map[string]any{"environment": "staging", "image": "v2"}
	case "POST /api/v1/apps/:slug/tokens":
		req.body = map[string]any{"name": "github-actions"}
	case "POST /api/v1/apps/:slug/tokens/:id/rotate", "DELETE /api/v1/apps/:slug/tokens/:id":
		t := &store.DeployToken{AppID: h.app.ID, Name: "ci", Scopes: []string{"deploy", "read"}}
		_, err := api.IssueDeployToken(ctx, h.s, t)
		must(h.t, err)
		req.path = strings.Replace(req.path, ":id", fmt.Sprint(t.ID), 1)
	case "POST /api/v1/deployments/:id/:action":
		d := &store.Deployment{AppID: h.app.ID, EnvironmentID: h.env.ID, Trigger: "manual", Status: "pending", ManifestRaw: sharedManifest}
		must(h.t, h.s.CreateDeployment(ctx, d, "test"))
		req.path = fmt.Sprintf("/api/v1/deployments/%d/redeploy", d.ID)
	case "GET /api/v1/deployments/:id":
		d := &store.Deployment{AppID: h.app.ID, EnvironmentID: h.env.ID, Trigger: "manual", Status: "pending", ManifestRaw: sharedManifest}
		must(h.t, h.s.CreateDeployment(ctx, d, "test"))
		req.path = fmt.Sprintf("/api/v1/deployments/%d", d.ID)
	case "PATCH /api/v1/apps/:slug":
		req.body = map[string]any{"description": "changed"}
	case "POST /api/v1/apps/:slug/webhooks", "POST /api/v1/webhooks":
		req.body = map[string]any{"url": newHookReceiver(h.t).URL, "event_types": []string{"deployment.*"}}
	case "DELETE /api/v1/apps/:slug/webhooks/:id", "POST /api/v1/apps/:slug/webhooks/:id/ping", "GET /api/v1/apps/:slug/webhooks/:id/deliveries":
		req.path = strings.Replace(req.path, ":id", fmt.Sprint(h.outboundWebhook(h.app.ID).ID), 1)
	case "DELETE /api/v1/webhooks/:id", "POST /api/v1/webhooks/:id/ping", "GET /api/v1/webhooks/:id/deliveries":
		req.path = strings.Replace(req.path, ":id", fmt.Sprint(h.outboundWebhook(0).ID), 1)
	case "POST /api/v1/apps/:slug/domains":
		req.body = map[string]any{"hostname": "shop.example.com", "environment": h.env.Name}
	case "GET /api/v1/apps/:slug/domains/:id", "POST /api/v1/apps/:slug/domains/:id/recheck", "DELETE /api/v1/apps/:slug/domains/:id":
		d := &store.Domain{OrgID: h.org.ID, AppID: h.app.ID, EnvironmentID: h.env.ID, Hostname: "shop.example.com", ChallengeToken: "t"}
		must(h.t, h.s.CreateDomain(ctx, d))
		req.path = strings.Replace(req.path, ":id", fmt.Sprint(d.ID), 1)
	}
	return req
}
