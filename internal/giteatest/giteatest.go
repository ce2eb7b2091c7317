package giteatest

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	sdk "code.gitea.io/sdk/gitea"

	"github.com/astrolift/astrolift/internal/testenv"
)

// Server is a running Gitea.
type Server struct {
	// URL is the server's root URL, ending without a slash.
	URL string
	// Admin and Password log in as the site administrator; Token is an
	// access token of that account with every scope.
	Admin, Password, Token string

	dir  string
	cmd  *exec.Cmd
	log  string
	done chan error
}

// Binary returns the Gitea binary: $ASTROLIFT_GITEA, else bin/gitea of the
// repository holding the working directory.
func Binary() (string, error) {
	if b := os.Getenv("ASTROLIFT_GITEA"); b != "" {
		return b, nil
	}
	root, err := testenv.RepoRoot()
	if err != nil {
		return "", err
	}
	b := filepath.Join(root, "bin", "gitea")
	if _, err := os.Stat(b); err != nil {
		return "", fmt.Errorf("gitea binary missing at %s; run `make gitea` to build it", b)
	}
	return b, nil
}

// staticRoot is the source directory of the pinned Gitea module, which
// holds the options/ files the server reads at run time.
func staticRoot(ctx context.Context) (string, error) {
	if d := os.Getenv("ASTROLIFT_GITEA_STATIC"); d != "" {
		return d, nil
	}
	root, err := testenv.RepoRoot()
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", "code.gitea.io/gitea")
	cmd.Dir = filepath.Join(root, "hack", "tools", "gitea")
	out, err := cmd.Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		return "", fmt.Errorf("locate the gitea module source (go list in hack/tools/gitea): %w; run `make gitea`", err)
	}
	return dir, nil
}

const appIni = `APP_NAME = astrolift-test
RUN_USER = {{user}}
RUN_MODE = prod
WORK_PATH = {{dir}}
I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true

[server]
PROTOCOL = http
HTTP_ADDR = 127.0.0.1
HTTP_PORT = {{port}}
ROOT_URL = http://127.0.0.1:{{port}}/
DOMAIN = 127.0.0.1
DISABLE_SSH = true
START_SSH_SERVER = false
OFFLINE_MODE = true
LFS_START_SERVER = false
STATIC_ROOT_PATH = {{static}}
APP_DATA_PATH = {{dir}}/data

[database]
DB_TYPE = sqlite3
PATH = {{dir}}/gitea.db
SQLITE_JOURNAL_MODE = WAL

[repository]
ROOT = {{dir}}/repos
DEFAULT_BRANCH = main

[security]
INSTALL_LOCK = true
SECRET_KEY = astrolift-test-secret-key-0123456789
INTERNAL_TOKEN = eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJuYmYiOjE3MDAwMDAwMDB9.l1ZKmC1wpP0C8Gvd1Hj8RBkzq9pNzbtvOAsFEHnXUbg
PASSWORD_HASH_ALGO = pbkdf2_hi

[service]
DISABLE_REGISTRATION = true
REQUIRE_SIGNIN_VIEW = false
DEFAULT_ALLOW_CREATE_ORGANIZATION = true

[webhook]
ALLOWED_HOST_LIST = *
SKIP_TLS_VERIFY = true
DELIVER_TIMEOUT = 10

[indexer]
ISSUE_INDEXER_TYPE = db
REPO_INDEXER_ENABLED = false

[session]
PROVIDER = memory

[cache]
ADAPTER = memory

[queue]
TYPE = channel

[actions]
ENABLED = false

[packages]
ENABLED = false

[mailer]
ENABLED = false

[oauth2]
ENABLED = false

[picture]
DISABLE_GRAVATAR = true
ENABLE_FEDERATED_AVATAR = false

[cron]
ENABLED = false

[cron.update_checker]
ENABLED = false

[log]
MODE = file
LEVEL = Warn
ROOT_PATH = {{dir}}/log
`

