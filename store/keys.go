package store

import (
	"context"
	"fmt"
)

// PlatformKey is a key the platform generated for itself; Sealed is
// encrypted by the caller with the master key.
type PlatformKey struct {
	Name   string
	Public string
	Sealed []byte
}

// EnsurePlatformKey stores k unless a key of that name exists, and returns
// the stored key: the first replica to start creates it, the others (and
// later starts) read it.
func (s *Store) EnsurePlatformKey(ctx context.Context, k PlatformKey) (*PlatformKey, error) {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO platform_keys (name, public, value_sealed, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING`,
		k.Name, k.Public, k.Sealed, s.timestamp())
	if err != nil {
		return nil, fmt.Errorf("platform key %s: %w", k.Name, err)
	}
	out := &PlatformKey{Name: k.Name}
	err = s.db.QueryRowContext(ctx, `SELECT public, value_sealed FROM platform_keys WHERE name = $1`, k.Name).Scan(&out.Public, &out.Sealed)
	if err != nil {
		return nil, fmt.Errorf("platform key %s: %w", k.Name, err)
	}
	return out, nil
}
