package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/astrolift/astrolift/api"
	"github.com/astrolift/astrolift/store"
)

// TestCLILoginAndApps runs login, apps create, list and show against a real
// API server on a SQLite store.
func TestCLILoginAndApps(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "a.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	org := &store.Organization{Slug: "default", Name: "Default"}
	if err := s.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	var shown bytes.Buffer
	if err := seedAdmin(ctx, s, org, &shown); err != nil {
		t.Fatal(err)
	}
	password := strings.TrimSpace(shown.String()[strings.Index(shown.String(), "password:")+len("password:"):])
	if err := s.CreateProject(ctx, &store.Project{OrgID: org.ID, Slug: "demo", Name: "Demo"}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Options{Store: s, Logger: slog.New(slog.DiscardHandler)}).Handler())
	defer srv.Close()
	t.Setenv("ASTROLIFT_CONFIG_DIR", t.TempDir())
	t.Setenv("ASTROLIFT_SERVER", "")
	t.Setenv("ASTROLIFT_TOKEN", "")

	var out, errOut bytes.Buffer
	if err := runLogin([]string{"--server", srv.URL, "--email", devAdminEmail}, strings.NewReader("wrong-password\n"), &out, &errOut); err == nil ||
		!strings.Contains(err.Error(), "wrong email or password") {
		t.Fatalf("login with a wrong password: %v", err)
	}
	if err := runLogin([]string{"--server", srv.URL}, strings.NewReader(devAdminEmail+"\n"+password+"\n"), &out, &errOut); err != nil {
		t.Fatalf("login: %v (%s)", err, errOut.String())
	}
	p, _ := credentialsPath()
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode %v, want 0600", st.Mode().Perm())
	}
	var creds credentials
	if err := json.Unmarshal(raw, &creds); err != nil || creds.Server != srv.URL || !strings.HasPrefix(creds.Token, api.TokenPrefix) {
		t.Fatalf("stored credentials %s", raw)
	}

	out.Reset()
	if err := runApps([]string{"create", "--project", "demo", "--name", "Hello World", "--repo", "https://git.example.com/hello.git", "--trigger", "manual"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "App hello-world registered in project demo (status pending)\n" {
		t.Errorf("create printed %q", got)
	}
	err = runApps([]string{"create", "--project", "demo", "--name", "X", "--repo", "nope"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "field source_url, HTTP 400") {
		t.Errorf("create with a bad repo: %v", err)
	}
	out.Reset()
	if err := runApps([]string{"list"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "SLUG") || !strings.Contains(lines[1], "hello-world") || !strings.Contains(lines[1], "manual") {
		t.Errorf("list printed:\n%s", out.String())
	}
	out.Reset()
	if err := runApps([]string{"show", "hello-world"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Slug:       hello-world", "Status:     pending", "https://git.example.com/hello.git @ main, astrolift.toml", "not been read"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("show lacks %q:\n%s", want, out.String())
		}
	}
	if err := runApps([]string{"show", "nope"}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("show of an unknown app: %v", err)
	}
}

func TestUsersAdd(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	err := runUsersAdd(context.Background(), []string{"--data-dir", dir, "--email", "ops@example.com"}, strings.NewReader("s3cure-password\n"), &out, &errOut)
	if err != nil {
		t.Fatalf("%v (%s)", err, errOut.String())
	}
	if out.String() != "User ops@example.com created in organization default with role org.owner\n" {
		t.Errorf("printed %q", out.String())
	}
	s, err := store.Open(context.Background(), filepath.Join(dir, "astrolift.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.GetUserByEmail(context.Background(), "ops@example.com")
	if err != nil || !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Fatalf("user %+v, %v", u, err)
	}
	bs, _ := s.ListRoleBindings(context.Background(), store.BindingFilter{UserID: u.ID})
	if len(bs) != 1 || bs[0].Role != "org.owner" {
		t.Errorf("bindings %+v", bs)
	}
	if err := runUsersAdd(context.Background(), []string{"--data-dir", dir, "--email", "x@example.com"}, strings.NewReader("short\n"), &out, &errOut); err == nil {
		t.Error("a short password was accepted")
	}
}
