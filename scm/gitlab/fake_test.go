package gitlab

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeGitLab is a small stateful GitLab answering the REST v4 endpoints the
// provider calls, served under a self-managed relative root (/gitlab/api/v4)
// so the base URL handling is exercised. Its JSON starts from the trimmed
// documentation examples in testdata/*.json with the varying fields
// overwritten, so shapes stay those of GitLab's API documentation.
type fakeGitLab struct {
	t    *testing.T
	srv  *httptest.Server
	root string // relative URL root of the install

	mu       sync.Mutex
	tmpl     map[string][]byte
	user     fakeUser
	tokens   map[string]*fakeToken
	projects []*fakeProject
	seq      int
	nextID   int64 // global ids of projects, merge requests, notes, hooks
	// requests counts the API requests answered; fail5xx answers that many
	// next requests with 502 (for the retry tests).
	requests int
	fail5xx  int
}

type fakeUser struct {
	id                    int64
	username, name, email string
}

type fakeToken struct {
	scopes []string
	// selfStatus, when set, answers GET /personal_access_tokens/self with
	// that status (an older server, or a token it cannot describe).
	selfStatus int
	// limited tokens get a 429 on every request asking to wait retryAfter;
	// noRetryAfter leaves Retry-After out (RateLimit-Reset only).
	limited      bool
	retryAfter   time.Duration
	noRetryAfter bool
}

type fakeCommit struct {
	id, parent, message     string
	authorName, authorEmail string
	files                   map[string][]byte
	at                      time.Time
}

type fakeProject struct {
	id                                  int64
	path, name, description, visibility string
	defaultBranch                       string
	projectAccess, groupAccess          int // 0: none (null in the JSON)
	member                              bool
	branches                            map[string]string // name -> commit id
	commits                             map[string]*fakeCommit
	mrs                                 []*fakeMR
	hooks                               map[int64]*fakeHook
	created                             time.Time
}

type fakeMR struct {
	id, iid                          int64
	title, description               string
	source, target, state            string
	mergeCommit                      string
	created, updated, merged, closed time.Time
	notes                            []string
}

type fakeHook struct {
	id                    int64
	url, token            string
	pushEvents, sslVerify bool
	created               time.Time
}

func newFakeGitLab(t *testing.T) *fakeGitLab {
	t.Helper()
	f := &fakeGitLab{
		t:      t,
		root:   "/gitlab",
		tmpl:   map[string][]byte{},
		tokens: map[string]*fakeToken{},
		user:   fakeUser{id: 42, username: "jdoe", name: "Jane Doe", email: "jane@example.com"},
		nextID: 100,
	}
	for _, name := range []string{"user", "personal_access_token", "project", "branch", "commit", "merge_request", "note", "hook"} {
		b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(b) {
			t.Fatalf("testdata/%s.json is not JSON", name)
		}
		f.tmpl[name] = b
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// baseURL is the install's web root, as a user would configure it.
func (f *fakeGitLab) baseURL() string { return f.srv.URL + f.root }

func (f *fakeGitLab) addToken(tok string, ft *fakeToken) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens[tok] = ft
}

// addProject creates a project whose default branch holds files.
func (f *fakeGitLab) addProject(p *fakeProject, files map[string]string) *fakeProject {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	p.id = f.nextID
	p.created = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	if p.defaultBranch == "" {
		p.defaultBranch = "main"
	}
	p.branches = map[string]string{}
	p.commits = map[string]*fakeCommit{}
	p.hooks = map[int64]*fakeHook{}
	tree := map[string][]byte{}
	for k, v := range files {
		tree[k] = []byte(v)
	}
	c := f.commit(p, "", "Initial commit", f.user.name, f.user.email, tree)
	p.branches[p.defaultBranch] = c.id
	f.projects = append(f.projects, p)
	return p
}

// commit records a new commit (f.mu held).
func (f *fakeGitLab) commit(p *fakeProject, parent, msg, name, email string, files map[string][]byte) *fakeCommit {
	f.seq++
	sum := sha1.Sum(fmt.Appendf(nil, "%d\x00%s\x00%s\x00%s", f.seq, p.path, parent, msg))
	c := &fakeCommit{id: hex.EncodeToString(sum[:]), parent: parent, message: msg, authorName: name, authorEmail: email,
		files: files, at: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(f.seq) * time.Minute)}
	p.commits[c.id] = c
	return c
}

