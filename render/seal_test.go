package render

import (
	"strings"
	"testing"

	"filippo.io/age"
)

func TestSealOpen(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseRecipient(id.Recipient().String() + "\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, plain := range []string{"", "hunter2", "multi\nline \"quoted\" ✓"} {
		sealed, err := Seal(r, []byte(plain))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(sealed, "sealed:v1:") || strings.Contains(sealed, plain) && plain != "" {
			t.Fatalf("sealed value %q", sealed)
		}
		if err := checkSealed(sealed); err != nil {
			t.Errorf("a fresh sealed value is not well formed: %v", err)
		}
		got, err := Open(id, sealed)
		if err != nil || string(got) != plain {
			t.Errorf("Open = %q, %v; want %q", got, err, plain)
		}
		other, _ := age.GenerateX25519Identity()
		if _, err := Open(other, sealed); err == nil {
			t.Error("another identity opened the value")
		}
	}
	if _, err := ParseRecipient("age1nope"); err == nil {
		t.Error("bad recipient accepted")
	}
	if _, err := Open(id, "plain"); err == nil {
		t.Error("Open accepted an unsealed value")
	}
}

// A sealed value set with SetEnv parses, validates and renders opened.
func TestSealedValueThroughEditAndRender(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	sealed, err := Seal(id.Recipient(), []byte("s3cr3t-value"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := SetEnv([]byte(base), "staging", "API_KEY", sealed)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "s3cr3t-value") {
		t.Fatal("plaintext written into the manifest")
	}
	m := mustParse(t, string(raw))
	v := m.Environment("staging").Env["API_KEY"]
	plain, err := Open(id, v)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Render(m, Input{App: "shop", Environment: "staging", Opened: map[string]string{"API_KEY": string(plain)}})
	if err != nil {
		t.Fatal(err)
	}
	data := objs[1].Object["data"].(map[string]any)
	if data["API_KEY"] != "czNjcjN0LXZhbHVl" { // base64("s3cr3t-value")
		t.Errorf("Secret data API_KEY = %v", data["API_KEY"])
	}
	if _, ok := m.Env["API_KEY"]; ok {
		t.Error("the staging value leaked into the base")
	}
}
