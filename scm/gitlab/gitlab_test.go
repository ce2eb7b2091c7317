package gitlab

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/astrolift/astrolift/scm"
	"github.com/astrolift/astrolift/scm/scmtest"
)

const (
	goodToken    = "glpat-astrolift-good"
	limitedToken = "glpat-astrolift-limited"
	shopRepo     = "acme/platform/shop"
	shopConfig   = "[app]\nname = \"shop\"\nport = 8080\n"
	retryAfter   = 42 * time.Second
)

// seeded is a fake GitLab with an account "jdoe" that is a member of four
// projects (one in a subgroup) and sees one more public project it is not
// a member of.
func seeded(t *testing.T) *fakeGitLab {
	t.Helper()
	f := newFakeGitLab(t)
	f.addToken(goodToken, &fakeToken{scopes: []string{"api", "read_repository"}})
	f.addToken(limitedToken, &fakeToken{scopes: []string{"api"}, limited: true, retryAfter: retryAfter})
	f.addProject(&fakeProject{path: shopRepo, name: "Shop", description: "Backend of the web shop",
		visibility: "private", groupAccess: 40, member: true}, map[string]string{"astrolift.toml": shopConfig, "README.md": "# shop\n"})
	f.addProject(&fakeProject{path: "acme/storefront", name: "Storefront", description: "Web front-end of the shop",
		visibility: "internal", projectAccess: 20, member: true}, map[string]string{"README.md": "# storefront\n"})
	f.addProject(&fakeProject{path: "acme/billing", name: "Billing", visibility: "private", projectAccess: 30, member: true},
		map[string]string{"README.md": "# billing\n"})
	f.addProject(&fakeProject{path: "jdoe/dotfiles", name: "dotfiles", visibility: "public", projectAccess: 50, member: true},
		map[string]string{".bashrc": "set -o vi\n"})
	f.addProject(&fakeProject{path: "other/shop-public", name: "Shop (public)", visibility: "public"},
		map[string]string{"README.md": "# not mine\n"})
	return f
}

func mustNew(t *testing.T, o scm.Options) *Provider {
	t.Helper()
	p, err := New(o)
	if err != nil {
		t.Fatalf("New(%+v): %v", o, err)
	}
	return p
}

func TestConformance(t *testing.T) {
	f := seeded(t)
	scmtest.Run(t, scmtest.Fixture{
		Kind:           scm.GitLab,
		Provider:       mustNew(t, scm.Options{BaseURL: f.baseURL(), Token: goodToken}),
		Login:          "jdoe",
		Repo:           shopRepo,
		DefaultBranch:  "main",
		File:           "astrolift.toml",
		FileContent:    shopConfig,
		Others:         []string{"acme/storefront", "acme/billing", "jdoe/dotfiles"},
		BadCredentials: mustNew(t, scm.Options{BaseURL: f.baseURL(), Token: "glpat-revoked"}),
		RateLimited:    mustNew(t, scm.Options{BaseURL: f.baseURL(), Token: limitedToken}),
		RetryAfter:     retryAfter,
		Merge:          func(t *testing.T, n int64) { f.merge(t, shopRepo, n) },
		Close:          func(t *testing.T, n int64) { f.close(t, shopRepo, n) },
	})
}