// merge merges a merge request as a reviewer would in the UI: the source
// branch's files are applied to the target in a new merge commit.
func (f *fakeGitLab) merge(t *testing.T, repo string, iid int64) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	p, mr := f.findMR(t, repo, iid)
	if mr.state != "opened" {
		t.Fatalf("fake: merge %s!%d: state %s", repo, iid, mr.state)
	}
	target, source := p.commits[p.branches[mr.target]], p.commits[p.branches[mr.source]]
	files := maps.Clone(target.files)
	maps.Copy(files, source.files)
	c := f.commit(p, target.id, fmt.Sprintf("Merge branch '%s' into '%s'", mr.source, mr.target), f.user.name, f.user.email, files)
	p.branches[mr.target] = c.id
	mr.state, mr.mergeCommit, mr.merged, mr.updated = "merged", c.id, c.at, c.at
}

// close closes a merge request without merging it.
func (f *fakeGitLab) close(t *testing.T, repo string, iid int64) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	_, mr := f.findMR(t, repo, iid)
	if mr.state != "opened" {
		t.Fatalf("fake: close %s!%d: state %s", repo, iid, mr.state)
	}
	mr.state, mr.closed, mr.updated = "closed", time.Now().UTC(), time.Now().UTC()
}

func (f *fakeGitLab) findMR(t *testing.T, repo string, iid int64) (*fakeProject, *fakeMR) {
	t.Helper()
	p := f.project(repo)
	if p == nil {
		t.Fatalf("fake: no project %s", repo)
	}
	for _, mr := range p.mrs {
		if mr.iid == iid {
			return p, mr
		}
	}
	t.Fatalf("fake: no merge request %s!%d", repo, iid)
	return nil, nil
}

// project finds a project by numeric id or full path (f.mu held).
func (f *fakeGitLab) project(id string) *fakeProject {
	n, err := strconv.ParseInt(id, 10, 64)
	for _, p := range f.projects {
		if (err == nil && p.id == n) || strings.EqualFold(p.path, id) {
			return p
		}
	}
	return nil
}

// visible: the user may see the project (members, and anyone logged in for
// public and internal projects).
func (p *fakeProject) visible() bool { return p.member || p.visibility != "private" }

// resolve turns a branch name or commit id into a commit.
func (p *fakeProject) resolve(ref string) *fakeCommit {
	if id, ok := p.branches[ref]; ok {
		return p.commits[id]
	}
	if len(ref) >= 7 {
		for id, c := range p.commits {
			if strings.HasPrefix(id, ref) {
				return c
			}
		}
	}
	return nil
}

// request is one API request, its path split into unescaped segments.
type request struct {
	w    http.ResponseWriter
	r    *http.Request
	segs []string
	body map[string]any
}

// match reports whether the request is method on pattern, whose ":x"
// segments match any one segment.
func (q *request) match(method, pattern string) bool {
	if q.r.Method != method {
		return false
	}
	ps := strings.Split(pattern, "/")
	if len(ps) != len(q.segs) {
		return false
	}
	for i, s := range ps {
		if !strings.HasPrefix(s, ":") && s != q.segs[i] {
			return false
		}
	}
	return true
}

// param is a request parameter from the JSON body or the query string.
func (q *request) param(name string) string {
	if v, ok := q.body[name]; ok && v != nil {
		return fmt.Sprint(v)
	}
	return q.r.URL.Query().Get(name)
}

func (q *request) boolParam(name string, def bool) bool {
	if v := q.param(name); v != "" {
		b, err := strconv.ParseBool(v)
		return err == nil && b
	}
	return def
}

func (q *request) json(status int, v any) {
	q.w.Header().Set("Content-Type", "application/json")
	q.w.WriteHeader(status)
	_ = json.NewEncoder(q.w).Encode(v)
}

func (q *request) message(status int, msg any) { q.json(status, map[string]any{"message": msg}) }

// obj is a fresh copy of a documentation example.
func (f *fakeGitLab) obj(name string) map[string]any {
	var m map[string]any
	if err := json.Unmarshal(f.tmpl[name], &m); err != nil {
		panic(err)
	}
	return m
}

