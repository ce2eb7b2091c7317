package api

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/astrolift/astrolift/render"
	"github.com/astrolift/astrolift/store"
)

// bundleKeyRE is what a bundle key must look like: an upper-case env var
// name (bundles are shared across apps, so one convention).
var bundleKeyRE = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)

// Secret bundles are organization-level named sets of env values. Values
// are sealed with the master key (store.SecretBundlePurpose) as they
// arrive and are never returned, logged or put in an event: responses list
// keys with the time their value last changed. Apps attach bundles in their
// manifest ([secrets] bundles, per environment through the
// [environments.<env>.secrets] overlay); setting a value deploys nothing,
// the next deployment of each app picks it up.

// maxBundleValueBytes caps one value (a Kubernetes Secret holds 1 MiB in
// all).
const maxBundleValueBytes = 64 << 10

type secretBundleRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Values are the bundle's keys and plaintext values; they are sealed
	// before they are stored and never shown again.
	Values map[string]string `json:"values"`
}

type secretValueRequest struct {
	Value *string `json:"value"`
}

type secretBundleKeyDTO struct {
	Key       string    `json:"key"`
	UpdatedAt time.Time `json:"updated_at"`
}

// bundleReferenceDTO is an app whose synced manifest attaches the bundle,
// with the environments it applies to.
type bundleReferenceDTO struct {
	App          string   `json:"app"`
	Environments []string `json:"environments"`
}

type secretBundleDTO struct {
	Name        string               `json:"name"`
	Description string               `json:"description"`
	Keys        []secretBundleKeyDTO `json:"keys"`
	CreatedBy   string               `json:"created_by"`
	CreatedAt   time.Time            `json:"created_at"`
	UpdatedAt   time.Time            `json:"updated_at"`
}

// secretBundleDetailDTO is one bundle with the apps (among those the
// caller may read) whose synced manifests attach it.
type secretBundleDetailDTO struct {
	secretBundleDTO
	References []bundleReferenceDTO `json:"references"`
}

func newSecretBundleDTO(b *store.SecretBundle) secretBundleDTO {
	out := secretBundleDTO{Name: b.Name, Description: b.Description, CreatedBy: b.CreatedBy, CreatedAt: b.CreatedAt,
		UpdatedAt: b.UpdatedAt, Keys: make([]secretBundleKeyDTO, len(b.Keys))}
	for i, k := range b.Keys {
		out.Keys[i] = secretBundleKeyDTO{Key: k.Key, UpdatedAt: k.UpdatedAt}
	}
	return out
}

// bundleKeyError checks one key; field is where the request holds it.
// The value is never part of the message.
func bundleKeyError(field, key string) error {
	switch {
	case key == "":
		return invalid(field, "%s: the key is empty", field)
	case len(key) > 253:
		return invalid(field, "%s: the key is longer than 253 characters", field)
	case !bundleKeyRE.MatchString(key):
		return invalid(field, "%s: %q is not an env var name: upper-case letters, digits and _, not starting with a digit", field, key)
	}
	return nil
}

func bundleValueError(field string, value string) error {
	if len(value) > maxBundleValueBytes {
		return invalid(field, "%s: the value is %d bytes, more than the %d a bundle value may hold", field, len(value), maxBundleValueBytes)
	}
	return nil
}

// bundleSealer is the master key, or a 503 when there is none.
func (a *API) bundleSealer() (Sealer, error) {
	sealer, ok := a.opts.Secrets.(Sealer)
	if a.opts.Secrets == nil || !ok {
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "secret bundles need the master key (ASTROLIFT_MASTER_KEY)"}
	}
	return sealer, nil
}

func (a *API) listSecretBundles(c *gin.Context) {
	bs, err := a.store.ListSecretBundles(c.Request.Context(), principalOf(c).user.OrgID)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := make([]secretBundleDTO, len(bs))
	for i, b := range bs {
		out[i] = newSecretBundleDTO(b)
	}
	respondPageOf(a, c, out, func(b secretBundleDTO) string { return b.Name })
}

