package reconciler

import (
	"context"
	"errors"
	"fmt"

	"filippo.io/age"

	"github.com/astrolift/astrolift/render"
	"github.com/astrolift/astrolift/store"
)

// Secrets opens the manifest's sealed env values with the platform's
// identity for a rendering. (The Secret values of the objects a
// deployment stores are sealed with the master key: see stored.go.) A nil
// *Secrets opens nothing.
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
