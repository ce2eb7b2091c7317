package bitbucket

// A fake Bitbucket Cloud: a small stateful in-memory host answering the
// REST API 2.0 endpoints the provider uses. Every answer starts from a
// trimmed documentation example in testdata/ with its varying fields
// overwritten, so shapes stay the documented ones.

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
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
	"unicode"
)

const webRoot = "https://bitbucket.org"

type fakeCommit struct {
	hash    string
	parents []string
	message string
	author  string
	files   map[string]string
}

type fakePR struct {
	id                  int64
	title, description  string
	source, destination string
	state               string // OPEN, MERGED, DECLINED, SUPERSEDED
	mergeCommit         string
	comments            []string
}

type fakeHook struct {
	uuid, url, description, secret string
	active                         bool
	events                         []string
}

type fakeRepo struct {
	full, workspace, slug, uuid string
	private                     bool
	mainBranch                  string
	// permission is the account's: admin, write, read, or "" (not a member).
	permission string
	branches   map[string]string // name -> commit hash
	commits    map[string]*fakeCommit
	prs        []*fakePR // id = index+1
	hooks      map[string]*fakeHook
}

type fakeUser struct {
	username, nickname, accountID, displayName, uuid string
}

// fakeBitbucket is the host. Its fields are read and changed under mu.
type fakeBitbucket struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	user      fakeUser
	token     string // Bearer token
	basicUser string // basic auth
	basicPass string
	// scopes is sent as X-OAuth-Scopes to Bearer requests when not empty.
	scopes string
	// limited maps a Bearer token to the Retry-After its requests get with
	// a 429.
	limited map[string]time.Duration
	repos   map[string]*fakeRepo
	seq     int
	// requests counts requests per "METHOD /path" and per endpoint
	// ("METHOD /repositories/{w}/{r}/src").
	requests map[string]int

	// Knobs for focused tests.
	//
	// branchExistsMessage replaces the message of the 400 that answers an
	// existing branch name.
	branchExistsMessage string
	// onSrc runs (under mu) before a POST src is applied.
	onSrc func(*fakeRepo)
	// noLocation leaves the Location header off POST src's 201.
	noLocation bool
	// permissionsForbidden answers /user/permissions/repositories with 403.
	permissionsForbidden bool

	templates map[string][]byte
}

func newFakeBitbucket(t *testing.T) *fakeBitbucket {
	t.Helper()
	f := &fakeBitbucket{
		t:         t,
		limited:   map[string]time.Duration{},
		repos:     map[string]*fakeRepo{},
		requests:  map[string]int{},
		templates: map[string][]byte{},
	}
	for _, name := range []string{"user", "repository", "branch", "pullrequest", "comment",
		"webhook_subscription", "repository_permission", "error", "paginated"} {
		b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		f.templates[name] = b
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// api is the fake's API root.
func (f *fakeBitbucket) api() string { return f.srv.URL + "/2.0" }

// tmpl decodes a template afresh.
func (f *fakeBitbucket) tmpl(name string) map[string]any {
	var m map[string]any
	if err := json.Unmarshal(f.templates[name], &m); err != nil {
		f.t.Fatalf("testdata/%s.json: %v", name, err)
	}
	return m
}

// set writes v at a dotted path, creating maps on the way.
func set(m map[string]any, path string, v any) {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
}

func (f *fakeBitbucket) newHash(parts ...string) string {
	f.seq++
	h := sha1.Sum([]byte(fmt.Sprintf("%d\x00%s", f.seq, strings.Join(parts, "\x00"))))
	return hex.EncodeToString(h[:])
}

func (f *fakeBitbucket) newUUID() string {
	h := f.newHash("uuid")
	return "{" + h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32] + "}"
}

// addRepo creates a repository whose main branch holds files.
func (f *fakeBitbucket) addRepo(full, permission string, private bool, mainBranch string, files map[string]string) *fakeRepo {
	f.mu.Lock()
	defer f.mu.Unlock()
	ws, slug, _ := strings.Cut(full, "/")
	r := &fakeRepo{full: full, workspace: ws, slug: slug, uuid: f.newUUID(), private: private, mainBranch: mainBranch,
		permission: permission, branches: map[string]string{}, commits: map[string]*fakeCommit{}, hooks: map[string]*fakeHook{}}
	c := &fakeCommit{hash: f.newHash(full, "initial"), message: "Initial commit", author: "Erik van Zijst <erik@example.com>", files: map[string]string{}}
	for k, v := range files {
		c.files[k] = v
	}
	r.commits[c.hash] = c
	r.branches[mainBranch] = c.hash
	f.repos[full] = r
	return r
}

// merge merges pull request id as a reviewer would: the source branch's
// files land on the destination in a new commit.
func (f *fakeBitbucket) merge(t *testing.T, full string, id int64) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	r, pr := f.repos[full], f.pr(full, id)
	if pr == nil || pr.state != "OPEN" {
		t.Fatalf("fake: no open pull request %s#%d to merge", full, id)
	}
	src, dst := r.commits[r.branches[pr.source]], r.commits[r.branches[pr.destination]]
	files := map[string]string{}
	for k, v := range dst.files {
		files[k] = v
	}
	for k, v := range src.files {
		files[k] = v
	}
	c := &fakeCommit{hash: f.newHash(full, "merge", src.hash, dst.hash), parents: []string{dst.hash, src.hash},
		message: fmt.Sprintf("Merged in %s (pull request #%d)", pr.source, id), author: "Erik van Zijst <erik@example.com>", files: files}
	r.commits[c.hash] = c
	r.branches[pr.destination] = c.hash
	pr.state, pr.mergeCommit = "MERGED", c.hash
}

