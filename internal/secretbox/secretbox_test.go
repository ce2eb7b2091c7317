package secretbox_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/astrolift/astrolift/internal/secretbox"
)

func TestSealOpen(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	b, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte("ghp_token_value")
	sealed := b.Seal("scm-credentials", plain)
	if bytes.Contains(sealed, plain) {
		t.Fatal("plaintext visible in the sealed value")
	}
	if again := b.Seal("scm-credentials", plain); bytes.Equal(again, sealed) {
		t.Error("two seals of one value are equal: nonce reused")
	}
	got, err := b.Open("scm-credentials", sealed)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := b.Open("kubeconfig", sealed); !errors.Is(err, secretbox.ErrOpen) {
		t.Errorf("other purpose: %v", err)
	}
	other, _ := secretbox.New(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open("scm-credentials", sealed); !errors.Is(err, secretbox.ErrOpen) {
		t.Errorf("other key: %v", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := b.Open("scm-credentials", sealed); !errors.Is(err, secretbox.ErrOpen) {
		t.Errorf("tampered: %v", err)
	}
	if _, err := b.Open("scm-credentials", []byte{1, 2}); !errors.Is(err, secretbox.ErrOpen) {
		t.Errorf("short: %v", err)
	}
	if _, err := secretbox.New([]byte("short")); err == nil {
		t.Error("a 5-byte key was accepted")
	}
}

func TestLoadKey(t *testing.T) {
	t.Setenv(secretbox.KeyEnv, "")
	dir := t.TempDir()
	if _, err := secretbox.LoadKey(dir, false); err == nil {
		t.Fatal("missing key without create: no error")
	}
	key, err := secretbox.LoadKey(dir, true)
	if err != nil || len(key) != 32 {
		t.Fatalf("create: %v", err)
	}
	st, err := os.Stat(filepath.Join(dir, secretbox.KeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
	again, err := secretbox.LoadKey(dir, true)
	if err != nil || !bytes.Equal(again, key) {
		t.Error("the key file is not reused")
	}
	env := bytes.Repeat([]byte{9}, 32)
	t.Setenv(secretbox.KeyEnv, base64.StdEncoding.EncodeToString(env))
	if got, err := secretbox.LoadKey(dir, false); err != nil || !bytes.Equal(got, env) {
		t.Errorf("env key: %v", err)
	}
	t.Setenv(secretbox.KeyEnv, "bm90LTMyLWJ5dGVz")
	if _, err := secretbox.LoadKey(dir, false); err == nil {
		t.Error("a short env key was accepted")
	}
}
