package git_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"net"
	"strings"
	"testing"

	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"

	"github.com/astrolift/astrolift/scm/git"
)

func TestAuthMethodHTTP(t *testing.T) {
	var none *git.Credentials
	if auth, err := none.AuthMethod("https://github.com/o/r.git"); auth != nil || err != nil {
		t.Errorf("nil credentials = %v, %v; want nil, nil", auth, err)
	}
	for _, tc := range []struct {
		creds      git.Credentials
		user, pass string
	}{
		{git.Credentials{Token: "ghs_x"}, git.TokenUsername, "ghs_x"},
		{git.Credentials{Username: "oauth2", Token: "glpat"}, "oauth2", "glpat"},
		{git.Credentials{Username: "alice", Password: "pw"}, "alice", "pw"},
		{git.Credentials{Username: "alice", Password: "pw", Token: "tok"}, "alice", "tok"}, // the token wins
	} {
		auth, err := tc.creds.AuthMethod("https://github.com/o/r.git")
		basic, ok := auth.(*githttp.BasicAuth)
		if err != nil || !ok || basic.Username != tc.user || basic.Password != tc.pass {
			t.Errorf("%+v: AuthMethod = %#v, %v; want BasicAuth %s", tc.creds, auth, err, tc.user)
			continue
		}
		if strings.Contains(basic.String(), tc.pass) {
			t.Errorf("BasicAuth.String() shows the secret: %s", basic)
		}
	}
	if auth, err := (&git.Credentials{}).AuthMethod("https://github.com/o/r.git"); auth != nil || err != nil {
		t.Errorf("empty credentials = %v, %v; want nil, nil", auth, err)
	}
	if auth, err := (&git.Credentials{Token: "t"}).AuthMethod("file:///srv/r.git"); auth != nil || err != nil {
		t.Errorf("file:// = %v, %v; want nil, nil", auth, err)
	}
	_, key := sshKey(t, "")
	if _, err := (&git.Credentials{SSHPrivateKey: key}).AuthMethod("https://github.com/o/r.git"); err == nil {
		t.Error("an SSH key for an https URL was accepted")
	}
}

// sshKey returns an ed25519 key pair, the private half in OpenSSH PEM,
// encrypted when passphrase is set.
func sshKey(t *testing.T, passphrase string) (ssh.PublicKey, []byte) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(priv, "test")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "test", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return sshPub, pem.EncodeToMemory(block)
}

func TestAuthMethodSSH(t *testing.T) {
	pub, key := sshKey(t, "")
	for _, url := range []string{"git@github.com:o/r.git", "ssh://git@github.com/o/r.git", "ssh://github.com:2222/o/r.git"} {
		auth, err := (&git.Credentials{SSHPrivateKey: key}).AuthMethod(url)
		keys, ok := auth.(*gitssh.PublicKeys)
		if err != nil || !ok {
			t.Fatalf("%s: AuthMethod = %#v, %v; want *ssh.PublicKeys", url, auth, err)
		}
		if keys.User != "git" {
			t.Errorf("%s: user = %q, want git", url, keys.User)
		}
		if got := keys.Signer.PublicKey().Marshal(); string(got) != string(pub.Marshal()) {
			t.Errorf("%s: signer has another public key", url)
		}
		// No known_hosts: any host key is accepted (documented).
		hostPub, _ := sshKey(t, "")
		if err := keys.HostKeyCallback("github.com:22", &net.TCPAddr{IP: net.IPv4(140, 82, 121, 4), Port: 22}, hostPub); err != nil {
			t.Errorf("%s: insecure host key callback refused a key: %v", url, err)
		}
	}
	if auth, _ := (&git.Credentials{SSHPrivateKey: key}).AuthMethod("deploy@example.com:o/r.git"); auth.(*gitssh.PublicKeys).User != "deploy" {
		t.Errorf("the URL's user is not used: %q", auth.(*gitssh.PublicKeys).User)
	}

	// An encrypted key needs its passphrase.
	_, encrypted := sshKey(t, "open sesame")
	if _, err := (&git.Credentials{SSHPrivateKey: encrypted, SSHKeyPassphrase: "open sesame"}).AuthMethod("git@github.com:o/r.git"); err != nil {
		t.Errorf("encrypted key with its passphrase: %v", err)
	}
	_, err := (&git.Credentials{SSHPrivateKey: encrypted, SSHKeyPassphrase: "wrong"}).AuthMethod("git@github.com:o/r.git")
	if err == nil {
		t.Error("encrypted key with a wrong passphrase was accepted")
	} else if strings.Contains(err.Error(), "open sesame") || strings.Contains(err.Error(), "wrong") {
		t.Errorf("error shows a secret: %v", err)
	}
	if _, err := (&git.Credentials{SSHPrivateKey: []byte("not a key")}).AuthMethod("git@github.com:o/r.git"); err == nil {
		t.Error("garbage key accepted")
	}
	if _, err := (&git.Credentials{Token: "t"}).AuthMethod("git@github.com:o/r.git"); err == nil {
		t.Error("a token for an SSH URL was accepted")
	}
	if auth, err := (&git.Credentials{Username: "u", Password: "p"}).AuthMethod("ssh://example.com/r.git"); err != nil || auth.(*gitssh.Password).User != "u" {
		t.Errorf("SSH password auth = %#v, %v", auth, err)
	}
}

func TestAuthMethodKnownHosts(t *testing.T) {
	_, key := sshKey(t, "")
	hostKey, _ := sshKey(t, "")
	otherKey, _ := sshKey(t, "")
	knownHosts := "# comment\ngithub.com " + string(ssh.MarshalAuthorizedKey(hostKey))
	auth, err := (&git.Credentials{SSHPrivateKey: key, SSHKnownHosts: []byte(knownHosts)}).AuthMethod("git@github.com:o/r.git")
	if err != nil {
		t.Fatal(err)
	}
	cb := auth.(*gitssh.PublicKeys).HostKeyCallback
	addr := &net.TCPAddr{IP: net.IPv4(140, 82, 121, 4), Port: 22}
	if err := cb("github.com:22", addr, hostKey); err != nil {
		t.Errorf("the known host key was refused: %v", err)
	}
	if err := cb("github.com:22", addr, otherKey); err == nil {
		t.Error("a different host key was accepted")
	}
	if err := cb("gitlab.com:22", addr, hostKey); err == nil {
		t.Error("an unknown host was accepted")
	}
	if _, err := (&git.Credentials{SSHPrivateKey: key, SSHKnownHosts: []byte("github.com garbage\n")}).AuthMethod("git@github.com:o/r.git"); err == nil {
		t.Error("malformed known_hosts accepted")
	}
}
