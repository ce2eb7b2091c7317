package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/astrolift/astrolift/internal/dotenv"
	"github.com/astrolift/astrolift/render"
	"github.com/astrolift/astrolift/store"
)

// maskedValue stands for every secret value in every response.
const maskedValue = "********"

var envKeyRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

type secretDTO struct {
	Key string `json:"key"`
	// Source is literal (the manifest's env, staged draft included),
	// bundle (a key of an attached secret bundle) or managed_service.
	Source string `json:"source"`
	// Environment is "" for the base [env], else the environment whose
	// overlay sets it.
	Environment string `json:"environment"`
	// Sealed: the manifest holds the value sealed (only the platform can
	// open it); a plain literal is readable in the repository.
	Sealed bool   `json:"sealed"`
	Bundle string `json:"bundle,omitempty"`
	// ManagedService names the managed service ("postgres", "redis
	// sessions") whose envelope holds the key.
	ManagedService string `json:"managed_service,omitempty"`
	// Staged: the value is in the draft, not yet in the repository.
	Staged bool   `json:"staged"`
	Value  string `json:"value"` // always masked
}

type secretsResponse struct {
	Items []secretDTO `json:"items"`
	// Recipient is the platform's age recipient: `astrolift seal
	// --recipient` seals values offline that only the platform can open.
	Recipient string `json:"recipient,omitempty"`
}

type setSecretRequest struct {
	Key         string `json:"key"`
	Value       string `json:"value"`
	Environment string `json:"environment"` // "": the base [env]
}

type recipientResponse struct {
	Recipient string `json:"recipient"`
}

// recipient serves the platform's public age recipient.
func (a *API) recipient(c *gin.Context) {
	if a.opts.Recipient == nil {
		a.fail(c, errNoRecipient)
		return
	}
	c.JSON(http.StatusOK, recipientResponse{Recipient: a.opts.Recipient.String()})
}

var errNoRecipient = &Error{Status: http.StatusServiceUnavailable, Code: "unavailable",
	Message: "this server has no platform identity to seal secrets to (start it with the master key, ASTROLIFT_MASTER_KEY)"}

// editedManifest is the text secrets edit: the draft, else the snapshot.
func editedManifest(app *store.App) (string, bool) {
	if app.Draft != nil {
		return app.Draft.Raw, true
	}
	return app.Manifest.Raw, false
}