// decline declines pull request id.
func (f *fakeBitbucket) decline(t *testing.T, full string, id int64) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	pr := f.pr(full, id)
	if pr == nil || pr.state != "OPEN" {
		t.Fatalf("fake: no open pull request %s#%d to decline", full, id)
	}
	pr.state = "DECLINED"
}

func (f *fakeBitbucket) pr(full string, id int64) *fakePR {
	r := f.repos[full]
	if r == nil || id < 1 || id > int64(len(r.prs)) {
		return nil
	}
	return r.prs[id-1]
}

// locked runs fn under the fake's lock (to change its state or knobs).
func (f *fakeBitbucket) locked(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

func (f *fakeBitbucket) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[key]
}

func (f *fakeBitbucket) resetCounts() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.requests)
}

// --- HTTP ---

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeBitbucket) fail(w http.ResponseWriter, status int, msg string) {
	e := f.tmpl("error")
	set(e, "error.message", msg)
	delete(e["error"].(map[string]any), "detail")
	delete(e["error"].(map[string]any), "fields")
	writeJSON(w, status, e)
}

func (f *fakeBitbucket) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()

	// Segments of the escaped path, each unescaped: "a%2Fb" stays one.
	raw := strings.TrimPrefix(r.URL.EscapedPath(), "/2.0")
	if !strings.HasPrefix(r.URL.EscapedPath(), "/2.0/") {
		f.fail(w, http.StatusNotFound, "Resource not found")
		return
	}
	var seg []string
	for _, s := range strings.Split(strings.Trim(raw, "/"), "/") {
		u, err := url.PathUnescape(s)
		if err != nil {
			f.fail(w, http.StatusBadRequest, "Bad request")
			return
		}
		seg = append(seg, u)
	}
	f.requests[r.Method+" /"+strings.Join(seg, "/")]++
	if rt := route(seg); rt != "/"+strings.Join(seg, "/") {
		f.requests[r.Method+" "+rt]++
	}

	bearer := ""
	switch auth := r.Header.Get("Authorization"); {
	case strings.HasPrefix(auth, "Bearer "):
		bearer = strings.TrimPrefix(auth, "Bearer ")
		if wait, ok := f.limited[bearer]; ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)))
			f.fail(w, http.StatusTooManyRequests, "Rate limit for this resource has been exceeded")
			return
		}
		if bearer != f.token || f.token == "" {
			f.fail(w, http.StatusUnauthorized, "Access token expired. Use your refresh token to obtain a new access token.")
			return
		}
		if f.scopes != "" {
			w.Header().Set("X-OAuth-Scopes", f.scopes)
		}
	default:
		u, p, ok := r.BasicAuth()
		if !ok || f.basicUser == "" || u != f.basicUser || p != f.basicPass {
			f.fail(w, http.StatusUnauthorized, "Invalid credentials")
			return
		}
	}

	switch {
	case r.Method == http.MethodGet && len(seg) == 1 && seg[0] == "user":
		f.getUser(w)
	case r.Method == http.MethodGet && slices.Equal(seg, []string{"user", "permissions", "repositories"}):
		f.listPermissions(w, r)
	case r.Method == http.MethodGet && len(seg) == 1 && seg[0] == "repositories":
		f.listRepos(w, r)
	case len(seg) >= 3 && seg[0] == "repositories":
		repo := f.repos[seg[1]+"/"+seg[2]]
		if repo == nil || repo.permission == "" && repo.private {
			f.fail(w, http.StatusNotFound, fmt.Sprintf("Repository %s/%s not found", seg[1], seg[2]))
			return
		}
		f.serveRepo(w, r, repo, seg[3:])
	default:
		f.fail(w, http.StatusNotFound, "Resource not found")
	}
}

