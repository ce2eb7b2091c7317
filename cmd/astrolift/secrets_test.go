package main_test

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestSecretsEndToEnd sets a secret through the API, bulk-imports a .env
// (a bad line first: nothing staged), pushes the draft to Gitea, merges it
// there and lets the webhook deploy it: the cluster's Secret holds the
// values, while the database files, the server's logs, every API answer,
// the manifest in the repository and the pull request hold none of them.
func TestSecretsEndToEnd(t *testing.T) {
	ctx := context.Background()
	x := startE2E(t)
	manifest := "schema = 1\n\n[env]\nLOG_LEVEL = \"info\"\n\n[workloads.web]\n[[workloads.web.containers]]\nimage = \"nginx:1.27\"\nport = 80\n"
	x.gitea.CreateRepo(t, "acme", "vault", map[string]string{"astrolift.toml": manifest})
	ns := x.registerApp("vault")

	values := map[string]string{
		"STRIPE_KEY":   "sk_live_e2e_7Hq4Lz",
		"DATABASE_URL": "postgres://vault:pw-e2e-5521@db/vault",
		"TLS_KEY":      "-----BEGIN KEY-----\nMIIE-e2e-secret-body\n-----END KEY-----",
	}
	if code := x.call("POST", "/api/v1/apps/vault/secrets", map[string]any{"key": "STRIPE_KEY", "value": values["STRIPE_KEY"]}, nil); code != 200 {
		t.Fatalf("set secret: %d", code)
	}
	bad := "DATABASE_URL=\"" + values["DATABASE_URL"] + "\"\nthis line is wrong\n"
	if code := x.call("POST", "/api/v1/apps/vault/secrets/import", bad, nil); code != 400 {
		t.Fatalf("import with a bad line: %d, want 400", code)
	}
	good := "# moved from the old host\nexport DATABASE_URL=\"" + values["DATABASE_URL"] + "\"\nTLS_KEY=\"" + strings.ReplaceAll(values["TLS_KEY"], "\n", "\\n") + "\"\n"
	if code := x.call("POST", "/api/v1/apps/vault/secrets/import", good, nil); code != 200 {
		t.Fatalf("import: %d", code)
	}
	var list struct {
		Items []struct {
			Key    string `json:"key"`
			Sealed bool   `json:"sealed"`
			Value  string `json:"value"`
		} `json:"items"`
	}
	x.call("GET", "/api/v1/apps/vault/secrets", nil, &list)
	sealed := map[string]bool{}
	for _, it := range list.Items {
		sealed[it.Key] = it.Sealed && it.Value == "********"
	}
	for k := range values {
		if !sealed[k] {
			t.Fatalf("secrets list: %s is not listed sealed and masked: %+v", k, list.Items)
		}
	}
	var cfg struct {
		Source string `json:"source"`
	}
	x.call("GET", "/api/v1/apps/vault/config", nil, &cfg)
	staged := cfg.Source

	prBody := x.pushAndMerge("vault")
	x.waitFor("the secrets deployed", 3*time.Minute, x.deployed("vault", 1))

	cs, err := kubernetes.NewForConfig(x.env.Config)
	mustOK(t, err)
	sec, err := cs.CoreV1().Secrets(ns).Get(ctx, "vault-env", metav1.GetOptions{})
	mustOK(t, err)
	for k, v := range values {
		if string(sec.Data[k]) != v {
			t.Errorf("the cluster's Secret holds %s = %q, want %q", k, sec.Data[k], v)
		}
	}
	if string(sec.Data["LOG_LEVEL"]) != "info" {
		t.Errorf("LOG_LEVEL = %q", sec.Data["LOG_LEVEL"])
	}

	repoFile, _, err := x.gitea.Client(t).GetFile("acme", "vault", "main", "astrolift.toml")
	mustOK(t, err)
	var db []byte
	files, _ := filepath.Glob(filepath.Join(x.dataDir, "astrolift.db*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		mustOK(t, err)
		db = append(db, b...)
	}
	if len(db) == 0 {
		t.Fatal("no database files read")
	}
	places := map[string]string{
		"the database files":  string(db),
		"the server's logs":   x.logs.String(),
		"the API answers":     strings.Join(x.answers, "\n"),
		"the staged manifest": staged,
		"the repository":      string(repoFile),
		"the pull request":    prBody,
	}
	for name, v := range values {
		for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v))} {
			for where, text := range places {
				if strings.Contains(text, form) {
					t.Errorf("%s holds the value of %s", where, name)
				}
			}
		}
	}
	if !strings.Contains(staged, "sealed:v1:") || !strings.Contains(string(repoFile), "sealed:v1:") {
		t.Errorf("the staged manifest or the repository holds no sealed value")
	}
}