// listSecrets lists the app's secret keys from every source, values
// masked (?environment narrows to the base and that environment).
func (a *API) listSecrets(c *gin.Context) {
	app := c.MustGet("app").(*store.App)
	out, err := a.secretsView(c.Request.Context(), app, c.Query("environment"))
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (a *API) secretsView(ctx context.Context, app *store.App, only string) (*secretsResponse, error) {
	out := &secretsResponse{Items: []secretDTO{}}
	if a.opts.Recipient != nil {
		out.Recipient = a.opts.Recipient.String()
	}
	raw, staged := editedManifest(app)
	if raw == "" {
		return out, a.managedSecrets(ctx, app, only, out)
	}
	m, err := render.Parse(app.ManifestPath, []byte(raw))
	if err != nil {
		return nil, err
	}
	committed := map[string]string{} // "env/key" → value in the snapshot, to tell staged ones
	if staged && app.Manifest.Raw != "" {
		if sm, err := render.Parse(app.ManifestPath, []byte(app.Manifest.Raw)); err == nil {
			for k, v := range sm.Env {
				committed["/"+k] = v
			}
			for _, e := range sm.Environments() {
				for k, v := range sm.Environment(e).Env {
					committed[e+"/"+k] = v
				}
			}
		}
	}
	add := func(env, key, value string) {
		was, ok := committed[env+"/"+key]
		out.Items = append(out.Items, secretDTO{Key: key, Source: "literal", Environment: env, Sealed: render.IsSealed(value),
			Staged: staged && (!ok || was != value), Value: maskedValue})
	}
	for _, k := range sortedKeys(m.Env) {
		add("", k, m.Env[k])
	}
	for _, e := range m.Environments() {
		if only != "" && e != only {
			continue
		}
		em := m.Environment(e)
		for _, k := range sortedKeys(em.Env) {
			if base, ok := m.Env[k]; !ok || base != em.Env[k] {
				add(e, k, em.Env[k])
			}
		}
	}
	{
		seen := map[string]bool{}
		envs := append([]string{""}, m.Environments()...)
		for _, e := range envs {
			if only != "" && e != "" && e != only {
				continue
			}
			for _, b := range m.Environment(e).Secrets.Bundles {
				if seen[e+"/"+b] || (e != "" && slices.Contains(m.Secrets.Bundles, b)) {
					continue
				}
				seen[e+"/"+b] = true
				bundle, err := a.store.GetSecretBundle(ctx, app.OrgID, b)
				if errors.Is(err, store.ErrNotFound) {
					continue // the deployment will fail naming it; the list shows what exists
				}
				if err != nil {
					return nil, err
				}
				for _, k := range bundle.Keys {
					out.Items = append(out.Items, secretDTO{Key: k.Key, Source: "bundle", Environment: e, Bundle: b, Sealed: true, Value: maskedValue})
				}
			}
		}
	}
	return out, a.managedSecrets(ctx, app, only, out)
}

// managedSecrets adds the envelope keys of the app's active managed
// services (per environment; only narrows to one) to out, values masked.
// The keys are stored in plain text: listing them needs no master key.
func (a *API) managedSecrets(ctx context.Context, app *store.App, only string, out *secretsResponse) error {
	svcs, err := a.store.ListManagedServices(ctx, store.ManagedServiceFilter{AppID: app.ID, Statuses: []string{"active"}})
	if err != nil || len(svcs) == 0 {
		return err
	}
	envs, err := a.store.ListEnvironments(ctx, app.ID)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for _, e := range envs {
		names[e.ID] = e.Name
	}
	for _, m := range svcs {
		env := names[m.EnvironmentID]
		if only != "" && env != only {
			continue
		}
		for _, k := range m.EnvelopeKeys {
			out.Items = append(out.Items, secretDTO{Key: k, Source: "managed_service", Environment: env, Sealed: true,
				ManagedService: managedLabel(m), Value: maskedValue})
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// setSecret seals a value to the platform's recipient and writes it into
// the staged manifest, keeping its formatting: the next deployment of the
// draft uses it and Push to repo lands it. The plaintext is never stored.
func (a *API) setSecret(c *gin.Context) {
	var req setSecretRequest
	if err := bindJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	if !envKeyRE.MatchString(req.Key) {
		a.fail(c, invalid("key", "key %q is not an environment variable name (letters, digits and _, not starting with a digit)", req.Key))
		return
	}
	a.stageSecrets(c, req.Environment, []dotenv.Pair{{Key: req.Key, Value: req.Value}}, "secret "+req.Key+" set")
}

// importSecrets stages every KEY=value of a .env body, sealed. A line
// that cannot be read stages nothing and is named in the answer.
func (a *API) importSecrets(c *gin.Context) {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		a.fail(c, err)
		return
	}
	pairs, err := dotenv.Parse(string(body))
	var perr *dotenv.Error
	if errors.As(err, &perr) {
		a.fail(c, &Error{Status: http.StatusBadRequest, Code: "invalid", Field: fmt.Sprintf("line %d", perr.Line),
			Message: ".env " + perr.Error() + "; nothing was imported"})
		return
	}
	if len(pairs) == 0 {
		a.fail(c, invalid("body", "the .env body holds no KEY=value line"))
		return
	}
	a.stageSecrets(c, c.Query("environment"), pairs, fmt.Sprintf("%d secrets imported from a .env", len(pairs)))
}

// deleteSecret removes a literal from the staged manifest.
func (a *API) deleteSecret(c *gin.Context) {
	app := c.MustGet("app").(*store.App)
	env, key := c.Query("environment"), c.Param("key")
	raw, _ := editedManifest(app)
	out, err := render.DeleteEnv([]byte(raw), env, key)
	if errors.Is(err, render.ErrEnvKeyNotFound) {
		a.fail(c, &Error{Status: http.StatusNotFound, Code: "not_found", Field: "key", Message: err.Error()})
		return
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	a.saveSecretDraft(c, app, string(out), "secret "+key+" deleted")
}

func (a *API) stageSecrets(c *gin.Context, env string, pairs []dotenv.Pair, what string) {
	app := c.MustGet("app").(*store.App)
	if a.opts.Recipient == nil {
		a.fail(c, errNoRecipient)
		return
	}
	raw, _ := editedManifest(app)
	if raw == "" {
		a.fail(c, &Error{Status: http.StatusConflict, Code: "no_manifest", Message: "app " + app.Slug + " has no manifest yet; sync it from its repository first"})
		return
	}
	if env != "" {
		if err := slugField("environment", env, 63); err != nil {
			a.fail(c, err)
			return
		}
	}
	text := []byte(raw)
	for _, p := range pairs {
		sealed, err := render.Seal(a.opts.Recipient, []byte(p.Value))
		if err != nil {
			a.fail(c, err)
			return
		}
		if text, err = render.SetEnv(text, env, p.Key, sealed); err != nil {
			field := "key"
			if p.Line > 0 {
				field = fmt.Sprintf("line %d", p.Line)
			}
			a.fail(c, &Error{Status: http.StatusUnprocessableEntity, Code: "manifest_edit", Field: field, Message: err.Error() + "; nothing was staged"})
			return
		}
	}
	a.saveSecretDraft(c, app, string(text), what)
}

// saveSecretDraft stores the edited manifest as the draft and answers with
// the secrets list.
func (a *API) saveSecretDraft(c *gin.Context, app *store.App, text, what string) {
	ctx := c.Request.Context()
	p := principalOf(c)
	d, keepPR := newDraft(app, text, p.user.ID)
	if err := a.store.SaveDraft(ctx, app.ID, d, keepPR); err != nil {
		a.fail(c, err)
		return
	}
	a.event(ctx, app.OrgID, app.ID, "secrets.staged", p.user.Email, what+" in the draft of "+app.ManifestPath)
	fresh, err := a.store.GetAppByID(ctx, app.ID)
	if err != nil {
		a.fail(c, err)
		return
	}
	out, err := a.secretsView(ctx, fresh, "")
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

type appMembersResponse struct {
	// Roles are the APP-scope roles that can be granted on this app
	// (POST /api/v1/members with the app's slug as scope).
	Roles    []Role       `json:"roles"`
	Bindings []bindingDTO `json:"bindings"`
}

// appMembers lists the APP-scope roles and the app's active bindings.
func (a *API) appMembers(c *gin.Context) {
	ctx := c.Request.Context()
	app := c.MustGet("app").(*store.App)
	out := appMembersResponse{Roles: []Role{}, Bindings: []bindingDTO{}}
	for _, r := range Roles {
		if r.ScopeLevel == store.ScopeApp {
			out.Roles = append(out.Roles, r)
		}
	}
	bs, err := a.store.ListRoleBindings(ctx, store.BindingFilter{OrgID: app.OrgID, ScopeLevel: store.ScopeApp, ScopeID: app.ID})
	if err != nil {
		a.fail(c, err)
		return
	}
	us, err := a.store.ListUsers(ctx, app.OrgID)
	if err != nil {
		a.fail(c, err)
		return
	}
	users := map[int64]userDTO{}
	for _, u := range us {
		users[u.ID] = newUserDTO(u)
	}
	for _, b := range bs {
		if !strings.EqualFold(b.ScopeLevel, store.ScopeApp) {
			continue
		}
		out.Bindings = append(out.Bindings, bindingDTO{ID: b.ID, User: users[b.UserID], Role: b.Role, ScopeLevel: b.ScopeLevel,
			Scope: app.Slug, GrantedAt: b.GrantedAt, ExpiresAt: b.ExpiresAt})
	}
	c.JSON(http.StatusOK, out)
}
