package gitserver_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/astrolift/astrolift/internal/gitserver"
)

func gitCLI(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@x", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@x")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestCloneCommitPush(t *testing.T) {
	s := gitserver.New(t)
	url := s.CreateRepo(t, "team/app.git", "main", map[string]string{"astrolift.toml": "v = 1\n", "dir/b.txt": "b"})
	first := s.RevParse(t, "team/app.git", "main")
	second := s.Commit(t, "team/app.git", "main", map[string]string{"astrolift.toml": "v = 2\n", "dir/b.txt": ""}, "second")
	if second == first || s.RevParse(t, "team/app.git", "main") != second {
		t.Fatalf("Commit = %s, main = %s (first %s)", second, s.RevParse(t, "team/app.git", "main"), first)
	}
	if s.Requests() != 0 {
		t.Errorf("CreateRepo and Commit made %d HTTP requests", s.Requests())
	}

	work := filepath.Join(t.TempDir(), "w")
	if out, err := gitCLI(t, "", "clone", "-q", url, work); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(filepath.Join(work, "astrolift.toml")); string(b) != "v = 2\n" {
		t.Errorf("astrolift.toml = %q", b)
	}
	if _, err := os.Stat(filepath.Join(work, "dir/b.txt")); !os.IsNotExist(err) {
		t.Errorf("dir/b.txt was not deleted: %v", err)
	}
	if out, _ := gitCLI(t, work, "log", "--format=%an <%ae> %s"); out != "Astrolift Test <test@astrolift.invalid> second\nAstrolift Test <test@astrolift.invalid> initial commit\n" {
		t.Errorf("log = %q", out)
	}
	if err := os.WriteFile(filepath.Join(work, "pushed"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"add", "pushed"}, {"commit", "-q", "-m", "pushed"}, {"push", "-q", "origin", "main"}} {
		if out, err := gitCLI(t, work, args...); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	head, _ := gitCLI(t, work, "rev-parse", "HEAD")
	if got := s.RevParse(t, "team/app.git", "main"); got != strings.TrimSpace(head) {
		t.Errorf("after push main = %s, want %s", got, head)
	}
	// A commit on a new branch starts from nothing.
	c := s.Commit(t, "team/app.git", "feature", map[string]string{"f": "f"}, "feature")
	if s.RevParse(t, "team/app.git", "feature") != c {
		t.Error("new branch not created")
	}
	if s.Requests() == 0 {
		t.Error("Requests did not count the clone and push")
	}
}

func TestRequireAuth(t *testing.T) {
	s := gitserver.New(t)
	s.CreateRepo(t, "private.git", "main", map[string]string{"a": "a"})
	s.RequireAuth("alice", "s3cret")
	base := strings.TrimPrefix(s.URL("private.git"), "http://")
	if out, err := gitCLI(t, "", "ls-remote", "http://alice:wrong@"+base); err == nil {
		t.Errorf("ls-remote with a wrong password succeeded: %s", out)
	}
	before := s.Requests()
	out, err := gitCLI(t, "", "ls-remote", "http://alice:s3cret@"+base, "refs/heads/main")
	if err != nil || !strings.Contains(out, s.RevParse(t, "private.git", "main")) {
		t.Errorf("ls-remote with the right password: %v\n%s", err, out)
	}
	if s.Requests() <= before {
		t.Error("requests not counted")
	}
}
