package github

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	gh "github.com/google/go-github/v88/github"

	"github.com/astrolift/astrolift/scm"
)

// userAgent names the platform to GitHub, which requires a User-Agent.
const userAgent = "astrolift (go-github)"

// affiliation is every repository /user/repos can list for the account:
// its own, those it collaborates on and those of its organizations.
const affiliation = "owner,collaborator,organization_member"

// listPageSize is the page size ListRepos asks for when it filters by name.
const listPageSize = 100

// Provider is GitHub's or a GitHub Enterprise Server's REST API (v3), seen
// with one token. It is safe for concurrent use.
type Provider struct {
	client *gh.Client
}

var _ scm.Provider = (*Provider)(nil)

// New returns the Provider for o: o.Token is sent as a Bearer token (a
// classic or fine-grained personal access token, or a GitHub App's token);
// without one, o.Username and o.Password are sent as basic auth (GitHub
// takes a token as the password). o.BaseURL empty, https://github.com or
// https://api.github.com is github.com; any other is a GitHub Enterprise
// Server, given as its web root (https://ghe.example.com) or its API root
// (https://ghe.example.com/api/v3/), or a GHE.com tenant
// (https://acme.ghe.com or https://api.acme.ghe.com).
func New(o scm.Options) (*Provider, error) {
	var auth string
	switch {
	case o.Token != "":
		auth = "Bearer " + o.Token
	case o.Username != "" || o.Password != "":
		auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(o.Username+":"+o.Password))
	default:
		return nil, errors.New("github: no credentials: want a token, or a username and token as password")
	}
	// A copy, so the caller's client (which may be shared) keeps its
	// transport.
	hc := *o.Client()
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc.Transport = &authTransport{base: base, auth: auth}

	opts := []gh.ClientOptionsFunc{gh.WithHTTPClient(&hc), gh.WithUserAgent(userAgent)}
	api, err := apiRoot(o.BaseURL)
	if err != nil {
		return nil, err
	}
	if api != "" {
		opts = append(opts, gh.WithEnterpriseURLs(api, api))
	}
	c, err := gh.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("github: base URL %q: %w", o.BaseURL, err)
	}
	return &Provider{client: c}, nil
}

// apiRoot returns the base URL to give go-github's WithEnterpriseURLs
// (which appends /api/v3/ to a web root), or "" for github.com.
func apiRoot(base string) (string, error) {
	base = strings.TrimSpace(base)
	if base == "" {
		return "", nil
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("github: base URL %q: %w", base, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("github: base URL %q: want an http(s) URL such as https://ghe.example.com", base)
	}
	host := strings.ToLower(u.Hostname())
	switch {
	case host == "github.com" || host == "www.github.com" || host == "api.github.com":
		return "", nil
	case strings.HasSuffix(host, ".ghe.com") && !strings.HasPrefix(host, "api."):
		// GHE.com tenants serve the API at api.<tenant>.ghe.com.
		u.Host = "api." + u.Host
		u.Path = "/"
	}
	return u.String(), nil
}

// authTransport sets the Authorization header on every request.
type authTransport struct {
	base http.RoundTripper
	auth string
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", t.auth)
	return t.base.RoundTrip(req)
}

// Validate reads the token's user (GET /user). Classic tokens report their
// scopes in X-OAuth-Scopes and may write with "repo" or "public_repo";
// fine-grained and app tokens report none (their permissions are per
// repository, see Repo.CanPush) and count as able to write.
func (p *Provider) Validate(ctx context.Context) (*scm.Account, error) {
	u, resp, err := p.client.Users.Get(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("github: authenticated user: %w", classify(resp, err))
	}
	scopes, reported := parseScopes(resp.Header)
	acct := &scm.Account{
		Login:    u.GetLogin(),
		Name:     u.GetName(),
		Email:    u.GetEmail(),
		Scopes:   scopes,
		CanWrite: !reported,
	}
	for _, s := range scopes {
		if s == "repo" || s == "public_repo" {
			acct.CanWrite = true
		}
	}
	return acct, nil
}

// parseScopes reads X-OAuth-Scopes ("repo, read:org"); reported is false
// when the header is absent, as it is for fine-grained and app tokens.
func parseScopes(h http.Header) (scopes []string, reported bool) {
	values := h.Values("X-OAuth-Scopes")
	if len(values) == 0 {
		return nil, false
	}
	for _, v := range values {
		for s := range strings.SplitSeq(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				scopes = append(scopes, s)
			}
		}
	}
	return scopes, true
}

