package gitserver

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BackendPath is where git-http-backend is looked for.
var BackendPath = "/usr/lib/git-core/git-http-backend"

// Author is the name and email of every commit the server makes.
const (
	AuthorName  = "Astrolift Test"
	AuthorEmail = "test@astrolift.invalid"
)

// epoch is the date of the first commit; each later commit is one minute on.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Server is a smart-HTTP git server over bare repositories in a temporary
// root. It is safe for concurrent use.
type Server struct {
	// Root is the directory holding the bare repositories (GIT_PROJECT_ROOT).
	Root string

	srv      *httptest.Server
	requests atomic.Int64
	conns    atomic.Int64
	commits  atomic.Int64

	mu         sync.Mutex // guards user, pass and serializes Commit
	user, pass string
	auth       bool
}

// New starts a server whose repositories live in a temporary directory; it is
// closed when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("gitserver: no git CLI (install git)")
	}
	if _, err := os.Stat(BackendPath); err != nil {
		t.Fatalf("gitserver: no git-http-backend (install git): %v", err)
	}
	s := &Server{Root: t.TempDir()}
	backend := Backend(s.Root, logWriter{t}) // "Not a git repository", etc.: in the test's log
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Basic realm="gitserver"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	}))
	s.srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	return s
}

// Backend serves the bare repositories under root over git's smart HTTP
// protocol (git-http-backend through CGI), fetch and push (repositories
// must set http.receivepack to accept pushes), with the backend's
// standard error to stderr.
func Backend(root string, stderr io.Writer) *cgi.Handler {
	return &cgi.Handler{
		Path: BackendPath,
		Dir:  root,
		Env: []string{
			"GIT_PROJECT_ROOT=" + root,
			"GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_NOSYSTEM=1",
			"HOME=" + root,
		},
		Stderr: stderr,
	}
}

// logWriter sends git-http-backend's standard error to the test's log.
type logWriter struct{ t testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Logf("git-http-backend: %s", bytes.TrimSpace(p))
	return len(p), nil
}

func (s *Server) authorized(r *http.Request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.auth {
		return true
	}
	user, pass, ok := r.BasicAuth()
	return ok && user == s.user && pass == s.pass
}

// RequireAuth makes every later request need HTTP basic authentication with
// user and pass; others get 401 Unauthorized.
func (s *Server) RequireAuth(user, pass string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auth, s.user, s.pass = true, user, pass
}

// BaseURL is the server's address, without a trailing slash.
func (s *Server) BaseURL() string { return s.srv.URL }

// URL is the clone URL of repository name (for example "app.git" or
// "team/mono.git").
func (s *Server) URL(name string) string { return s.srv.URL + "/" + strings.TrimPrefix(name, "/") }

// Path is the directory of bare repository name on disk; "file://"+Path
// reaches it without HTTP.
func (s *Server) Path(name string) string { return filepath.Join(s.Root, filepath.FromSlash(name)) }

// Requests is the number of HTTP requests the server has received so far,
// including refused ones.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Connections is the number of TCP connections clients have opened so far;
// with keep-alive it grows slower than Requests.
func (s *Server) Connections() int64 { return s.conns.Load() }

// CreateRepo creates bare repository name whose HEAD is branch, with one
// commit on branch holding files (path → content), and returns its URL.
func (s *Server) CreateRepo(t testing.TB, name, branch string, files map[string]string) string {
	t.Helper()
	dir := s.Path(name)
	if _, err := os.Stat(dir); err == nil {
		t.Fatalf("gitserver: repository %s already exists", name)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	s.git(t, "", nil, "", "init", "-q", "--bare", "-b", branch, dir)
	s.git(t, dir, nil, "", "config", "http.receivepack", "true")
	s.Commit(t, name, branch, files, "initial commit")
	return s.URL(name)
}

// Commit adds a commit with message on branch of repository name (creating
// the branch if needed) that writes files (path → content; an empty content
// deletes the path), and returns the new commit id. It writes into the bare
// repository directly: no HTTP request.
func (s *Server) Commit(t testing.TB, name, branch string, files map[string]string, message string) string {
	t.Helper()
	s.mu.Lock() // one commit at a time: the clock and update-ref stay ordered
	defer s.mu.Unlock()
	dir := s.Path(name)
	ref := "refs/heads/" + branch
	index := filepath.Join(t.TempDir(), "index")
	env := []string{"GIT_INDEX_FILE=" + index}

	parent := strings.TrimSpace(s.gitOut(t, dir, env, "", true, "rev-parse", "-q", "--verify", ref+"^{commit}"))
	if parent != "" {
		s.git(t, dir, env, "", "read-tree", parent)
	}
	var info strings.Builder
	for path, content := range files {
		path = strings.TrimPrefix(filepath.ToSlash(path), "/")
		if content == "" {
			fmt.Fprintf(&info, "0 0000000000000000000000000000000000000000\t%s\n", path)
			continue
		}
		blob := strings.TrimSpace(s.gitOut(t, dir, env, content, false, "hash-object", "-w", "--stdin"))
		fmt.Fprintf(&info, "100644 %s\t%s\n", blob, path)
	}
	s.git(t, dir, env, info.String(), "update-index", "--add", "--index-info")
	tree := strings.TrimSpace(s.gitOut(t, dir, env, "", false, "write-tree"))

	when := epoch.Add(time.Duration(s.commits.Add(1)-1) * time.Minute).Format(time.RFC3339)
	env = append(env,
		"GIT_AUTHOR_NAME="+AuthorName, "GIT_AUTHOR_EMAIL="+AuthorEmail, "GIT_AUTHOR_DATE="+when,
		"GIT_COMMITTER_NAME="+AuthorName, "GIT_COMMITTER_EMAIL="+AuthorEmail, "GIT_COMMITTER_DATE="+when,
	)
	args := []string{"commit-tree", tree, "-m", message}
	if parent != "" {
		args = append(args, "-p", parent)
	}
	commit := strings.TrimSpace(s.gitOut(t, dir, env, "", false, args...))
	old := parent
	if old == "" {
		old = "0000000000000000000000000000000000000000"
	}
	s.git(t, dir, env, "", "update-ref", ref, commit, old)
	return commit
}

// RevParse runs git rev-parse rev in repository name, for example
// "main" or "<commit>:path/to/file" (a blob id).
func (s *Server) RevParse(t testing.TB, name, rev string) string {
	t.Helper()
	return strings.TrimSpace(s.gitOut(t, s.Path(name), nil, "", false, "rev-parse", "--verify", rev))
}

func (s *Server) git(t testing.TB, dir string, env []string, stdin string, args ...string) {
	t.Helper()
	s.gitOut(t, dir, env, stdin, false, args...)
}

// gitOut runs git in dir and returns its standard output; with mayFail a
// failure returns "" instead of failing the test.
func (s *Server) gitOut(t testing.TB, dir string, env []string, stdin string, mayFail bool, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "LC_ALL=C")
	cmd.Env = append(cmd.Env, env...)
	if dir != "" {
		cmd.Env = append(cmd.Env, "GIT_DIR="+dir)
	}
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if mayFail {
			return ""
		}
		t.Fatalf("gitserver: git %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}
