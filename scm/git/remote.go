package git

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// ErrNoDefaultBranch means the remote advertises no HEAD pointing at a branch
// (an empty repository, or a server that does not send the symref).
var ErrNoDefaultBranch = errors.New("remote has no default branch")

// DefaultBranch returns the branch the remote's HEAD points at, by listing
// its advertised references. auth may be nil for public repositories.
func DefaultBranch(ctx context.Context, url string, auth transport.AuthMethod) (string, error) {
	ar, err := advertisedRefs(ctx, url, auth)
	if err != nil {
		return "", fmt.Errorf("repository %s: list references: %w", redact(url), err)
	}
	if head := ar.Capabilities.Get("symref"); len(head) > 0 {
		for _, symref := range head { // "HEAD:refs/heads/main"
			if target, ok := strings.CutPrefix(symref, "HEAD:"); ok && plumbing.ReferenceName(target).IsBranch() {
				return plumbing.ReferenceName(target).Short(), nil
			}
		}
	}
	var heads []string
	for name := range ar.References {
		if ref := plumbing.ReferenceName(name); ref.IsBranch() {
			heads = append(heads, ref.Short())
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
	return "", fmt.Errorf("repository %s (branches: %s): %w", redact(url), strings.Join(heads, ", "), ErrNoDefaultBranch)
}

// Head returns the commit branch points at on the remote, by listing its
// advertised references: over HTTP one GET of info/refs, no fetch, nothing
// written. A branch the remote does not have is ErrBranchNotFound; see
// errors.go for the others. auth may be nil for public repositories.
//
// Head is the poller's hot path: HTTP(S) goes through one shared client
// that keeps connections alive (up to 32 idle per host), so a round of
// polls does not pay a TCP and TLS handshake per repository.
func Head(ctx context.Context, url, branch string, auth transport.AuthMethod) (string, error) {
	ar, err := advertisedRefs(ctx, url, auth)
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return "", fmt.Errorf("repository %s: branch %q: empty repository: %w", redact(url), branch, ErrBranchNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("repository %s: branch %q: %w", redact(url), branch, err)
	}
	hash, ok := ar.References[string(plumbing.NewBranchReferenceName(branch))]
	if !ok {
		return "", fmt.Errorf("repository %s: branch %q: %w", redact(url), branch, ErrBranchNotFound)
	}
	return hash.String(), nil
}

// advertisedRefs opens an upload-pack session and returns what the server
// advertises, with errors classified.
func advertisedRefs(ctx context.Context, url string, auth transport.AuthMethod) (*packp.AdvRefs, error) {
	ep, err := transport.NewEndpoint(url)
	if err != nil {
		return nil, err
	}
	var tr transport.Transport
	switch ep.Protocol {
	case "http", "https":
		tr = httpTransport
	default:
		if tr, err = client.NewClient(ep); err != nil {
			return nil, err
		}
	}
	sess, err := tr.NewUploadPackSession(ep, auth)
	if err != nil {
		return nil, classify(err)
	}
	defer func() { _ = sess.Close() }()
	ar, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		return nil, classify(err)
	}
	return ar, nil
}

// httpTransport is the go-git HTTP transport Head and DefaultBranch use:
// one client for the process, so connections are kept alive between polls.
var httpTransport = githttp.NewClient(&http.Client{Transport: sharedHTTPTransport()})

// sharedHTTPTransport is http.DefaultTransport with more idle connections
// per host (the default keeps 2: a poller with hundreds of repositories on
// one host would redo TCP and TLS handshakes on most polls).
func sharedHTTPTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 32
	t.IdleConnTimeout = 90 * time.Second
	return t
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