// route is the request's endpoint with ids replaced, for counting.
func route(seg []string) string {
	switch {
	case len(seg) >= 3 && seg[0] == "repositories":
		out := "/repositories/{w}/{r}"
		if len(seg) > 3 {
			out += "/" + seg[3]
		}
		return out
	}
	return "/" + strings.Join(seg, "/")
}

func (f *fakeBitbucket) serveRepo(w http.ResponseWriter, r *http.Request, repo *fakeRepo, rest []string) {
	canWrite := repo.permission == "write" || repo.permission == "admin"
	write := r.Method != http.MethodGet
	if write && !canWrite {
		f.fail(w, http.StatusForbidden, "You do not have write access to this repository.")
		return
	}
	switch {
	case len(rest) == 0 && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, f.repoJSON(repo))

	case len(rest) == 3 && rest[0] == "refs" && rest[1] == "branches" && r.Method == http.MethodGet:
		hash, ok := repo.branches[rest[2]]
		if !ok {
			f.fail(w, http.StatusNotFound, fmt.Sprintf("Branch %q not found", rest[2]))
			return
		}
		writeJSON(w, http.StatusOK, f.branchJSON(repo, rest[2], hash))

	case len(rest) == 2 && rest[0] == "refs" && rest[1] == "branches" && r.Method == http.MethodPost:
		var in struct {
			Name   string `json:"name"`
			Target struct {
				Hash string `json:"hash"`
			} `json:"target"`
		}
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || json.NewDecoder(r.Body).Decode(&in) != nil || in.Name == "" {
			f.fail(w, http.StatusBadRequest, "Bad request")
			return
		}
		if _, ok := repo.branches[in.Name]; ok {
			msg := fmt.Sprintf("BRANCH_ALREADY_EXISTS: Branch %q already exists", in.Name)
			if f.branchExistsMessage != "" {
				msg = f.branchExistsMessage
			}
			f.fail(w, http.StatusBadRequest, msg)
			return
		}
		hash := f.resolve(repo, in.Target.Hash)
		if hash == "" {
			f.fail(w, http.StatusBadRequest, fmt.Sprintf("Target hash %q not found", in.Target.Hash))
			return
		}
		repo.branches[in.Name] = hash
		writeJSON(w, http.StatusCreated, f.branchJSON(repo, in.Name, hash))

	case len(rest) >= 3 && rest[0] == "src" && r.Method == http.MethodGet:
		hash := f.resolve(repo, rest[1])
		if hash == "" {
			f.fail(w, http.StatusNotFound, fmt.Sprintf("Commit %q not found", rest[1]))
			return
		}
		content, ok := repo.commits[hash].files[strings.Join(rest[2:], "/")]
		if !ok {
			f.fail(w, http.StatusNotFound, "No such file or directory: "+strings.Join(rest[2:], "/"))
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, content)

	case len(rest) == 1 && rest[0] == "src" && r.Method == http.MethodPost:
		f.postSrc(w, r, repo)

	case len(rest) == 1 && rest[0] == "pullrequests" && r.Method == http.MethodPost:
		f.openPR(w, r, repo)

	case len(rest) == 2 && rest[0] == "pullrequests" && r.Method == http.MethodGet:
		pr := f.prByID(repo, rest[1])
		if pr == nil {
			f.fail(w, http.StatusNotFound, "Pull request not found")
			return
		}
		writeJSON(w, http.StatusOK, f.prJSON(repo, pr))

	case len(rest) == 3 && rest[0] == "pullrequests" && rest[2] == "comments" && r.Method == http.MethodPost:
		pr := f.prByID(repo, rest[1])
		if pr == nil {
			f.fail(w, http.StatusNotFound, "Pull request not found")
			return
		}
		var in struct {
			Content struct {
				Raw string `json:"raw"`
			} `json:"content"`
		}
		if json.NewDecoder(r.Body).Decode(&in) != nil || in.Content.Raw == "" {
			f.fail(w, http.StatusBadRequest, "content.raw: This field is required.")
			return
		}
		pr.comments = append(pr.comments, in.Content.Raw)
		c := f.tmpl("comment")
		id := 64738364 + f.seq
		f.seq++
		set(c, "id", id)
		set(c, "content.raw", in.Content.Raw)
		set(c, "content.html", "<p>"+in.Content.Raw+"</p>")
		set(c, "pullrequest.id", pr.id)
		set(c, "pullrequest.title", pr.title)
		set(c, "pullrequest.links.self.href", fmt.Sprintf("%s/repositories/%s/pullrequests/%d", f.api(), repo.full, pr.id))
		set(c, "pullrequest.links.html.href", fmt.Sprintf("%s/%s/pull-requests/%d", webRoot, repo.full, pr.id))
		set(c, "links.self.href", fmt.Sprintf("%s/repositories/%s/pullrequests/%d/comments/%d", f.api(), repo.full, pr.id, id))
		set(c, "links.html.href", fmt.Sprintf("%s/%s/pull-requests/%d/_/diff#comment-%d", webRoot, repo.full, pr.id, id))
		writeJSON(w, http.StatusCreated, c)

	case len(rest) == 1 && rest[0] == "hooks" && r.Method == http.MethodPost:
		var in struct {
			Description string   `json:"description"`
			URL         string   `json:"url"`
			Active      bool     `json:"active"`
			Secret      *string  `json:"secret"`
			Events      []string `json:"events"`
		}
		if json.NewDecoder(r.Body).Decode(&in) != nil || in.URL == "" || len(in.Events) == 0 {
			f.fail(w, http.StatusBadRequest, "url and events are required")
			return
		}
		h := &fakeHook{uuid: f.newUUID(), url: in.URL, description: in.Description, active: in.Active, events: in.Events}
		if in.Secret != nil {
			h.secret = *in.Secret
		}
		repo.hooks[h.uuid] = h
		writeJSON(w, http.StatusCreated, f.hookJSON(repo, h))

	case len(rest) == 2 && rest[0] == "hooks" && r.Method == http.MethodDelete:
		uid := rest[1]
		if !strings.HasPrefix(uid, "{") {
			uid = "{" + uid + "}"
		}
		if _, ok := repo.hooks[uid]; !ok {
			f.fail(w, http.StatusNotFound, "Webhook not found")
			return
		}
		delete(repo.hooks, uid)
		w.WriteHeader(http.StatusNoContent)

	default:
		f.fail(w, http.StatusNotFound, "Resource not found")
	}
}