// ListRepos lists GET /user/repos (the account's, its collaborations and
// its organizations', by full name). With a query it reads that list 100
// at a time and keeps the names that contain the query, then pages the
// matches itself: see the package documentation for why.
func (p *Provider) ListRepos(ctx context.Context, opts scm.ListOptions) (*scm.RepoPage, error) {
	page, perPage := max(opts.Page, 1), opts.PerPage
	if perPage <= 0 {
		perPage = 30
	}
	perPage = min(perPage, 100)
	lo := &gh.RepositoryListByAuthenticatedUserOptions{Affiliation: affiliation, Sort: "full_name"}

	if opts.Query == "" {
		lo.ListOptions = gh.ListOptions{Page: page, PerPage: perPage}
		repos, resp, err := p.client.Repositories.ListByAuthenticatedUser(ctx, lo)
		if err != nil {
			return nil, fmt.Errorf("github: listing repositories (page %d): %w", page, classify(resp, err))
		}
		out := &scm.RepoPage{Repos: make([]scm.Repo, 0, len(repos)), NextPage: resp.NextPage}
		for _, r := range repos {
			out.Repos = append(out.Repos, toRepo(r))
		}
		return out, nil
	}

	q := strings.ToLower(opts.Query)
	skip, want := (page-1)*perPage, page*perPage+1 // one more tells whether a next page exists
	var matches []scm.Repo
	seen := map[string]bool{}
	lo.ListOptions = gh.ListOptions{Page: 1, PerPage: listPageSize}
	for len(matches) < want {
		repos, resp, err := p.client.Repositories.ListByAuthenticatedUser(ctx, lo)
		if err != nil {
			return nil, fmt.Errorf("github: listing repositories matching %q (host page %d): %w", opts.Query, lo.Page, classify(resp, err))
		}
		for _, r := range repos {
			name := strings.ToLower(r.GetFullName())
			if strings.Contains(name, q) && !seen[name] {
				seen[name] = true
				matches = append(matches, toRepo(r))
			}
		}
		if resp.NextPage == 0 {
			break
		}
		lo.Page = resp.NextPage
	}
	out := &scm.RepoPage{}
	if skip < len(matches) {
		out.Repos = matches[skip:min(len(matches), skip+perPage)]
	}
	if len(matches) > skip+perPage {
		out.NextPage = page + 1
	}
	return out, nil
}

// GetRepo reads GET /repos/{owner}/{repo}.
func (p *Provider) GetRepo(ctx context.Context, repo string) (*scm.Repo, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, err
	}
	r, resp, err := p.client.Repositories.Get(ctx, owner, name)
	if err != nil {
		return nil, fmt.Errorf("github: repository %s: %w", repo, classify(resp, err))
	}
	out := toRepo(r)
	return &out, nil
}

func toRepo(r *gh.Repository) scm.Repo {
	return scm.Repo{
		FullName:      r.GetFullName(),
		Kind:          scm.GitHub,
		CloneURL:      r.GetCloneURL(),
		SSHURL:        r.GetSSHURL(),
		WebURL:        r.GetHTMLURL(),
		DefaultBranch: r.GetDefaultBranch(),
		Private:       r.GetPrivate(),
		CanPush:       r.GetPermissions().GetPush(),
	}
}

// BranchHead reads GET /repos/{owner}/{repo}/git/ref/heads/{branch}.
func (p *Provider) BranchHead(ctx context.Context, repo, branch string) (string, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return "", err
	}
	ref, resp, err := p.client.Git.GetRef(ctx, owner, name, "heads/"+branch)
	if err != nil {
		return "", fmt.Errorf("github: branch %s of %s: %w", branch, repo, classify(resp, err))
	}
	sha := ref.GetObject().GetSHA()
	if sha == "" {
		return "", fmt.Errorf("github: branch %s of %s: the host answered a ref without a commit", branch, repo)
	}
	return sha, nil
}

// CreateBranch creates refs/heads/{branch} (POST git/refs). GitHub answers
// an existing branch with 422 "Reference already exists" (ErrConflict) and
// an unknown commit with 422 "Object does not exist" (ErrNotFound).
func (p *Provider) CreateBranch(ctx context.Context, repo, branch, commit string) error {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return err
	}
	_, resp, err := p.client.Git.CreateRef(ctx, owner, name, gh.CreateRef{Ref: "refs/heads/" + branch, SHA: commit})
	if err != nil {
		err = classify(resp, err)
		var er *gh.ErrorResponse
		if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusUnprocessableEntity &&
			strings.Contains(strings.ToLower(er.Message), "object does not exist") {
			err = fmt.Errorf("commit %s: %w: %w", commit, scm.ErrNotFound, err)
		}
		return fmt.Errorf("github: creating branch %s of %s: %w", branch, repo, err)
	}
	return nil
}

