package main_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/astrolift/astrolift/api"
	"github.com/astrolift/astrolift/store"
)

// TestDashboardJourney walks the dashboard in a real browser: Debian's
// Chromium driven by playwright-core (ui/e2e/journey.e2e.ts, run with
// Vitest) against `astrolift serve` with the binary's embedded dashboard,
// the local control plane (kwok runs commands on the host) and a real
// Gitea. The person logs in, creates a project, connects Gitea, registers
// an app from a Gitea repository, waits for it to be ready, adds an
// environment and deploys, edits the manifest into a draft, pushes it to
// the repository as a pull request, which the test merges on Gitea, sees
// the push deployment appear and succeed, adds a secret, opens a workload
// and runs a command. Screenshots of every page are saved under
// ui/e2e/artifacts (not committed), and axe-core checks each page.
func TestDashboardJourney(t *testing.T) {
	ui, err := filepath.Abs(filepath.Join("..", "..", "ui"))
	mustOK(t, err)
	if _, err := os.Stat(filepath.Join(ui, "dist", "index.html")); err != nil {
		t.Fatalf("the dashboard is not built (%v): run make ui (make test does)", err)
	}
	if _, err := os.Stat(filepath.Join(ui, "node_modules", "playwright-core")); err != nil {
		t.Fatalf("ui/node_modules is missing (%v): run make ui (make test does)", err)
	}
	browser := os.Getenv("CHROMIUM")
	if browser == "" {
		browser = "/usr/bin/chromium"
	}
	if _, err := os.Stat(browser); err != nil {
		t.Fatalf("no Chromium at %s (%v): run make chromium (make test does)", browser, err)
	}

	x := startE2E(t)
	ctx := context.Background()
	// A person with a password (startE2E's org.owner only has an API token).
	const email, password = "grace@acme.test", "journey-password-1"
	hash, err := api.HashPassword(password)
	mustOK(t, err)
	org, err := x.s.GetOrganization(ctx, "acme")
	mustOK(t, err)
	u := &store.User{OrgID: org.ID, Email: email, Name: "Grace Hopper", PasswordHash: hash}
	mustOK(t, x.s.CreateUser(ctx, u))
	mustOK(t, x.s.CreateRoleBinding(ctx, &store.RoleBinding{OrgID: org.ID, UserID: u.ID, Role: "org.owner", ScopeLevel: store.ScopeOrg, ScopeID: org.ID}))
	manifest := "schema = 1\n\n[workloads.web]\npublic = true\n\n[[workloads.web.containers]]\nimage = \"nginx:1.27\"\nport = 80\n"
	x.gitea.CreateRepo(t, "acme", "storefront", map[string]string{"astrolift.toml": manifest})

	artifacts := filepath.Join(ui, "e2e", "artifacts")
	_ = os.RemoveAll(artifacts)
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npx", "vitest", "run", "--config", "vitest.e2e.config.ts")
	cmd.Dir = ui
	cmd.Env = append(os.Environ(),
		"ASTROLIFT_URL="+x.server,
		"ASTROLIFT_EMAIL="+email,
		"ASTROLIFT_PASSWORD="+password,
		"GITEA_URL="+x.gitea.URL,
		"GITEA_TOKEN="+x.gitea.Token,
		"GITEA_REPO=acme/storefront",
		"CHROMIUM="+browser,
		"ASTROLIFT_E2E_ARTIFACTS="+artifacts,
		"NO_COLOR=1",
	)
	out, err := cmd.CombinedOutput()
	_ = os.WriteFile(filepath.Join(artifacts, "output.txt"), out, 0o644)
	t.Logf("end-to-end suite output (all of it in %s):\n%s", filepath.Join(artifacts, "output.txt"), tail(string(out), 200))
	if err != nil {
		t.Fatalf("the dashboard journey failed: %v (screenshots in %s)", err, artifacts)
	}
	shots, _ := filepath.Glob(filepath.Join(artifacts, "*.png"))
	if len(shots) < 15 {
		t.Errorf("%d screenshots in %s; want one per page", len(shots), artifacts)
	}
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