func (f *fakeGitLab) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	// The project path and file paths come %2F-encoded: split the path as
	// sent, then unescape each segment.
	prefix := f.root + "/api/v4/"
	esc := r.URL.EscapedPath()
	q := &request{w: w, r: r, body: map[string]any{}}
	if !strings.HasPrefix(esc, prefix) {
		q.json(http.StatusNotFound, map[string]any{"error": "404 Not Found"})
		return
	}
	for _, s := range strings.Split(strings.TrimPrefix(esc, prefix), "/") {
		u, err := url.PathUnescape(s)
		if err != nil {
			q.json(http.StatusBadRequest, map[string]any{"error": "bad path"})
			return
		}
		q.segs = append(q.segs, u)
	}
	tok := f.tokens[r.Header.Get("PRIVATE-TOKEN")]
	if tok == nil {
		q.message(http.StatusUnauthorized, "401 Unauthorized")
		return
	}
	if tok.limited {
		f.tooManyRequests(w, tok)
		return
	}
	if f.fail5xx > 0 {
		f.fail5xx--
		q.message(http.StatusBadGateway, "502 Bad Gateway")
		return
	}
	if b, _ := io.ReadAll(r.Body); len(b) > 0 {
		if err := json.Unmarshal(b, &q.body); err != nil {
			q.json(http.StatusBadRequest, map[string]any{"error": "body is not JSON"})
			return
		}
	}

	switch {
	case q.match("GET", "user"):
		u := f.obj("user")
		u["id"], u["username"], u["name"], u["email"] = f.user.id, f.user.username, f.user.name, f.user.email
		u["public_email"], u["commit_email"] = f.user.email, f.user.email
		u["web_url"] = f.srv.URL + f.root + "/" + f.user.username
		q.json(http.StatusOK, u)
	case q.match("GET", "personal_access_tokens/self"):
		if tok.selfStatus != 0 {
			q.message(tok.selfStatus, fmt.Sprintf("%d %s", tok.selfStatus, http.StatusText(tok.selfStatus)))
			return
		}
		pat := f.obj("personal_access_token")
		pat["scopes"], pat["user_id"], pat["name"] = tok.scopes, f.user.id, "astrolift"
		q.json(http.StatusOK, pat)
	case q.match("GET", "projects"):
		f.listProjects(q)
	case len(q.segs) >= 2 && q.segs[0] == "projects":
		p := f.project(q.segs[1])
		if p == nil || !p.visible() {
			q.message(http.StatusNotFound, "404 Project Not Found")
			return
		}
		f.serveProject(q, p)
	default:
		q.json(http.StatusNotFound, map[string]any{"error": "404 Not Found"})
	}
}

