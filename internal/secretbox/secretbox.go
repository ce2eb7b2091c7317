package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeyEnv names the environment variable holding the base64 master key.
const KeyEnv = "ASTROLIFT_MASTER_KEY"

// KeyFile is the key file's name in the data directory.
const KeyFile = "master.key"

const version = 1

// ErrOpen means a sealed value does not open with this key and purpose.
var ErrOpen = errors.New("sealed value does not open with this master key and purpose")

// Box seals and opens values with one master key.
type Box struct {
	aead cipher.AEAD
}

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("master key is %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext for purpose.
func (b *Box) Seal(purpose string, plaintext []byte) []byte {
	out := make([]byte, 1+b.aead.NonceSize(), 1+b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	out[0] = version
	_, _ = rand.Read(out[1:]) // crypto/rand.Read never fails (Go 1.24+)
	return b.aead.Seal(out, out[1:], plaintext, []byte(purpose))
}

// Open decrypts a value sealed for purpose.
func (b *Box) Open(purpose string, sealed []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < 1+n+b.aead.Overhead() || sealed[0] != version {
		return nil, fmt.Errorf("%s: malformed sealed value: %w", purpose, ErrOpen)
	}
	plain, err := b.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(purpose))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", purpose, ErrOpen)
	}
	return plain, nil
}

// LoadKey returns the master key from $ASTROLIFT_MASTER_KEY, else from
// dataDir/master.key. With create, a missing key file is generated (for
// `astrolift dev`); without it, a missing key is an error that says how to
// provide one.
func LoadKey(dataDir string, create bool) ([]byte, error) {
	if v := strings.TrimSpace(os.Getenv(KeyEnv)); v != "" {
		key, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(key) != 32 {
			return nil, fmt.Errorf("%s must be 32 bytes, base64-encoded (for example: head -c 32 /dev/urandom | base64)", KeyEnv)
		}
		return key, nil
	}
	path := filepath.Join(dataDir, KeyFile)
	raw, err := os.ReadFile(path)
	if err == nil {
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
		if err != nil || len(key) != 32 {
			return nil, fmt.Errorf("master key file %s: not 32 base64-encoded bytes", path)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("master key file: %w", err)
	}
	if !create {
		return nil, fmt.Errorf("no master key: set %s (32 bytes, base64) or create %s", KeyEnv, path)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("master key file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("master key file: %w", err)
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("master key file %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("master key file %s: %w", path, err)
	}
	return key, nil
}
