package gitlab

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
	"golang.org/x/time/rate"

	"github.com/astrolift/astrolift/scm"
)

// DefaultBaseURL is GitLab.com, used when Options.BaseURL is empty.
const DefaultBaseURL = "https://gitlab.com"

// maxRetries bounds the retries of GET/HEAD requests answered with a 5xx.
const maxRetries = 2

// minSearchLen is the shortest query GitLab's project search matches as a
// substring (shorter ones only match exactly).
const minSearchLen = 3

// Provider is a GitLab host seen with one access token.
type Provider struct {
	c *gl.Client
}

var _ scm.Provider = (*Provider)(nil)

// New returns a Provider for o. o.BaseURL is empty for GitLab.com or a
// self-managed root, with or without "/api/v4".
func New(o scm.Options) (*Provider, error) {
	token := o.Token
	if token == "" {
		token = o.Password
	}
	if token == "" {
		return nil, errors.New("gitlab: an access token is required")
	}
	base, err := baseURL(o.BaseURL)
	if err != nil {
		return nil, err
	}
	c, err := gl.NewClient(token,
		gl.WithBaseURL(base),
		gl.WithHTTPClient(o.Client()),
		gl.WithCustomRetry(retryPolicy),
		gl.WithCustomRetryMax(maxRetries),
		// No client-side pacing from RateLimit-Limit: callers see 429s.
		gl.WithCustomLimiter(rate.NewLimiter(rate.Inf, 0)),
		gl.WithURLWarningLogger(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		return nil, fmt.Errorf("gitlab: client for %s: %w", base, err)
	}
	return &Provider{c: c}, nil
}

// baseURL checks a configured base URL and defaults it to GitLab.com.
func baseURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return DefaultBaseURL, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("gitlab: base URL %q: %w", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("gitlab: base URL %q: want http(s)://host[/path], e.g. https://gitlab.example.com", s)
	}
	return s, nil
}

// retryPolicy retries only what is safe and quick to retry: a GET or HEAD
// answered with a 5xx. A 429 is never retried (the caller decides when to
// come back) nor is a transport error (the request may have been applied).
func retryPolicy(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil || resp == nil || resp.Request == nil {
		return false, nil
	}
	if m := resp.Request.Method; m != http.MethodGet && m != http.MethodHead {
		return false, nil
	}
	return resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented, nil
}

// apiError maps a failed call's status to the scm errors.
func apiError(resp *gl.Response, err error) error {
	if resp == nil || resp.Response == nil {
		return err
	}
	return scm.StatusError(resp.StatusCode, rateLimitHeaders(resp.StatusCode, resp.Header), err)
}

// rateLimitHeaders lets scm.StatusError read GitLab's RateLimit-Remaining
// and RateLimit-Reset (GitLab sends them without the X- prefix) when a 429
// comes without Retry-After.
func rateLimitHeaders(status int, h http.Header) http.Header {
	if status != http.StatusTooManyRequests || h == nil || h.Get("Retry-After") != "" || h.Get("RateLimit-Reset") == "" {
		return h
	}
	c := h.Clone()
	c.Set("X-RateLimit-Remaining", "0")
	c.Set("X-RateLimit-Reset", h.Get("RateLimit-Reset"))
	return c
}

// alreadyExists reports a refusal GitLab words as "... already exists"
// with 400 or 422 rather than 409.
func alreadyExists(resp *gl.Response, err error) bool {
	if resp == nil || (resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusUnprocessableEntity) {
		return false
	}
	var er *gl.ErrorResponse
	return errors.As(err, &er) && strings.Contains(strings.ToLower(er.Message), "already exists")
}

// Validate implements scm.Provider.
func (p *Provider) Validate(ctx context.Context) (*scm.Account, error) {
	u, resp, err := p.c.Users.CurrentUser(gl.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("gitlab: current user: %w", apiError(resp, err))
	}
	acct := &scm.Account{Login: u.Username, Name: u.Name, Email: u.Email}
	tok, resp, err := p.c.PersonalAccessTokens.GetSinglePersonalAccessToken(gl.WithContext(ctx))
	switch {
	case err == nil:
		acct.Scopes = tok.Scopes
		acct.CanWrite = slices.Contains(tok.Scopes, "api")
	case resp != nil && (resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden ||
		resp.StatusCode == http.StatusUnauthorized):
		// The server cannot describe this token (older GitLab, OAuth or
		// job token): assume it may write; the first write will tell.
		acct.CanWrite = true
	default:
		return nil, fmt.Errorf("gitlab: token scopes of %s: %w", u.Username, apiError(resp, err))
	}
	return acct, nil
}