func TestBaseURLForms(t *testing.T) {
	f := seeded(t)
	for _, base := range []string{f.baseURL(), f.baseURL() + "/", f.baseURL() + "/api/v4", f.baseURL() + "/api/v4/"} {
		p := mustNew(t, scm.Options{BaseURL: base, Token: goodToken})
		if got, want := p.c.BaseURL().String(), f.baseURL()+"/api/v4/"; got != want {
			t.Errorf("BaseURL %q: API root %s, want %s", base, got, want)
		}
		if acct, err := p.Validate(context.Background()); err != nil || acct.Login != "jdoe" {
			t.Errorf("BaseURL %q: Validate = %+v, %v", base, acct, err)
		}
	}
	if got := mustNew(t, scm.Options{Token: "x"}).c.BaseURL().String(); got != "https://gitlab.com/api/v4/" {
		t.Errorf("empty BaseURL: API root %s, want https://gitlab.com/api/v4/", got)
	}
	for _, bad := range []string{"gitlab.example.com", "ftp://gitlab.example.com", "https://gitlab.example.com/?x=1", "https://"} {
		if _, err := New(scm.Options{BaseURL: bad, Token: "x"}); err == nil {
			t.Errorf("New(BaseURL %q) accepted it", bad)
		}
	}
	if _, err := New(scm.Options{BaseURL: f.baseURL()}); err == nil {
		t.Error("New without a token accepted it")
	}
	// A token kept as the password works the same.
	p := mustNew(t, scm.Options{BaseURL: f.baseURL(), Username: "jdoe", Password: goodToken})
	if _, err := p.Validate(context.Background()); err != nil {
		t.Errorf("Validate with the token as password: %v", err)
	}
}

func TestAccessLevel(t *testing.T) {
	lvl := func(n gl.AccessLevelValue) *gl.ProjectAccess { return &gl.ProjectAccess{AccessLevel: n} }
	grp := func(n gl.AccessLevelValue) *gl.GroupAccess { return &gl.GroupAccess{AccessLevel: n} }
	for _, c := range []struct {
		name  string
		perms *gl.Permissions
		want  gl.AccessLevelValue
		push  bool
	}{
		{"no permissions object", nil, 0, false},
		{"both null", &gl.Permissions{}, 0, false},
		{"guest", &gl.Permissions{ProjectAccess: lvl(10)}, 10, false},
		{"reporter", &gl.Permissions{ProjectAccess: lvl(20)}, 20, false},
		{"developer", &gl.Permissions{ProjectAccess: lvl(30)}, 30, true},
		{"group maintainer only", &gl.Permissions{GroupAccess: grp(40)}, 40, true},
		{"project reporter, group owner", &gl.Permissions{ProjectAccess: lvl(20), GroupAccess: grp(50)}, 50, true},
		{"project developer, group guest", &gl.Permissions{ProjectAccess: lvl(30), GroupAccess: grp(10)}, 30, true},
	} {
		if got := accessLevel(c.perms); got != c.want {
			t.Errorf("%s: accessLevel = %d, want %d", c.name, got, c.want)
		}
		if got := toRepo(&gl.Project{Permissions: c.perms}).CanPush; got != c.push {
			t.Errorf("%s: CanPush = %v, want %v", c.name, got, c.push)
		}
	}
}

func listAll(t *testing.T, p *Provider, opts scm.ListOptions) map[string]scm.Repo {
	t.Helper()
	out := map[string]scm.Repo{}
	for page := 1; page != 0; {
		opts.Page = page
		res, err := p.ListRepos(context.Background(), opts)
		if err != nil {
			t.Fatalf("ListRepos(%+v): %v", opts, err)
		}
		for _, r := range res.Repos {
			out[r.FullName] = r
		}
		page = res.NextPage
	}
	return out
}

func TestListRepos(t *testing.T) {
	f := seeded(t)
	p := mustNew(t, scm.Options{BaseURL: f.baseURL(), Token: goodToken})

	all := listAll(t, p, scm.ListOptions{PerPage: 2})
	names := slices.Sorted(maps.Keys(all))
	if want := []string{"acme/billing", "acme/platform/shop", "acme/storefront", "jdoe/dotfiles"}; !slices.Equal(names, want) {
		t.Fatalf("ListRepos = %v, want the memberships %v", names, want)
	}
	for name, want := range map[string]struct{ private, push bool }{
		shopRepo:          {true, true},  // private, group maintainer
		"acme/storefront": {true, false}, // internal, reporter
		"acme/billing":    {true, true},  // private, developer
		"jdoe/dotfiles":   {false, true}, // public, owner
	} {
		r := all[name]
		if r.Private != want.private || r.CanPush != want.push {
			t.Errorf("%s: private %v, can push %v; want %v, %v", name, r.Private, r.CanPush, want.private, want.push)
		}
	}
	shop := all[shopRepo]
	if shop.Kind != scm.GitLab || shop.DefaultBranch != "main" || shop.CloneURL != f.baseURL()+"/"+shopRepo+".git" ||
		shop.WebURL != f.baseURL()+"/"+shopRepo || !strings.HasSuffix(shop.SSHURL, ":"+shopRepo+".git") {
		t.Errorf("shop = %+v", shop)
	}

	for q, want := range map[string][]string{
		"SHOP":          {shopRepo}, // GitLab also finds acme/storefront by its description
		"acme/platform": {shopRepo},
		"sh":            {shopRepo}, // under 3 characters: filtered client-side only
		"ACME":          {"acme/billing", "acme/platform/shop", "acme/storefront"},
		"zz9-nothing":   nil,
	} {
		got := listAll(t, p, scm.ListOptions{Query: q, PerPage: 1})
		names := slices.Sorted(maps.Keys(got))
		if !slices.Equal(names, want) {
			t.Errorf("ListRepos(query %q) = %v, want %v", q, names, want)
		}
	}
}

