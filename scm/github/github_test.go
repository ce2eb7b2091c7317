package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/astrolift/astrolift/scm"
	"github.com/astrolift/astrolift/scm/scmtest"
)

const (
	login        = "mona"
	shopRepo     = "acme/shop"
	manifest     = "astrolift.toml"
	manifestBody = "[app]\nname = \"shop\"\nimage = \"ghcr.io/acme/shop:1.4.2\"\n"

	classicToken  = "ghp_classicRepoScope0000000000000000000"
	fineToken     = "github_pat_11AAAA_fineGrained"
	readOnlyToken = "ghp_readOnlyScopes000000000000000000000"
	otherToken    = "ghp_otherUser0000000000000000000000000"
	limitedToken  = "ghp_rateLimited00000000000000000000000"
	badToken      = "ghp_revoked000000000000000000000000000"
)

// world is the fake GitHub the tests share the shape of: mona, a member of
// acme with push access to acme/shop (holding astrolift.toml on main and
// issue #1, so its first pull request is #2), repositories of her own,
// her organization's and another's she collaborates on, and a private
// repository of another organization she cannot see.
func world(t *testing.T) *fakeGitHub {
	t.Helper()
	f := newFakeGitHub(t)
	f.addUser(login, "Mona Lisa", "mona@example.com")
	f.addUser("hubot", "Hubot", "hubot@example.com")
	f.addToken(classicToken, login, ptr("repo, read:org, workflow"))
	f.addToken(fineToken, login, nil)
	f.addToken(readOnlyToken, login, ptr("read:user, gist"))
	f.addToken(otherToken, "hubot", ptr("repo"))
	f.addRepo(shopRepo, repoOpts{private: true, affiliation: "organization_member", admin: true,
		files: map[string]string{manifest: manifestBody, "deploy/values.toml": "replicas = 2\n"}})
	f.addIssue(shopRepo)
	f.addRepo("acme/shop-api", repoOpts{affiliation: "organization_member", push: true, files: map[string]string{"README.md": "api\n"}})
	f.addRepo("acme/infra", repoOpts{private: true, affiliation: "organization_member", files: map[string]string{"README.md": "infra\n"}})
	f.addRepo("mona/dotfiles", repoOpts{affiliation: "owner", admin: true, files: map[string]string{".bashrc": "set -o vi\n"}})
	f.addRepo("globex/eShop", repoOpts{affiliation: "collaborator", files: map[string]string{"README.md": "eshop\n"}})
	f.addRepo("initech/secret-shop", repoOpts{private: true, files: map[string]string{"README.md": "secret\n"}})
	return f
}

func ptr[T any](v T) *T { return &v }

func newProvider(t *testing.T, o scm.Options) *Provider {
	t.Helper()
	p, err := New(o)
	if err != nil {
		t.Fatalf("New(%+v): %v", o, err)
	}
	return p
}

func TestConformance(t *testing.T) {
	f := world(t)
	const wait = 42 * time.Second
	f.addLimitedToken(limitedToken, login, primary403, wait)
	// The server's root as an enterprise base URL: go-github adds /api/v3/.
	base := f.srv.URL
	scmtest.Run(t, scmtest.Fixture{
		Kind:           scm.GitHub,
		Provider:       newProvider(t, scm.Options{BaseURL: base, Token: classicToken}),
		Login:          login,
		Repo:           shopRepo,
		DefaultBranch:  "main",
		File:           manifest,
		FileContent:    manifestBody,
		Others:         []string{"acme/shop-api", "acme/infra", "mona/dotfiles", "globex/eShop"},
		BadCredentials: newProvider(t, scm.Options{BaseURL: base, Token: badToken}),
		RateLimited:    newProvider(t, scm.Options{BaseURL: base, Token: limitedToken}),
		RetryAfter:     wait,
		Merge:          func(t *testing.T, n int64) { f.merge(t, shopRepo, n) },
		Close:          func(t *testing.T, n int64) { f.close(t, shopRepo, n) },
	})
}