// tooManyRequests answers as GitLab's throttles do: 429, Retry-After and
// the RateLimit-* headers, and a plain-text body.
func (f *fakeGitLab) tooManyRequests(w http.ResponseWriter, tok *fakeToken) {
	reset := time.Now().Add(tok.retryAfter)
	h := w.Header()
	if !tok.noRetryAfter {
		h.Set("Retry-After", strconv.Itoa(int(tok.retryAfter.Seconds())))
	}
	h.Set("RateLimit-Name", "throttle_authenticated_api")
	h.Set("RateLimit-Limit", "60")
	h.Set("RateLimit-Observed", "67")
	h.Set("RateLimit-Remaining", "0")
	h.Set("RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("RateLimit-ResetTime", reset.UTC().Format(http.TimeFormat))
	h.Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = io.WriteString(w, "Retry later\n")
}

func (f *fakeGitLab) serveProject(q *request, p *fakeProject) {
	switch {
	case q.match("GET", "projects/:id"):
		q.json(http.StatusOK, f.projectJSON(p, false))
	case q.match("GET", "projects/:id/repository/branches/:branch"):
		id, ok := p.branches[q.segs[4]]
		if !ok {
			q.message(http.StatusNotFound, "404 Branch Not Found")
			return
		}
		q.json(http.StatusOK, f.branchJSON(p, q.segs[4], id))
	case q.match("POST", "projects/:id/repository/branches"):
		f.createBranch(q, p)
	case q.match("GET", "projects/:id/repository/files/:path/raw"):
		c, ok := f.file(q, p, q.segs[4])
		if ok {
			q.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			q.w.WriteHeader(http.StatusOK)
			_, _ = q.w.Write(c.files[q.segs[4]])
		}
	case q.match("HEAD", "projects/:id/repository/files/:path"):
		c, ok := f.file(q, p, q.segs[4])
		if ok {
			name := q.segs[4]
			sum := sha1.Sum(c.files[name])
			h := q.w.Header()
			h.Set("X-Gitlab-Blob-Id", hex.EncodeToString(sum[:]))
			h.Set("X-Gitlab-Commit-Id", c.id)
			h.Set("X-Gitlab-Last-Commit-Id", c.id)
			h.Set("X-Gitlab-Encoding", "base64")
			h.Set("X-Gitlab-File-Name", name[strings.LastIndex(name, "/")+1:])
			h.Set("X-Gitlab-File-Path", name)
			h.Set("X-Gitlab-Ref", q.param("ref"))
			h.Set("X-Gitlab-Size", strconv.Itoa(len(c.files[name])))
			h.Set("X-Gitlab-Execute-Filemode", "false")
			q.w.WriteHeader(http.StatusOK)
		}
	case q.match("POST", "projects/:id/repository/commits"):
		f.createCommit(q, p)
	case q.match("POST", "projects/:id/merge_requests"):
		f.createMR(q, p)
	case q.match("GET", "projects/:id/merge_requests/:iid"):
		if mr := p.mr(q.segs[3]); mr != nil {
			q.json(http.StatusOK, f.mrJSON(p, mr))
		} else {
			q.message(http.StatusNotFound, "404 Not found")
		}
	case q.match("POST", "projects/:id/merge_requests/:iid/notes"):
		f.createNote(q, p)
	case q.match("POST", "projects/:id/hooks"):
		f.createHook(q, p)
	case q.match("DELETE", "projects/:id/hooks/:hook_id"):
		n, _ := strconv.ParseInt(q.segs[3], 10, 64)
		if _, ok := p.hooks[n]; !ok {
			q.message(http.StatusNotFound, "404 Not found")
			return
		}
		delete(p.hooks, n)
		q.w.WriteHeader(http.StatusNoContent)
	default:
		q.json(http.StatusNotFound, map[string]any{"error": "404 Not Found"})
	}
}

func (p *fakeProject) mr(iid string) *fakeMR {
	n, _ := strconv.ParseInt(iid, 10, 64)
	for _, mr := range p.mrs {
		if mr.iid == n {
			return mr
		}
	}
	return nil
}

// file finds a file at the request's ref, answering 400/404 when it cannot.
func (f *fakeGitLab) file(q *request, p *fakeProject, name string) (*fakeCommit, bool) {
	ref := q.param("ref")
	if ref == "" {
		q.json(http.StatusBadRequest, map[string]any{"error": "ref is missing, ref is empty"})
		return nil, false
	}
	c := p.resolve(ref)
	if c == nil {
		q.message(http.StatusNotFound, "404 Commit Not Found")
		return nil, false
	}
	if _, ok := c.files[name]; !ok {
		q.message(http.StatusNotFound, "404 File Not Found")
		return nil, false
	}
	return c, true
}

func (f *fakeGitLab) listProjects(q *request) {
	membership := q.boolParam("membership", false)
	search, namespaces := strings.ToLower(q.param("search")), q.boolParam("search_namespaces", false)
	var list []*fakeProject
	for _, p := range f.projects {
		if !p.visible() || (membership && !p.member) {
			continue
		}
		if search != "" && !p.searchMatch(search, namespaces) {
			continue
		}
		list = append(list, p)
	}
	switch q.param("order_by") {
	case "path":
		slices.SortStableFunc(list, func(a, b *fakeProject) int {
			return strings.Compare(a.path[strings.LastIndex(a.path, "/")+1:], b.path[strings.LastIndex(b.path, "/")+1:])
		})
	case "", "created_at", "id":
		slices.SortStableFunc(list, func(a, b *fakeProject) int { return int(b.id - a.id) }) // GitLab's default: newest first
	}
	if q.param("sort") == "desc" && q.param("order_by") == "path" {
		slices.Reverse(list)
	}
	page, _ := strconv.Atoi(q.param("page"))
	perPage, _ := strconv.Atoi(q.param("per_page"))
	page, perPage = max(page, 1), min(max(perPage, 0), 100)
	if perPage == 0 {
		perPage = 20
	}
	total, pages := len(list), max((len(list)+perPage-1)/perPage, 1)
	from, to := min((page-1)*perPage, total), min(page*perPage, total)
	h := q.w.Header()
	h.Set("X-Page", strconv.Itoa(page))
	h.Set("X-Per-Page", strconv.Itoa(perPage))
	h.Set("X-Total", strconv.Itoa(total))
	h.Set("X-Total-Pages", strconv.Itoa(pages))
	h.Set("X-Next-Page", "")
	h.Set("X-Prev-Page", "")
	if page < pages {
		h.Set("X-Next-Page", strconv.Itoa(page+1))
	}
	if page > 1 {
		h.Set("X-Prev-Page", strconv.Itoa(page-1))
	}
	out := []map[string]any{}
	for _, p := range list[from:to] {
		out = append(out, f.projectJSON(p, q.boolParam("simple", false)))
	}
	q.json(http.StatusOK, out)
}

// searchMatch is GitLab's project search: path, name or description, the
// full path and namespaced name with search_namespaces, case-insensitive
// substrings from 3 characters on and exact matches below.
func (p *fakeProject) searchMatch(s string, namespaces bool) bool {
	fields := []string{p.path[strings.LastIndex(p.path, "/")+1:], p.name, p.description}
	if namespaces {
		fields = []string{p.path, p.nameWithNamespace(), p.description}
	}
	for _, v := range fields {
		v = strings.ToLower(v)
		if (len(s) >= 3 && strings.Contains(v, s)) || v == s {
			return true
		}
	}
	return false
}

func (p *fakeProject) nameWithNamespace() string {
	parts := strings.Split(p.path, "/")
	parts[len(parts)-1] = p.name
	return strings.Join(parts, " / ")
}

func (f *fakeGitLab) webURL(path string) string { return f.srv.URL + f.root + "/" + path }

// namespaceID is a stable made-up id for a namespace path.
func namespaceID(ns string) int64 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(ns))
	return int64(h.Sum32() % 100000)
}