// ReadFile reads the contents API at ref. Files over 1 MB, which the
// contents API lists without their content, are read as raw blobs.
func (p *Provider) ReadFile(ctx context.Context, repo, ref, path string) ([]byte, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, err
	}
	path = strings.TrimPrefix(path, "/")
	fc, err := p.contents(ctx, owner, name, ref, path)
	if err != nil {
		return nil, fmt.Errorf("github: file %s at %s in %s: %w", path, ref, repo, err)
	}
	if fc.GetEncoding() == "none" || (fc.Content == nil && fc.GetSize() > 0) {
		b, resp, err := p.client.Git.GetBlobRaw(ctx, owner, name, fc.GetSHA())
		if err != nil {
			return nil, fmt.Errorf("github: file %s at %s in %s (blob %s): %w", path, ref, repo, fc.GetSHA(), classify(resp, err))
		}
		return b, nil
	}
	s, err := fc.GetContent()
	if err != nil {
		return nil, fmt.Errorf("github: file %s at %s in %s: %w", path, ref, repo, err)
	}
	return []byte(s), nil
}

// contents reads one file's entry from the contents API; a directory, a
// symlink or a submodule is an ErrNotFound (not a file).
func (p *Provider) contents(ctx context.Context, owner, name, ref, path string) (*gh.RepositoryContent, error) {
	fc, dir, resp, err := p.client.Repositories.GetContents(ctx, owner, name, path, &gh.RepositoryContentGetOptions{Ref: ref})
	switch {
	case err != nil:
		return nil, classify(resp, err)
	case fc == nil || dir != nil:
		return nil, fmt.Errorf("a directory, not a file: %w", scm.ErrNotFound)
	case fc.GetType() != "" && fc.GetType() != "file":
		return nil, fmt.Errorf("a %s, not a file: %w", fc.GetType(), scm.ErrNotFound)
	}
	return fc, nil
}

// CommitFile writes one file on a branch with the contents API (PUT
// contents), which needs the blob sha of the file it replaces: it reads the
// file on the branch first. A 404 there is a new file, unless the branch
// is missing (ErrNotFound). If the file changes between the read and the
// write GitHub answers 409 (ErrConflict).
func (p *Provider) CommitFile(ctx context.Context, repo string, c scm.FileCommit) (string, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return "", err
	}
	path := strings.TrimPrefix(c.Path, "/")
	opts := &gh.RepositoryContentFileOptions{
		Message: gh.Ptr(c.Message),
		Content: c.Content,
		Branch:  gh.Ptr(c.Branch),
	}
	if c.Author.Name != "" || c.Author.Email != "" {
		a := &gh.CommitAuthor{Name: gh.Ptr(c.Author.Name), Email: gh.Ptr(c.Author.Email)}
		opts.Author, opts.Committer = a, a
	}

	fc, err := p.contents(ctx, owner, name, c.Branch, path)
	switch {
	case err == nil:
		opts.SHA = fc.SHA
	case isHostNotFound(err):
		// A new file, or no such branch: the contents API says the same.
		if _, err := p.BranchHead(ctx, repo, c.Branch); err != nil {
			return "", err
		}
	default:
		return "", fmt.Errorf("github: file %s on branch %s of %s: %w", path, c.Branch, repo, err)
	}

	res, resp, err := p.client.Repositories.CreateFile(ctx, owner, name, (&url.URL{Path: path}).String(), opts)
	if err != nil {
		return "", fmt.Errorf("github: committing %s on branch %s of %s: %w", path, c.Branch, repo, classify(resp, err))
	}
	var sha string
	if res != nil {
		sha = res.GetSHA()
	}
	if sha == "" {
		return "", fmt.Errorf("github: committing %s on branch %s of %s: the host answered without a commit", path, c.Branch, repo)
	}
	return sha, nil
}

// isHostNotFound: err is the host's 404, not the "not a file" of contents.
func isHostNotFound(err error) bool {
	var er *gh.ErrorResponse
	return errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound
}