func TestValidateScopes(t *testing.T) {
	f := seeded(t)
	f.addToken("glpat-read", &fakeToken{scopes: []string{"read_api", "write_repository"}})
	f.addToken("glpat-legacy", &fakeToken{selfStatus: 404})
	f.addToken("glpat-oauth", &fakeToken{selfStatus: 403})
	for tok, want := range map[string]scm.Account{
		goodToken:      {Login: "jdoe", Name: "Jane Doe", Email: "jane@example.com", CanWrite: true, Scopes: []string{"api", "read_repository"}},
		"glpat-read":   {Login: "jdoe", Name: "Jane Doe", Email: "jane@example.com", CanWrite: false, Scopes: []string{"read_api", "write_repository"}},
		"glpat-legacy": {Login: "jdoe", Name: "Jane Doe", Email: "jane@example.com", CanWrite: true},
		"glpat-oauth":  {Login: "jdoe", Name: "Jane Doe", Email: "jane@example.com", CanWrite: true},
	} {
		acct, err := mustNew(t, scm.Options{BaseURL: f.baseURL(), Token: tok}).Validate(context.Background())
		if err != nil {
			t.Fatalf("Validate(%s): %v", tok, err)
		}
		if acct.Login != want.Login || acct.Name != want.Name || acct.Email != want.Email || acct.CanWrite != want.CanWrite ||
			!slices.Equal(acct.Scopes, want.Scopes) {
			t.Errorf("Validate(%s) = %+v, want %+v", tok, acct, want)
		}
	}
}

func TestRateLimit(t *testing.T) {
	f := seeded(t)
	f.addToken("glpat-reset-only", &fakeToken{limited: true, retryAfter: 30 * time.Second, noRetryAfter: true})
	for tok, wait := range map[string]time.Duration{limitedToken: retryAfter, "glpat-reset-only": 30 * time.Second} {
		p := mustNew(t, scm.Options{BaseURL: f.baseURL(), Token: tok})
		f.mu.Lock()
		f.requests = 0
		f.mu.Unlock()
		start := time.Now()
		_, err := p.GetRepo(context.Background(), shopRepo)
		var rl *scm.RateLimitError
		if !errors.As(err, &rl) || !errors.Is(err, scm.ErrRateLimited) {
			t.Fatalf("%s: GetRepo: %v, want a *scm.RateLimitError", tok, err)
		}
		if d := rl.RetryAfter - wait; d < -2*time.Second || d > 2*time.Second {
			t.Errorf("%s: RetryAfter = %s, want about %s", tok, rl.RetryAfter, wait)
		}
		if !strings.Contains(err.Error(), shopRepo) {
			t.Errorf("%s: error %q does not name the repository", tok, err)
		}
		f.mu.Lock()
		n := f.requests
		f.mu.Unlock()
		if n != 1 || time.Since(start) > time.Second {
			t.Errorf("%s: %d requests in %s, want one answered at once (no retry of a 429)", tok, n, time.Since(start))
		}
	}
}

