package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/astrolift/astrolift/render"
)

func writeManifest(t *testing.T, dir, src string) string {
	t.Helper()
	d := filepath.Join(t.TempDir(), dir)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(d, "astrolift.toml")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

const cliManifest = `schema = 1
[build]
image = "registry.example.com/acme/shop"
[env]
TOKEN = "SEALED"
[workloads.web]
public = true
[[workloads.web.containers]]
port = 8080
[environments.staging]
workloads.web.replicas = 3
`

func TestRenderCommand(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	sealed, err := render.Seal(id.Recipient(), []byte("tok-123"))
	if err != nil {
		t.Fatal(err)
	}
	file := writeManifest(t, "My Shop", strings.Replace(cliManifest, "SEALED", sealed, 1))

	var out, errOut bytes.Buffer
	if err := runRender([]string{"--env", "staging", "--image", "v9", file}, &out, &errOut); err != nil {
		t.Fatalf("render: %v\n%s", err, errOut.String())
	}
	y := out.String()
	for _, want := range []string{
		"namespace: my-shop-staging", "image: registry.example.com/acme/shop:v9", "replicas: 3",
		"host: my-shop-staging.localhost", "TOKEN: '********'",
	} {
		if !strings.Contains(y, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(y, "tok-123") || strings.Contains(y, "dG9rLTEyMw==") {
		t.Error("render without --identity shows the secret")
	}

	idFile := filepath.Join(t.TempDir(), "key.txt")
	if err := os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := runRender([]string{"--app", "shop", "--namespace", "web", "--identity", idFile, file}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if y := out.String(); !strings.Contains(y, "TOKEN: dG9rLTEyMw==") || !strings.Contains(y, "namespace: web\n") || !strings.Contains(y, "replicas: 1") {
		t.Errorf("render --identity output:\n%s", y)
	}
}

func TestLintCommand(t *testing.T) {
	good := writeManifest(t, "good", strings.Replace(cliManifest, "SEALED", "plain", 1))
	bad := writeManifest(t, "bad", "schema = 1\n[workloads.web]\nreplica = 2\n[[workloads.web.containers]]\nimage = \"nginx:1\"\nport = 0\n")
	var errOut bytes.Buffer
	if err := runLint([]string{good}, &errOut); err != nil || errOut.Len() != 0 {
		t.Fatalf("lint of a good manifest: %v %q", err, errOut.String())
	}
	err := runLint([]string{good, bad}, &errOut)
	if !errors.Is(err, exitCode(1)) {
		t.Fatalf("lint of a bad manifest: err %v, want exit status 1", err)
	}
	want := bad + ":3:1: workloads.web.replica: unknown key \"replica\"; did you mean \"replicas\"?\n" +
		bad + ":6:8: workloads.web.containers[0].port: port must be between 1 and 65535, got 0\n"
	if errOut.String() != want {
		t.Errorf("lint printed:\n%s\nwant:\n%s", errOut.String(), want)
	}
}

func TestSealCommand(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	var out, errOut bytes.Buffer
	if err := runSeal([]string{"--recipient", id.Recipient().String()}, strings.NewReader("hunter2\n"), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	sealed := strings.TrimSpace(out.String())
	plain, err := render.Open(id, sealed)
	if err != nil || string(plain) != "hunter2" {
		t.Errorf("Open(seal output) = %q, %v", plain, err)
	}
	if err := runSeal(nil, strings.NewReader("x"), &out, &errOut); !errors.Is(err, exitCode(2)) {
		t.Errorf("seal without --recipient: %v", err)
	}
}