// createSecretBundle stores a bundle with its values sealed.
func (a *API) createSecretBundle(c *gin.Context) {
	// Values are decoded raw first, so that a value that is not a string
	// is refused naming its key.
	var raw struct {
		secretBundleRequest
		Values map[string]json.RawMessage `json:"values"`
	}
	if err := bindJSON(c, &raw); err != nil {
		a.fail(c, err)
		return
	}
	req := raw.secretBundleRequest
	req.Values = make(map[string]string, len(raw.Values))
	for _, k := range slices.Sorted(maps.Keys(raw.Values)) {
		var s string
		if err := json.Unmarshal(raw.Values[k], &s); err != nil {
			a.fail(c, invalid("values."+k, "values.%s: the value must be a string", k))
			return
		}
		req.Values[k] = s
	}
	sealer, err := a.bundleSealer()
	if err != nil {
		a.fail(c, err)
		return
	}
	if msgs := validation.IsDNS1123Label(req.Name); len(msgs) > 0 {
		a.fail(c, invalid("name", "name %q: %s", req.Name, msgs[0]))
		return
	}
	if len(req.Description) > 1000 {
		a.fail(c, invalid("description", "description is longer than 1000 characters"))
		return
	}
	keys := slices.Sorted(maps.Keys(req.Values))
	sealed := make(map[string][]byte, len(keys))
	for _, k := range keys {
		field := "values." + k
		if err := bundleKeyError(field, k); err != nil {
			a.fail(c, err)
			return
		}
		if err := bundleValueError(field, req.Values[k]); err != nil {
			a.fail(c, err)
			return
		}
		sealed[k] = sealer.Seal(store.SecretBundlePurpose, []byte(req.Values[k]))
	}
	p := principalOf(c)
	b := &store.SecretBundle{OrgID: p.user.OrgID, Name: req.Name, Description: strings.TrimSpace(req.Description), CreatedBy: p.user.Email}
	if err := a.store.CreateSecretBundle(c.Request.Context(), b, sealed); err != nil {
		a.fail(c, err)
		return
	}
	msg := "secret bundle " + b.Name + " created"
	if len(keys) > 0 {
		msg += " with " + strings.Join(keys, ", ")
	}
	a.event(c.Request.Context(), b.OrgID, 0, "secret_bundle.created", p.user.Email, msg)
	c.JSON(http.StatusCreated, newSecretBundleDTO(b))
}

// bundleOf is the caller's organization's bundle named by :name.
func (a *API) bundleOf(c *gin.Context) (*store.SecretBundle, error) {
	return a.store.GetSecretBundle(c.Request.Context(), principalOf(c).user.OrgID, c.Param("name"))
}

func (a *API) getSecretBundle(c *gin.Context) {
	b, err := a.bundleOf(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	refs, err := a.bundleReferences(c.Request.Context(), b, principalOf(c).visibleApps())
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, secretBundleDetailDTO{secretBundleDTO: newSecretBundleDTO(b), References: refs})
}