// ListRepos implements scm.Provider.
func (p *Provider) ListRepos(ctx context.Context, opts scm.ListOptions) (*scm.RepoPage, error) {
	page, perPage := max(opts.Page, 1), opts.PerPage
	if perPage <= 0 {
		perPage = 30
	}
	perPage = min(perPage, 100)
	lo := &gl.ListProjectsOptions{
		ListOptions: gl.ListOptions{Page: int64(page), PerPage: int64(perPage)},
		Membership:  gl.Ptr(true),
		Simple:      gl.Ptr(false),
		OrderBy:     gl.Ptr("path"),
		Sort:        gl.Ptr("asc"),
	}
	query := strings.ToLower(strings.TrimSpace(opts.Query))
	if len([]rune(query)) >= minSearchLen {
		lo.Search = gl.Ptr(query)
		lo.SearchNamespaces = gl.Ptr(true)
	}
	projects, resp, err := p.c.Projects.ListProjects(lo, gl.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("gitlab: list projects (page %d): %w", page, apiError(resp, err))
	}
	out := &scm.RepoPage{Repos: make([]scm.Repo, 0, len(projects))}
	for _, pr := range projects {
		if query != "" && !strings.Contains(strings.ToLower(pr.PathWithNamespace), query) {
			continue // matched by name or description only
		}
		out.Repos = append(out.Repos, toRepo(pr))
	}
	if next := int(resp.NextPage); next > page {
		out.NextPage = next
	}
	return out, nil
}

// GetRepo implements scm.Provider.
func (p *Provider) GetRepo(ctx context.Context, repo string) (*scm.Repo, error) {
	pr, resp, err := p.c.Projects.GetProject(repo, nil, gl.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("gitlab: repository %s: %w", repo, apiError(resp, err))
	}
	r := toRepo(pr)
	return &r, nil
}

func toRepo(p *gl.Project) scm.Repo {
	return scm.Repo{
		FullName:      p.PathWithNamespace,
		Kind:          scm.GitLab,
		CloneURL:      p.HTTPURLToRepo,
		SSHURL:        p.SSHURLToRepo,
		WebURL:        p.WebURL,
		DefaultBranch: p.DefaultBranch,
		Private:       p.Visibility != gl.PublicVisibility,
		CanPush:       accessLevel(p.Permissions) >= gl.DeveloperPermissions,
	}
}

// accessLevel is the account's effective role on a project: the larger of
// its direct (project) and inherited (group) access.
func accessLevel(p *gl.Permissions) gl.AccessLevelValue {
	if p == nil {
		return gl.NoPermissions
	}
	level := gl.NoPermissions
	if p.ProjectAccess != nil {
		level = max(level, p.ProjectAccess.AccessLevel)
	}
	if p.GroupAccess != nil {
		level = max(level, p.GroupAccess.AccessLevel)
	}
	return level
}

// BranchHead implements scm.Provider.
func (p *Provider) BranchHead(ctx context.Context, repo, branch string) (string, error) {
	b, resp, err := p.c.Branches.GetBranch(repo, branch, gl.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("gitlab: branch %s of %s: %w", branch, repo, apiError(resp, err))
	}
	if b.Commit == nil || b.Commit.ID == "" {
		return "", fmt.Errorf("gitlab: branch %s of %s: no commit in the answer", branch, repo)
	}
	return b.Commit.ID, nil
}

// CreateBranch implements scm.Provider.
func (p *Provider) CreateBranch(ctx context.Context, repo, branch, commit string) error {
	_, resp, err := p.c.Branches.CreateBranch(repo, &gl.CreateBranchOptions{Branch: &branch, Ref: &commit}, gl.WithContext(ctx))
	if err == nil {
		return nil
	}
	if alreadyExists(resp, err) {
		err = fmt.Errorf("%w: %w", scm.ErrConflict, err)
	} else {
		err = apiError(resp, err)
	}
	return fmt.Errorf("gitlab: create branch %s at %s in %s: %w", branch, commit, repo, err)
}

// ReadFile implements scm.Provider.
func (p *Provider) ReadFile(ctx context.Context, repo, ref, path string) ([]byte, error) {
	b, resp, err := p.c.RepositoryFiles.GetRawFile(repo, path, &gl.GetRawFileOptions{Ref: &ref}, gl.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("gitlab: file %s at %s in %s: %w", path, ref, repo, apiError(resp, err))
	}
	return b, nil
}

