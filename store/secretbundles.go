package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// SecretBundlePurpose is the secretbox purpose the values of secret bundles
// are sealed with (by the API) and opened with (by the deployer).
const SecretBundlePurpose = "secret-bundle"

// SecretBundle is an organization's named set of env values, attached to
// apps by their manifests ([secrets] bundles). The store holds the values
// sealed by the caller and never returns them with the bundle: Keys names
// them, SecretBundleValues hands the sealed values to the deployer.
type SecretBundle struct {
	ID          int64
	OrgID       int64
	Name        string
	Description string
	CreatedBy   string
	CreatedAt   time.Time
	// UpdatedAt moves whenever a key is set, rotated or removed.
	UpdatedAt time.Time
	Keys      []SecretBundleKey // sorted by key
}

// SecretBundleKey is one key of a bundle and when its value last changed.
type SecretBundleKey struct {
	Key       string
	UpdatedAt time.Time
}

const bundleColumns = `id, org_id, name, description, created_by, created_at, updated_at`

func scanBundle(row interface{ Scan(...any) error }) (*SecretBundle, error) {
	b := &SecretBundle{}
	return b, row.Scan(&b.ID, &b.OrgID, &b.Name, &b.Description, &b.CreatedBy, &b.CreatedAt, &b.UpdatedAt)
}

// CreateSecretBundle inserts a bundle with its sealed values (key → value
// sealed with SecretBundlePurpose) in one transaction. Its name is unique
// among the organization's live bundles.
func (s *Store) CreateSecretBundle(ctx context.Context, b *SecretBundle, sealed map[string][]byte) error {
	now := s.timestamp()
	return s.tx(ctx, func(q queryer) error {
		err := q.QueryRowContext(ctx,
			`INSERT INTO secret_bundles (org_id, name, description, created_by, created_at, updated_at)
			 VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`,
			b.OrgID, b.Name, b.Description, b.CreatedBy, now).Scan(&b.ID)
		if isUniqueViolation(err) {
			return fmt.Errorf("secret bundle %q: name taken: %w", b.Name, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("create secret bundle %q: %w", b.Name, err)
		}
		b.Keys = nil
		for _, key := range sortedByteKeys(sealed) {
			if _, err := q.ExecContext(ctx,
				`INSERT INTO secret_bundle_values (bundle_id, key, value_sealed, updated_at) VALUES ($1, $2, $3, $4)`,
				b.ID, key, sealed[key], now); err != nil {
				return fmt.Errorf("create secret bundle %q: key %s: %w", b.Name, key, err)
			}
			b.Keys = append(b.Keys, SecretBundleKey{Key: key, UpdatedAt: now})
		}
		b.CreatedAt, b.UpdatedAt = now, now
		return nil
	})
}

// GetSecretBundle returns the organization's live bundle named name, with
// its keys.
func (s *Store) GetSecretBundle(ctx context.Context, orgID int64, name string) (*SecretBundle, error) {
	b, err := scanBundle(s.db.QueryRowContext(ctx,
		`SELECT `+bundleColumns+` FROM secret_bundles WHERE org_id = $1 AND name = $2 AND deleted_at IS NULL`, orgID, name))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("secret bundle %q", name))
	}
	keys, err := s.bundleKeys(ctx, `bundle_id = $1`, b.ID)
	if err != nil {
		return nil, fmt.Errorf("secret bundle %q: %w", name, err)
	}
	b.Keys = keys[b.ID]
	return b, nil
}

// ListSecretBundles returns the organization's live bundles by name, with
// their keys.
func (s *Store) ListSecretBundles(ctx context.Context, orgID int64) ([]*SecretBundle, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT `+bundleColumns+` FROM secret_bundles WHERE org_id = $1 AND deleted_at IS NULL ORDER BY name`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list secret bundles: %w", err)
	}
	defer rows.Close()
	var out []*SecretBundle
	for rows.Next() {
		b, err := scanBundle(rows)
		if err != nil {
			return nil, fmt.Errorf("list secret bundles: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list secret bundles: %w", err)
	}
	keys, err := s.bundleKeys(ctx,
		`bundle_id IN (SELECT id FROM secret_bundles WHERE org_id = $1 AND deleted_at IS NULL)`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list secret bundles: %w", err)
	}
	for _, b := range out {
		b.Keys = keys[b.ID]
	}
	return out, nil
}

// bundleKeys reads the keys (never the values) of the bundles matching
// where, by bundle id.
func (s *Store) bundleKeys(ctx context.Context, where string, args ...any) (map[int64][]SecretBundleKey, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT bundle_id, key, updated_at FROM secret_bundle_values WHERE `+where+` ORDER BY bundle_id, key`, args...)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	defer rows.Close()
	out := map[int64][]SecretBundleKey{}
	for rows.Next() {
		var (
			id int64
			k  SecretBundleKey
		)
		if err := rows.Scan(&id, &k.Key, &k.UpdatedAt); err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		out[id] = append(out[id], k)
	}
	return out, rows.Err()
}