func TestBaseURLForms(t *testing.T) {
	for _, tc := range []struct{ base, want string }{
		{"", "https://api.github.com/"},
		{"https://github.com", "https://api.github.com/"},
		{"https://api.github.com/", "https://api.github.com/"},
		{"https://ghe.example.com", "https://ghe.example.com/api/v3/"},
		{"https://ghe.example.com/", "https://ghe.example.com/api/v3/"},
		{"https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/"},
		{"https://ghe.example.com/api/v3/", "https://ghe.example.com/api/v3/"},
		{" https://ghe.example.com:8443 ", "https://ghe.example.com:8443/api/v3/"},
		{"https://acme.ghe.com", "https://api.acme.ghe.com/"},
		{"https://api.acme.ghe.com/", "https://api.acme.ghe.com/"},
	} {
		p, err := New(scm.Options{BaseURL: tc.base, Token: "t"})
		if err != nil {
			t.Errorf("New(BaseURL %q): %v", tc.base, err)
			continue
		}
		if got := p.client.BaseURL(); got != tc.want {
			t.Errorf("New(BaseURL %q) talks to %s, want %s", tc.base, got, tc.want)
		}
	}
	for _, bad := range []string{"ghe.example.com", "ftp://ghe.example.com", "https://", "://x"} {
		if _, err := New(scm.Options{BaseURL: bad, Token: "t"}); err == nil {
			t.Errorf("New(BaseURL %q) accepted it", bad)
		}
	}
	if _, err := New(scm.Options{}); err == nil {
		t.Error("New without credentials accepted it")
	}

	// Both enterprise forms reach the fake's /api/v3/.
	f := world(t)
	for _, base := range []string{f.srv.URL, f.srv.URL + "/", f.srv.URL + "/api/v3", f.srv.URL + "/api/v3/"} {
		acct, err := newProvider(t, scm.Options{BaseURL: base, Token: classicToken}).Validate(context.Background())
		if err != nil || acct.Login != login {
			t.Errorf("Validate with BaseURL %s = %+v, %v", base, acct, err)
		}
	}
}

func TestParseScopes(t *testing.T) {
	for _, tc := range []struct {
		header   []string // nil: absent
		scopes   []string
		reported bool
	}{
		{nil, nil, false},
		{[]string{""}, nil, true},
		{[]string{"repo"}, []string{"repo"}, true},
		{[]string{"repo, read:org,  workflow "}, []string{"repo", "read:org", "workflow"}, true},
		{[]string{"gist", "public_repo"}, []string{"gist", "public_repo"}, true},
	} {
		h := http.Header{}
		for _, v := range tc.header {
			h.Add("X-OAuth-Scopes", v)
		}
		scopes, reported := parseScopes(h)
		if !slices.Equal(scopes, tc.scopes) || reported != tc.reported {
			t.Errorf("parseScopes(%q) = %q, %v; want %q, %v", tc.header, scopes, reported, tc.scopes, tc.reported)
		}
	}
}

func TestValidateCanWrite(t *testing.T) {
	f := world(t)
	f.addToken("ghp_public", login, ptr("public_repo"))
	f.addToken("ghp_noscopes", login, ptr(""))
	for _, tc := range []struct {
		token    string
		canWrite bool
		scopes   []string
	}{
		{classicToken, true, []string{"repo", "read:org", "workflow"}},
		{"ghp_public", true, []string{"public_repo"}},
		{readOnlyToken, false, []string{"read:user", "gist"}},
		{"ghp_noscopes", false, nil},
		{fineToken, true, nil}, // no X-OAuth-Scopes: permissions are per repository
	} {
		acct, err := newProvider(t, scm.Options{BaseURL: f.srv.URL, Token: tc.token}).Validate(context.Background())
		if err != nil {
			t.Fatalf("Validate(%s): %v", tc.token, err)
		}
		if acct.CanWrite != tc.canWrite || !slices.Equal(acct.Scopes, tc.scopes) ||
			acct.Login != login || acct.Name != "Mona Lisa" || acct.Email != "mona@example.com" {
			t.Errorf("Validate(%s) = %+v, want can write %v, scopes %q", tc.token, acct, tc.canWrite, tc.scopes)
		}
	}
}

