package reconciler

import (
	"encoding/base64"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Box seals and opens values with the master key (*secretbox.Box).
type Box interface {
	Opener
	Seal(purpose string, plaintext []byte) []byte
}

// PurposeStoredSecret is the secretbox purpose (followed by
// ":<namespace>/<name>/<key>") of the Secret values in the objects a
// deployment stores: they hold opened sealed values and secret bundles'
// values, which the database never holds in plaintext.
const PurposeStoredSecret = "deployment-secret"

// storedSealedPrefix starts a sealed value in a stored Secret. It is not
// base64, so a value applied without being opened is refused by the API
// server rather than written as ciphertext.
const storedSealedPrefix = "astrolift-sealed:"

func storedPurpose(o *unstructured.Unstructured, key string) string {
	return PurposeStoredSecret + ":" + o.GetNamespace() + "/" + o.GetName() + "/" + key
}

// sealStored returns objs for storing: Secrets are copied with their data
// values sealed with box; other objects are shared. Without a box objs are
// returned as they are.
func sealStored(box Box, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	if box == nil {
		return objs
	}
	out := make([]*unstructured.Unstructured, len(objs))
	for i, o := range objs {
		out[i] = o
		if o.GetKind() != "Secret" {
			continue
		}
		c := o.DeepCopy()
		data, _ := c.Object["data"].(map[string]any)
		for k, v := range data {
			if s, ok := v.(string); ok && !strings.HasPrefix(s, storedSealedPrefix) {
				data[k] = storedSealedPrefix + base64.StdEncoding.EncodeToString(box.Seal(storedPurpose(c, k), []byte(s)))
			}
		}
		out[i] = c
	}
	return out
}

// openStored opens, in place, the sealed Secret values of objects read
// back from a deployment (values stored before sealing pass as they are).
func openStored(box Opener, objs []*unstructured.Unstructured) error {
	for _, o := range objs {
		if o.GetKind() != "Secret" {
			continue
		}
		data, _ := o.Object["data"].(map[string]any)
		for k, v := range data {
			s, ok := v.(string)
			if !ok || !strings.HasPrefix(s, storedSealedPrefix) {
				continue
			}
			id := fmt.Sprintf("Secret/%s/%s", o.GetNamespace(), o.GetName())
			if box == nil {
				return fmt.Errorf("%s: %s is sealed and there is no master key to open it", id, k)
			}
			raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, storedSealedPrefix))
			if err != nil {
				return fmt.Errorf("%s: %s: sealed value: %w", id, k, err)
			}
			plain, err := box.Open(storedPurpose(o, k), raw)
			if err != nil {
				return fmt.Errorf("%s: %s: %w", id, k, err)
			}
			data[k] = string(plain)
		}
	}
	return nil
}