func TestRetries(t *testing.T) {
	f := seeded(t)
	p := mustNew(t, scm.Options{BaseURL: f.baseURL(), Token: goodToken})
	requests := func(fail int, call func() error) (int, error) {
		f.mu.Lock()
		f.requests, f.fail5xx = 0, fail
		f.mu.Unlock()
		err := call()
		f.mu.Lock()
		defer f.mu.Unlock()
		f.fail5xx = 0
		return f.requests, err
	}
	getRepo := func() error { _, err := p.GetRepo(context.Background(), shopRepo); return err }
	if n, err := requests(1, getRepo); err != nil || n != 2 {
		t.Errorf("GetRepo after one 502: %d requests, %v; want 2 and success", n, err)
	}
	if n, err := requests(10, getRepo); err == nil || n != 1+maxRetries || !strings.Contains(err.Error(), "502") {
		t.Errorf("GetRepo on a failing server: %d requests, %v; want %d and the 502", n, err, 1+maxRetries)
	}
	hook := func() error {
		_, err := p.CreateHook(context.Background(), shopRepo, scm.Hook{URL: "https://x.example/h", Secret: "s"})
		return err
	}
	if n, err := requests(1, hook); err == nil || n != 1 {
		t.Errorf("CreateHook after a 502: %d requests, %v; want 1 (a POST is not repeated) and the error", n, err)
	}
}

