package github

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
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

// fakeGitHub is a small stateful GitHub Enterprise Server: the REST v3
// endpoints the provider calls, served under /api/v3/, answering with the
// documentation's example payloads (testdata/*.json) whose varying fields
// (ids, names, shas, states, URLs) it overwrites. It may only overwrite
// fields the examples have, so its payloads keep the documented shape.
//
// Tokens are per user; a token may be rate limited, and then every request
// made with it gets GitHub's primary or secondary rate-limit refusal.
type fakeGitHub struct {
	t   testing.TB
	srv *httptest.Server

	templates map[string][]byte
	errBodies map[string]map[string]any

	mu     sync.Mutex
	tokens map[string]*fakeToken
	users  map[string]*fakeUser
	repos  map[string]*fakeRepo // by lower-case full name
	nextID int64
	seq    int // makes commit shas unique
	// contentLimit: files larger than this are listed by the contents API
	// with encoding "none" and no content, as GitHub does above 1 MB.
	contentLimit int
	// requests counts requests by token.
	requests map[string]int
}

type fakeToken struct {
	login string
	// scopes is the X-OAuth-Scopes header of a classic token; nil for
	// fine-grained and app tokens, which get no header.
	scopes *string
	limit  rateLimitMode
	wait   time.Duration
}

type rateLimitMode int

const (
	notLimited rateLimitMode = iota
	primary403
	primary429
	secondary403
	secondary429
	// secondaryBare is a 403 with Retry-After and a body without the
	// secondary-rate-limit documentation_url go-github looks for.
	secondaryBare
)

type fakeUser struct {
	login, name, email string
	id                 int64
}

type fakeRepo struct {
	id            int64
	owner, name   string
	ownerType     string // User or Organization
	ownerID       int64
	private       bool
	affiliation   string // owner, collaborator, organization_member; "" = not the user's
	admin, push   bool
	defaultBranch string
	branches      map[string]string // name -> commit sha
	commits       map[string]*fakeCommit
	blobs         map[string][]byte
	lastNumber    int // issues and pull requests share numbers
	issues        map[int]bool
	pulls         map[int]*fakePull
	comments      map[int][]string
	hooks         map[int64]*fakeHook
}

func (r *fakeRepo) fullName() string { return r.owner + "/" + r.name }

type fakeCommit struct {
	sha       string
	parents   []string
	files     map[string][]byte
	message   string
	author    fakeAuthor
	committer fakeAuthor
	date      time.Time
}

type fakeAuthor struct{ Name, Email string }

type fakePull struct {
	id               int64
	number           int
	title, body      string
	head, base       string
	headSHA, baseSHA string
	state            string // open, closed
	merged           bool
	mergeSHA         string
	testMergeSHA     string
	created, closed  time.Time
	mergedAt         time.Time
	additions        int
}

type fakeHook struct {
	id          int64
	events      []string
	active      bool
	url         string
	contentType string
	secret      string
	insecureSSL string
	created     time.Time
}

func newFakeGitHub(t testing.TB) *fakeGitHub {
	t.Helper()
	f := &fakeGitHub{
		t:            t,
		templates:    map[string][]byte{},
		tokens:       map[string]*fakeToken{},
		users:        map[string]*fakeUser{},
		repos:        map[string]*fakeRepo{},
		nextID:       1000,
		contentLimit: 1 << 20,
		requests:     map[string]int{},
	}
	names, err := filepath.Glob("testdata/*.json")
	if err != nil || len(names) == 0 {
		t.Fatalf("testdata: %v (%d files)", err, len(names))
	}
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f.templates[filepath.Base(name)] = b
	}
	if err := json.Unmarshal(f.templates["errors.json"], &f.errBodies); err != nil {
		t.Fatal(err)
	}

	mux := http.NewServeMux()
	const api = "/api/v3"
	mux.HandleFunc("GET "+api+"/user", f.getUser)
	mux.HandleFunc("GET "+api+"/user/repos", f.listUserRepos)
	mux.HandleFunc("GET "+api+"/repos/{owner}/{repo}", f.withRepo(f.getRepo))
	mux.HandleFunc("GET "+api+"/repos/{owner}/{repo}/branches/{branch...}", f.withRepo(f.getBranch))
	mux.HandleFunc("GET "+api+"/repos/{owner}/{repo}/git/ref/{ref...}", f.withRepo(f.getRef))
	mux.HandleFunc("POST "+api+"/repos/{owner}/{repo}/git/refs", f.withRepo(f.createRef))
	mux.HandleFunc("GET "+api+"/repos/{owner}/{repo}/git/blobs/{sha}", f.withRepo(f.getBlob))
	mux.HandleFunc("GET "+api+"/repos/{owner}/{repo}/contents/{path...}", f.withRepo(f.getContents))
	mux.HandleFunc("PUT "+api+"/repos/{owner}/{repo}/contents/{path...}", f.withRepo(f.putContents))
	mux.HandleFunc("POST "+api+"/repos/{owner}/{repo}/pulls", f.withRepo(f.createPull))
	mux.HandleFunc("GET "+api+"/repos/{owner}/{repo}/pulls/{number}", f.withRepo(f.getPull))
	mux.HandleFunc("POST "+api+"/repos/{owner}/{repo}/issues/{number}/comments", f.withRepo(f.createComment))
	mux.HandleFunc("POST "+api+"/repos/{owner}/{repo}/hooks", f.withRepo(f.createHook))
	mux.HandleFunc("DELETE "+api+"/repos/{owner}/{repo}/hooks/{id}", f.withRepo(f.deleteHook))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		f.fail(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest")
	})
	f.srv = httptest.NewServer(f.authenticate(mux))
	t.Cleanup(f.srv.Close)
	return f
}

// apiBase is the enterprise API root, webBase the web root.
func (f *fakeGitHub) apiBase() string { return f.srv.URL + "/api/v3" }
func (f *fakeGitHub) webBase() string { return f.srv.URL }

