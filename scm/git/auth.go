package git

import (
	"errors"
	"fmt"
	"os"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// TokenUsername is the user name sent with a token when Credentials has
// none; GitHub, GitLab and Gitea accept any name with a token, and GitHub
// documents this one for app installation tokens.
const TokenUsername = "x-access-token"

// SealPurpose is the secretbox purpose under which stored credentials (a
// JSON Credentials) are sealed with the master key.
const SealPurpose = "scm-credentials"

// Credentials are the plaintext secrets for one repository. The caller keeps
// them encrypted at rest and decrypts them just before use; this package
// never logs them, never writes them to disk and keeps no copy beyond the
// AuthMethod it returns.
//
// Which fields are used depends on the URL's scheme:
//
//   - https:// and http://: Token (with Username, or TokenUsername) if set,
//     else Username and Password, as HTTP basic authentication;
//   - ssh:// and scp-like user@host:path: SSHPrivateKey (PEM or OpenSSH
//     format, decrypted with SSHKeyPassphrase if it is encrypted), else
//     Username and Password as SSH password authentication;
//   - file://: none.
type Credentials struct {
	Username string
	Password string
	Token    string

	SSHPrivateKey    []byte
	SSHKeyPassphrase string
	// SSHKnownHosts is the content of a known_hosts file the server's host
	// key must match. Empty means the host key is NOT checked (SSH's
	// StrictHostKeyChecking=no without even recording it): anyone who can
	// intercept the connection can impersonate the server. Set it in
	// production, for example from `ssh-keyscan host`; list every key type
	// the server offers, since the client does not narrow its host key
	// algorithms to the recorded one.
	SSHKnownHosts []byte
}

// errCredentials is returned for credentials that do not fit the URL.
var errCredentials = errors.New("credentials do not fit the URL")

// AuthMethod returns the go-git authentication for url, or nil when c is nil
// or holds nothing for url's scheme. Its errors never contain secrets.
func (c *Credentials) AuthMethod(url string) (transport.AuthMethod, error) {
	if c == nil {
		return nil, nil
	}
	ep, err := transport.NewEndpoint(url)
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w", redact(url), err)
	}
	switch ep.Protocol {
	case "http", "https":
		if len(c.SSHPrivateKey) > 0 {
			return nil, fmt.Errorf("repository %s: an SSH key needs an ssh:// or user@host:path URL: %w", redact(url), errCredentials)
		}
		switch {
		case c.Token != "":
			user := c.Username
			if user == "" {
				user = TokenUsername
			}
			return &githttp.BasicAuth{Username: user, Password: c.Token}, nil
		case c.Username != "" || c.Password != "":
			return &githttp.BasicAuth{Username: c.Username, Password: c.Password}, nil
		}
		return nil, nil
	case "ssh":
		return c.sshAuth(ep, url)
	case "file":
		return nil, nil
	}
	return nil, fmt.Errorf("repository %s: scheme %q: %w", redact(url), ep.Protocol, errCredentials)
}

func (c *Credentials) sshAuth(ep *transport.Endpoint, url string) (transport.AuthMethod, error) {
	if c.Token != "" {
		return nil, fmt.Errorf("repository %s: a token needs an https:// URL: %w", redact(url), errCredentials)
	}
	user := ep.User
	if user == "" {
		user = "git"
	}
	callback := ssh.InsecureIgnoreHostKey() // documented on SSHKnownHosts
	if len(c.SSHKnownHosts) > 0 {
		cb, err := knownHostsCallback(c.SSHKnownHosts)
		if err != nil {
			return nil, fmt.Errorf("repository %s: known_hosts: %w", redact(url), err)
		}
		callback = cb
	}
	switch {
	case len(c.SSHPrivateKey) > 0:
		keys, err := gitssh.NewPublicKeys(user, c.SSHPrivateKey, c.SSHKeyPassphrase)
		if err != nil {
			return nil, fmt.Errorf("repository %s: SSH private key: %w", redact(url), err)
		}
		keys.HostKeyCallback = callback
		return keys, nil
	case c.Password != "":
		if c.Username != "" && ep.User == "" {
			user = c.Username
		}
		return &gitssh.Password{User: user, Password: c.Password,
			HostKeyCallbackHelper: gitssh.HostKeyCallbackHelper{HostKeyCallback: callback}}, nil
	}
	return nil, nil
}

// knownHostsCallback parses known_hosts content. x/crypto's parser only
// reads files, so the (public) content goes through a temporary file that
// is removed at once.
func knownHostsCallback(content []byte) (ssh.HostKeyCallback, error) {
	f, err := os.CreateTemp("", "astrolift-known-hosts-*")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.Remove(f.Name()) }()
	if _, err := f.Write(content); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return knownhosts.New(f.Name())
}