func access(level int) any {
	if level == 0 {
		return nil
	}
	return map[string]any{"access_level": level, "notification_level": 3}
}

func (f *fakeGitLab) projectJSON(p *fakeProject, simple bool) map[string]any {
	o := f.obj("project")
	web := f.webURL(p.path)
	host := strings.TrimPrefix(f.srv.URL, "http://")
	ns := p.path[:strings.LastIndex(p.path, "/")]
	o["id"], o["name"], o["path"] = p.id, p.name, p.path[strings.LastIndex(p.path, "/")+1:]
	o["path_with_namespace"], o["name_with_namespace"] = p.path, p.nameWithNamespace()
	o["description"], o["default_branch"], o["visibility"] = p.description, p.defaultBranch, p.visibility
	o["web_url"], o["http_url_to_repo"] = web, web+".git"
	o["ssh_url_to_repo"] = "git@" + strings.Split(host, ":")[0] + ":" + p.path + ".git"
	o["readme_url"] = web + "/-/blob/" + p.defaultBranch + "/README.md"
	o["created_at"] = p.created.Format(time.RFC3339)
	o["last_activity_at"] = p.created.Format(time.RFC3339)
	o["creator_id"] = f.user.id
	kind := "group"
	if ns == f.user.username {
		kind = "user"
	}
	o["namespace"] = map[string]any{"id": namespaceID(ns), "name": ns[strings.LastIndex(ns, "/")+1:], "path": ns[strings.LastIndex(ns, "/")+1:],
		"kind": kind, "full_path": ns, "avatar_url": nil, "web_url": f.webURL("groups/" + ns)}
	o["permissions"] = map[string]any{"project_access": access(p.projectAccess), "group_access": access(p.groupAccess)}
	if simple { // GitLab's simple view: no visibility, no permissions
		delete(o, "permissions")
		delete(o, "visibility")
	}
	return o
}

func (f *fakeGitLab) commitJSON(p *fakeProject, c *fakeCommit) map[string]any {
	o := f.obj("commit")
	title, _, _ := strings.Cut(c.message, "\n")
	o["id"], o["short_id"], o["title"], o["message"] = c.id, c.id[:11], title, c.message
	o["author_name"], o["author_email"] = c.authorName, c.authorEmail
	o["committer_name"], o["committer_email"] = f.user.name, f.user.email
	at := c.at.Format(time.RFC3339)
	o["created_at"], o["committed_date"], o["authored_date"] = at, at, at
	o["parent_ids"] = []string{}
	if c.parent != "" {
		o["parent_ids"] = []string{c.parent}
	}
	o["web_url"] = f.webURL(p.path + "/-/commit/" + c.id)
	return o
}