// Start runs a Gitea server in a new temporary directory and creates its
// administrator. Stop it with Stop.
func Start(ctx context.Context) (_ *Server, retErr error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	static, err := staticRoot(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "giteatest-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if retErr != nil {
			_ = os.RemoveAll(dir)
		}
	}()
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	u, err := user.Current()
	if err != nil {
		return nil, err
	}
	ini := strings.NewReplacer("{{user}}", u.Username, "{{dir}}", dir, "{{port}}", strconv.Itoa(port), "{{static}}", static).Replace(appIni)
	conf := filepath.Join(dir, "app.ini")
	if err := os.WriteFile(conf, []byte(ini), 0o600); err != nil {
		return nil, err
	}
	s := &Server{URL: "http://127.0.0.1:" + strconv.Itoa(port), Admin: "astrolift", Password: "astrolift-test-pw-1", dir: dir,
		log: filepath.Join(dir, "gitea.out")}
	run := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, bin, append(args, "--config", conf, "--work-path", dir)...)
		cmd.Env = s.env()
		out, err := cmd.CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("gitea %s: %w: %s", args[0], err, lastLines(string(out), 10))
		}
		return string(out), nil
	}
	if _, err := run("migrate"); err != nil {
		return nil, err
	}
	if _, err := run("admin", "user", "create", "--admin", "--username", s.Admin, "--password", s.Password,
		"--email", "admin@astrolift.local", "--must-change-password=false"); err != nil {
		return nil, err
	}
	out, err := run("admin", "user", "generate-access-token", "--username", s.Admin, "--token-name", "astrolift-tests",
		"--scopes", "all", "--raw")
	if err != nil {
		return nil, err
	}
	s.Token = lastLines(strings.TrimSpace(out), 1)
	if err := s.start(ctx, bin, conf); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) env() []string {
	return append(os.Environ(), "GITEA_WORK_DIR="+s.dir, "HOME="+filepath.Join(s.dir, "home"), "GITEA_CUSTOM="+filepath.Join(s.dir, "custom"))
}

func (s *Server) start(ctx context.Context, bin, conf string) error {
	logf, err := os.Create(s.log)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "web", "--config", conf, "--work-path", s.dir)
	cmd.Env = s.env()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return fmt.Errorf("start gitea: %w", err)
	}
	s.cmd, s.done = cmd, make(chan error, 1)
	go func() { s.done <- cmd.Wait(); _ = logf.Close() }()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/api/v1/version", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-s.done:
			data, _ := os.ReadFile(s.log)
			return fmt.Errorf("gitea exited while starting (%w): %s", err, lastLines(string(data), 15))
		case <-ctx.Done():
			_ = s.Stop()
			return fmt.Errorf("gitea did not answer at %s: %w", s.URL, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop stops the server and removes its directory.
func (s *Server) Stop() error {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case err := <-s.done:
			_ = err // a server stopped by a signal exits non-zero
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			err := <-s.done
			_ = err
		}
	}
	return os.RemoveAll(s.dir)
}

// Main starts a server, stores it in *srv, runs the package's tests and
// stops it; use it from TestMain. A server that cannot start fails the
// tests (it does not skip them).
func Main(m *testing.M, srv **Server) int {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	s, err := Start(ctx)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: cannot start Gitea: %v\n", err)
		return 1
	}
	*srv = s
	code := m.Run()
	if err := s.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "giteatest: stop: %v\n", err)
	}
	return code
}

// Client returns an SDK client acting as the administrator.
func (s *Server) Client(t testing.TB) *sdk.Client {
	t.Helper()
	c, err := sdk.NewClient(s.URL, sdk.SetToken(s.Token), sdk.SetGiteaVersion(""))
	if err != nil {
		t.Fatalf("gitea client: %v", err)
	}
	return c
}

// CreateUser creates a user and returns an all-scopes token of theirs.
func (s *Server) CreateUser(t testing.TB, name string) string {
	t.Helper()
	c := s.Client(t)
	f := false
	if _, _, err := c.AdminCreateUser(sdk.CreateUserOption{Username: name, Email: name + "@astrolift.local",
		Password: "pw-" + name + "-0123", MustChangePassword: &f}); err != nil {
		t.Fatalf("gitea: create user %s: %v", name, err)
	}
	uc, err := sdk.NewClient(s.URL, sdk.SetBasicAuth(name, "pw-"+name+"-0123"), sdk.SetGiteaVersion(""))
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := uc.CreateAccessToken(sdk.CreateAccessTokenOption{Name: "t", Scopes: []sdk.AccessTokenScope{sdk.AccessTokenScopeAll}})
	if err != nil {
		t.Fatalf("gitea: token for %s: %v", name, err)
	}
	return tok.Token
}

