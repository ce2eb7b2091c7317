package reconciler

import (
	"context"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/astrolift/astrolift/render"
	"github.com/astrolift/astrolift/scm/git"
	"github.com/astrolift/astrolift/store"
)

// GitSource reads apps' manifests from their repositories.
type GitSource struct {
	Cache *git.Cache
	// Auth returns the credentials for an app's repository; nil, or a nil
	// result, reads anonymously. (SCM connections provide it.)
	Auth func(ctx context.Context, app *store.App) (transport.AuthMethod, error)
}

// ReadManifest returns the deploy branch's head commit and the manifest's
// blob id and text there. The text is refused above render.MaxManifestSize.
func (g *GitSource) ReadManifest(ctx context.Context, app *store.App) (commit, blobID string, content []byte, err error) {
	var auth transport.AuthMethod
	if g.Auth != nil {
		if auth, err = g.Auth(ctx, app); err != nil {
			return "", "", nil, fmt.Errorf("app %s: credentials: %w", app.Slug, err)
		}
	}
	commit, err = git.Head(ctx, app.SourceURL, app.DeployBranch, auth)
	if err != nil {
		return "", "", nil, err
	}
	if err := g.Cache.Fetch(ctx, app.SourceURL, app.DeployBranch, commit, auth); err != nil {
		return "", "", nil, err
	}
	blobID, content, err = g.Cache.ReadFile(app.SourceURL, commit, app.ManifestPath)
	if err != nil {
		return "", "", nil, err
	}
	if len(content) > render.MaxManifestSize {
		return "", "", nil, fmt.Errorf("%s at %s is larger than 1 MiB", app.ManifestPath, commit)
	}
	return commit, blobID, content, nil
}
