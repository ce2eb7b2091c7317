package render

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"
)

// sealedPrefix starts every sealed value: "sealed:v1:<base64 of an age file>".
const sealedPrefix = "sealed:"

const sealedV1 = "sealed:v1:"

// ageHeader is the first line of every age file.
const ageHeader = "age-encryption.org/v1\n"

// IsSealed reports whether an env value is a sealed secret.
func IsSealed(v string) bool { return strings.HasPrefix(v, sealedPrefix) }

// Seal encrypts plaintext to the platform's age recipient and returns the
// value to write into a manifest. The platform never writes plaintext.
func Seal(recipient age.Recipient, plaintext []byte) (string, error) {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, recipient)
	if err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	if _, err := w.Write(plaintext); err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	return sealedV1 + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// Open decrypts a sealed value with the platform's identity.
func Open(identity age.Identity, sealed string) ([]byte, error) {
	data, err := sealedPayload(sealed)
	if err != nil {
		return nil, err
	}
	r, err := age.Decrypt(bytes.NewReader(data), identity)
	if err != nil {
		return nil, fmt.Errorf("open sealed value: %w", err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("open sealed value: %w", err)
	}
	return plain, nil
}

// OpenAll opens every sealed value of m's env (m is usually one
// environment's manifest, m.Environment(name)), for Input.Opened. The
// error names the key whose value does not open.
func OpenAll(m *Manifest, identity age.Identity) (map[string]string, error) {
	opened := map[string]string{}
	for _, k := range sortedKeys(m.Env) {
		v := m.Env[k]
		if !IsSealed(v) {
			continue
		}
		plain, err := Open(identity, v)
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", k, err)
		}
		opened[k] = string(plain)
	}
	return opened, nil
}

// ParseRecipient parses an age X25519 recipient ("age1…").
func ParseRecipient(s string) (age.Recipient, error) {
	r, err := age.ParseX25519Recipient(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("recipient %q: %w", s, err)
	}
	return r, nil
}

// checkSealed reports whether a sealed value is well formed, without opening it.
func checkSealed(v string) error {
	_, err := sealedPayload(v)
	return err
}

func sealedPayload(v string) ([]byte, error) {
	if !strings.HasPrefix(v, sealedV1) {
		return nil, errors.New(`sealed value must start with "sealed:v1:" (seal it with the Secrets page or "astrolift seal")`)
	}
	data, err := base64.StdEncoding.DecodeString(v[len(sealedV1):])
	if err != nil {
		return nil, fmt.Errorf("sealed value is not valid base64: %w", err)
	}
	if !bytes.HasPrefix(data, []byte(ageHeader)) {
		return nil, errors.New("sealed value is not an age-encrypted payload")
	}
	return data, nil
}
