package git

import (
	"context"
	"errors"
	"fmt"
	"strings"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"
)

// ErrNoDefaultBranch means the remote advertises no HEAD pointing at a branch
// (an empty repository, or a server that does not send the symref).
var ErrNoDefaultBranch = errors.New("remote has no default branch")

// DefaultBranch returns the branch the remote's HEAD points at, by listing
// its advertised references. auth may be nil for public repositories.
func DefaultBranch(ctx context.Context, url string, auth transport.AuthMethod) (string, error) {
	remote := gogit.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: "origin", URLs: []string{url}})
	refs, err := remote.ListContext(ctx, &gogit.ListOptions{Auth: auth})
	if err != nil {
		return "", fmt.Errorf("list references of %s: %w", url, err)
	}
	var heads []string
	for _, ref := range refs {
		if ref.Name() == plumbing.HEAD && ref.Type() == plumbing.SymbolicReference && ref.Target().IsBranch() {
			return ref.Target().Short(), nil
		}
		if ref.Name().IsBranch() {
			heads = append(heads, ref.Name().Short())
		}
	}
	// Servers that do not advertise the symref: a single branch, or main/master.
	switch {
	case len(heads) == 1:
		return heads[0], nil
	case contains(heads, "main"):
		return "main", nil
	case contains(heads, "master"):
		return "master", nil
	}
	return "", fmt.Errorf("%s (branches: %s): %w", url, strings.Join(heads, ", "), ErrNoDefaultBranch)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
