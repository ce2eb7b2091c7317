package reconciler

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/astrolift/astrolift/scm/git"
	"github.com/astrolift/astrolift/store"
)

// Opener opens values sealed with the master key.
type Opener interface {
	Open(purpose string, sealed []byte) ([]byte, error)
}

// ConnectionAuth returns the Auth function of GitSource and Poller: an app
// with an SCM connection uses that connection's credentials (stored sealed
// as JSON git.Credentials); an app without one reads anonymously.
func ConnectionAuth(s *store.Store, box Opener) func(ctx context.Context, app *store.App) (transport.AuthMethod, error) {
	return func(ctx context.Context, app *store.App) (transport.AuthMethod, error) {
		if app.SCMConnectionID == 0 {
			return nil, nil
		}
		conn, err := s.GetSCMConnection(ctx, app.SCMConnectionID)
		if err != nil {
			return nil, err
		}
		if len(conn.CredentialsSealed) == 0 {
			return nil, nil
		}
		if box == nil {
			return nil, fmt.Errorf("scm connection %s: no master key to open its credentials", conn.Name)
		}
		raw, err := box.Open(git.SealPurpose, conn.CredentialsSealed)
		if err != nil {
			return nil, fmt.Errorf("scm connection %s: %w", conn.Name, err)
		}
		var creds git.Credentials
		if err := json.Unmarshal(raw, &creds); err != nil {
			return nil, fmt.Errorf("scm connection %s: credentials: %w", conn.Name, err)
		}
		return creds.AuthMethod(app.SourceURL)
	}
}
