package git_test

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/astrolift/astrolift/scm/git"
)

func run(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// repo makes a bare repository whose HEAD is branch, with one commit on it
// and on "other".
func repo(t *testing.T, branch string) string {
	t.Helper()
	dir := t.TempDir()
	work, bare := filepath.Join(dir, "work"), filepath.Join(dir, "repo.git")
	run(t, dir, "init", "-q", "-b", branch, work)
	run(t, work, "commit", "-q", "--allow-empty", "-m", "first")
	run(t, work, "branch", "other")
	run(t, dir, "clone", "-q", "--bare", work, bare)
	return bare
}

func TestDefaultBranch(t *testing.T) {
	for _, branch := range []string{"main", "trunk", "release/2026"} {
		got, err := git.DefaultBranch(context.Background(), "file://"+repo(t, branch), nil)
		if err != nil || got != branch {
			t.Errorf("DefaultBranch = %q, %v; want %q", got, err, branch)
		}
	}
	empty := filepath.Join(t.TempDir(), "empty.git")
	run(t, filepath.Dir(empty), "init", "-q", "--bare", empty)
	if _, err := git.DefaultBranch(context.Background(), "file://"+empty, nil); err == nil {
		t.Error("an empty repository has no default branch")
	}
	if _, err := git.DefaultBranch(context.Background(), "file:///does/not/exist", nil); err == nil {
		t.Error("a missing repository gave no error")
	} else if errors.Is(err, git.ErrNoDefaultBranch) {
		t.Errorf("a missing repository is not ErrNoDefaultBranch: %v", err)
	}
}