func TestHooks(t *testing.T) {
	f := seeded(t)
	p := mustNew(t, scm.Options{BaseURL: f.baseURL(), Token: goodToken})
	ctx := context.Background()
	id, err := p.CreateHook(ctx, shopRepo, scm.Hook{URL: "https://astrolift.example/api/v1/hooks/gitlab/7", Secret: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	var h *fakeHook
	for _, x := range f.project(shopRepo).hooks {
		if id == strconv.FormatInt(x.id, 10) {
			h = x
		}
	}
	f.mu.Unlock()
	if h == nil || h.url != "https://astrolift.example/api/v1/hooks/gitlab/7" || h.token != "s3cret" || !h.pushEvents || !h.sslVerify {
		t.Fatalf("hook %s registered as %+v", id, h)
	}
	for _, bad := range []string{"abc", "0", "-3"} {
		if err := p.DeleteHook(ctx, shopRepo, bad); !errors.Is(err, scm.ErrNotFound) || !strings.Contains(err.Error(), shopRepo) {
			t.Errorf("DeleteHook(%q): %v, want ErrNotFound naming the repository", bad, err)
		}
	}
	if _, err := p.CreateHook(ctx, "acme/missing", scm.Hook{URL: "https://x.example/h"}); !errors.Is(err, scm.ErrNotFound) {
		t.Errorf("CreateHook on a missing project: %v, want ErrNotFound", err)
	}
}

func TestCommitsAndMergeRequests(t *testing.T) {
	f := seeded(t)
	p := mustNew(t, scm.Options{BaseURL: f.baseURL(), Token: goodToken})
	ctx := context.Background()
	base, err := p.BranchHead(ctx, shopRepo, "main")
	if err != nil {
		t.Fatal(err)
	}
	const branch = "astrolift/edit/1"
	if err := p.CreateBranch(ctx, shopRepo, branch, base); err != nil {
		t.Fatal(err)
	}
	if err := p.CreateBranch(ctx, shopRepo, "x", "no-such-ref"); err == nil || errors.Is(err, scm.ErrConflict) {
		t.Errorf("CreateBranch from a missing ref: %v, want a plain error", err)
	}
	// Binary content survives (base64 on the wire); the author is recorded.
	bin := []byte{0, 1, 2, 0xff, '\n'}
	id, err := p.CommitFile(ctx, shopRepo, scm.FileCommit{Branch: branch, Path: "deploy/blob.bin", Content: bin,
		Message: "add a blob", Author: scm.Author{Name: "Dash Board", Email: "dash@astrolift.example"}})
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	c := f.project(shopRepo).commits[id]
	f.mu.Unlock()
	if c == nil || c.authorName != "Dash Board" || c.authorEmail != "dash@astrolift.example" || c.parent != base {
		t.Fatalf("commit %s = %+v", id, c)
	}
	if got, err := p.ReadFile(ctx, shopRepo, id, "deploy/blob.bin"); err != nil || string(got) != string(bin) {
		t.Fatalf("ReadFile(blob at %s) = %q, %v", id, got, err)
	}
	_, err = p.CommitFile(ctx, shopRepo, scm.FileCommit{Branch: "gone", Path: "a.toml", Content: []byte("x"), Message: "m"})
	if !errors.Is(err, scm.ErrNotFound) || !strings.Contains(err.Error(), "gone") || !strings.Contains(err.Error(), shopRepo) {
		t.Errorf("CommitFile on a missing branch: %v, want ErrNotFound naming branch and repository", err)
	}
	if _, err := p.ReadFile(ctx, shopRepo, "main", "no/such.toml"); !errors.Is(err, scm.ErrNotFound) ||
		!strings.Contains(err.Error(), "no/such.toml") || !strings.Contains(err.Error(), shopRepo) {
		t.Errorf("ReadFile(missing): %v, want ErrNotFound naming file and repository", err)
	}

	pr, err := p.OpenPullRequest(ctx, shopRepo, scm.NewPullRequest{Title: "Edit", Body: "body", Head: branch, Base: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if pr.URL != f.baseURL()+"/"+shopRepo+"/-/merge_requests/1" || pr.Number != 1 {
		t.Errorf("OpenPullRequest = %+v", pr)
	}
	_, err = p.OpenPullRequest(ctx, shopRepo, scm.NewPullRequest{Title: "Again", Head: branch, Base: "main"})
	if !errors.Is(err, scm.ErrConflict) || !strings.Contains(err.Error(), branch) {
		t.Errorf("OpenPullRequest again: %v, want ErrConflict naming the branch", err)
	}
	f.merge(t, shopRepo, pr.Number)
	got, err := p.GetPullRequest(ctx, shopRepo, pr.Number)
	head, _ := p.BranchHead(ctx, shopRepo, "main")
	if err != nil || got.State != scm.PRMerged || got.MergeCommit == "" || got.MergeCommit != head || got.Head != branch || got.Base != "main" {
		t.Errorf("GetPullRequest after merge = %+v, %v; want merged at %s", got, err, head)
	}
}

func TestPullRequestStates(t *testing.T) {
	for _, c := range []struct {
		mr          gl.MergeRequest
		state, want string
	}{
		{mr: gl.MergeRequest{BasicMergeRequest: gl.BasicMergeRequest{State: "opened", SHA: "a1"}}, state: scm.PROpen},
		{mr: gl.MergeRequest{BasicMergeRequest: gl.BasicMergeRequest{State: "locked", SHA: "a1"}}, state: scm.PROpen},
		{mr: gl.MergeRequest{BasicMergeRequest: gl.BasicMergeRequest{State: "closed", SHA: "a1"}}, state: scm.PRClosed},
		{mr: gl.MergeRequest{BasicMergeRequest: gl.BasicMergeRequest{State: "merged", SHA: "a1", MergeCommitSHA: "m1", SquashCommitSHA: "s1"}},
			state: scm.PRMerged, want: "m1"},
		{mr: gl.MergeRequest{BasicMergeRequest: gl.BasicMergeRequest{State: "merged", SHA: "a1", SquashCommitSHA: "s1"}},
			state: scm.PRMerged, want: "s1"}, // squashed, fast-forward
		{mr: gl.MergeRequest{BasicMergeRequest: gl.BasicMergeRequest{State: "merged", SHA: "a1"}},
			state: scm.PRMerged, want: "a1"}, // fast-forward
	} {
		pr, err := toPR(&c.mr)
		if err != nil || pr.State != c.state || pr.MergeCommit != c.want {
			t.Errorf("toPR(state %s) = %+v, %v; want %s with merge commit %q", c.mr.State, pr, err, c.state, c.want)
		}
	}
	if _, err := toPR(&gl.MergeRequest{BasicMergeRequest: gl.BasicMergeRequest{State: "reopened-ish"}}); err == nil {
		t.Error("toPR accepted an unknown state")
	}
}