func TestBasicAuth(t *testing.T) {
	f := world(t)
	p := newProvider(t, scm.Options{BaseURL: f.srv.URL, Username: login, Password: classicToken})
	if acct, err := p.Validate(context.Background()); err != nil || acct.Login != login {
		t.Fatalf("Validate with basic auth = %+v, %v", acct, err)
	}
	p = newProvider(t, scm.Options{BaseURL: f.srv.URL, Username: login, Password: "wrong"})
	if _, err := p.Validate(context.Background()); !errors.Is(err, scm.ErrUnauthorized) {
		t.Fatalf("Validate with a wrong password: %v, want ErrUnauthorized", err)
	}
}

// A shared *http.Client keeps its transport: each Provider wraps a copy.
func TestSharedHTTPClient(t *testing.T) {
	f := world(t)
	shared := &http.Client{Timeout: 10 * time.Second}
	mona := newProvider(t, scm.Options{BaseURL: f.srv.URL, Token: classicToken, HTTPClient: shared})
	hubot := newProvider(t, scm.Options{BaseURL: f.srv.URL, Token: otherToken, HTTPClient: shared})
	if shared.Transport != nil {
		t.Fatalf("New changed the caller's client's transport to %T", shared.Transport)
	}
	for p, want := range map[*Provider]string{mona: login, hubot: "hubot"} {
		if acct, err := p.Validate(context.Background()); err != nil || acct.Login != want {
			t.Errorf("Validate = %+v, %v; want %s", acct, err, want)
		}
	}
}

func TestRateLimits(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		mode rateLimitMode
		wait time.Duration
		// requests the host gets for the three calls: go-github refuses
		// the later ones itself when it recognised the limit.
		requests int
	}{
		{"primary 403", primary403, 90 * time.Second, 1},
		{"primary 429", primary429, 30 * time.Second, 1},
		{"secondary 403", secondary403, 60 * time.Second, 1},
		{"secondary 429", secondary429, 17 * time.Second, 1},
		{"secondary 403 without documentation_url", secondaryBare, 25 * time.Second, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := world(t)
			f.addLimitedToken(limitedToken, login, tc.mode, tc.wait)
			p := newProvider(t, scm.Options{BaseURL: f.srv.URL, Token: limitedToken})
			_, err := p.Validate(ctx)
			var rl *scm.RateLimitError
			if !errors.As(err, &rl) || !errors.Is(err, scm.ErrRateLimited) {
				t.Fatalf("Validate: %v, want a *scm.RateLimitError", err)
			}
			if d := rl.RetryAfter - tc.wait; d < -2*time.Second || d > time.Second {
				t.Fatalf("RetryAfter = %s, want about %s", rl.RetryAfter, tc.wait)
			}
			if errors.Is(err, scm.ErrForbidden) {
				t.Fatalf("a rate limit is not ErrForbidden: %v", err)
			}
			// go-github refuses further requests itself until the limit
			// resets (when it recognised it); that refusal is a rate limit
			// too, with the wait.
			for _, call := range []func() error{
				func() error { _, err := p.ListRepos(ctx, scm.ListOptions{}); return err },
				func() error { _, err := p.GetPullRequest(ctx, shopRepo, 2); return err },
			} {
				err := call()
				if !errors.As(err, &rl) || rl.RetryAfter < tc.wait-3*time.Second {
					t.Fatalf("a call while limited: %v, want a *scm.RateLimitError of about %s", err, tc.wait)
				}
			}
			if n := f.requestCount(limitedToken); n != tc.requests {
				t.Fatalf("the host got %d requests, want %d", n, tc.requests)
			}
		})
	}
}

