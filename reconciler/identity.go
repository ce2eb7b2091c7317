package reconciler

import (
	"context"
	"fmt"

	"filippo.io/age"

	"github.com/astrolift/astrolift/store"
)

// PurposeAgeIdentity is the secretbox purpose of the platform's sealed age
// identity.
const PurposeAgeIdentity = "platform-age-identity"

// PlatformIdentity returns the platform's age identity, which opens the
// sealed values of manifests (the Secrets page seals to its recipient). It
// is generated on the first start and stored sealed with the master key;
// every later start, and every replica, reads the same one.
func PlatformIdentity(ctx context.Context, s *store.Store, box Box) (*age.X25519Identity, error) {
	fresh, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, fmt.Errorf("platform age identity: %w", err)
	}
	k, err := s.EnsurePlatformKey(ctx, store.PlatformKey{Name: "age", Public: fresh.Recipient().String(),
		Sealed: box.Seal(PurposeAgeIdentity, []byte(fresh.String()))})
	if err != nil {
		return nil, err
	}
	raw, err := box.Open(PurposeAgeIdentity, k.Sealed)
	if err != nil {
		return nil, fmt.Errorf("platform age identity: %w (was the master key changed?)", err)
	}
	id, err := age.ParseX25519Identity(string(raw))
	if err != nil {
		return nil, fmt.Errorf("platform age identity: %w", err)
	}
	if id.Recipient().String() != k.Public {
		return nil, fmt.Errorf("platform age identity: stored recipient %s does not match the identity", k.Public)
	}
	return id, nil
}
