package reconciler

import (
	"context"
	"errors"
	"fmt"

	"filippo.io/age"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/astrolift/astrolift/render"
	"github.com/astrolift/astrolift/store"
)

// Secrets supplies what a rendering needs from outside the repository:
// the manifest's sealed env values opened with the platform's identity.
// The deployment objects kept in the store hold their Secrets masked (the
// database never sees a value); Restore renders them again when stored
// objects are applied or compared with the cluster. A nil *Secrets opens
// nothing.
type Secrets struct {
	Store *store.Store
	// Identity is the platform's age identity (PlatformIdentity); nil: a
	// manifest with sealed values cannot be deployed.
	Identity age.Identity
}

// errNoIdentity: sealed values but no master key to open them with.
var errNoIdentity = errors.New("this server has no platform identity to open sealed values (start it with the master key, ASTROLIFT_MASTER_KEY)")

// Input fills in's Opened for the environment in.Environment of m.
func (s *Secrets) Input(ctx context.Context, app *store.App, m *render.Manifest, in *render.Input) error {
	em := m.Environment(in.Environment)
	sealed := false
	for _, v := range em.Env {
		sealed = sealed || render.IsSealed(v)
	}
	if !sealed {
		return nil
	}
	if s == nil || s.Identity == nil {
		return fmt.Errorf("app %s, environment %s: %w", app.Slug, in.Environment, errNoIdentity)
	}
	opened, err := render.OpenAll(em, s.Identity)
	if err != nil {
		return fmt.Errorf("app %s, environment %s: %w", app.Slug, in.Environment, err)
	}
	in.Opened = opened
	return nil
}

// Restore replaces the (masked) Secrets among a deployment's stored
// objects with the Secrets its manifest renders now.
func (s *Secrets) Restore(ctx context.Context, app *store.App, env *store.Environment, manifestRaw string, objs []*unstructured.Unstructured) error {
	has := false
	for _, o := range objs {
		has = has || o.GetKind() == "Secret"
	}
	if !has {
		return nil
	}
	m, err := render.Parse(app.ManifestPath, []byte(manifestRaw))
	if err != nil {
		return err
	}
	in := render.Input{App: app.Slug, Environment: env.Name, Namespace: env.Namespace}
	if err := s.Input(ctx, app, m, &in); err != nil {
		return err
	}
	fresh, err := render.Render(m, in)
	if err != nil {
		return err
	}
	byName := map[string]*unstructured.Unstructured{}
	for _, o := range fresh {
		if o.GetKind() == "Secret" {
			byName[o.GetName()] = o
		}
	}
	for i, o := range objs {
		if o.GetKind() != "Secret" {
			continue
		}
		f, ok := byName[o.GetName()]
		if !ok {
			return fmt.Errorf("app %s, environment %s: stored Secret %s is no longer rendered", app.Slug, env.Name, o.GetName())
		}
		objs[i] = f
	}
	return nil
}

// storedText is the YAML of objs as the store keeps it: Secret values
// masked.
func storedText(objs []*unstructured.Unstructured) (string, error) {
	out := make([]*unstructured.Unstructured, len(objs))
	for i, o := range objs {
		out[i] = o
		if o.GetKind() == "Secret" {
			out[i] = o.DeepCopy()
			render.MaskSecrets(out[i : i+1])
		}
	}
	return yamlText(out)
}