// CommitFile implements scm.Provider.
func (p *Provider) CommitFile(ctx context.Context, repo string, c scm.FileCommit) (string, error) {
	action := gl.FileUpdate
	_, resp, err := p.c.RepositoryFiles.GetFileMetaData(repo, c.Path, &gl.GetFileMetaDataOptions{Ref: &c.Branch}, gl.WithContext(ctx))
	switch {
	case err == nil:
	case resp != nil && resp.StatusCode == http.StatusNotFound:
		// The file or the branch is missing: a missing file is created,
		// a missing branch is the caller's error.
		if _, err := p.BranchHead(ctx, repo, c.Branch); err != nil {
			return "", err
		}
		action = gl.FileCreate
	default:
		return "", fmt.Errorf("gitlab: file %s on branch %s of %s: %w", c.Path, c.Branch, repo, apiError(resp, err))
	}
	commit, resp, err := p.c.Commits.CreateCommit(repo, &gl.CreateCommitOptions{
		Branch:        &c.Branch,
		CommitMessage: &c.Message,
		AuthorName:    nonEmpty(c.Author.Name),
		AuthorEmail:   nonEmpty(c.Author.Email),
		Actions: []*gl.CommitActionOptions{{
			Action:   &action,
			FilePath: &c.Path,
			Content:  gl.Ptr(base64.StdEncoding.EncodeToString(c.Content)),
			Encoding: gl.Ptr("base64"),
		}},
	}, gl.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("gitlab: commit %s (%s) on branch %s of %s: %w", c.Path, action, c.Branch, repo, apiError(resp, err))
	}
	return commit.ID, nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// OpenPullRequest implements scm.Provider.
func (p *Provider) OpenPullRequest(ctx context.Context, repo string, pr scm.NewPullRequest) (*scm.PullRequest, error) {
	mr, resp, err := p.c.MergeRequests.CreateMergeRequest(repo, &gl.CreateMergeRequestOptions{
		Title:        &pr.Title,
		Description:  &pr.Body,
		SourceBranch: &pr.Head,
		TargetBranch: &pr.Base,
	}, gl.WithContext(ctx))
	if err != nil {
		if alreadyExists(resp, err) {
			err = fmt.Errorf("%w: %w", scm.ErrConflict, err)
		} else {
			err = apiError(resp, err)
		}
		return nil, fmt.Errorf("gitlab: merge request %s into %s in %s: %w", pr.Head, pr.Base, repo, err)
	}
	out, err := toPR(mr)
	if err != nil {
		return nil, fmt.Errorf("gitlab: merge request %s!%d: %w", repo, mr.IID, err)
	}
	return out, nil
}

// GetPullRequest implements scm.Provider.
func (p *Provider) GetPullRequest(ctx context.Context, repo string, number int64) (*scm.PullRequest, error) {
	mr, resp, err := p.c.MergeRequests.GetMergeRequest(repo, number, nil, gl.WithContext(ctx))
	if err == nil {
		var out *scm.PullRequest
		if out, err = toPR(mr); err == nil {
			return out, nil
		}
	} else {
		err = apiError(resp, err)
	}
	return nil, fmt.Errorf("gitlab: merge request %s!%d: %w", repo, number, err)
}

func toPR(mr *gl.MergeRequest) (*scm.PullRequest, error) {
	pr := &scm.PullRequest{Number: mr.IID, URL: mr.WebURL, Head: mr.SourceBranch, Base: mr.TargetBranch}
	switch mr.State {
	case "opened", "locked": // locked: being merged right now
		pr.State = scm.PROpen
	case "merged":
		pr.State = scm.PRMerged
		pr.MergeCommit = cmp.Or(mr.MergeCommitSHA, mr.SquashCommitSHA, mr.SHA) // sha: fast-forward
	case "closed":
		pr.State = scm.PRClosed
	default:
		return nil, fmt.Errorf("unknown merge request state %q", mr.State)
	}
	return pr, nil
}

// CommentPullRequest implements scm.Provider.
func (p *Provider) CommentPullRequest(ctx context.Context, repo string, number int64, body string) error {
	_, resp, err := p.c.Notes.CreateMergeRequestNote(repo, number, &gl.CreateMergeRequestNoteOptions{Body: &body}, gl.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("gitlab: comment on merge request %s!%d: %w", repo, number, apiError(resp, err))
	}
	return nil
}

// CreateHook implements scm.Provider.
func (p *Provider) CreateHook(ctx context.Context, repo string, h scm.Hook) (string, error) {
	hook, resp, err := p.c.Projects.AddProjectHook(repo, &gl.AddProjectHookOptions{
		URL:                   &h.URL,
		Token:                 &h.Secret,
		PushEvents:            gl.Ptr(true),
		EnableSSLVerification: gl.Ptr(true),
	}, gl.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("gitlab: create hook to %s in %s: %w", h.URL, repo, apiError(resp, err))
	}
	return strconv.FormatInt(hook.ID, 10), nil
}

// DeleteHook implements scm.Provider.
func (p *Provider) DeleteHook(ctx context.Context, repo, id string) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		// GitLab hook ids are positive integers: no such hook.
		return fmt.Errorf("gitlab: hook %q of %s: %w", id, repo, scm.ErrNotFound)
	}
	resp, err := p.c.Projects.DeleteProjectHook(repo, n, gl.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("gitlab: hook %d of %s: %w", n, repo, apiError(resp, err))
	}
	return nil
}
