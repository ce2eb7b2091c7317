package reconciler

import (
	"context"
	"fmt"
	"strings"

	"github.com/astrolift/astrolift/store"
)

// BundleValues returns the plaintext values of the organization's secret
// bundles named in names, merged into one map: a key in a later bundle
// overrides the same key in an earlier one. A name without a live bundle
// is an error naming it (wrapping store.ErrNotFound). Values are opened
// with box; no names needs no box.
func BundleValues(ctx context.Context, s *store.Store, box Opener, orgID int64, names []string) (map[string]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	sealed, err := s.SecretBundleValues(ctx, orgID, names)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, name := range names {
		if _, ok := sealed[name]; !ok {
			missing = append(missing, fmt.Sprintf("%q", name))
		}
	}
	if len(missing) > 0 {
		what := "secret bundle " + missing[0]
		if len(missing) > 1 {
			what = "secret bundles " + strings.Join(missing, ", ")
		}
		return nil, fmt.Errorf("%s: %w (create it on the organization's secret bundles, or remove it from [secrets] bundles)", what, store.ErrNotFound)
	}
	out := map[string]string{}
	for _, name := range names {
		for key, v := range sealed[name] {
			if box == nil {
				return nil, fmt.Errorf("secret bundle %q: no master key to open its values", name)
			}
			plain, err := box.Open(store.SecretBundlePurpose, v)
			if err != nil {
				return nil, fmt.Errorf("secret bundle %q: %s: %w", name, key, err)
			}
			out[key] = string(plain)
		}
	}
	return out, nil
}