func (f *fakeGitHub) addUser(login, name, email string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	f.users[login] = &fakeUser{login: login, name: name, email: email, id: f.nextID}
}

// addToken gives login a token; scopes nil is a fine-grained token.
func (f *fakeGitHub) addToken(token, login string, scopes *string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens[token] = &fakeToken{login: login, scopes: scopes}
}

func (f *fakeGitHub) addLimitedToken(token, login string, mode rateLimitMode, wait time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens[token] = &fakeToken{login: login, limit: mode, wait: wait}
}

func (f *fakeGitHub) requestCount(token string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[token]
}

type repoOpts struct {
	private     bool
	affiliation string // owner, collaborator, organization_member, or "" (not the user's)
	admin, push bool
	files       map[string]string // on the default branch, "main"
}

func (f *fakeGitHub) addRepo(full string, o repoOpts) *fakeRepo {
	f.mu.Lock()
	defer f.mu.Unlock()
	owner, name, _ := strings.Cut(full, "/")
	f.nextID++
	r := &fakeRepo{
		id: f.nextID, owner: owner, name: name, ownerType: "Organization", ownerID: int64(len(owner)) + 500,
		private: o.private, affiliation: o.affiliation, admin: o.admin, push: o.push || o.admin,
		defaultBranch: "main", branches: map[string]string{}, commits: map[string]*fakeCommit{},
		blobs: map[string][]byte{}, issues: map[int]bool{}, pulls: map[int]*fakePull{},
		comments: map[int][]string{}, hooks: map[int64]*fakeHook{},
	}
	if u, ok := f.users[owner]; ok {
		r.ownerType, r.ownerID = "User", u.id
	}
	files := map[string][]byte{}
	for p, c := range o.files {
		files[p] = []byte(c)
	}
	r.branches["main"] = f.commitLocked(r, nil, files, "Initial commit", fakeAuthor{"The Octocat", "octocat@github.com"})
	f.repos[strings.ToLower(full)] = r
	return r
}

// addIssue opens a plain issue, taking the next number.
func (f *fakeGitHub) addIssue(full string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.repos[strings.ToLower(full)]
	r.lastNumber++
	r.issues[r.lastNumber] = true
	return r.lastNumber
}

func (f *fakeGitHub) repo(full string) *fakeRepo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.repos[strings.ToLower(full)]
}

// commitLocked records a commit of files on parents; f.mu is held.
func (f *fakeGitHub) commitLocked(r *fakeRepo, parents []string, files map[string][]byte, msg string, a fakeAuthor) string {
	f.seq++
	h := sha1.New()
	fmt.Fprintf(h, "commit %d\n%s\n%s\n%s\n", f.seq, r.fullName(), strings.Join(parents, ","), msg)
	for _, p := range slices.Sorted(maps.Keys(files)) {
		b := files[p]
		fmt.Fprintf(h, "%s %s\n", p, blobSHA(b))
		r.blobs[blobSHA(b)] = b
	}
	c := &fakeCommit{sha: hex.EncodeToString(h.Sum(nil)), parents: parents, files: files, message: msg,
		author: a, committer: a, date: time.Now().UTC()}
	r.commits[c.sha] = c
	return c.sha
}

// blobSHA is git's blob id.
func blobSHA(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// merge merges pull request number as the web UI's merge button does: a
// merge commit on the base branch with the changes the head branch made
// since the merge base.
func (f *fakeGitHub) merge(t *testing.T, full string, number int64) string {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.repos[strings.ToLower(full)]
	pr := r.pulls[int(number)]
	if pr == nil || pr.state != "open" {
		t.Fatalf("fake: merge %s#%d: no open pull request", full, number)
	}
	head, base := r.commits[r.branches[pr.head]], r.commits[r.branches[pr.base]]
	mb := r.commits[f.mergeBase(r, head.sha, base.sha)]
	files := maps.Clone(base.files)
	for p, b := range head.files {
		if old, ok := mb.files[p]; !ok || string(old) != string(b) {
			files[p] = b
		}
	}
	for p := range mb.files {
		if _, ok := head.files[p]; !ok {
			delete(files, p)
		}
	}
	login := f.mainLogin()
	sha := f.commitLocked(r, []string{base.sha, head.sha}, files,
		fmt.Sprintf("Merge pull request #%d from %s/%s\n\n%s", number, r.owner, pr.head, pr.title),
		fakeAuthor{login, login + "@users.noreply.github.com"})
	r.branches[pr.base] = sha
	pr.state, pr.merged, pr.mergeSHA, pr.headSHA, pr.baseSHA = "closed", true, sha, head.sha, base.sha
	pr.closed, pr.mergedAt = time.Now().UTC(), time.Now().UTC()
	return sha
}

// close closes pull request number without merging.
func (f *fakeGitHub) close(t *testing.T, full string, number int64) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	pr := f.repos[strings.ToLower(full)].pulls[int(number)]
	if pr == nil || pr.state != "open" {
		t.Fatalf("fake: close %s#%d: no open pull request", full, number)
	}
	pr.state, pr.closed = "closed", time.Now().UTC()
}

// mainLogin is the first user added: the one the repositories' affiliations
// are for.
func (f *fakeGitHub) mainLogin() string {
	var first *fakeUser
	for _, u := range f.users {
		if first == nil || u.id < first.id {
			first = u
		}
	}
	return first.login
}

func (f *fakeGitHub) ancestors(r *fakeRepo, sha string) map[string]bool {
	seen := map[string]bool{}
	for queue := []string{sha}; len(queue) > 0; queue = queue[1:] {
		if c := r.commits[queue[0]]; c != nil && !seen[c.sha] {
			seen[c.sha] = true
			queue = append(queue, c.parents...)
		}
	}
	return seen
}

func (f *fakeGitHub) mergeBase(r *fakeRepo, a, b string) string {
	inA := f.ancestors(r, a)
	for queue := []string{b}; len(queue) > 0; queue = queue[1:] {
		if inA[queue[0]] {
			return queue[0]
		}
		queue = append(queue, r.commits[queue[0]].parents...)
	}
	return ""
}