// OpenPullRequest opens a pull request (POST pulls). GitHub answers an
// open pull request for the same head and base with 422 "A pull request
// already exists" (ErrConflict).
func (p *Provider) OpenPullRequest(ctx context.Context, repo string, pr scm.NewPullRequest) (*scm.PullRequest, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, err
	}
	out, resp, err := p.client.PullRequests.Create(ctx, owner, name, &gh.NewPullRequest{
		Title: gh.Ptr(pr.Title),
		Body:  gh.Ptr(pr.Body),
		Head:  gh.Ptr(pr.Head),
		Base:  gh.Ptr(pr.Base),
	})
	if err != nil {
		return nil, fmt.Errorf("github: pull request from %s into %s in %s: %w", pr.Head, pr.Base, repo, classify(resp, err))
	}
	return toPullRequest(out), nil
}

// GetPullRequest reads GET pulls/{number}: open, merged (merged, or a
// merged_at) or closed.
func (p *Provider) GetPullRequest(ctx context.Context, repo string, number int64) (*scm.PullRequest, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, err
	}
	n, err := prNumber(repo, number)
	if err != nil {
		return nil, err
	}
	pr, resp, err := p.client.PullRequests.Get(ctx, owner, name, n)
	if err != nil {
		return nil, fmt.Errorf("github: pull request %s#%d: %w", repo, number, classify(resp, err))
	}
	return toPullRequest(pr), nil
}

func toPullRequest(pr *gh.PullRequest) *scm.PullRequest {
	out := &scm.PullRequest{
		Number: int64(pr.GetNumber()),
		URL:    pr.GetHTMLURL(),
		State:  scm.PROpen,
		Head:   pr.GetHead().GetRef(),
		Base:   pr.GetBase().GetRef(),
	}
	switch {
	case pr.GetMerged() || pr.MergedAt != nil:
		out.State = scm.PRMerged
		// For an open pull request merge_commit_sha is GitHub's test
		// merge, not a commit on the base branch.
		out.MergeCommit = pr.GetMergeCommitSHA()
	case pr.GetState() == "closed":
		out.State = scm.PRClosed
	}
	return out
}

// CommentPullRequest posts an issue comment (pull requests are issues on
// GitHub, and share their numbers).
func (p *Provider) CommentPullRequest(ctx context.Context, repo string, number int64, body string) error {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return err
	}
	n, err := prNumber(repo, number)
	if err != nil {
		return err
	}
	_, resp, err := p.client.Issues.CreateComment(ctx, owner, name, n, &gh.IssueComment{Body: gh.Ptr(body)})
	if err != nil {
		return fmt.Errorf("github: comment on pull request %s#%d: %w", repo, number, classify(resp, err))
	}
	return nil
}

// CreateHook registers a "web" hook for push events that posts JSON signed
// with the secret (X-Hub-Signature-256), and returns its id.
func (p *Provider) CreateHook(ctx context.Context, repo string, h scm.Hook) (string, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return "", err
	}
	cfg := &gh.HookConfig{URL: gh.Ptr(h.URL), ContentType: gh.Ptr("json"), InsecureSSL: gh.Ptr("0")}
	if h.Secret != "" {
		cfg.Secret = gh.Ptr(h.Secret)
	}
	hook, resp, err := p.client.Repositories.CreateHook(ctx, owner, name, &gh.Hook{
		Config: cfg,
		Events: []string{"push"},
		Active: gh.Ptr(true),
	})
	if err != nil {
		return "", fmt.Errorf("github: creating webhook to %s on %s: %w", h.URL, repo, classify(resp, err))
	}
	if hook.GetID() == 0 {
		return "", fmt.Errorf("github: creating webhook to %s on %s: the host answered without an id", h.URL, repo)
	}
	return strconv.FormatInt(hook.GetID(), 10), nil
}

// DeleteHook deletes a hook by id; an id that is not a number names no
// hook on GitHub (ErrNotFound).
func (p *Provider) DeleteHook(ctx context.Context, repo, id string) error {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return err
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return fmt.Errorf("github: webhook %q of %s: not a GitHub hook id: %w", id, repo, scm.ErrNotFound)
	}
	resp, err := p.client.Repositories.DeleteHook(ctx, owner, name, n)
	if err != nil {
		return fmt.Errorf("github: webhook %s of %s: %w", id, repo, classify(resp, err))
	}
	return nil
}

// splitRepo splits "owner/name"; anything else names no GitHub repository.
func splitRepo(repo string) (owner, name string, err error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("github: repository %q: not an owner/name: %w", repo, scm.ErrNotFound)
	}
	return owner, name, nil
}

// prNumber converts a pull request number for go-github, which takes int.
func prNumber(repo string, number int64) (int, error) {
	if number <= 0 || int64(int(number)) != number {
		return 0, fmt.Errorf("github: pull request %s#%d: %w", repo, number, scm.ErrNotFound)
	}
	return int(number), nil
}