// setSecretBundleValue adds a key or rotates its value. Nothing is
// deployed: each app's next deployment picks the value up.
func (a *API) setSecretBundleValue(c *gin.Context) {
	var req secretValueRequest
	if err := bindJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	sealer, err := a.bundleSealer()
	if err != nil {
		a.fail(c, err)
		return
	}
	key := c.Param("key")
	if err := bundleKeyError("key", key); err != nil {
		a.fail(c, err)
		return
	}
	if req.Value == nil {
		a.fail(c, invalid("value", "value is required"))
		return
	}
	if err := bundleValueError("value", *req.Value); err != nil {
		a.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	b, err := a.bundleOf(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	created, err := a.store.SetSecretBundleValue(ctx, b.ID, key, sealer.Seal(store.SecretBundlePurpose, []byte(*req.Value)))
	if err != nil {
		a.fail(c, err)
		return
	}
	verb := "rotated"
	if created {
		verb = "added"
	}
	p := principalOf(c)
	a.event(ctx, b.OrgID, 0, "secret_bundle.value_set", p.user.Email,
		fmt.Sprintf("secret bundle %s: %s %s; apps get it at their next deployment", b.Name, key, verb))
	if b, err = a.store.GetSecretBundle(ctx, b.OrgID, b.Name); err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newSecretBundleDTO(b))
}

func (a *API) deleteSecretBundleValue(c *gin.Context) {
	ctx := c.Request.Context()
	key := c.Param("key")
	if err := bundleKeyError("key", key); err != nil {
		a.fail(c, err)
		return
	}
	b, err := a.bundleOf(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	if err := a.store.DeleteSecretBundleValue(ctx, b.ID, key); err != nil {
		a.fail(c, err)
		return
	}
	a.event(ctx, b.OrgID, 0, "secret_bundle.value_removed", principalOf(c).user.Email,
		fmt.Sprintf("secret bundle %s: %s removed; apps lose it at their next deployment", b.Name, key))
	c.Status(http.StatusNoContent)
}

// deleteSecretBundle soft-deletes a bundle. It refuses while an app's
// synced manifest attaches it (that app's next deployment would fail).
func (a *API) deleteSecretBundle(c *gin.Context) {
	ctx := c.Request.Context()
	b, err := a.bundleOf(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	refs, err := a.bundleReferences(ctx, b, nil)
	if err != nil {
		a.fail(c, err)
		return
	}
	if len(refs) > 0 {
		var names []string
		for _, r := range refs {
			names = append(names, r.App+" ("+strings.Join(r.Environments, ", ")+")")
		}
		a.fail(c, &Error{Status: http.StatusConflict, Code: "conflict",
			Message: fmt.Sprintf("secret bundle %s is attached to %s; remove it from their manifests first", b.Name, strings.Join(names, ", "))})
		return
	}
	if err := a.store.DeleteSecretBundle(ctx, b.ID); err != nil {
		a.fail(c, err)
		return
	}
	a.event(ctx, b.OrgID, 0, "secret_bundle.deleted", principalOf(c).user.Email, "secret bundle "+b.Name+" deleted (soft)")
	c.Status(http.StatusNoContent)
}

// bundleReferences lists the apps among visible (nil: all) whose synced
// manifest attaches b in one of their environments, and those
// environments. Only manifests that mention the name are parsed.
func (a *API) bundleReferences(ctx context.Context, b *store.SecretBundle, visible *store.AppVisibility) ([]bundleReferenceDTO, error) {
	const pageSize = 500
	out := []bundleReferenceDTO{}
	after := ""
	for {
		apps, err := a.store.ListApps(ctx, store.AppFilter{OrgID: b.OrgID, Visible: visible, AfterSlug: after, Limit: pageSize})
		if err != nil {
			return nil, fmt.Errorf("secret bundle %s: references: %w", b.Name, err)
		}
		for _, app := range apps {
			if !strings.Contains(app.Manifest.Raw, b.Name) {
				continue
			}
			m, err := render.Parse(app.ManifestPath, []byte(app.Manifest.Raw))
			if err != nil {
				continue // an invalid manifest deploys nothing
			}
			envs, err := a.store.ListEnvironments(ctx, app.ID)
			if err != nil {
				return nil, fmt.Errorf("secret bundle %s: references: %w", b.Name, err)
			}
			ref := bundleReferenceDTO{App: app.Slug, Environments: []string{}}
			for _, e := range envs {
				if slices.Contains(m.Environment(e.Name).Secrets.Bundles, b.Name) {
					ref.Environments = append(ref.Environments, e.Name)
				}
			}
			if len(ref.Environments) > 0 {
				out = append(out, ref)
			}
		}
		if len(apps) < pageSize {
			return out, nil
		}
		after = apps[len(apps)-1].Slug
	}
}
