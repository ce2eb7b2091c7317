package reconciler

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// RegistryNoImage is the registry status of a repository without tags.
const RegistryNoImage = "no image pushed yet"

// Registry is the platform's container registry. An app's images live in
// the repository <Host>/<org slug>/<app slug>; onboarding records it on the
// app and checks it through the registry HTTP API (OCI distribution).
type Registry struct {
	// Host is HOST[/PATH] (registry.example.com, localhost:5000/platform).
	Host string
	// Insecure talks plain HTTP (a local registry). Loopback addresses use
	// HTTP anyway.
	Insecure bool
	// Transport is the HTTP transport (default remote.DefaultTransport).
	Transport http.RoundTripper
	// Timeout bounds one check (default 30 s).
	Timeout time.Duration
}

// ParseRegistry validates a HOST[/PATH] registry setting.
func ParseRegistry(s string, insecure bool) (*Registry, error) {
	host := strings.TrimSuffix(strings.TrimSpace(s), "/")
	if host == "" {
		return nil, errors.New("empty: want HOST[/PATH]")
	}
	if strings.Contains(host, "://") {
		return nil, errors.New("want HOST[/PATH] without a scheme (plain HTTP: --registry-insecure)")
	}
	r := &Registry{Host: host, Insecure: insecure}
	if _, err := r.repository("org", "app"); err != nil {
		return nil, err
	}
	return r, nil
}

// Repository is the app's image repository: <Host>/<org>/<app>.
func (r *Registry) Repository(org, app string) string {
	return r.Host + "/" + org + "/" + app
}

func (r *Registry) repository(org, app string) (name.Repository, error) {
	opts := []name.Option{name.StrictValidation}
	if r.Insecure {
		opts = append(opts, name.Insecure)
	}
	return name.NewRepository(r.Repository(org, app), opts...)
}

// RegistryHost is the host part of a HOST[/PATH] setting.
func (r *Registry) RegistryHost() string {
	host, _, _ := strings.Cut(r.Host, "/")
	return host
}

// Check lists the tags of the app's repository. It answers
// RegistryNoImage when the repository does not exist yet (NAME_UNKNOWN) or
// has no tags, and "N tags" otherwise. A registry that cannot be reached or
// refuses the request (connection error, 401/403, 5xx) is an error naming
// the registry host and the cause.
func (r *Registry) Check(ctx context.Context, org, app string) (string, error) {
	repo, err := r.repository(org, app)
	if err != nil {
		return "", fmt.Errorf("registry %s: repository %s: %w", r.RegistryHost(), r.Repository(org, app), err)
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tr := r.Transport
	if tr == nil {
		tr = remote.DefaultTransport
	}
	tags, err := remote.List(repo, remote.WithContext(ctx), remote.WithTransport(tr),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithRetryBackoff(remote.Backoff{Duration: 250 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 3}))
	if err != nil {
		if repositoryUnknown(err) {
			return RegistryNoImage, nil
		}
		return "", fmt.Errorf("registry %s: %s", r.RegistryHost(), registryCause(err))
	}
	switch len(tags) {
	case 0:
		return RegistryNoImage, nil
	case 1:
		return "1 tag", nil
	}
	return fmt.Sprintf("%d tags", len(tags)), nil
}

// repositoryUnknown: the registry answers, but has no such repository
// (NAME_UNKNOWN, or a 404 on the tag list itself).
func repositoryUnknown(err error) bool {
	var terr *transport.Error
	if !errors.As(err, &terr) {
		return false
	}
	for _, d := range terr.Errors {
		if d.Code == transport.NameUnknownErrorCode {
			return true
		}
	}
	return terr.StatusCode == http.StatusNotFound && terr.Request != nil && strings.HasSuffix(terr.Request.URL.Path, "/tags/list")
}

// registryCause says briefly why the registry could not be read.
func registryCause(err error) string {
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch {
		case terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden:
			return fmt.Sprintf("access denied (HTTP %d): %v", terr.StatusCode, err)
		case terr.StatusCode >= 500:
			return fmt.Sprintf("server error (HTTP %d): %v", terr.StatusCode, err)
		}
		return fmt.Sprintf("HTTP %d: %v", terr.StatusCode, err)
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return "unreachable: " + op.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "unreachable: timed out: " + err.Error()
	}
	return err.Error()
}
