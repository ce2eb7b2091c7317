package bitbucket

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/astrolift/astrolift/scm"
	"github.com/astrolift/astrolift/scm/scmtest"
)

const (
	testToken   = "bb-access-token-3f9a"
	testUser    = "avery@example.com"
	testAppPass = "ATBB-app-password-77c1"
	fileContent = "[app]\nname = \"shop\"\n"
)

// newHost is a fake Bitbucket with the account avery, member of acme and
// globex, and a public repository of another workspace it is no member of.
func newHost(t *testing.T) *fakeBitbucket {
	t.Helper()
	f := newFakeBitbucket(t)
	f.user = fakeUser{nickname: "avery", accountID: "557058:6ad1c0f2-0d7f-4a8e-9c1e-5f6b2d3e4a71",
		displayName: "Avery Stone", uuid: "{0e2b6a4c-3f1d-4b8e-9a7c-5d2e1f0a9b83}"}
	f.token = testToken
	f.basicUser, f.basicPass = testUser, testAppPass
	f.scopes = "account, pullrequest:write, repository:write, webhook"
	f.limited["rate-limited-token"] = 42 * time.Second
	f.addRepo("acme/shop", "admin", true, "main", map[string]string{"astrolift.toml": fileContent, "README.md": "# shop\n"})
	f.addRepo("acme/api", "write", true, "main", map[string]string{"README.md": "# api\n"})
	f.addRepo("acme/infra", "read", true, "trunk", map[string]string{"README.md": "# infra\n"})
	f.addRepo("globex/web", "read", false, "master", map[string]string{"index.html": "<h1>web</h1>\n"})
	f.addRepo("other/lib", "", false, "main", map[string]string{"lib.go": "package lib\n"})
	return f
}