func (f *fakeGitLab) branchJSON(p *fakeProject, name, id string) map[string]any {
	o := f.obj("branch")
	o["name"], o["default"], o["protected"] = name, name == p.defaultBranch, name == p.defaultBranch
	o["merged"], o["can_push"] = false, p.projectAccess >= 30 || p.groupAccess >= 30
	o["web_url"] = f.webURL(p.path + "/-/tree/" + name)
	c := f.commitJSON(p, p.commits[id])
	delete(c, "stats")
	delete(c, "status")
	o["commit"] = c
	return o
}

func (f *fakeGitLab) createBranch(q *request, p *fakeProject) {
	name, ref := q.param("branch"), q.param("ref")
	if name == "" || ref == "" {
		q.json(http.StatusBadRequest, map[string]any{"error": "branch is missing, ref is missing"})
		return
	}
	if _, ok := p.branches[name]; ok {
		q.message(http.StatusBadRequest, "Branch already exists")
		return
	}
	c := p.resolve(ref)
	if c == nil {
		q.message(http.StatusBadRequest, "Invalid reference name: "+ref)
		return
	}
	p.branches[name] = c.id
	q.json(http.StatusCreated, f.branchJSON(p, name, c.id))
}

func (f *fakeGitLab) createCommit(q *request, p *fakeProject) {
	branch, msg := q.param("branch"), q.param("commit_message")
	if branch == "" || msg == "" {
		q.json(http.StatusBadRequest, map[string]any{"error": "branch is missing, commit_message is missing"})
		return
	}
	head, ok := p.branches[branch]
	if !ok {
		start := q.param("start_branch")
		if head, ok = p.branches[start]; !ok {
			q.message(http.StatusBadRequest, "You can only create or edit files when you are on a branch")
			return
		}
	}
	actions, _ := q.body["actions"].([]any)
	if len(actions) == 0 {
		q.json(http.StatusBadRequest, map[string]any{"error": "actions is missing"})
		return
	}
	files := maps.Clone(p.commits[head].files)
	for _, a := range actions {
		act, _ := a.(map[string]any)
		action, _ := act["action"].(string)
		path, _ := act["file_path"].(string)
		content, _ := act["content"].(string)
		data := []byte(content)
		if enc, _ := act["encoding"].(string); enc == "base64" {
			var err error
			if data, err = base64.StdEncoding.DecodeString(content); err != nil {
				q.message(http.StatusBadRequest, "content is not base64")
				return
			}
		}
		_, exists := files[path]
		switch action {
		case "create":
			if exists {
				q.message(http.StatusBadRequest, "A file with this name already exists")
				return
			}
			files[path] = data
		case "update":
			if !exists {
				q.message(http.StatusBadRequest, "A file with this name doesn't exist")
				return
			}
			files[path] = data
		case "delete":
			if !exists {
				q.message(http.StatusBadRequest, "A file with this name doesn't exist")
				return
			}
			delete(files, path)
		default:
			q.json(http.StatusBadRequest, map[string]any{"error": "actions[0][action] does not have a valid value"})
			return
		}
	}
	name, email := f.user.name, f.user.email
	if v := q.param("author_name"); v != "" {
		name = v
	}
	if v := q.param("author_email"); v != "" {
		email = v
	}
	c := f.commit(p, head, msg, name, email, files)
	p.branches[branch] = c.id
	q.json(http.StatusCreated, f.commitJSON(p, c))
}

func (f *fakeGitLab) createMR(q *request, p *fakeProject) {
	title, source, target := q.param("title"), q.param("source_branch"), q.param("target_branch")
	if title == "" || source == "" || target == "" {
		q.json(http.StatusBadRequest, map[string]any{"error": "title is missing, source_branch is missing, target_branch is missing"})
		return
	}
	for _, b := range []string{source, target} {
		if _, ok := p.branches[b]; !ok {
			q.message(http.StatusUnprocessableEntity, []string{fmt.Sprintf("Branch %q does not exist", b)})
			return
		}
	}
	if source == target {
		q.message(http.StatusUnprocessableEntity, []string{"You can't use same project/branch for source and target"})
		return
	}
	for _, mr := range p.mrs {
		if mr.state == "opened" && mr.source == source && mr.target == target {
			q.message(http.StatusConflict, []string{fmt.Sprintf("Another open merge request already exists for this source branch: !%d", mr.iid)})
			return
		}
	}
	f.nextID++
	now := time.Now().UTC()
	mr := &fakeMR{id: f.nextID, iid: int64(len(p.mrs) + 1), title: title, description: q.param("description"),
		source: source, target: target, state: "opened", created: now, updated: now}
	p.mrs = append(p.mrs, mr)
	q.json(http.StatusCreated, f.mrJSON(p, mr))
}