// --- HTTP plumbing

type ctxKey struct{}

// authenticate checks Authorization (Bearer or token, or basic auth with
// the token as password), then the token's rate limit.
func (f *fakeGitHub) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var token string
		auth := r.Header.Get("Authorization")
		if s, ok := strings.CutPrefix(auth, "Bearer "); ok {
			token = s
		} else if s, ok := strings.CutPrefix(auth, "token "); ok {
			token = s
		} else if _, pw, ok := r.BasicAuth(); ok {
			token = pw
		}
		f.mu.Lock()
		tok := f.tokens[token]
		f.requests[token]++
		f.mu.Unlock()
		w.Header().Set("X-GitHub-Request-Id", fmt.Sprintf("FAKE:%d", time.Now().UnixNano()))
		w.Header().Set("X-GitHub-Media-Type", "github.v3; format=json")
		if tok == nil {
			f.writeJSON(w, http.StatusUnauthorized, f.errBody("bad-credentials"))
			return
		}
		if tok.scopes != nil {
			w.Header().Set("X-OAuth-Scopes", *tok.scopes)
			w.Header().Set("X-Accepted-OAuth-Scopes", "repo")
		}
		reset := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
		w.Header().Set("X-RateLimit-Limit", "5000")
		w.Header().Set("X-RateLimit-Remaining", "4999")
		w.Header().Set("X-RateLimit-Used", "1")
		w.Header().Set("X-RateLimit-Reset", reset)
		w.Header().Set("X-RateLimit-Resource", "core")
		switch tok.limit {
		case primary403, primary429:
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Used", "5000")
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(tok.wait).Unix(), 10))
			status := http.StatusForbidden
			if tok.limit == primary429 {
				status = http.StatusTooManyRequests
			}
			f.writeJSON(w, status, f.errBody("primary-rate-limit"))
			return
		case secondary403, secondary429, secondaryBare:
			w.Header().Set("Retry-After", strconv.Itoa(int(tok.wait/time.Second)))
			status := http.StatusForbidden
			if tok.limit == secondary429 {
				status = http.StatusTooManyRequests
			}
			body := f.errBody("secondary-rate-limit")
			if tok.limit == secondaryBare {
				delete(body, "documentation_url")
			}
			f.writeJSON(w, status, body)
			return
		}
		f.mu.Lock()
		user := f.users[tok.login]
		f.mu.Unlock()
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, user)))
	})
}

func userOf(r *http.Request) *fakeUser { return r.Context().Value(ctxKey{}).(*fakeUser) }

type repoHandler func(w http.ResponseWriter, r *http.Request, repo *fakeRepo, user *fakeUser)

// withRepo finds {owner}/{repo} (case-insensitive, as GitHub) that the
// user can see, and holds f.mu while the handler runs.
func (f *fakeGitHub) withRepo(h repoHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		user := userOf(r)
		f.mu.Lock()
		defer f.mu.Unlock()
		repo := f.repos[strings.ToLower(r.PathValue("owner")+"/"+r.PathValue("repo"))]
		if repo == nil || !f.visible(repo, user) {
			f.fail(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest/repos/repos#get-a-repository")
			return
		}
		h(w, r, repo, user)
	}
}

func (f *fakeGitHub) visible(r *fakeRepo, u *fakeUser) bool {
	return !r.private || (r.affiliation != "" && u.login == f.mainLogin())
}

func (f *fakeGitHub) canPush(r *fakeRepo, u *fakeUser) bool {
	return r.push && r.affiliation != "" && u.login == f.mainLogin()
}

func (f *fakeGitHub) canAdmin(r *fakeRepo, u *fakeUser) bool {
	return r.admin && r.affiliation != "" && u.login == f.mainLogin()
}

func (f *fakeGitHub) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		f.t.Errorf("fake: encoding a response: %v", err)
	}
}

func (f *fakeGitHub) errBody(name string) map[string]any {
	b, _ := json.Marshal(f.errBodies[name])
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

// fail answers GitHub's error body {"message", "documentation_url"}.
func (f *fakeGitHub) fail(w http.ResponseWriter, status int, message, doc string) {
	m := f.errBody("not-found")
	f.set(m, "message", message)
	f.set(m, "documentation_url", doc)
	f.writeJSON(w, status, m)
}

// invalid answers 422 Validation Failed with one error.
func (f *fakeGitHub) invalid(w http.ResponseWriter, doc string, e map[string]any) {
	m := f.errBody("validation-failed")
	f.set(m, "errors", []any{e})
	f.set(m, "documentation_url", doc)
	f.writeJSON(w, http.StatusUnprocessableEntity, m)
}

func (f *fakeGitHub) forbidden(w http.ResponseWriter, doc string) {
	f.fail(w, http.StatusForbidden, "Resource not accessible by personal access token", doc)
}

// render returns a fresh copy of a documentation example with its
// github.com URLs pointing at the fake and its repository's name replaced
// by full.
func (f *fakeGitHub) render(name, full string) map[string]any {
	raw, ok := f.templates[name]
	if !ok {
		f.t.Errorf("fake: no template %s", name)
		return map[string]any{}
	}
	u, _ := url.Parse(f.srv.URL)
	rep := strings.NewReplacer(
		"https://api.github.com", f.apiBase(),
		"https://raw.githubusercontent.com", f.webBase()+"/raw",
		"https://github.com", f.webBase(),
		"git@github.com:", "git@"+u.Hostname()+":",
		"octocat/Hello-World", full,
		"octocat/HelloWorld", full,
		"octokit/octokit.rb", full,
	)
	var m map[string]any
	if err := json.Unmarshal([]byte(rep.Replace(string(raw))), &m); err != nil {
		f.t.Errorf("fake: template %s: %v", name, err)
	}
	return m
}

// set overwrites a field the example has ("a.b.c"); a field the
// documentation does not show is a test failure, so payloads stay in the
// documented shape.
func (f *fakeGitHub) set(m map[string]any, path string, v any) {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			f.t.Errorf("fake: the documented payload has no object %q (setting %s)", k, path)
			return
		}
		m = next
	}
	last := keys[len(keys)-1]
	if _, ok := m[last]; !ok {
		f.t.Errorf("fake: the documented payload has no field %q (setting %s)", last, path)
		return
	}
	m[last] = v
}