// CreateRepo creates owner/name (owner: the admin, or an organization it
// creates on first use) with a main branch holding files, and returns it.
func (s *Server) CreateRepo(t testing.TB, owner, name string, files map[string]string) *sdk.Repository {
	t.Helper()
	c := s.Client(t)
	opt := sdk.CreateRepoOption{Name: name, AutoInit: true, DefaultBranch: "main", Readme: "Default"}
	var r *sdk.Repository
	var err error
	if owner == s.Admin {
		r, _, err = c.CreateRepo(opt)
	} else {
		if _, resp, gerr := c.GetOrg(owner); gerr != nil && resp != nil && resp.StatusCode == http.StatusNotFound {
			if _, _, err := c.CreateOrg(sdk.CreateOrgOption{Name: owner}); err != nil {
				t.Fatalf("gitea: create organization %s: %v", owner, err)
			}
		}
		r, _, err = c.CreateOrgRepo(owner, opt)
	}
	if err != nil {
		t.Fatalf("gitea: create repository %s/%s: %v", owner, name, err)
	}
	for path, content := range files {
		s.WriteFile(t, owner+"/"+name, "main", path, content, "add "+path)
	}
	return r
}

// WriteFile commits content to path on branch, as another person pushing
// to the repository would.
func (s *Server) WriteFile(t testing.TB, repo, branch, path, content, message string) string {
	t.Helper()
	c := s.Client(t)
	owner, name, _ := strings.Cut(repo, "/")
	opts := sdk.FileOptions{Message: message, BranchName: branch}
	enc := base64.StdEncoding.EncodeToString([]byte(content))
	var res *sdk.FileResponse
	cur, resp, err := c.GetContents(owner, name, branch, path)
	switch {
	case err == nil:
		res, _, err = c.UpdateFile(owner, name, path, sdk.UpdateFileOptions{FileOptions: opts, SHA: cur.SHA, Content: enc})
	case resp != nil && resp.StatusCode == http.StatusNotFound:
		res, _, err = c.CreateFile(owner, name, path, sdk.CreateFileOptions{FileOptions: opts, Content: enc})
	}
	if err != nil {
		t.Fatalf("gitea: write %s on %s of %s: %v", path, branch, repo, err)
	}
	return res.Commit.SHA
}

// MergePR merges a pull request with a merge commit, as a reviewer would.
func (s *Server) MergePR(t testing.TB, repo string, number int64) {
	t.Helper()
	owner, name, _ := strings.Cut(repo, "/")
	// Gitea checks a pull request's mergeability in the background after
	// each push to it and refuses to merge until it has (405 "try again
	// later"), so retry for a while.
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, resp, err := s.Client(t).MergePullRequest(owner, name, number, sdk.MergePullRequestOption{Style: sdk.MergeStyleMerge})
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) || (resp != nil && resp.StatusCode != http.StatusMethodNotAllowed) {
			status := 0
			if resp != nil {
				status = resp.StatusCode
			}
			t.Fatalf("gitea: merge %s#%d: %d %v", repo, number, status, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// ClosePR closes a pull request without merging it.
func (s *Server) ClosePR(t testing.TB, repo string, number int64) {
	t.Helper()
	owner, name, _ := strings.Cut(repo, "/")
	closed := sdk.StateClosed
	if _, _, err := s.Client(t).EditPullRequest(owner, name, number, sdk.EditPullRequestOption{State: &closed}); err != nil {
		t.Fatalf("gitea: close %s#%d: %v", repo, number, err)
	}
}

// Log returns the end of the server's output, for failure messages.
func (s *Server) Log() string {
	data, _ := os.ReadFile(s.log)
	logs, _ := filepath.Glob(filepath.Join(s.dir, "log", "*.log"))
	for _, l := range logs {
		more, _ := os.ReadFile(l)
		data = append(data, more...)
	}
	return lastLines(string(data), 30)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