// resolve turns a branch name or (prefix of a) commit hash into a hash.
func (f *fakeBitbucket) resolve(repo *fakeRepo, ref string) string {
	if h, ok := repo.branches[ref]; ok {
		return h
	}
	if len(ref) >= 7 {
		for h := range repo.commits {
			if strings.HasPrefix(h, ref) {
				return h
			}
		}
	}
	return ""
}

func (f *fakeBitbucket) prByID(repo *fakeRepo, id string) *fakePR {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil
	}
	return f.pr(repo.full, n)
}

// postSrc is POST src: form fields message, branch, author, parents, and
// one field per file named by its path.
func (f *fakeBitbucket) postSrc(w http.ResponseWriter, r *http.Request, repo *fakeRepo) {
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		if err := r.ParseForm(); err != nil {
			f.fail(w, http.StatusBadRequest, "Bad request")
			return
		}
	}
	form := map[string]string{}
	for k, v := range r.PostForm {
		if len(v) != 1 {
			f.fail(w, http.StatusBadRequest, fmt.Sprintf("%s: the field cannot be repeated", k))
			return
		}
		form[k] = v[0]
	}
	if r.MultipartForm != nil {
		for k, fhs := range r.MultipartForm.File {
			if len(fhs) != 1 {
				f.fail(w, http.StatusBadRequest, fmt.Sprintf("%s: the field cannot be repeated", k))
				return
			}
			fh, err := fhs[0].Open()
			if err != nil {
				f.fail(w, http.StatusBadRequest, "Bad request")
				return
			}
			b, _ := io.ReadAll(fh)
			_ = fh.Close()
			form[k] = string(b)
		}
	}
	if f.onSrc != nil {
		f.onSrc(repo)
	}
	meta := map[string]string{}
	for _, k := range []string{"message", "branch", "author", "parents", "files"} {
		if v, ok := form[k]; ok {
			meta[k] = v
			delete(form, k)
		}
	}
	if a := meta["author"]; a != "" && (!strings.Contains(a, " <") || !strings.HasSuffix(a, ">")) {
		f.fail(w, http.StatusBadRequest, "author: expected the form \"Name <email>\"")
		return
	}
	branch := meta["branch"]
	if branch == "" {
		branch = repo.mainBranch
	}
	tip, exists := repo.branches[branch]
	parent := tip
	if p := meta["parents"]; p != "" {
		parent = f.resolve(repo, p)
		if parent == "" {
			f.fail(w, http.StatusBadRequest, fmt.Sprintf("parents: commit %q not found", p))
			return
		}
		if exists && parent != tip {
			f.fail(w, http.StatusConflict, fmt.Sprintf("parents: %s is not the tip of branch %s", p, branch))
			return
		}
	} else if !exists {
		// A new branch without parents starts from the main branch's tip.
		parent = repo.branches[repo.mainBranch]
	}
	files := map[string]string{}
	for k, v := range repo.commits[parent].files {
		files[k] = v
	}
	for k, v := range form {
		files[strings.TrimPrefix(k, "/")] = v
	}
	msg := meta["message"]
	if msg == "" {
		msg = "Edited online with Bitbucket"
	}
	c := &fakeCommit{hash: f.newHash(repo.full, branch, msg), parents: []string{parent}, message: msg, author: meta["author"], files: files}
	repo.commits[c.hash] = c
	repo.branches[branch] = c.hash
	if !f.noLocation {
		w.Header().Set("Location", fmt.Sprintf("%s/repositories/%s/commit/%s", f.api(), repo.full, c.hash))
	}
	w.WriteHeader(http.StatusCreated)
}