func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Format(time.RFC3339Nano)
}

func (f *fakeGitLab) userRef() map[string]any {
	return map[string]any{"id": f.user.id, "name": f.user.name, "username": f.user.username, "state": "active",
		"avatar_url": nil, "web_url": f.webURL(f.user.username)}
}

func (f *fakeGitLab) mrJSON(p *fakeProject, mr *fakeMR) map[string]any {
	o := f.obj("merge_request")
	o["id"], o["iid"], o["project_id"] = mr.id, mr.iid, p.id
	o["source_project_id"], o["target_project_id"] = p.id, p.id
	o["title"], o["description"], o["state"] = mr.title, mr.description, mr.state
	o["source_branch"], o["target_branch"] = mr.source, mr.target
	o["sha"] = p.branches[mr.source]
	o["merge_commit_sha"], o["squash_commit_sha"] = nil, nil
	o["merged_by"], o["merge_user"], o["closed_by"] = nil, nil, nil
	if mr.state == "merged" {
		o["merge_commit_sha"] = mr.mergeCommit
		o["merged_by"], o["merge_user"] = f.userRef(), f.userRef()
	}
	if mr.state == "closed" {
		o["closed_by"] = f.userRef()
	}
	o["created_at"], o["updated_at"] = timeOrNil(mr.created), timeOrNil(mr.updated)
	o["merged_at"], o["closed_at"] = timeOrNil(mr.merged), timeOrNil(mr.closed)
	o["author"] = f.userRef()
	o["user_notes_count"] = len(mr.notes)
	o["detailed_merge_status"] = "mergeable"
	if mr.state != "opened" {
		o["detailed_merge_status"] = "not_open"
	}
	o["web_url"] = f.webURL(fmt.Sprintf("%s/-/merge_requests/%d", p.path, mr.iid))
	ref := fmt.Sprintf("!%d", mr.iid)
	o["references"] = map[string]any{"short": ref, "relative": ref, "full": p.path + ref}
	return o
}

func (f *fakeGitLab) createNote(q *request, p *fakeProject) {
	mr := p.mr(q.segs[3])
	if mr == nil {
		q.message(http.StatusNotFound, "404 Not found")
		return
	}
	body := q.param("body")
	if body == "" {
		q.json(http.StatusBadRequest, map[string]any{"error": "body is missing"})
		return
	}
	mr.notes = append(mr.notes, body)
	f.nextID++
	n := f.obj("note")
	now := time.Now().UTC().Format(time.RFC3339Nano)
	//nolint:misspell // GitLab's field names
	n["id"], n["body"], n["noteable_id"], n["noteable_iid"], n["project_id"] = f.nextID, body, mr.id, mr.iid, p.id
	n["created_at"], n["updated_at"] = now, now
	n["author"] = map[string]any{"id": f.user.id, "username": f.user.username, "email": f.user.email, "name": f.user.name,
		"state": "active", "created_at": "2024-01-02T03:04:05Z"}
	q.json(http.StatusCreated, n)
}

func (f *fakeGitLab) createHook(q *request, p *fakeProject) {
	u := q.param("url")
	if u == "" {
		q.json(http.StatusBadRequest, map[string]any{"error": "url is missing"})
		return
	}
	f.nextID++
	h := &fakeHook{id: f.nextID, url: u, token: q.param("token"), pushEvents: q.boolParam("push_events", true),
		sslVerify: q.boolParam("enable_ssl_verification", true), created: time.Now().UTC()}
	p.hooks[h.id] = h
	o := f.obj("hook")
	for k, v := range o {
		if _, isBool := v.(bool); isBool && strings.HasSuffix(k, "_events") {
			o[k] = q.boolParam(k, false) // GitLab's defaults: only push events
		}
	}
	o["id"], o["url"], o["project_id"] = h.id, h.url, p.id
	o["name"], o["description"] = q.param("name"), q.param("description")
	o["push_events"], o["enable_ssl_verification"] = h.pushEvents, h.sslVerify
	o["created_at"] = h.created.Format(time.RFC3339)
	q.json(http.StatusCreated, o)
}
