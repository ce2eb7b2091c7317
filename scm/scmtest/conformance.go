package scmtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/astrolift/astrolift/scm"
)

// Fixture is a host prepared for the suite.
type Fixture struct {
	// Kind is the provider's kind, as Repo.Kind reports it.
	Kind string
	// Provider uses credentials that may write to Repo.
	Provider scm.Provider
	// Login is the account Provider's credentials belong to.
	Login string
	// Repo is the full name of a repository Provider can push to; its
	// DefaultBranch holds File with FileContent.
	Repo, DefaultBranch, File, FileContent string
	// Others are more repositories the account sees (at least one), so
	// paging and search have something to page and search through.
	Others []string
	// BadCredentials talks to the same host with refused credentials.
	BadCredentials scm.Provider
	// RateLimited answers every request with the host's rate-limit
	// refusal, asking to wait RetryAfter.
	RateLimited scm.Provider
	RetryAfter  time.Duration
	// Merge and Close act on a pull request on the host, as a reviewer
	// would in the host's UI.
	Merge func(t *testing.T, number int64)
	Close func(t *testing.T, number int64)
}

// Run runs the suite. Its subtests share the host and run in order: later
// ones use the branch and pull requests earlier ones made.
func Run(t *testing.T, f Fixture) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p := f.Provider
	branch := fmt.Sprintf("astrolift/conformance/%d", time.Now().UnixNano()%1e6)

	t.Run("Validate", func(t *testing.T) {
		acct, err := p.Validate(ctx)
		if err != nil {
			t.Fatalf("Validate: %v", err)
		}
		if acct.Login != f.Login || !acct.CanWrite {
			t.Fatalf("Validate = %+v, want login %q with write access", acct, f.Login)
		}
		_, err = f.BadCredentials.Validate(ctx)
		if !errors.Is(err, scm.ErrUnauthorized) {
			t.Fatalf("Validate with bad credentials: %v, want ErrUnauthorized", err)
		}
	})

	t.Run("RateLimited", func(t *testing.T) {
		_, err := f.RateLimited.Validate(ctx)
		var rl *scm.RateLimitError
		if !errors.Is(err, scm.ErrRateLimited) || !errors.As(err, &rl) {
			t.Fatalf("Validate when rate limited: %v, want a *RateLimitError", err)
		}
		if d := rl.RetryAfter - f.RetryAfter; d < -2*time.Second || d > 2*time.Second {
			t.Fatalf("RetryAfter = %s, want about %s", rl.RetryAfter, f.RetryAfter)
		}
		if _, err := f.RateLimited.ListRepos(ctx, scm.ListOptions{}); !errors.Is(err, scm.ErrRateLimited) {
			t.Fatalf("ListRepos when rate limited: %v, want ErrRateLimited", err)
		}
	})

	t.Run("ListRepos", func(t *testing.T) {
		all := listAll(ctx, t, p, scm.ListOptions{PerPage: 1})
		names := make([]string, len(all))
		for i, r := range all {
			names[i] = r.FullName
		}
		for _, want := range append([]string{f.Repo}, f.Others...) {
			if !slices.Contains(names, want) {
				t.Fatalf("ListRepos (1 per page) = %v, missing %s", names, want)
			}
		}
		if dup := duplicates(names); len(dup) > 0 {
			t.Fatalf("ListRepos pages repeat %v", dup)
		}
		r := all[slices.Index(names, f.Repo)]
		if r.Kind != f.Kind || r.DefaultBranch != f.DefaultBranch || !r.CanPush ||
			!strings.HasPrefix(r.CloneURL, "http") || !strings.HasSuffix(strings.TrimSuffix(r.CloneURL, ".git"), repoName(f.Repo)) {
			t.Fatalf("ListRepos entry for %s = %+v, want kind %s, default branch %s, push access, an HTTP clone URL",
				f.Repo, r, f.Kind, f.DefaultBranch)
		}

		q := strings.ToUpper(repoName(f.Repo)) // case-insensitive
		found := listAll(ctx, t, p, scm.ListOptions{Query: q})
		if !slices.ContainsFunc(found, func(r scm.Repo) bool { return r.FullName == f.Repo }) {
			t.Fatalf("ListRepos(query %q) = %v, missing %s", q, found, f.Repo)
		}
		for _, r := range found {
			if !strings.Contains(strings.ToLower(r.FullName), strings.ToLower(q)) {
				t.Fatalf("ListRepos(query %q) returned %s", q, r.FullName)
			}
		}
		if none := listAll(ctx, t, p, scm.ListOptions{Query: "no-such-repository-zz9"}); len(none) != 0 {
			t.Fatalf("ListRepos(query no match) = %v, want none", none)
		}
	})

	t.Run("GetRepo", func(t *testing.T) {
		r, err := p.GetRepo(ctx, f.Repo)
		if err != nil {
			t.Fatalf("GetRepo(%s): %v", f.Repo, err)
		}
		if r.FullName != f.Repo || r.DefaultBranch != f.DefaultBranch || !r.CanPush || r.Kind != f.Kind {
			t.Fatalf("GetRepo(%s) = %+v", f.Repo, r)
		}
		missing := repoOwner(f.Repo) + "/no-such-repository-zz9"
		_, err = p.GetRepo(ctx, missing)
		if !errors.Is(err, scm.ErrNotFound) || !strings.Contains(err.Error(), missing) {
			t.Fatalf("GetRepo(%s): %v, want ErrNotFound naming the repository", missing, err)
		}
	})

	var base string
	t.Run("BranchAndFiles", func(t *testing.T) {
		var err error
		base, err = p.BranchHead(ctx, f.Repo, f.DefaultBranch)
		if err != nil || len(base) < 7 {
			t.Fatalf("BranchHead(%s, %s) = %q, %v", f.Repo, f.DefaultBranch, base, err)
		}
		if _, err := p.BranchHead(ctx, f.Repo, "no-such-branch"); !errors.Is(err, scm.ErrNotFound) {
			t.Fatalf("BranchHead(no-such-branch): %v, want ErrNotFound", err)
		}
		got, err := p.ReadFile(ctx, f.Repo, f.DefaultBranch, f.File)
		if err != nil || string(got) != f.FileContent {
			t.Fatalf("ReadFile(%s) = %q, %v; want %q", f.File, got, err, f.FileContent)
		}
		if _, err := p.ReadFile(ctx, f.Repo, f.DefaultBranch, "no/such/file.toml"); !errors.Is(err, scm.ErrNotFound) {
			t.Fatalf("ReadFile(missing): %v, want ErrNotFound", err)
		}

		if err := p.CreateBranch(ctx, f.Repo, branch, base); err != nil {
			t.Fatalf("CreateBranch(%s): %v", branch, err)
		}
		if head, err := p.BranchHead(ctx, f.Repo, branch); err != nil || head != base {
			t.Fatalf("BranchHead(%s) = %q, %v; want %s", branch, head, err, base)
		}
		if err := p.CreateBranch(ctx, f.Repo, branch, base); !errors.Is(err, scm.ErrConflict) {
			t.Fatalf("CreateBranch(%s) again: %v, want ErrConflict", branch, err)
		}

		changed := f.FileContent + "# changed by the conformance suite\n"
		commit, err := p.CommitFile(ctx, f.Repo, scm.FileCommit{Branch: branch, Path: f.File, Content: []byte(changed),
			Message: "conformance: change " + f.File, Author: scm.Author{Name: "Astrolift Test", Email: "test@astrolift.local"}})
		if err != nil || commit == "" || commit == base {
			t.Fatalf("CommitFile(update %s) = %q, %v", f.File, commit, err)
		}
		if head, err := p.BranchHead(ctx, f.Repo, branch); err != nil || head != commit {
			t.Fatalf("after CommitFile, BranchHead(%s) = %q, %v; want %s", branch, head, err, commit)
		}
		for ref, want := range map[string]string{branch: changed, f.DefaultBranch: f.FileContent} {
			if got, err := p.ReadFile(ctx, f.Repo, ref, f.File); err != nil || string(got) != want {
				t.Fatalf("after CommitFile, ReadFile(%s at %s) = %q, %v; want %q", f.File, ref, got, err, want)
			}
		}
		added := "created = true\n"
		if _, err := p.CommitFile(ctx, f.Repo, scm.FileCommit{Branch: branch, Path: "deploy/new.toml", Content: []byte(added),
			Message: "conformance: add a file", Author: scm.Author{Name: "Astrolift Test", Email: "test@astrolift.local"}}); err != nil {
			t.Fatalf("CommitFile(create deploy/new.toml): %v", err)
		}
		if got, err := p.ReadFile(ctx, f.Repo, branch, "deploy/new.toml"); err != nil || string(got) != added {
			t.Fatalf("ReadFile(deploy/new.toml) = %q, %v", got, err)
		}
		if _, err := p.CommitFile(ctx, f.Repo, scm.FileCommit{Branch: "no-such-branch", Path: f.File, Content: []byte("x"),
			Message: "m", Author: scm.Author{Name: "A", Email: "a@b.c"}}); !errors.Is(err, scm.ErrNotFound) {
			t.Fatalf("CommitFile on a missing branch: %v, want ErrNotFound", err)
		}
	})

	var merged, closed *scm.PullRequest
	t.Run("PullRequests", func(t *testing.T) {
		pr, err := p.OpenPullRequest(ctx, f.Repo, scm.NewPullRequest{Title: "Conformance change", Body: "**what** changes\n\n```diff\n+x\n```",
			Head: branch, Base: f.DefaultBranch})
		if err != nil {
			t.Fatalf("OpenPullRequest: %v", err)
		}
		if pr.Number <= 0 || !strings.HasPrefix(pr.URL, "http") || pr.State != scm.PROpen || pr.Head != branch || pr.Base != f.DefaultBranch {
			t.Fatalf("OpenPullRequest = %+v", pr)
		}
		got, err := p.GetPullRequest(ctx, f.Repo, pr.Number)
		if err != nil || got.State != scm.PROpen || got.Number != pr.Number || got.URL != pr.URL {
			t.Fatalf("GetPullRequest(%d) = %+v, %v; want %+v", pr.Number, got, err, pr)
		}
		if err := p.CommentPullRequest(ctx, f.Repo, pr.Number, "a comment from the conformance suite"); err != nil {
			t.Fatalf("CommentPullRequest(%d): %v", pr.Number, err)
		}
		if _, err := p.GetPullRequest(ctx, f.Repo, 99999); !errors.Is(err, scm.ErrNotFound) {
			t.Fatalf("GetPullRequest(99999): %v, want ErrNotFound", err)
		}
		if err := p.CommentPullRequest(ctx, f.Repo, 99999, "x"); !errors.Is(err, scm.ErrNotFound) {
			t.Fatalf("CommentPullRequest(99999): %v, want ErrNotFound", err)
		}

		f.Merge(t, pr.Number)
		if merged, err = p.GetPullRequest(ctx, f.Repo, pr.Number); err != nil || merged.State != scm.PRMerged {
			t.Fatalf("GetPullRequest(%d) after merge = %+v, %v; want merged", pr.Number, merged, err)
		}
		want := f.FileContent + "# changed by the conformance suite\n"
		if got, err := p.ReadFile(ctx, f.Repo, f.DefaultBranch, f.File); err != nil || string(got) != want {
			t.Fatalf("after merge, ReadFile(%s at %s) = %q, %v; want %q", f.File, f.DefaultBranch, got, err, want)
		}

		second := branch + "-closed"
		head, err := p.BranchHead(ctx, f.Repo, f.DefaultBranch)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.CreateBranch(ctx, f.Repo, second, head); err != nil {
			t.Fatal(err)
		}
		if _, err := p.CommitFile(ctx, f.Repo, scm.FileCommit{Branch: second, Path: f.File, Content: []byte("rejected = true\n"),
			Message: "conformance: a change to reject", Author: scm.Author{Name: "Astrolift Test", Email: "test@astrolift.local"}}); err != nil {
			t.Fatal(err)
		}
		pr2, err := p.OpenPullRequest(ctx, f.Repo, scm.NewPullRequest{Title: "To be closed", Body: "no", Head: second, Base: f.DefaultBranch})
		if err != nil {
			t.Fatal(err)
		}
		if pr2.Number == pr.Number {
			t.Fatalf("second pull request got the first one's number %d", pr.Number)
		}
		f.Close(t, pr2.Number)
		if closed, err = p.GetPullRequest(ctx, f.Repo, pr2.Number); err != nil || closed.State != scm.PRClosed {
			t.Fatalf("GetPullRequest(%d) after close = %+v, %v; want closed", pr2.Number, closed, err)
		}
	})

	t.Run("Hooks", func(t *testing.T) {
		id, err := p.CreateHook(ctx, f.Repo, scm.Hook{URL: "http://127.0.0.1:9/api/v1/hooks/x/1", Secret: "s3cret-conformance"})
		if err != nil || id == "" {
			t.Fatalf("CreateHook = %q, %v", id, err)
		}
		if err := p.DeleteHook(ctx, f.Repo, id); err != nil {
			t.Fatalf("DeleteHook(%s): %v", id, err)
		}
		if err := p.DeleteHook(ctx, f.Repo, id); !errors.Is(err, scm.ErrNotFound) {
			t.Fatalf("DeleteHook(%s) again: %v, want ErrNotFound", id, err)
		}
	})

	t.Run("ErrorsNameTheObject", func(t *testing.T) {
		_, err := p.GetPullRequest(ctx, f.Repo, 99999)
		if err == nil || !strings.Contains(err.Error(), f.Repo) || !strings.Contains(err.Error(), "99999") {
			t.Fatalf("GetPullRequest(99999) error %q does not name %s and 99999", err, f.Repo)
		}
		_, err = p.BranchHead(ctx, f.Repo, "no-such-branch")
		if err == nil || !strings.Contains(err.Error(), "no-such-branch") {
			t.Fatalf("BranchHead error %q does not name the branch", err)
		}
	})
}

func listAll(ctx context.Context, t *testing.T, p scm.Provider, opts scm.ListOptions) []scm.Repo {
	t.Helper()
	var out []scm.Repo
	for page := 1; page != 0; {
		opts.Page = page
		res, err := p.ListRepos(ctx, opts)
		if err != nil {
			t.Fatalf("ListRepos(%+v): %v", opts, err)
		}
		if opts.PerPage > 0 && len(res.Repos) > opts.PerPage {
			t.Fatalf("ListRepos(%+v) returned %d repositories", opts, len(res.Repos))
		}
		out = append(out, res.Repos...)
		if res.NextPage != 0 && res.NextPage <= page {
			t.Fatalf("ListRepos page %d says next is %d", page, res.NextPage)
		}
		page = res.NextPage
		if len(out) > 1000 {
			t.Fatal("ListRepos does not stop paging")
		}
	}
	return out
}

func duplicates(names []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if seen[n] {
			out = append(out, n)
		}
		seen[n] = true
	}
	return out
}

func repoName(full string) string { return full[strings.LastIndex(full, "/")+1:] }

func repoOwner(full string) string { return full[:strings.LastIndex(full, "/")] }