func (f *fakeBitbucket) openPR(w http.ResponseWriter, r *http.Request, repo *fakeRepo) {
	var in struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		Source      struct {
			Branch struct {
				Name string `json:"name"`
			} `json:"branch"`
		} `json:"source"`
		Destination *struct {
			Branch struct {
				Name string `json:"name"`
			} `json:"branch"`
		} `json:"destination"`
	}
	if json.NewDecoder(r.Body).Decode(&in) != nil {
		f.fail(w, http.StatusBadRequest, "Bad request")
		return
	}
	if in.Title == "" {
		f.fail(w, http.StatusBadRequest, "title: This field is required.")
		return
	}
	src := in.Source.Branch.Name
	if _, ok := repo.branches[src]; !ok {
		f.fail(w, http.StatusBadRequest, "source: branch not found: "+src)
		return
	}
	dst := repo.mainBranch
	if in.Destination != nil && in.Destination.Branch.Name != "" {
		dst = in.Destination.Branch.Name
	}
	if _, ok := repo.branches[dst]; !ok {
		f.fail(w, http.StatusBadRequest, "destination: branch not found: "+dst)
		return
	}
	if src == dst {
		f.fail(w, http.StatusBadRequest, "There are no changes to be pulled")
		return
	}
	pr := &fakePR{id: int64(len(repo.prs) + 1), title: in.Title, description: in.Description, source: src, destination: dst, state: "OPEN"}
	repo.prs = append(repo.prs, pr)
	w.Header().Set("Location", fmt.Sprintf("%s/repositories/%s/pullrequests/%d", f.api(), repo.full, pr.id))
	writeJSON(w, http.StatusCreated, f.prJSON(repo, pr))
}

func (f *fakeBitbucket) getUser(w http.ResponseWriter) {
	u := f.tmpl("user")
	set(u, "uuid", f.user.uuid)
	set(u, "account_id", f.user.accountID)
	set(u, "display_name", f.user.displayName)
	set(u, "nickname", f.user.nickname)
	if f.user.username == "" {
		delete(u, "username") // accounts that no longer expose one
	} else {
		set(u, "username", f.user.username)
	}
	esc := url.PathEscape(f.user.uuid)
	set(u, "links.self.href", f.api()+"/users/"+esc)
	set(u, "links.html.href", webRoot+"/"+esc+"/")
	set(u, "links.repositories.href", f.api()+"/repositories/"+esc)
	writeJSON(w, http.StatusOK, u)
}