func nodeID(typ string, id int64) string {
	return base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("0%d:%s%d", len(typ), typ, id)))
}

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func (f *fakeGitHub) userJSON(template string, login, typ string, id int64) map[string]any {
	m := f.render(template, "")
	f.set(m, "login", login)
	f.set(m, "id", id)
	f.set(m, "node_id", nodeID(typ, id))
	f.set(m, "url", f.apiBase()+"/users/"+login)
	f.set(m, "html_url", f.webBase()+"/"+login)
	f.set(m, "repos_url", f.apiBase()+"/users/"+login+"/repos")
	f.set(m, "type", typ)
	return m
}

func (f *fakeGitHub) repoJSON(r *fakeRepo, u *fakeUser) map[string]any {
	m := f.render("repository.json", r.fullName())
	f.set(m, "id", r.id)
	f.set(m, "node_id", nodeID("Repository", r.id))
	f.set(m, "name", r.name)
	f.set(m, "full_name", r.fullName())
	f.set(m, "owner", f.userJSON("simple-user.json", r.owner, r.ownerType, r.ownerID))
	f.set(m, "private", r.private)
	f.set(m, "visibility", map[bool]string{true: "private", false: "public"}[r.private])
	f.set(m, "description", nil)
	f.set(m, "homepage", nil)
	f.set(m, "topics", []any{})
	f.set(m, "default_branch", r.defaultBranch)
	f.set(m, "permissions", map[string]any{"admin": f.canAdmin(r, u), "push": f.canPush(r, u), "pull": true})
	open := 0
	for _, pr := range r.pulls {
		if pr.state == "open" {
			open++
		}
	}
	f.set(m, "open_issues_count", open+len(r.issues))
	return m
}

// --- endpoints

func (f *fakeGitHub) getUser(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.userJSON("user.json", u.login, "User", u.id)
	f.set(m, "name", u.name)
	f.set(m, "email", u.email)
	f.set(m, "organizations_url", f.apiBase()+"/users/"+u.login+"/orgs")
	f.set(m, "blog", "")
	f.set(m, "company", nil)
	f.set(m, "bio", nil)
	f.writeJSON(w, http.StatusOK, m)
}

// listUserRepos is GET /user/repos: affiliation (default all three),
// sort (default full_name), direction, page, per_page (at most 100), and
// a Link header.
func (f *fakeGitHub) listUserRepos(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	q := r.URL.Query()
	if q.Get("type") != "" && q.Get("affiliation") != "" {
		f.invalid(w, "https://docs.github.com/rest/repos/repos#list-repositories-for-the-authenticated-user",
			map[string]any{"resource": "Repository", "code": "custom", "message": "If you specify visibility or affiliation, you cannot specify type."})
		return
	}
	aff := q.Get("affiliation")
	if aff == "" {
		aff = "owner,collaborator,organization_member"
	}
	if s := q.Get("sort"); s != "" && s != "full_name" {
		f.t.Errorf("fake: /user/repos sort=%s; the fake only sorts by full_name", s)
	}
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	perPage, _ := strconv.Atoi(q.Get("per_page"))
	if perPage <= 0 {
		perPage = 30
	}
	perPage = min(perPage, 100)

	f.mu.Lock()
	defer f.mu.Unlock()
	var mine []*fakeRepo
	if u.login == f.mainLogin() {
		for _, repo := range f.repos {
			if repo.affiliation != "" && slices.Contains(strings.Split(aff, ","), repo.affiliation) {
				mine = append(mine, repo)
			}
		}
	}
	slices.SortFunc(mine, func(a, b *fakeRepo) int {
		return strings.Compare(strings.ToLower(a.fullName()), strings.ToLower(b.fullName()))
	})
	if q.Get("direction") == "desc" {
		slices.Reverse(mine)
	}
	last := max((len(mine)+perPage-1)/perPage, 1)
	out := []any{}
	for i := (page - 1) * perPage; i < min(page*perPage, len(mine)); i++ {
		out = append(out, f.repoJSON(mine[i], u))
	}
	if link := f.linkHeader(r, page, last); link != "" {
		w.Header().Set("Link", link)
	}
	f.writeJSON(w, http.StatusOK, out)
}

