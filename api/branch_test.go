package api_test

import (
	"context"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/astrolift/astrolift/api"
	"github.com/astrolift/astrolift/scm/git"
)

type gitRepos struct{}

func (gitRepos) DefaultBranch(ctx context.Context, url string) (string, error) {
	return git.DefaultBranch(ctx, url, nil)
}

// Registration without a deploy branch takes the repository's default
// branch, read from a real repository.
func TestRegisterTakesDefaultBranch(t *testing.T) {
	h := newHarness(t)
	h.h = api.New(api.Options{Store: h.s, Logger: quiet(), Now: h.clock.Now, Repos: gitRepos{}}).Handler()
	tok := h.user("dev@acme.test", "org.admin")

	dir := t.TempDir()
	gitCmd := func(d string, args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = d
		cmd.Env = append(cmd.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	gitCmd(dir, "init", "-q", "-b", "trunk", "work")
	gitCmd(filepath.Join(dir, "work"), "commit", "-q", "--allow-empty", "-m", "first")
	gitCmd(dir, "clone", "-q", "--bare", "work", "repo.git")

	res := h.do(request{method: http.MethodPost, path: "/api/v1/apps", token: tok, body: map[string]any{
		"project": h.project.Slug, "name": "Trunk App", "source_url": "file://" + filepath.Join(dir, "repo.git")}})
	var app struct {
		DeployBranch string `json:"deploy_branch"`
	}
	if res.Code != http.StatusCreated {
		t.Fatalf("%d %s", res.Code, res.body)
	}
	res.decode(t, &app)
	if app.DeployBranch != "trunk" {
		t.Errorf("deploy_branch %q, want trunk", app.DeployBranch)
	}
	// An unreadable repository: the caller must name the branch.
	res = h.do(request{method: http.MethodPost, path: "/api/v1/apps", token: tok, body: map[string]any{
		"project": h.project.Slug, "name": "Gone", "source_url": "file://" + filepath.Join(dir, "missing.git")}})
	if _, field := res.errorCode(); res.Code != http.StatusBadRequest || field != "deploy_branch" {
		t.Errorf("unreadable repository: %d %s", res.Code, res.body)
	}
	res = h.do(request{method: http.MethodPost, path: "/api/v1/apps", token: tok, body: map[string]any{
		"project": h.project.Slug, "name": "Gone", "source_url": "file://" + filepath.Join(dir, "missing.git"), "deploy_branch": "main"}})
	if res.Code != http.StatusCreated {
		t.Errorf("explicit branch: %d %s", res.Code, res.body)
	}
}
