package git

import (
	"context"
	"errors"
	"net"
	neturl "net/url"
	"os"
	"strings"
	"syscall"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// Errors the package returns, wrapped with the repository, branch or path
// they concern and with the underlying error; test with errors.Is.
var (
	// ErrAuth means the server refused the credentials, or wanted some and
	// got none (HTTP 401 and 403, SSH authentication failures), or the SSH
	// host key did not match Credentials.SSHKnownHosts.
	ErrAuth = errors.New("authentication failed")
	// ErrRepositoryNotFound means the server has no such repository (HTTP
	// 404). Hosts such as GitHub also answer this way for a private
	// repository the credentials cannot see, so it may hide an ErrAuth.
	ErrRepositoryNotFound = errors.New("repository not found")
	// ErrBranchNotFound means the remote does not advertise the branch.
	ErrBranchNotFound = errors.New("branch not found")
	// ErrFileNotFound means the path is not a file in the commit's tree.
	ErrFileNotFound = errors.New("file not found")
	// ErrCommitNotFound means the commit is not in the cache (ReadFile
	// before Fetch) or was not at the branch's tip when fetched.
	ErrCommitNotFound = errors.New("commit not found")
	// ErrUnreachable means the server could not be reached: DNS failure,
	// connection refused or reset, timeout.
	ErrUnreachable = errors.New("remote unreachable")
)

// classify maps an error from go-git or the network onto the package's
// sentinels. The result wraps both the sentinel and err, or is err itself
// when no sentinel applies.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var sentinel error
	var netErr net.Error
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var httpErr *githttp.Err
	switch {
	case errors.Is(err, ErrAuth), errors.Is(err, ErrUnreachable), errors.Is(err, ErrRepositoryNotFound),
		errors.Is(err, ErrBranchNotFound), errors.Is(err, ErrFileNotFound), errors.Is(err, ErrCommitNotFound):
		return err // already classified
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed),
		errors.Is(err, transport.ErrInvalidAuthMethod):
		sentinel = ErrAuth
	case errors.Is(err, transport.ErrRepositoryNotFound):
		sentinel = ErrRepositoryNotFound
	case errors.Is(err, object.ErrFileNotFound):
		sentinel = ErrFileNotFound
	case errors.As(err, &httpErr) && httpErr.Response != nil &&
		(httpErr.StatusCode() == 401 || httpErr.StatusCode() == 403):
		sentinel = ErrAuth
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &dnsErr), errors.As(err, &opErr),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.As(err, &netErr) && netErr.Timeout():
		sentinel = ErrUnreachable
	case isSSHAuthError(err):
		sentinel = ErrAuth
	default:
		return err
	}
	return &classified{sentinel: sentinel, err: err}
}

// classified is an error matched to a sentinel; errors.Is and errors.As see
// both.
type classified struct{ sentinel, err error }

func (e *classified) Error() string {
	return e.sentinel.Error() + ": " + strings.TrimSpace(e.err.Error()) // servers end bodies with newlines
}

func (e *classified) Unwrap() []error { return []error{e.sentinel, e.err} }

// isSSHAuthError reports the SSH client's "unable to authenticate" and
// known_hosts failures, which have no sentinel of their own.
func isSSHAuthError(err error) bool {
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "ssh: unable to authenticate") || strings.Contains(msg, "knownhosts:")
}

// redact removes a password from a URL, for error messages.
func redact(raw string) string {
	u, err := neturl.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = neturl.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