// linkHeader is GitHub's pagination header: prev, next, last, first.
func (f *fakeGitHub) linkHeader(r *http.Request, page, last int) string {
	q := r.URL.Query()
	link := func(p int, rel string) string {
		q.Set("page", strconv.Itoa(p))
		return fmt.Sprintf(`<%s%s?%s>; rel="%s"`, f.srv.URL, r.URL.Path, q.Encode(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(page-1, "prev"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"))
	}
	return strings.Join(links, ", ")
}

func (f *fakeGitHub) getRepo(w http.ResponseWriter, r *http.Request, repo *fakeRepo, u *fakeUser) {
	f.writeJSON(w, http.StatusOK, f.repoJSON(repo, u))
}

func (f *fakeGitHub) getBranch(w http.ResponseWriter, r *http.Request, repo *fakeRepo, u *fakeUser) {
	name := r.PathValue("branch")
	sha, ok := repo.branches[name]
	if !ok {
		f.fail(w, http.StatusNotFound, "Branch not found", "https://docs.github.com/rest/branches/branches#get-a-branch")
		return
	}
	c := repo.commits[sha]
	api := f.apiBase() + "/repos/" + repo.fullName()
	m := f.render("branch.json", repo.fullName())
	f.set(m, "name", name)
	f.set(m, "commit.sha", sha)
	f.set(m, "commit.node_id", nodeID("Commit", int64(len(repo.commits))))
	f.set(m, "commit.url", api+"/commits/"+sha)
	f.set(m, "commit.html_url", f.webBase()+"/"+repo.fullName()+"/commit/"+sha)
	f.set(m, "commit.commit.url", api+"/git/commits/"+sha)
	f.set(m, "commit.commit.message", c.message)
	f.set(m, "commit.commit.author", map[string]any{"name": c.author.Name, "email": c.author.Email, "date": ts(c.date)})
	f.set(m, "commit.commit.committer", map[string]any{"name": c.committer.Name, "email": c.committer.Email, "date": ts(c.date)})
	parents := []any{}
	for _, p := range c.parents {
		parents = append(parents, map[string]any{"sha": p, "url": api + "/commits/" + p})
	}
	f.set(m, "commit.parents", parents)
	f.set(m, "_links", map[string]any{"html": f.webBase() + "/" + repo.fullName() + "/tree/" + name, "self": api + "/branches/" + name})
	f.set(m, "protection_url", api+"/branches/"+name+"/protection")
	f.writeJSON(w, http.StatusOK, m)
}

func (f *fakeGitHub) refJSON(repo *fakeRepo, branch string) map[string]any {
	sha := repo.branches[branch]
	api := f.apiBase() + "/repos/" + repo.fullName()
	m := f.render("ref.json", repo.fullName())
	f.set(m, "ref", "refs/heads/"+branch)
	f.set(m, "node_id", base64.StdEncoding.EncodeToString([]byte("03:Ref"+"refs/heads/"+branch)))
	f.set(m, "url", api+"/git/refs/heads/"+branch)
	f.set(m, "object.sha", sha)
	f.set(m, "object.url", api+"/git/commits/"+sha)
	return m
}

// getRef is GET git/ref/{ref}: only heads/<branch> exist in the fake.
func (f *fakeGitHub) getRef(w http.ResponseWriter, r *http.Request, repo *fakeRepo, u *fakeUser) {
	branch, ok := strings.CutPrefix(r.PathValue("ref"), "heads/")
	if _, exists := repo.branches[branch]; !ok || !exists {
		f.fail(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest/git/refs#get-a-reference")
		return
	}
	f.writeJSON(w, http.StatusOK, f.refJSON(repo, branch))
}

// createRef is POST git/refs {"ref": "refs/heads/x", "sha": ...}.
func (f *fakeGitHub) createRef(w http.ResponseWriter, r *http.Request, repo *fakeRepo, u *fakeUser) {
	const doc = "https://docs.github.com/rest/git/refs#create-a-reference"
	if !f.canPush(repo, u) {
		f.forbidden(w, doc)
		return
	}
	var body struct{ Ref, SHA string }
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		f.fail(w, http.StatusBadRequest, "Problems parsing JSON", doc)
		return
	}
	branch, ok := strings.CutPrefix(body.Ref, "refs/heads/")
	switch {
	case !ok || branch == "":
		f.fail(w, http.StatusUnprocessableEntity, "Reference name must start with 'refs/' and have at least two slashes.", doc)
	case repo.commits[body.SHA] == nil:
		f.fail(w, http.StatusUnprocessableEntity, "Object does not exist", doc)
	case repo.branches[branch] != "":
		f.fail(w, http.StatusUnprocessableEntity, "Reference already exists", doc)
	default:
		repo.branches[branch] = body.SHA
		m := f.refJSON(repo, branch)
		w.Header().Set("Location", m["url"].(string))
		f.writeJSON(w, http.StatusCreated, m)
	}
}

// resolve finds a commit by branch name (also heads/x, refs/heads/x) or
// sha; "" is the default branch.
func resolve(repo *fakeRepo, ref string) *fakeCommit {
	if ref == "" {
		ref = repo.defaultBranch
	}
	ref = strings.TrimPrefix(strings.TrimPrefix(ref, "refs/"), "heads/")
	if sha, ok := repo.branches[ref]; ok {
		return repo.commits[sha]
	}
	return repo.commits[ref]
}

func (f *fakeGitHub) contentJSON(repo *fakeRepo, ref, path string, b []byte, dir bool) map[string]any {
	api := f.apiBase() + "/repos/" + repo.fullName()
	web := f.webBase() + "/" + repo.fullName()
	m := f.render("content.json", repo.fullName())
	sha, kind, gitURL, htmlURL, download := blobSHA(b), "file", api+"/git/blobs/"+blobSHA(b), web+"/blob/"+ref+"/"+path, any(f.webBase()+"/raw/"+repo.fullName()+"/"+ref+"/"+path)
	if dir {
		sha = sha1hex("tree " + path)
		kind, gitURL, htmlURL, download = "dir", api+"/git/trees/"+sha, web+"/tree/"+ref+"/"+path, nil
	}
	self := api + "/contents/" + path + "?ref=" + url.QueryEscape(ref)
	f.set(m, "type", kind)
	f.set(m, "size", len(b))
	f.set(m, "name", path[strings.LastIndex(path, "/")+1:])
	f.set(m, "path", path)
	f.set(m, "sha", sha)
	f.set(m, "url", self)
	f.set(m, "git_url", gitURL)
	f.set(m, "html_url", htmlURL)
	f.set(m, "download_url", download)
	f.set(m, "_links", map[string]any{"git": gitURL, "self": self, "html": htmlURL})
	if len(b) > f.contentLimit {
		f.set(m, "encoding", "none")
		f.set(m, "content", "")
	} else {
		f.set(m, "content", wrap76(base64.StdEncoding.EncodeToString(b)))
	}
	return m
}

// wrap76 breaks base64 into lines as GitHub's contents API does.
func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 60 {
		b.WriteString(s[:60] + "\n")
		s = s[60:]
	}
	b.WriteString(s + "\n")
	return b.String()
}

// getContents is GET contents/{path}?ref=: a file, or a directory's
// entries (the documented directory example has no content or encoding).
func (f *fakeGitHub) getContents(w http.ResponseWriter, r *http.Request, repo *fakeRepo, u *fakeUser) {
	const doc = "https://docs.github.com/rest/repos/contents#get-repository-content"
	ref := r.URL.Query().Get("ref")
	c := resolve(repo, ref)
	if c == nil {
		f.fail(w, http.StatusNotFound, "No commit found for the ref "+ref, doc)
		return
	}
	if ref == "" {
		ref = repo.defaultBranch
	}
	path := strings.Trim(r.PathValue("path"), "/")
	if b, ok := c.files[path]; ok {
		f.writeJSON(w, http.StatusOK, f.contentJSON(repo, ref, path, b, false))
		return
	}
	entries := map[string]any{}
	for p, b := range c.files {
		rest, ok := strings.CutPrefix(p, path+"/")
		if !ok {
			continue
		}
		if child, _, isDir := strings.Cut(rest, "/"); isDir {
			entries[child] = f.contentJSON(repo, ref, path+"/"+child, nil, true)
		} else {
			entries[child] = f.contentJSON(repo, ref, p, b, false)
		}
	}
	if len(entries) == 0 {
		f.fail(w, http.StatusNotFound, "Not Found", doc)
		return
	}
	var list []any
	for _, name := range slices.Sorted(maps.Keys(entries)) {
		e := entries[name].(map[string]any)
		delete(e, "content")
		delete(e, "encoding")
		list = append(list, e)
	}
	f.writeJSON(w, http.StatusOK, list)
}

// getBlob is GET git/blobs/{sha}, raw with Accept: application/vnd.github.raw.
func (f *fakeGitHub) getBlob(w http.ResponseWriter, r *http.Request, repo *fakeRepo, u *fakeUser) {
	sha := r.PathValue("sha")
	b, ok := repo.blobs[sha]
	if !ok {
		f.fail(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest/git/blobs#get-a-blob")
		return
	}
	if accept := r.Header.Get("Accept"); strings.Contains(accept, ".raw") {
		w.Header().Set("Content-Type", "application/vnd.github.raw; charset=utf-8")
		_, _ = w.Write(b)
		return
	}
	m := f.render("blob.json", repo.fullName())
	f.set(m, "content", wrap76(base64.StdEncoding.EncodeToString(b)))
	f.set(m, "url", f.apiBase()+"/repos/"+repo.fullName()+"/git/blobs/"+sha)
	f.set(m, "sha", sha)
	f.set(m, "size", len(b))
	f.set(m, "node_id", nodeID("Blob", int64(len(b))))
	f.writeJSON(w, http.StatusOK, m)
}

// putContents is PUT contents/{path}: create (201) or update (200, needs
// the current blob sha) one file on a branch, as a new commit.
func (f *fakeGitHub) putContents(w http.ResponseWriter, r *http.Request, repo *fakeRepo, u *fakeUser) {
	const doc = "https://docs.github.com/rest/repos/contents#create-or-update-file-contents"
	if !f.canPush(repo, u) {
		f.forbidden(w, doc)
		return
	}
	var body struct {
		Message, Content, SHA, Branch string
		Author, Committer             *fakeAuthor
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		f.fail(w, http.StatusBadRequest, "Problems parsing JSON", doc)
		return
	}
	content, err := base64.StdEncoding.DecodeString(body.Content)
	switch {
	case body.Message == "":
		f.fail(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"message\" wasn't supplied.", doc)
		return
	case err != nil:
		f.fail(w, http.StatusUnprocessableEntity, "content is not valid Base64", doc)
		return
	case body.Author != nil && (body.Author.Name == "" || body.Author.Email == ""),
		body.Committer != nil && (body.Committer.Name == "" || body.Committer.Email == ""):
		f.fail(w, http.StatusUnprocessableEntity, "Invalid request.\n\nFor 'properties/author', name and email are required.", doc)
		return
	}
	branch := body.Branch
	if branch == "" {
		branch = repo.defaultBranch
	}
	head, ok := repo.branches[branch]
	if !ok {
		f.fail(w, http.StatusNotFound, "Branch "+branch+" not found", doc)
		return
	}
	path := strings.Trim(r.PathValue("path"), "/")
	parent := repo.commits[head]
	old, exists := parent.files[path]
	switch {
	case exists && body.SHA == "":
		f.fail(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"sha\" wasn't supplied.", doc)
		return
	case exists && body.SHA != blobSHA(old), !exists && body.SHA != "":
		f.fail(w, http.StatusConflict, path+" does not match "+body.SHA, doc)
		return
	}
	login := u.login
	committer := fakeAuthor{login, login + "@users.noreply.github.com"}
	if body.Committer != nil {
		committer = *body.Committer
	}
	author := committer
	if body.Author != nil {
		author = *body.Author
	}
	files := maps.Clone(parent.files)
	files[path] = content
	sha := f.commitLocked(repo, []string{head}, files, body.Message, author)
	c := repo.commits[sha]
	c.committer = committer
	repo.branches[branch] = sha

	api := f.apiBase() + "/repos/" + repo.fullName()
	m := f.render("file-commit.json", repo.fullName())
	cm := f.contentJSON(repo, branch, path, content, false)
	delete(cm, "content") // the documented file-commit content has neither
	delete(cm, "encoding")
	f.set(m, "content", cm)
	f.set(m, "commit.sha", sha)
	f.set(m, "commit.node_id", nodeID("Commit", int64(len(repo.commits))))
	f.set(m, "commit.url", api+"/git/commits/"+sha)
	f.set(m, "commit.html_url", f.webBase()+"/"+repo.fullName()+"/commit/"+sha)
	f.set(m, "commit.author", map[string]any{"date": ts(c.date), "name": author.Name, "email": author.Email})
	f.set(m, "commit.committer", map[string]any{"date": ts(c.date), "name": committer.Name, "email": committer.Email})
	f.set(m, "commit.message", body.Message)
	f.set(m, "commit.tree.sha", sha[:20]+head[:20])
	f.set(m, "commit.parents", []any{map[string]any{"url": api + "/git/commits/" + head,
		"html_url": f.webBase() + "/" + repo.fullName() + "/commit/" + head, "sha": head}})
	status := http.StatusOK
	if !exists {
		status = http.StatusCreated
	}
	f.writeJSON(w, status, m)
}

func (f *fakeGitHub) pullJSON(repo *fakeRepo, pr *fakePull, u *fakeUser) map[string]any {
	api := f.apiBase() + "/repos/" + repo.fullName()
	web := f.webBase() + "/" + repo.fullName()
	n := strconv.Itoa(pr.number)
	headSHA, baseSHA := repo.branches[pr.head], repo.branches[pr.base]
	if pr.merged {
		headSHA, baseSHA = pr.headSHA, pr.baseSHA
	}
	login := f.mainLogin()
	author := f.userJSON("simple-user.json", login, "User", f.users[login].id)
	m := f.render("pull-request.json", repo.fullName())
	f.set(m, "url", api+"/pulls/"+n)
	f.set(m, "id", pr.id)
	f.set(m, "node_id", nodeID("PullRequest", pr.id))
	f.set(m, "html_url", web+"/pull/"+n)
	f.set(m, "diff_url", web+"/pull/"+n+".diff")
	f.set(m, "patch_url", web+"/pull/"+n+".patch")
	f.set(m, "issue_url", api+"/issues/"+n)
	f.set(m, "commits_url", api+"/pulls/"+n+"/commits")
	f.set(m, "review_comments_url", api+"/pulls/"+n+"/comments")
	f.set(m, "comments_url", api+"/issues/"+n+"/comments")
	f.set(m, "statuses_url", api+"/statuses/"+headSHA)
	f.set(m, "number", pr.number)
	f.set(m, "state", pr.state)
	f.set(m, "locked", false)
	f.set(m, "title", pr.title)
	f.set(m, "user", author)
	f.set(m, "body", pr.body)
	f.set(m, "active_lock_reason", nil)
	f.set(m, "created_at", ts(pr.created))
	f.set(m, "updated_at", ts(latest(pr.created, pr.closed, pr.mergedAt)))
	f.set(m, "closed_at", ts(pr.closed))
	f.set(m, "merged_at", ts(pr.mergedAt))
	switch {
	case pr.merged:
		f.set(m, "merge_commit_sha", pr.mergeSHA)
	case pr.state == "open":
		f.set(m, "merge_commit_sha", pr.testMergeSHA) // GitHub's test merge
	default:
		f.set(m, "merge_commit_sha", nil)
	}
	for side, branch, sha := "head", pr.head, headSHA; ; side, branch, sha = "base", pr.base, baseSHA {
		f.set(m, side+".label", repo.owner+":"+branch)
		f.set(m, side+".ref", branch)
		f.set(m, side+".sha", sha)
		f.set(m, side+".user", f.userJSON("simple-user.json", repo.owner, repo.ownerType, repo.ownerID))
		f.set(m, side+".repo", f.repoJSON(repo, u))
		if side == "base" {
			break
		}
	}
	f.set(m, "_links", map[string]any{
		"self":     map[string]any{"href": api + "/pulls/" + n},
		"html":     map[string]any{"href": web + "/pull/" + n},
		"issue":    map[string]any{"href": api + "/issues/" + n},
		"comments": map[string]any{"href": api + "/issues/" + n + "/comments"},
		"statuses": map[string]any{"href": api + "/statuses/" + headSHA},
	})
	f.set(m, "merged", pr.merged)
	if pr.merged {
		f.set(m, "merged_by", author)
		f.set(m, "mergeable", nil)
		f.set(m, "rebaseable", nil)
		f.set(m, "mergeable_state", "unknown")
	} else {
		f.set(m, "merged_by", nil)
	}
	f.set(m, "comments", len(repo.comments[pr.number]))
	f.set(m, "commits", 1)
	f.set(m, "additions", pr.additions)
	f.set(m, "deletions", 0)
	f.set(m, "changed_files", 1)
	return m
}

func latest(times ...time.Time) time.Time {
	var m time.Time
	for _, t := range times {
		if t.After(m) {
			m = t
		}
	}
	return m
}

func sha1hex(s string) string {
	h := sha1.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// createPull is POST pulls {"title", "head", "base", "body"}.
func (f *fakeGitHub) createPull(w http.ResponseWriter, r *http.Request, repo *fakeRepo, u *fakeUser) {
	const doc = "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"
	if !f.canPush(repo, u) {
		f.forbidden(w, doc)
		return
	}
	var body struct{ Title, Head, Base, Body string }
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		f.fail(w, http.StatusBadRequest, "Problems parsing JSON", doc)
		return
	}
	head := body.Head
	if owner, branch, ok := strings.Cut(head, ":"); ok && strings.EqualFold(owner, repo.owner) {
		head = branch
	}
	headSHA, headOK := repo.branches[head]
	baseSHA, baseOK := repo.branches[body.Base]
	switch {
	case body.Title == "":
		f.invalid(w, doc, map[string]any{"resource": "PullRequest", "field": "title", "code": "missing_field"})
		return
	case !headOK:
		f.invalid(w, doc, map[string]any{"resource": "PullRequest", "field": "head", "code": "invalid"})
		return
	case !baseOK:
		f.invalid(w, doc, map[string]any{"resource": "PullRequest", "field": "base", "code": "invalid"})
		return
	case f.ancestors(repo, baseSHA)[headSHA]:
		f.invalid(w, doc, map[string]any{"resource": "PullRequest", "code": "custom",
			"message": "No commits between " + body.Base + " and " + head})
		return
	}
	for _, pr := range repo.pulls {
		if pr.state == "open" && pr.head == head && pr.base == body.Base {
			f.invalid(w, doc, map[string]any{"resource": "PullRequest", "code": "custom",
				"message": "A pull request already exists for " + repo.owner + ":" + head + "."})
			return
		}
	}
	f.nextID++
	repo.lastNumber++
	pr := &fakePull{id: f.nextID, number: repo.lastNumber, title: body.Title, body: body.Body, head: head, base: body.Base,
		baseSHA: baseSHA, state: "open", created: time.Now().UTC(), additions: 1}
	f.seq++
	pr.testMergeSHA = sha1hex(fmt.Sprintf("test merge %d %s %s", f.seq, headSHA, baseSHA))
	repo.pulls[pr.number] = pr
	m := f.pullJSON(repo, pr, u)
	w.Header().Set("Location", m["url"].(string))
	f.writeJSON(w, http.StatusCreated, m)
}

func (f *fakeGitHub) getPull(w http.ResponseWriter, r *http.Request, repo *fakeRepo, u *fakeUser) {
	n, _ := strconv.Atoi(r.PathValue("number"))
	pr := repo.pulls[n]
	if pr == nil {
		f.fail(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest/pulls/pulls#get-a-pull-request")
		return
	}
	f.writeJSON(w, http.StatusOK, f.pullJSON(repo, pr, u))
}

// createComment is POST issues/{number}/comments, for issues and pull
// requests alike.
func (f *fakeGitHub) createComment(w http.ResponseWriter, r *http.Request, repo *fakeRepo, u *fakeUser) {
	const doc = "https://docs.github.com/rest/issues/comments#create-an-issue-comment"
	n, _ := strconv.Atoi(r.PathValue("number"))
	_, isPull := repo.pulls[n]
	if !isPull && !repo.issues[n] {
		f.fail(w, http.StatusNotFound, "Not Found", doc)
		return
	}
	var body struct{ Body string }
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		f.fail(w, http.StatusBadRequest, "Problems parsing JSON", doc)
		return
	}
	if body.Body == "" {
		f.invalid(w, doc, map[string]any{"resource": "IssueComment", "field": "body", "code": "missing_field"})
		return
	}
	repo.comments[n] = append(repo.comments[n], body.Body)
	f.nextID++
	id := f.nextID
	api := f.apiBase() + "/repos/" + repo.fullName()
	kind := map[bool]string{true: "pull", false: "issues"}[isPull]
	m := f.render("issue-comment.json", repo.fullName())
	f.set(m, "id", id)
	f.set(m, "node_id", nodeID("IssueComment", id))
	f.set(m, "url", api+"/issues/comments/"+strconv.FormatInt(id, 10))
	f.set(m, "html_url", fmt.Sprintf("%s/%s/%s/%d#issuecomment-%d", f.webBase(), repo.fullName(), kind, n, id))
	f.set(m, "body", body.Body)
	f.set(m, "user", f.userJSON("simple-user.json", u.login, "User", u.id))
	now := ts(time.Now())
	f.set(m, "created_at", now)
	f.set(m, "updated_at", now)
	f.set(m, "issue_url", api+"/issues/"+strconv.Itoa(n))
	f.set(m, "author_association", "MEMBER")
	f.writeJSON(w, http.StatusCreated, m)
}

// createHook is POST hooks (admin only; GitHub hides hooks from others
// with 404).
func (f *fakeGitHub) createHook(w http.ResponseWriter, r *http.Request, repo *fakeRepo, u *fakeUser) {
	const doc = "https://docs.github.com/rest/repos/webhooks#create-a-repository-webhook"
	if !f.canAdmin(repo, u) {
		f.fail(w, http.StatusNotFound, "Not Found", doc)
		return
	}
	var body struct {
		Name   string
		Active *bool
		Events []string
		Config struct {
			URL         string `json:"url"`
			ContentType string `json:"content_type"`
			Secret      string `json:"secret"`
			InsecureSSL string `json:"insecure_ssl"`
		}
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		f.fail(w, http.StatusBadRequest, "Problems parsing JSON", doc)
		return
	}
	if body.Name != "" && body.Name != "web" {
		f.invalid(w, doc, map[string]any{"resource": "Hook", "field": "name", "code": "invalid"})
		return
	}
	if body.Config.URL == "" {
		f.invalid(w, doc, map[string]any{"resource": "Hook", "code": "custom", "message": "Config must contain URL for webhooks"})
		return
	}
	if len(body.Events) == 0 {
		body.Events = []string{"push"}
	}
	for _, h := range repo.hooks {
		if h.url == body.Config.URL && slices.Equal(h.events, body.Events) {
			f.invalid(w, doc, map[string]any{"resource": "Hook", "code": "custom", "message": "Hook already exists on this repository"})
			return
		}
	}
	f.nextID++
	h := &fakeHook{id: f.nextID, events: body.Events, active: body.Active == nil || *body.Active, url: body.Config.URL,
		contentType: body.Config.ContentType, secret: body.Config.Secret, insecureSSL: body.Config.InsecureSSL, created: time.Now()}
	if h.contentType == "" {
		h.contentType = "form"
	}
	if h.insecureSSL == "" {
		h.insecureSSL = "0"
	}
	repo.hooks[h.id] = h

	self := fmt.Sprintf("%s/repos/%s/hooks/%d", f.apiBase(), repo.fullName(), h.id)
	cfg := map[string]any{"content_type": h.contentType, "insecure_ssl": h.insecureSSL, "url": h.url}
	if h.secret != "" {
		cfg["secret"] = "********"
	}
	m := f.render("hook.json", repo.fullName())
	f.set(m, "id", h.id)
	f.set(m, "active", h.active)
	f.set(m, "events", h.events)
	f.set(m, "config", cfg)
	f.set(m, "created_at", ts(h.created))
	f.set(m, "updated_at", ts(h.created))
	f.set(m, "url", self)
	f.set(m, "test_url", self+"/test")
	f.set(m, "ping_url", self+"/pings")
	f.set(m, "deliveries_url", self+"/deliveries")
	w.Header().Set("Location", self)
	f.writeJSON(w, http.StatusCreated, m)
}

func (f *fakeGitHub) deleteHook(w http.ResponseWriter, r *http.Request, repo *fakeRepo, u *fakeUser) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if !f.canAdmin(repo, u) || repo.hooks[id] == nil {
		f.fail(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest/repos/webhooks#delete-a-repository-webhook")
		return
	}
	delete(repo.hooks, id)
	w.WriteHeader(http.StatusNoContent)
}