func TestListReposQuery(t *testing.T) {
	f := world(t)
	var want []string
	for i := range 230 {
		name := fmt.Sprintf("acme/svc-%03d", i)
		if i%37 == 5 {
			name = fmt.Sprintf("acme/Shopping-%03d", i)
		}
		f.addRepo(name, repoOpts{affiliation: "organization_member"})
	}
	p := newProvider(t, scm.Options{BaseURL: f.srv.URL, Token: fineToken})
	ctx := context.Background()
	for _, r := range mustListAll(t, p, scm.ListOptions{PerPage: 100}) {
		if strings.Contains(strings.ToLower(r.FullName), "shop") {
			want = append(want, r.FullName)
		}
	}
	if len(want) != 10 { // acme/shop, acme/shop-api, globex/eShop, 7 Shopping
		t.Fatalf("setup: %d repositories match shop: %v", len(want), want)
	}
	got := mustListAll(t, p, scm.ListOptions{Query: "sHoP", PerPage: 3})
	var names []string
	for _, r := range got {
		names = append(names, r.FullName)
	}
	if !slices.Equal(names, want) {
		t.Fatalf("ListRepos(query sHoP, 3 per page) = %v, want %v", names, want)
	}

	// The first page stops reading the host's list once it has a page and
	// one more match.
	before := f.requestCount(fineToken)
	page, err := p.ListRepos(ctx, scm.ListOptions{Query: "acme/", PerPage: 2})
	if err != nil || len(page.Repos) != 2 || page.NextPage != 2 {
		t.Fatalf("ListRepos(query acme/, page 1) = %+v, %v", page, err)
	}
	if n := f.requestCount(fineToken) - before; n != 1 {
		t.Fatalf("the first page of a query read %d pages of the host's list, want 1", n)
	}
	// Past the end: empty, no next page.
	page, err = p.ListRepos(ctx, scm.ListOptions{Query: "shop", Page: 9, PerPage: 3})
	if err != nil || len(page.Repos) != 0 || page.NextPage != 0 {
		t.Fatalf("ListRepos(query shop, page 9) = %+v, %v", page, err)
	}
	// The invisible repository stays invisible.
	for _, r := range got {
		if r.FullName == "initech/secret-shop" {
			t.Fatal("ListRepos lists a repository the user cannot see")
		}
	}
}

func mustListAll(t *testing.T, p *Provider, o scm.ListOptions) []scm.Repo {
	t.Helper()
	var out []scm.Repo
	for o.Page = 1; o.Page != 0; {
		res, err := p.ListRepos(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, res.Repos...)
		o.Page = res.NextPage
	}
	return out
}

func TestRepoFields(t *testing.T) {
	f := world(t)
	p := newProvider(t, scm.Options{BaseURL: f.srv.URL + "/api/v3/", Token: classicToken})
	r, err := p.GetRepo(context.Background(), "ACME/Shop")
	if err != nil {
		t.Fatal(err)
	}
	want := scm.Repo{FullName: shopRepo, Kind: "github", CloneURL: f.srv.URL + "/acme/shop.git",
		SSHURL: "git@127.0.0.1:acme/shop.git", WebURL: f.srv.URL + "/acme/shop", DefaultBranch: "main",
		Private: true, CanPush: true}
	if *r != want {
		t.Fatalf("GetRepo = %+v\nwant       %+v", *r, want)
	}
	if r, err := p.GetRepo(context.Background(), "globex/eShop"); err != nil || r.CanPush {
		t.Fatalf("GetRepo(globex/eShop) = %+v, %v; want no push access", r, err)
	}
}