func newProvider(t *testing.T, f *fakeBitbucket, o scm.Options) *Provider {
	t.Helper()
	if o.BaseURL == "" {
		o.BaseURL = f.srv.URL
	}
	o.HTTPClient = f.srv.Client()
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConformance(t *testing.T) {
	f := newHost(t)
	scmtest.Run(t, scmtest.Fixture{
		Kind:           scm.Bitbucket,
		Provider:       newProvider(t, f, scm.Options{Token: testToken}),
		Login:          "avery",
		Repo:           "acme/shop",
		DefaultBranch:  "main",
		File:           "astrolift.toml",
		FileContent:    fileContent,
		Others:         []string{"acme/api", "acme/infra", "globex/web"},
		BadCredentials: newProvider(t, f, scm.Options{Token: "revoked-token"}),
		RateLimited:    newProvider(t, f, scm.Options{Token: "rate-limited-token"}),
		RetryAfter:     42 * time.Second,
		Merge:          func(t *testing.T, n int64) { f.merge(t, "acme/shop", n) },
		Close:          func(t *testing.T, n int64) { f.decline(t, "acme/shop", n) },
	})
}

func TestBasicAuth(t *testing.T) {
	f := newHost(t)
	f.locked(func() { f.user.username = "avery-legacy" })
	ctx := context.Background()
	p := newProvider(t, f, scm.Options{BaseURL: f.srv.URL + "/2.0/", Username: testUser, Password: testAppPass})
	acct, err := p.Validate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Basic auth gets no X-OAuth-Scopes: scopes unknown, write assumed.
	if acct.Login != "avery-legacy" || acct.Name != "Avery Stone" || !acct.CanWrite || acct.Scopes != nil {
		t.Fatalf("Validate = %+v", acct)
	}
	r, err := p.GetRepo(ctx, "acme/shop")
	if err != nil || !r.CanPush || r.CloneURL != "https://bitbucket.org/acme/shop.git" ||
		r.SSHURL != "git@bitbucket.org:acme/shop.git" || r.WebURL != "https://bitbucket.org/acme/shop" || !r.Private {
		t.Fatalf("GetRepo = %+v, %v", r, err)
	}

	bad := newProvider(t, f, scm.Options{Username: testUser, Password: "wrong-" + testAppPass})
	_, err = bad.Validate(ctx)
	if !errors.Is(err, scm.ErrUnauthorized) {
		t.Fatalf("Validate with a wrong app password: %v, want ErrUnauthorized", err)
	}
	if strings.Contains(err.Error(), testAppPass) || strings.Contains(err.Error(), testUser) {
		t.Fatalf("error %q shows the credentials", err)
	}
	if _, err := New(scm.Options{Username: testUser}); err == nil {
		t.Fatal("New without a password: no error")
	}
}

func TestValidateScopes(t *testing.T) {
	f := newHost(t)
	ctx := context.Background()
	p := newProvider(t, f, scm.Options{Token: testToken})
	for _, c := range []struct {
		header string
		write  bool
	}{
		{"account, pullrequest:write, repository:write", true},
		{"account repository:admin", true},
		{"pullrequest:write", true},
		{"read:repository:bitbucket, write:repository:bitbucket", true},
		{"account, repository, pullrequest", false},
		{"account", false},
	} {
		f.locked(func() { f.scopes = c.header })
		acct, err := p.Validate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if acct.CanWrite != c.write || len(acct.Scopes) == 0 || strings.Contains(strings.Join(acct.Scopes, ""), ",") {
			t.Errorf("X-OAuth-Scopes %q: Validate = %+v, want CanWrite %v", c.header, acct, c.write)
		}
	}
}

func TestAPIRoot(t *testing.T) {
	for in, want := range map[string]string{
		"":                                 DefaultBaseURL,
		"https://bitbucket.org":            DefaultBaseURL,
		"https://bitbucket.org/":           DefaultBaseURL,
		"https://api.bitbucket.org/2.0":    DefaultBaseURL,
		"https://api.bitbucket.org/2.0/":   DefaultBaseURL,
		"https://api.bitbucket.org":        DefaultBaseURL,
		"http://127.0.0.1:8080":            "http://127.0.0.1:8080/2.0",
		"http://proxy.local/bitbucket/":    "http://proxy.local/bitbucket/2.0",
		"http://user:pw@proxy.local/2.0?x": "http://proxy.local/2.0",
	} {
		if got, err := apiRoot(in); err != nil || got != want {
			t.Errorf("apiRoot(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"ftp://x", "bitbucket.org", "://"} {
		if _, err := apiRoot(in); err == nil {
			t.Errorf("apiRoot(%q): no error", in)
		}
	}
}

// ListRepos costs one listing request and one permissions request per 40
// repositories on the page, and reads CanPush from the permissions.
func TestListReposRequestsAndPermissions(t *testing.T) {
	f := newHost(t)
	ctx := context.Background()
	p := newProvider(t, f, scm.Options{Token: testToken})
	f.resetCounts()
	res, err := p.ListRepos(ctx, scm.ListOptions{PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	if n, m := f.count("GET /repositories"), f.count("GET /user/permissions/repositories"); n != 1 || m != 1 {
		t.Fatalf("ListRepos made %d listing and %d permissions requests, want 1 and 1", n, m)
	}
	got := map[string]bool{}
	for _, r := range res.Repos {
		got[r.FullName] = r.CanPush
	}
	want := map[string]bool{"acme/shop": true, "acme/api": true, "acme/infra": false, "globex/web": false}
	if fmt.Sprint(got) != fmt.Sprint(want) || res.NextPage != 0 {
		t.Fatalf("ListRepos = %v (next %d), want %v (role=member leaves other/lib out)", got, res.NextPage, want)
	}

	// A page of 100 asks about its repositories in chunks of 40.
	for i := range 100 {
		f.addRepo(fmt.Sprintf("acme/svc-%02d", i), []string{"read", "write"}[i%2], true, "main", nil)
	}
	f.resetCounts()
	res, err = p.ListRepos(ctx, scm.ListOptions{PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	if n, m := f.count("GET /repositories"), f.count("GET /user/permissions/repositories"); n != 1 || m != 3 {
		t.Fatalf("ListRepos of 100 made %d listing and %d permissions requests, want 1 and 3", n, m)
	}
	if len(res.Repos) != 100 || res.NextPage != 2 {
		t.Fatalf("ListRepos = %d repositories, next %d; want 100, next 2", len(res.Repos), res.NextPage)
	}
	for _, r := range res.Repos {
		var i int
		if _, err := fmt.Sscanf(r.FullName, "acme/svc-%d", &i); err == nil && r.CanPush != (i%2 == 1) {
			t.Fatalf("%s: CanPush = %v", r.FullName, r.CanPush)
		}
	}
	res, err = p.ListRepos(ctx, scm.ListOptions{PerPage: 100, Page: 2})
	if err != nil || len(res.Repos) != 4 || res.NextPage != 0 {
		t.Fatalf("ListRepos page 2 = %+v, %v", res, err)
	}
}

func TestListReposQuery(t *testing.T) {
	f := newHost(t)
	ctx := context.Background()
	p := newProvider(t, f, scm.Options{Token: testToken})
	for q, want := range map[string]string{
		"ACME/":     "acme/api acme/infra acme/shop",
		"web":       "globex/web",
		`sh"op`:     "", // quoted, not a BBQL syntax error
		`\`:         "",
		"lib":       "", // other/lib: not a member
		"  acme/sh": "",
	} {
		res, err := p.ListRepos(ctx, scm.ListOptions{Query: q})
		if err != nil {
			t.Fatalf("ListRepos(%q): %v", q, err)
		}
		var names []string
		for _, r := range res.Repos {
			names = append(names, r.FullName)
		}
		if got := strings.Join(names, " "); got != want {
			t.Errorf("ListRepos(%q) = %q, want %q", q, got, want)
		}
	}
}

// Credentials that may not read permissions still list repositories.
func TestListReposPermissionsForbidden(t *testing.T) {
	f := newHost(t)
	f.locked(func() { f.permissionsForbidden = true })
	p := newProvider(t, f, scm.Options{Token: testToken})
	res, err := p.ListRepos(context.Background(), scm.ListOptions{})
	if err != nil || len(res.Repos) != 4 {
		t.Fatalf("ListRepos = %+v, %v", res, err)
	}
	for _, r := range res.Repos {
		if r.CanPush {
			t.Fatalf("%s: CanPush without permissions", r.FullName)
		}
	}
}

// Bitbucket's 400 for an existing branch is ErrConflict whatever its
// message says; other 400s are not.
func TestCreateBranchConflict(t *testing.T) {
	f := newHost(t)
	f.locked(func() { f.branchExistsMessage = "Bad request" })
	ctx := context.Background()
	p := newProvider(t, f, scm.Options{Token: testToken})
	head, err := p.BranchHead(ctx, "acme/shop", "main")
	if err != nil {
		t.Fatal(err)
	}
	err = p.CreateBranch(ctx, "acme/shop", "main", head)
	if !errors.Is(err, scm.ErrConflict) || !strings.Contains(err.Error(), "main") || !strings.Contains(err.Error(), "acme/shop") {
		t.Fatalf("CreateBranch(main): %v, want ErrConflict naming the branch and repository", err)
	}
	err = p.CreateBranch(ctx, "acme/shop", "feature/x", "0000000000000000000000000000000000000000")
	if err == nil || errors.Is(err, scm.ErrConflict) || !strings.Contains(err.Error(), "Target hash") {
		t.Fatalf("CreateBranch at a missing commit: %v, want Bitbucket's 400", err)
	}
}

func TestCommitFile(t *testing.T) {
	f := newHost(t)
	ctx := context.Background()
	p := newProvider(t, f, scm.Options{Token: testToken})
	c := scm.FileCommit{Branch: "main", Path: "/deploy/app.toml", Content: []byte("replicas = 2\n"), Message: "scale",
		Author: scm.Author{Name: "Astrolift", Email: "bot@astrolift.local"}}
	id, err := p.CommitFile(ctx, "acme/shop", c)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	commit := f.repos["acme/shop"].commits[id]
	f.mu.Unlock()
	if commit == nil || commit.author != "Astrolift <bot@astrolift.local>" || commit.message != "scale" ||
		commit.files["deploy/app.toml"] != "replicas = 2\n" || commit.files["astrolift.toml"] != fileContent {
		t.Fatalf("commit %s = %+v", id, commit)
	}

	// Without a Location header the id is the branch head read after.
	f.locked(func() { f.noLocation = true })
	c.Content = []byte("replicas = 3\n")
	id2, err := p.CommitFile(ctx, "acme/shop", c)
	if head, _ := p.BranchHead(ctx, "acme/shop", "main"); err != nil || id2 != head || id2 == id {
		t.Fatalf("CommitFile without Location = %q, %v; head %s", id2, err, head)
	}

	// A branch that moves between the head read and the commit is a
	// conflict, not overwritten.
	f.locked(func() {
		f.onSrc = func(r *fakeRepo) {
			moved := &fakeCommit{hash: strings.Repeat("ab", 20), parents: []string{r.branches["main"]}, files: map[string]string{"x": "y"}}
			r.commits[moved.hash] = moved
			r.branches["main"] = moved.hash
		}
	})
	_, err = p.CommitFile(ctx, "acme/shop", c)
	if !errors.Is(err, scm.ErrConflict) || !strings.Contains(err.Error(), "main") {
		t.Fatalf("CommitFile on a moving branch: %v, want ErrConflict", err)
	}
	f.locked(func() { f.onSrc = nil })

	// No write access: ErrForbidden naming the repository.
	_, err = p.CommitFile(ctx, "acme/infra", scm.FileCommit{Branch: "trunk", Path: "a", Content: []byte("b")})
	if !errors.Is(err, scm.ErrForbidden) || !strings.Contains(err.Error(), "acme/infra") {
		t.Fatalf("CommitFile without write access: %v, want ErrForbidden", err)
	}
}

func TestHooksAndComments(t *testing.T) {
	f := newHost(t)
	ctx := context.Background()
	p := newProvider(t, f, scm.Options{Token: testToken})
	id, err := p.CreateHook(ctx, "acme/shop", scm.Hook{URL: "https://astrolift.example/hooks/1", Secret: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	h := f.repos["acme/shop"].hooks[id]
	f.mu.Unlock()
	if h == nil || h.url != "https://astrolift.example/hooks/1" || h.secret != "s3cret" || !h.active ||
		strings.Join(h.events, ",") != "repo:push" {
		t.Fatalf("hook %s = %+v", id, h)
	}
	if err := p.DeleteHook(ctx, "acme/shop", "{00000000-0000-0000-0000-000000000000}"); !errors.Is(err, scm.ErrNotFound) {
		t.Fatalf("DeleteHook(missing): %v", err)
	}

	if err := p.CreateBranch(ctx, "acme/shop", "topic", mustHead(t, p, "acme/shop", "main")); err != nil {
		t.Fatal(err)
	}
	pr, err := p.OpenPullRequest(ctx, "acme/shop", scm.NewPullRequest{Title: "T", Body: "B", Head: "topic", Base: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CommentPullRequest(ctx, "acme/shop", pr.Number, "**looks** good"); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	fpr := f.repos["acme/shop"].prs[pr.Number-1]
	f.mu.Unlock()
	if fpr.description != "B" || strings.Join(fpr.comments, "|") != "**looks** good" {
		t.Fatalf("pull request %+v", fpr)
	}
	if _, err := p.OpenPullRequest(ctx, "acme/shop", scm.NewPullRequest{Title: "T", Head: "nope", Base: "main"}); err == nil ||
		!strings.Contains(err.Error(), "branch not found") {
		t.Fatalf("OpenPullRequest from a missing branch: %v, want Bitbucket's message", err)
	}
	f.merge(t, "acme/shop", pr.Number)
	got, err := p.GetPullRequest(ctx, "acme/shop", pr.Number)
	if err != nil || got.State != scm.PRMerged || got.MergeCommit != mustHead(t, p, "acme/shop", "main") {
		t.Fatalf("GetPullRequest after merge = %+v, %v", got, err)
	}
}

func mustHead(t *testing.T, p *Provider, repo, branch string) string {
	t.Helper()
	h, err := p.BranchHead(context.Background(), repo, branch)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestErrors(t *testing.T) {
	f := newHost(t)
	ctx := context.Background()
	p := newProvider(t, f, scm.Options{Token: testToken})
	_, err := p.GetRepo(ctx, "acme/nope")
	if !errors.Is(err, scm.ErrNotFound) || !strings.Contains(err.Error(), "Repository acme/nope not found") {
		t.Fatalf("GetRepo(acme/nope): %v, want ErrNotFound with Bitbucket's message", err)
	}
	_, err = p.ReadFile(ctx, "acme/shop", "main", "no/such.toml")
	if !errors.Is(err, scm.ErrNotFound) || !strings.Contains(err.Error(), "no/such.toml") {
		t.Fatalf("ReadFile(missing): %v", err)
	}
	if _, err := p.GetRepo(ctx, "not-a-full-name"); !errors.Is(err, scm.ErrNotFound) || !strings.Contains(err.Error(), "not-a-full-name") {
		t.Fatalf("GetRepo(not-a-full-name): %v", err)
	}
	_, err = newProvider(t, f, scm.Options{Token: "rate-limited-token"}).GetPullRequest(ctx, "acme/shop", 1)
	var rl *scm.RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != 42*time.Second || !strings.Contains(err.Error(), "acme/shop#1") {
		t.Fatalf("GetPullRequest when rate limited: %v", err)
	}
	_, err = newProvider(t, f, scm.Options{Token: "revoked-" + testToken}).GetRepo(ctx, "acme/shop")
	if !errors.Is(err, scm.ErrUnauthorized) || strings.Contains(err.Error(), testToken) {
		t.Fatalf("GetRepo with a revoked token: %v", err)
	}
}

func TestRefsWithSlashes(t *testing.T) {
	f := newHost(t)
	ctx := context.Background()
	p := newProvider(t, f, scm.Options{Token: testToken})
	head := mustHead(t, p, "acme/shop", "main")
	if err := p.CreateBranch(ctx, "acme/shop", "release/2024.1", head); err != nil {
		t.Fatal(err)
	}
	// The fake, like Bitbucket given an escaped ref, reads the ref as one
	// path segment: a ref split at its slash would be no branch.
	if got, err := p.ReadFile(ctx, "acme/shop", "release/2024.1", "astrolift.toml"); err != nil || string(got) != fileContent {
		t.Fatalf("ReadFile at release/2024.1 = %q, %v", got, err)
	}
	if got, err := p.BranchHead(ctx, "acme/shop", "release/2024.1"); err != nil || got != head {
		t.Fatalf("BranchHead(release/2024.1) = %q, %v", got, err)
	}
	if got, err := p.ReadFile(ctx, "acme/shop", head[:12], "astrolift.toml"); err != nil || string(got) != fileContent {
		t.Fatalf("ReadFile at a commit = %q, %v", got, err)
	}
}

func TestHelpers(t *testing.T) {
	for in, want := range map[string]string{
		"OPEN": scm.PROpen, "MERGED": scm.PRMerged, "DECLINED": scm.PRClosed, "SUPERSEDED": scm.PRClosed,
	} {
		if got := prState(in); got != want {
			t.Errorf("prState(%s) = %s, want %s", in, got, want)
		}
	}
	for _, c := range []struct {
		next      string
		cur, want int
	}{
		{"", 1, 0},
		{"https://api.bitbucket.org/2.0/repositories?role=member&page=3", 2, 3},
		{"https://api.bitbucket.org/2.0/repositories?after=2024-01-01", 4, 5},
		{"https://api.bitbucket.org/2.0/repositories?page=1", 4, 5},
	} {
		if got := nextPage(c.next, c.cur); got != c.want {
			t.Errorf("nextPage(%q, %d) = %d, want %d", c.next, c.cur, got, c.want)
		}
	}
	for in, want := range map[string]string{
		"https://x@bitbucket.org/a/b.git":       "https://bitbucket.org/a/b.git",
		"https://bitbucket.org/a/b.git":         "https://bitbucket.org/a/b.git",
		"https://u:p@bitbucket.org/a/b.git":     "https://bitbucket.org/a/b.git",
		"https://api.example/2.0/r/commit/abc1": "https://api.example/2.0/r/commit/abc1",
	} {
		if got := withoutUser(in); got != want {
			t.Errorf("withoutUser(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"https://api.bitbucket.org/2.0/repositories/a/b/commit/0123456789abcdef0123456789abcdef01234567": "0123456789abcdef0123456789abcdef01234567",
		"https://api.bitbucket.org/2.0/repositories/a/b/commits/0123456789abcdef":                        "",
		"https://api.bitbucket.org/2.0/repositories/a/b/commit/":                                         "",
		"": "",
	} {
		if got := commitFromLocation(in); got != want {
			t.Errorf("commitFromLocation(%q) = %q, want %q", in, got, want)
		}
	}
	if got := bbqlString(`a"b\c`); got != `"a\"b\\c"` {
		t.Errorf("bbqlString = %s", got)
	}
}
