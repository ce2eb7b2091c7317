// Package secretbox encrypts secrets at rest (SCM credentials, kubeconfigs,
// webhook secrets, secret bundle values) with AES-256-GCM under the
// platform's master key.
//
// The master key is 32 bytes, given base64-encoded in ASTROLIFT_MASTER_KEY,
// or read from the key file in the data directory, which `astrolift dev`
// creates (mode 0600) on first start. Losing the key loses every sealed
// value; rotating it needs a re-encryption (not built yet).
//
// Sealed values are version byte 1, a random 12-byte nonce, then the GCM
// ciphertext. Each Seal names a purpose ("scm-credentials", …) that is
// authenticated with the value, so a ciphertext copied into another column
// does not open there.
package secretbox