func (f *fakeBitbucket) repoJSON(r *fakeRepo) map[string]any {
	m := f.tmpl("repository")
	set(m, "full_name", r.full)
	set(m, "name", r.slug)
	set(m, "slug", r.slug)
	set(m, "uuid", r.uuid)
	set(m, "is_private", r.private)
	set(m, "mainbranch.name", r.mainBranch)
	set(m, "owner.username", r.workspace)
	set(m, "owner.display_name", r.workspace)
	set(m, "workspace.slug", r.workspace)
	set(m, "workspace.name", r.workspace)
	api := f.api() + "/repositories/" + r.full
	set(m, "links.self.href", api)
	set(m, "links.html.href", webRoot+"/"+r.full)
	set(m, "links.avatar.href", "https://bytebucket.org/ravatar/"+url.PathEscape(r.uuid)+"?ts=default")
	set(m, "links.pullrequests.href", api+"/pullrequests")
	set(m, "links.commits.href", api+"/commits")
	set(m, "links.branches.href", api+"/refs/branches")
	set(m, "links.hooks.href", api+"/hooks")
	set(m, "links.clone", []any{
		map[string]any{"name": "https", "href": "https://" + f.user.nickname + "@bitbucket.org/" + r.full + ".git"},
		map[string]any{"name": "ssh", "href": "git@bitbucket.org:" + r.full + ".git"},
	})
	return m
}

func (f *fakeBitbucket) branchJSON(r *fakeRepo, name, hash string) map[string]any {
	c := r.commits[hash]
	m := f.tmpl("branch")
	set(m, "name", name)
	set(m, "target.hash", hash)
	set(m, "target.message", c.message)
	if c.author != "" {
		set(m, "target.author.raw", c.author)
	}
	parents := []any{}
	for _, p := range c.parents {
		parents = append(parents, map[string]any{"type": "commit", "hash": p})
	}
	set(m, "target.parents", parents)
	api := f.api() + "/repositories/" + r.full
	set(m, "target.links.self.href", api+"/commit/"+hash)
	set(m, "target.links.html.href", webRoot+"/"+r.full+"/commits/"+hash)
	set(m, "links.self.href", api+"/refs/branches/"+url.PathEscape(name))
	set(m, "links.commits.href", api+"/commits/"+url.PathEscape(name))
	set(m, "links.html.href", webRoot+"/"+r.full+"/branch/"+url.PathEscape(name))
	return m
}

func (f *fakeBitbucket) prJSON(r *fakeRepo, pr *fakePR) map[string]any {
	m := f.tmpl("pullrequest")
	set(m, "id", pr.id)
	set(m, "title", pr.title)
	set(m, "description", pr.description)
	set(m, "state", pr.state)
	set(m, "comment_count", len(pr.comments))
	for _, side := range []struct{ key, branch string }{{"source", pr.source}, {"destination", pr.destination}} {
		set(m, side.key+".branch.name", side.branch)
		hash := r.branches[side.branch]
		set(m, side.key+".commit.hash", hash[:min(12, len(hash))])
		set(m, side.key+".repository.full_name", r.full)
		set(m, side.key+".repository.name", r.slug)
		set(m, side.key+".repository.uuid", r.uuid)
	}
	if pr.mergeCommit != "" {
		set(m, "merge_commit", map[string]any{"type": "commit", "hash": pr.mergeCommit})
	}
	api := fmt.Sprintf("%s/repositories/%s/pullrequests/%d", f.api(), r.full, pr.id)
	set(m, "links.self.href", api)
	set(m, "links.html.href", fmt.Sprintf("%s/%s/pull-requests/%d", webRoot, r.full, pr.id))
	set(m, "links.comments.href", api+"/comments")
	set(m, "links.merge.href", api+"/merge")
	set(m, "links.decline.href", api+"/decline")
	return m
}

func (f *fakeBitbucket) hookJSON(r *fakeRepo, h *fakeHook) map[string]any {
	m := f.tmpl("webhook_subscription")
	set(m, "uuid", h.uuid)
	set(m, "url", h.url)
	set(m, "description", h.description)
	set(m, "active", h.active)
	set(m, "secret_set", h.secret != "")
	events := []any{}
	for _, e := range h.events {
		events = append(events, e)
	}
	set(m, "events", events)
	set(m, "subject.full_name", r.full)
	set(m, "subject.name", r.slug)
	set(m, "subject.uuid", r.uuid)
	set(m, "links.self.href", f.api()+"/repositories/"+r.full+"/hooks/"+url.PathEscape(h.uuid))
	return m
}

func (f *fakeBitbucket) permissionJSON(r *fakeRepo) map[string]any {
	m := f.tmpl("repository_permission")
	set(m, "user.nickname", f.user.nickname)
	set(m, "user.display_name", f.user.displayName)
	set(m, "user.uuid", f.user.uuid)
	set(m, "repository.full_name", r.full)
	set(m, "repository.name", r.slug)
	set(m, "repository.uuid", r.uuid)
	set(m, "permission", r.permission)
	return m
}