func TestErrors(t *testing.T) {
	f := world(t)
	ctx := context.Background()
	p := newProvider(t, scm.Options{BaseURL: f.srv.URL, Token: classicToken})
	head, err := p.BranchHead(ctx, shopRepo, "main")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		err   error
		want  error
		names []string
	}{
		{"GetRepo(invisible)", second(p.GetRepo(ctx, "initech/secret-shop")), scm.ErrNotFound, []string{"initech/secret-shop"}},
		{"GetRepo(no slash)", second(p.GetRepo(ctx, "shop")), scm.ErrNotFound, []string{`"shop"`}},
		{"CreateBranch(unknown commit)", p.CreateBranch(ctx, shopRepo, "topic", strings.Repeat("0", 40)),
			scm.ErrNotFound, []string{"topic", shopRepo, strings.Repeat("0", 40)}},
		{"CreateBranch(no push access)", p.CreateBranch(ctx, "globex/eShop", "topic", head), scm.ErrForbidden, []string{"globex/eShop"}},
		{"ReadFile(directory)", second(p.ReadFile(ctx, shopRepo, "main", "deploy")), scm.ErrNotFound, []string{"deploy", "directory"}},
		{"ReadFile(missing ref)", second(p.ReadFile(ctx, shopRepo, "nope", manifest)), scm.ErrNotFound, []string{"nope", manifest}},
		{"CommitFile(no such branch)", second(p.CommitFile(ctx, shopRepo, scm.FileCommit{Branch: "gone", Path: "x", Content: []byte("x"), Message: "m"})),
			scm.ErrNotFound, []string{"gone", shopRepo}},
		{"OpenPullRequest(no changes)", second(p.OpenPullRequest(ctx, shopRepo, scm.NewPullRequest{Title: "t", Head: "main", Base: "main"})),
			nil, []string{"No commits between"}},
		{"CommentPullRequest(0)", p.CommentPullRequest(ctx, shopRepo, 0, "x"), scm.ErrNotFound, []string{shopRepo + "#0"}},
		{"DeleteHook(not a number)", p.DeleteHook(ctx, shopRepo, "abc"), scm.ErrNotFound, []string{`"abc"`}},
		{"DeleteHook(unknown)", p.DeleteHook(ctx, shopRepo, "424242"), scm.ErrNotFound, []string{"424242", shopRepo}},
		{"CreateHook(not admin)", second(p.CreateHook(ctx, "acme/shop-api", scm.Hook{URL: "https://x.example/h"})), scm.ErrNotFound, []string{"acme/shop-api"}},
	} {
		if tc.err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if tc.want != nil && !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.want)
		}
		for _, s := range tc.names {
			if !strings.Contains(tc.err.Error(), s) {
				t.Errorf("%s: %q does not say %s", tc.name, tc.err, s)
			}
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestPullRequestLifecycle(t *testing.T) {
	f := world(t)
	ctx := context.Background()
	p := newProvider(t, scm.Options{BaseURL: f.srv.URL, Token: classicToken})
	base, _ := p.BranchHead(ctx, shopRepo, "main")
	if err := p.CreateBranch(ctx, shopRepo, "astrolift/bump", base); err != nil {
		t.Fatal(err)
	}
	author := scm.Author{Name: "Astrolift", Email: "bot@astrolift.example"}
	commit, err := p.CommitFile(ctx, shopRepo, scm.FileCommit{Branch: "astrolift/bump", Path: "/" + manifest,
		Content: []byte("image = \"v2\"\n"), Message: "bump shop", Author: author})
	if err != nil {
		t.Fatal(err)
	}
	c := f.repo(shopRepo).commits[commit]
	if c.author != (fakeAuthor{author.Name, author.Email}) || c.committer != c.author || c.message != "bump shop" ||
		len(c.parents) != 1 || c.parents[0] != base {
		t.Fatalf("the host recorded commit %+v", c)
	}

	pr, err := p.OpenPullRequest(ctx, shopRepo, scm.NewPullRequest{Title: "Bump", Body: "b", Head: "astrolift/bump", Base: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if pr.Number != 2 { // issue #1 took the first number
		t.Fatalf("first pull request is #%d, want #2 (after issue #1)", pr.Number)
	}
	if pr.URL != f.srv.URL+"/acme/shop/pull/2" || pr.MergeCommit != "" {
		t.Fatalf("OpenPullRequest = %+v", pr)
	}
	_, err = p.OpenPullRequest(ctx, shopRepo, scm.NewPullRequest{Title: "Bump again", Head: "astrolift/bump", Base: "main"})
	if !errors.Is(err, scm.ErrConflict) {
		t.Fatalf("a second pull request for the same head: %v, want ErrConflict", err)
	}
	// Issues and pull requests share comments.
	if err := p.CommentPullRequest(ctx, shopRepo, 2, "deployed to staging"); err != nil {
		t.Fatal(err)
	}
	if got := f.repo(shopRepo).comments[2]; !slices.Equal(got, []string{"deployed to staging"}) {
		t.Fatalf("comments on #2: %q", got)
	}

	mergeSHA := f.merge(t, shopRepo, pr.Number)
	got, err := p.GetPullRequest(ctx, shopRepo, pr.Number)
	if err != nil || got.State != scm.PRMerged || got.MergeCommit != mergeSHA || got.Head != "astrolift/bump" || got.Base != "main" {
		t.Fatalf("GetPullRequest after merge = %+v, %v; want merged by %s", got, err, mergeSHA)
	}
	if head, _ := p.BranchHead(ctx, shopRepo, "main"); head != mergeSHA {
		t.Fatalf("main is at %s after the merge, want %s", head, mergeSHA)
	}
	// The merge kept main's other files.
	if b, err := p.ReadFile(ctx, shopRepo, mergeSHA, "deploy/values.toml"); err != nil || string(b) != "replicas = 2\n" {
		t.Fatalf("ReadFile(deploy/values.toml at the merge) = %q, %v", b, err)
	}
}

func TestHookRequest(t *testing.T) {
	f := world(t)
	ctx := context.Background()
	p := newProvider(t, scm.Options{BaseURL: f.srv.URL, Token: classicToken})
	id, err := p.CreateHook(ctx, shopRepo, scm.Hook{URL: "https://astrolift.example/hooks/github/7", Secret: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	var h *fakeHook
	for _, x := range f.repo(shopRepo).hooks {
		h = x
	}
	if h == nil || fmt.Sprint(h.id) != id || h.url != "https://astrolift.example/hooks/github/7" || h.secret != "s3cret" ||
		h.contentType != "json" || !h.active || !slices.Equal(h.events, []string{"push"}) || h.insecureSSL != "0" {
		t.Fatalf("the host registered %+v (id %s)", h, id)
	}
	if _, err := p.CreateHook(ctx, shopRepo, scm.Hook{URL: "https://astrolift.example/hooks/github/7", Secret: "s3cret"}); !errors.Is(err, scm.ErrConflict) {
		t.Fatalf("CreateHook again: %v, want ErrConflict", err)
	}
}

func TestReadLargeFile(t *testing.T) {
	f := world(t)
	f.mu.Lock()
	f.contentLimit = 64 // GitHub's is 1 MB
	f.mu.Unlock()
	ctx := context.Background()
	p := newProvider(t, scm.Options{BaseURL: f.srv.URL, Token: classicToken})
	big := strings.Repeat("0123456789abcdef", 40) + "\n"
	if _, err := p.CommitFile(ctx, shopRepo, scm.FileCommit{Branch: "main", Path: "big.txt", Content: []byte(big), Message: "big"}); err != nil {
		t.Fatal(err)
	}
	got, err := p.ReadFile(ctx, shopRepo, "main", "big.txt")
	if err != nil || string(got) != big {
		t.Fatalf("ReadFile(big.txt) = %d bytes, %v; want %d bytes", len(got), err, len(big))
	}
	// Updating it needs its blob sha, which the listing still carries.
	if _, err := p.CommitFile(ctx, shopRepo, scm.FileCommit{Branch: "main", Path: "big.txt", Content: []byte(big + big), Message: "bigger"}); err != nil {
		t.Fatal(err)
	}
}