// SetSecretBundleValue sets the sealed value of key in a live bundle,
// adding the key or replacing (rotating) its value; created says which.
func (s *Store) SetSecretBundleValue(ctx context.Context, bundleID int64, key string, sealed []byte) (created bool, err error) {
	now := s.timestamp()
	err = s.tx(ctx, func(q queryer) error {
		if err := touchBundle(ctx, q, bundleID, now); err != nil {
			return fmt.Errorf("secret bundle %d: set %s: %w", bundleID, key, err)
		}
		res, err := q.ExecContext(ctx,
			`UPDATE secret_bundle_values SET value_sealed = $1, updated_at = $2 WHERE bundle_id = $3 AND key = $4`,
			sealed, now, bundleID, key)
		if err != nil {
			return fmt.Errorf("secret bundle %d: set %s: %w", bundleID, key, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		created = true
		if _, err := q.ExecContext(ctx,
			`INSERT INTO secret_bundle_values (bundle_id, key, value_sealed, updated_at) VALUES ($1, $2, $3, $4)`,
			bundleID, key, sealed, now); err != nil {
			if isUniqueViolation(err) {
				return fmt.Errorf("secret bundle %d: set %s: set at the same time by another request: %w", bundleID, key, ErrConflict)
			}
			return fmt.Errorf("secret bundle %d: set %s: %w", bundleID, key, err)
		}
		return nil
	})
	return created, err
}

// DeleteSecretBundleValue removes key and its sealed value from a live
// bundle.
func (s *Store) DeleteSecretBundleValue(ctx context.Context, bundleID int64, key string) error {
	now := s.timestamp()
	return s.tx(ctx, func(q queryer) error {
		if err := touchBundle(ctx, q, bundleID, now); err != nil {
			return fmt.Errorf("secret bundle %d: remove %s: %w", bundleID, key, err)
		}
		res, err := q.ExecContext(ctx, `DELETE FROM secret_bundle_values WHERE bundle_id = $1 AND key = $2`, bundleID, key)
		if err != nil {
			return fmt.Errorf("secret bundle %d: remove %s: %w", bundleID, key, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("secret bundle %d: key %s: %w", bundleID, key, ErrNotFound)
		}
		return nil
	})
}

// touchBundle moves a live bundle's updated_at; ErrNotFound when the bundle
// is deleted or does not exist.
func touchBundle(ctx context.Context, q queryer, id int64, now time.Time) error {
	res, err := q.ExecContext(ctx, `UPDATE secret_bundles SET updated_at = $1 WHERE id = $2 AND deleted_at IS NULL`, now, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteSecretBundle soft-deletes a bundle. Its sealed values stay with the
// deleted row; a new bundle of the same name starts empty.
func (s *Store) DeleteSecretBundle(ctx context.Context, id int64) error {
	return softDelete(ctx, s.db, "secret_bundles", id, s.timestamp(), fmt.Sprintf("secret bundle %d", id))
}

// SecretBundleValues returns the sealed values of the organization's live
// bundles among names: bundle name → key → sealed value. A name without a
// live bundle is absent from the result (the caller decides what that
// means).
func (s *Store) SecretBundleValues(ctx context.Context, orgID int64, names []string) (map[string]map[string][]byte, error) {
	out := map[string]map[string][]byte{}
	if len(names) == 0 {
		return out, nil
	}
	args := []any{orgID}
	marks := make([]string, len(names))
	for i, n := range names {
		args = append(args, n)
		marks[i] = fmt.Sprintf("$%d", i+2)
	}
	in := strings.Join(marks, ", ")
	rows, err := s.db.QueryContext(ctx,
		`SELECT b.name, v.key, v.value_sealed FROM secret_bundles b LEFT JOIN secret_bundle_values v ON v.bundle_id = b.id
		 WHERE b.org_id = $1 AND b.deleted_at IS NULL AND b.name IN (`+in+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("secret bundles %s: values: %w", strings.Join(names, ", "), err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			name   string
			key    *string
			sealed []byte
		)
		if err := rows.Scan(&name, &key, &sealed); err != nil {
			return nil, fmt.Errorf("secret bundles %s: values: %w", strings.Join(names, ", "), err)
		}
		if out[name] == nil {
			out[name] = map[string][]byte{}
		}
		if key != nil { // nil: a bundle without keys (LEFT JOIN)
			out[name][*key] = sealed
		}
	}
	return out, rows.Err()
}

func sortedByteKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