// sortedRepos are the repositories in full-name order.
func (f *fakeBitbucket) sortedRepos() []*fakeRepo {
	out := make([]*fakeRepo, 0, len(f.repos))
	for _, r := range f.repos {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *fakeRepo) int { return strings.Compare(a.full, b.full) })
	return out
}

// listRepos is GET /repositories?role=...&q=...&sort=full_name.
func (f *fakeBitbucket) listRepos(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	levels := map[string][]string{"member": {"read", "write", "admin"}, "contributor": {"write", "admin"}, "admin": {"admin"}}
	role := q.Get("role")
	allowed, ok := levels[role]
	if role != "" && !ok {
		f.fail(w, http.StatusBadRequest, "role: invalid value "+role)
		return
	}
	if s := q.Get("sort"); s != "" && s != "full_name" {
		f.fail(w, http.StatusBadRequest, "sort: unsupported field "+s)
		return
	}
	filter, err := parseBBQL(q.Get("q"))
	if err != nil {
		f.fail(w, http.StatusBadRequest, err.Error())
		return
	}
	var values []any
	for _, repo := range f.sortedRepos() {
		if role != "" && !slices.Contains(allowed, repo.permission) || role == "" && repo.private && repo.permission == "" {
			continue
		}
		fields := map[string]string{"full_name": repo.full, "name": repo.slug, "slug": repo.slug, "workspace.slug": repo.workspace}
		match, err := filter.eval(fields)
		if err != nil {
			f.fail(w, http.StatusBadRequest, err.Error())
			return
		}
		if match {
			values = append(values, f.repoJSON(repo))
		}
	}
	f.paginate(w, r, values, 100)
}

// listPermissions is GET /user/permissions/repositories?q=...
func (f *fakeBitbucket) listPermissions(w http.ResponseWriter, r *http.Request) {
	if f.permissionsForbidden {
		f.fail(w, http.StatusForbidden, "Your credentials lack one or more required privilege scopes.")
		return
	}
	filter, err := parseBBQL(r.URL.Query().Get("q"))
	if err != nil {
		f.fail(w, http.StatusBadRequest, err.Error())
		return
	}
	var values []any
	for _, repo := range f.sortedRepos() {
		if repo.permission == "" {
			continue
		}
		fields := map[string]string{"repository.full_name": repo.full, "repository.name": repo.slug,
			"repository.uuid": repo.uuid, "permission": repo.permission}
		match, err := filter.eval(fields)
		if err != nil {
			f.fail(w, http.StatusBadRequest, err.Error())
			return
		}
		if match {
			values = append(values, f.permissionJSON(repo))
		}
	}
	f.paginate(w, r, values, 100)
}

// paginate answers one page of values in the documented envelope.
func (f *fakeBitbucket) paginate(w http.ResponseWriter, r *http.Request, values []any, maxLen int) {
	q := r.URL.Query()
	pagelen, page := 10, 1
	if s := q.Get("pagelen"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLen {
			f.fail(w, http.StatusBadRequest, fmt.Sprintf("Invalid pagelen %q: must be between 1 and %d", s, maxLen))
			return
		}
		pagelen = n
	}
	if s := q.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			f.fail(w, http.StatusBadRequest, fmt.Sprintf("Invalid page %q", s))
			return
		}
		page = n
	}
	env := f.tmpl("paginated")
	start := min((page-1)*pagelen, len(values))
	end := min(start+pagelen, len(values))
	items := values[start:end]
	if items == nil {
		items = []any{}
	}
	set(env, "size", len(values))
	set(env, "page", page)
	set(env, "pagelen", pagelen)
	set(env, "values", items)
	link := func(p int) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		return f.srv.URL + r.URL.Path + "?" + q.Encode()
	}
	if end < len(values) {
		set(env, "next", link(page+1))
	} else {
		delete(env, "next")
	}
	if page > 1 {
		set(env, "previous", link(page-1))
	} else {
		delete(env, "previous")
	}
	writeJSON(w, http.StatusOK, env)
}

// --- BBQL ---

// bbql is a parsed filter: field op "value", AND, OR and parentheses
// (https://developer.atlassian.com/cloud/bitbucket/rest/intro/#filtering).
type bbql interface {
	eval(fields map[string]string) (bool, error)
}

type bbqlAll struct{}

func (bbqlAll) eval(map[string]string) (bool, error) { return true, nil }

type bbqlBool struct {
	or   bool
	l, r bbql
}

func (b bbqlBool) eval(fields map[string]string) (bool, error) {
	l, err := b.l.eval(fields)
	if err != nil {
		return false, err
	}
	if l == b.or { // true OR ..., false AND ...
		return l, nil
	}
	return b.r.eval(fields)
}

type bbqlCmp struct {
	field, op, value string
}

func (c bbqlCmp) eval(fields map[string]string) (bool, error) {
	v, ok := fields[c.field]
	if !ok {
		return false, fmt.Errorf("Invalid field name: %s", c.field)
	}
	switch c.op {
	case "=":
		return v == c.value, nil
	case "!=":
		return v != c.value, nil
	case "~":
		return strings.Contains(strings.ToLower(v), strings.ToLower(c.value)), nil
	case "!~":
		return !strings.Contains(strings.ToLower(v), strings.ToLower(c.value)), nil
	}
	return false, fmt.Errorf("Invalid operator: %s", c.op)
}

type bbqlParser struct {
	s   string
	pos int
}

func parseBBQL(s string) (bbql, error) {
	if strings.TrimSpace(s) == "" {
		return bbqlAll{}, nil
	}
	p := &bbqlParser{s: s}
	e, err := p.expr()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos != len(p.s) {
		return nil, fmt.Errorf("Invalid query: unexpected %q at %d", p.s[p.pos:], p.pos)
	}
	return e, nil
}

func (p *bbqlParser) space() {
	for p.pos < len(p.s) && unicode.IsSpace(rune(p.s[p.pos])) {
		p.pos++
	}
}

func (p *bbqlParser) keyword(kw string) bool {
	p.space()
	end := p.pos + len(kw)
	if end <= len(p.s) && strings.EqualFold(p.s[p.pos:end], kw) && (end == len(p.s) || p.s[end] == ' ' || p.s[end] == '(') {
		p.pos = end
		return true
	}
	return false
}

func (p *bbqlParser) expr() (bbql, error) {
	l, err := p.term()
	if err != nil {
		return nil, err
	}
	for p.keyword("OR") {
		r, err := p.term()
		if err != nil {
			return nil, err
		}
		l = bbqlBool{or: true, l: l, r: r}
	}
	return l, nil
}

func (p *bbqlParser) term() (bbql, error) {
	l, err := p.factor()
	if err != nil {
		return nil, err
	}
	for p.keyword("AND") {
		r, err := p.factor()
		if err != nil {
			return nil, err
		}
		l = bbqlBool{l: l, r: r}
	}
	return l, nil
}

func (p *bbqlParser) factor() (bbql, error) {
	p.space()
	if p.pos < len(p.s) && p.s[p.pos] == '(' {
		p.pos++
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.pos >= len(p.s) || p.s[p.pos] != ')' {
			return nil, fmt.Errorf("Invalid query: missing ) at %d", p.pos)
		}
		p.pos++
		return e, nil
	}
	start := p.pos
	for p.pos < len(p.s) && (p.s[p.pos] == '.' || p.s[p.pos] == '_' || unicode.IsLetter(rune(p.s[p.pos])) || unicode.IsDigit(rune(p.s[p.pos]))) {
		p.pos++
	}
	field := p.s[start:p.pos]
	if field == "" {
		return nil, fmt.Errorf("Invalid query: expected a field at %d", p.pos)
	}
	p.space()
	var op string
	for _, o := range []string{"!=", "!~", "=", "~"} {
		if strings.HasPrefix(p.s[p.pos:], o) {
			op = o
			break
		}
	}
	if op == "" {
		return nil, fmt.Errorf("Invalid query: expected an operator at %d", p.pos)
	}
	p.pos += len(op)
	p.space()
	if p.pos >= len(p.s) || p.s[p.pos] != '"' {
		return nil, fmt.Errorf("Invalid query: expected a string at %d", p.pos)
	}
	p.pos++
	var b strings.Builder
	for {
		if p.pos >= len(p.s) {
			return nil, fmt.Errorf("Invalid query: unterminated string")
		}
		c := p.s[p.pos]
		p.pos++
		if c == '"' {
			break
		}
		if c == '\\' {
			if p.pos >= len(p.s) {
				return nil, fmt.Errorf("Invalid query: unterminated string")
			}
			c = p.s[p.pos]
			p.pos++
		}
		b.WriteByte(c)
	}
	return bbqlCmp{field: field, op: op, value: b.String()}, nil
}
