package gitea

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	sdk "code.gitea.io/sdk/gitea"

	"github.com/astrolift/astrolift/scm"
)

// Provider talks to one Gitea server with one set of credentials.
type Provider struct {
	base string
	opts scm.Options
	http *http.Client
}

var _ scm.Provider = (*Provider)(nil)

// New returns the provider for the server at o.BaseURL.
func New(o scm.Options) (*Provider, error) {
	u, err := url.Parse(o.BaseURL)
	if o.BaseURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("gitea: base URL %q must be the server's http(s) root URL", o.BaseURL)
	}
	return &Provider{base: strings.TrimSuffix(strings.TrimSuffix(o.BaseURL, "/"), "/api/v1"), opts: o, http: o.Client()}, nil
}

func (p *Provider) client(ctx context.Context) *sdk.Client {
	opts := []sdk.ClientOption{sdk.SetHTTPClient(p.http), sdk.SetGiteaVersion(""), sdk.SetContext(ctx)}
	if p.opts.Token != "" {
		opts = append(opts, sdk.SetToken(p.opts.Token))
	} else if p.opts.Username != "" {
		opts = append(opts, sdk.SetBasicAuth(p.opts.Username, p.opts.Password))
	}
	c, err := sdk.NewClient(p.base, opts...)
	if err != nil { // the options above cannot fail: no version is fetched
		panic(fmt.Sprintf("gitea: client for %s: %v", p.base, err))
	}
	return c
}

// fail maps an SDK error onto scm's errors and names what it concerns.
func fail(what string, resp *sdk.Response, err error) error {
	if resp != nil && resp.Response != nil {
		err = scm.StatusError(resp.StatusCode, resp.Header, err)
	}
	return fmt.Errorf("gitea: %s: %w", what, err)
}

func split(repo string) (owner, name string, err error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("gitea: repository %q: want owner/name: %w", repo, scm.ErrNotFound)
	}
	return owner, name, nil
}

// Validate reads the account the credentials belong to.
func (p *Provider) Validate(ctx context.Context) (*scm.Account, error) {
	u, resp, err := p.client(ctx).GetMyUserInfo()
	if err != nil {
		return nil, fail("validate credentials at "+p.base, resp, err)
	}
	return &scm.Account{Login: u.UserName, Name: u.FullName, Email: u.Email, CanWrite: u.IsActive && !u.Restricted}, nil
}

// ListRepos searches the repositories the account can see.
func (p *Provider) ListRepos(ctx context.Context, o scm.ListOptions) (*scm.RepoPage, error) {
	page, per := max(o.Page, 1), o.PerPage
	if per <= 0 {
		per = 30
	}
	repos, resp, err := p.client(ctx).SearchRepos(sdk.SearchRepoOptions{
		ListOptions: sdk.ListOptions{Page: page, PageSize: min(per, 100)}, Keyword: o.Query, Sort: "alpha", Order: "asc"})
	if err != nil {
		return nil, fail("list repositories", resp, err)
	}
	out := &scm.RepoPage{Repos: make([]scm.Repo, 0, len(repos))}
	q := strings.ToLower(o.Query)
	for _, r := range repos {
		if strings.Contains(strings.ToLower(r.FullName), q) {
			out.Repos = append(out.Repos, toRepo(r))
		}
	}
	if resp != nil && resp.NextPage > page {
		out.NextPage = resp.NextPage
	}
	return out, nil
}

func toRepo(r *sdk.Repository) scm.Repo {
	return scm.Repo{FullName: r.FullName, Kind: scm.Gitea, CloneURL: r.CloneURL, SSHURL: r.SSHURL, WebURL: r.HTMLURL,
		DefaultBranch: r.DefaultBranch, Private: r.Private, CanPush: r.Permissions != nil && r.Permissions.Push}
}

// GetRepo returns one repository.
func (p *Provider) GetRepo(ctx context.Context, repo string) (*scm.Repo, error) {
	owner, name, err := split(repo)
	if err != nil {
		return nil, err
	}
	r, resp, err := p.client(ctx).GetRepo(owner, name)
	if err != nil {
		return nil, fail("repository "+repo, resp, err)
	}
	out := toRepo(r)
	return &out, nil
}

// BranchHead returns the commit at a branch's tip.
func (p *Provider) BranchHead(ctx context.Context, repo, branch string) (string, error) {
	owner, name, err := split(repo)
	if err != nil {
		return "", err
	}
	b, resp, err := p.client(ctx).GetRepoBranch(owner, name, branch)
	if err != nil {
		return "", fail("branch "+branch+" of "+repo, resp, err)
	}
	if b.Commit == nil {
		return "", fmt.Errorf("gitea: branch %s of %s: no commit in the answer", branch, repo)
	}
	return b.Commit.ID, nil
}

// CreateBranch creates branch at commit.
func (p *Provider) CreateBranch(ctx context.Context, repo, branch, commit string) error {
	owner, name, err := split(repo)
	if err != nil {
		return err
	}
	// The SDK's CreateBranchOption has no old_ref_name (Gitea ≥ 1.21), which
	// is how a branch starts at a commit rather than at another branch.
	body, _ := json.Marshal(map[string]string{"new_branch_name": branch, "old_ref_name": commit})
	what := "create branch " + branch + " of " + repo + " at " + commit
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		p.base+"/api/v1/repos/"+url.PathEscape(owner)+"/"+url.PathEscape(name)+"/branches", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("gitea: %s: %w", what, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if p.opts.Token != "" {
		req.Header.Set("Authorization", "token "+p.opts.Token)
	} else if p.opts.Username != "" {
		req.SetBasicAuth(p.opts.Username, p.opts.Password)
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return fmt.Errorf("gitea: %s: %w", what, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode == http.StatusCreated {
		return nil
	}
	var msg struct {
		Message string `json:"message"`
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(data, &msg) != nil || msg.Message == "" {
		msg.Message = strings.TrimSpace(string(data))
	}
	return fmt.Errorf("gitea: %s: %w", what, scm.StatusError(resp.StatusCode, resp.Header, errors.New(msg.Message)))
}

// ReadFile returns a file at a ref.
func (p *Provider) ReadFile(ctx context.Context, repo, ref, path string) ([]byte, error) {
	owner, name, err := split(repo)
	if err != nil {
		return nil, err
	}
	data, resp, err := p.client(ctx).GetFile(owner, name, ref, path)
	if err != nil {
		return nil, fail("file "+path+" at "+ref+" of "+repo, resp, err)
	}
	return data, nil
}

// CommitFile creates or updates one file on an existing branch.
func (p *Provider) CommitFile(ctx context.Context, repo string, fc scm.FileCommit) (string, error) {
	owner, name, err := split(repo)
	if err != nil {
		return "", err
	}
	what := "commit " + fc.Path + " on " + fc.Branch + " of " + repo
	c := p.client(ctx)
	if _, resp, err := c.GetRepoBranch(owner, name, fc.Branch); err != nil {
		return "", fail(what, resp, err) // the contents API would commit to the default branch
	}
	opts := sdk.FileOptions{Message: fc.Message, BranchName: fc.Branch,
		Author:    sdk.Identity{Name: fc.Author.Name, Email: fc.Author.Email},
		Committer: sdk.Identity{Name: fc.Author.Name, Email: fc.Author.Email}}
	content := base64.StdEncoding.EncodeToString(fc.Content)
	var res *sdk.FileResponse
	cur, resp, err := c.GetContents(owner, name, fc.Branch, fc.Path)
	switch {
	case err == nil && cur.Type != "file":
		return "", fmt.Errorf("gitea: %s: %s is a %s: %w", what, fc.Path, cur.Type, scm.ErrConflict)
	case err == nil:
		res, resp, err = c.UpdateFile(owner, name, fc.Path, sdk.UpdateFileOptions{FileOptions: opts, SHA: cur.SHA, Content: content})
	case resp != nil && resp.StatusCode == http.StatusNotFound:
		res, resp, err = c.CreateFile(owner, name, fc.Path, sdk.CreateFileOptions{FileOptions: opts, Content: content})
	}
	if err != nil {
		return "", fail(what, resp, err)
	}
	if res.Commit == nil || res.Commit.SHA == "" {
		return "", fmt.Errorf("gitea: %s: no commit in the answer", what)
	}
	return res.Commit.SHA, nil
}

// OpenPullRequest opens a pull request from pr.Head into pr.Base.
func (p *Provider) OpenPullRequest(ctx context.Context, repo string, pr scm.NewPullRequest) (*scm.PullRequest, error) {
	owner, name, err := split(repo)
	if err != nil {
		return nil, err
	}
	res, resp, err := p.client(ctx).CreatePullRequest(owner, name, sdk.CreatePullRequestOption{Head: pr.Head, Base: pr.Base, Title: pr.Title, Body: pr.Body})
	if err != nil {
		return nil, fail("open pull request "+pr.Head+" → "+pr.Base+" in "+repo, resp, err)
	}
	return toPR(res), nil
}

func toPR(pr *sdk.PullRequest) *scm.PullRequest {
	out := &scm.PullRequest{Number: pr.Index, URL: pr.HTMLURL, State: scm.PROpen}
	switch {
	case pr.HasMerged:
		out.State = scm.PRMerged
		if pr.MergedCommitID != nil {
			out.MergeCommit = *pr.MergedCommitID
		}
	case pr.State == sdk.StateClosed:
		out.State = scm.PRClosed
	}
	if pr.Head != nil {
		out.Head = pr.Head.Ref
	}
	if pr.Base != nil {
		out.Base = pr.Base.Ref
	}
	return out
}

// GetPullRequest reads a pull request.
func (p *Provider) GetPullRequest(ctx context.Context, repo string, number int64) (*scm.PullRequest, error) {
	owner, name, err := split(repo)
	if err != nil {
		return nil, err
	}
	pr, resp, err := p.client(ctx).GetPullRequest(owner, name, number)
	if err != nil {
		return nil, fail(fmt.Sprintf("pull request %s#%d", repo, number), resp, err)
	}
	return toPR(pr), nil
}

// CommentPullRequest comments on a pull request.
func (p *Provider) CommentPullRequest(ctx context.Context, repo string, number int64, body string) error {
	owner, name, err := split(repo)
	if err != nil {
		return err
	}
	c := p.client(ctx)
	// Pull requests share the issues' numbers, and comments; check it is a
	// pull request so a comment never lands on an issue.
	if _, resp, err := c.GetPullRequest(owner, name, number); err != nil {
		return fail(fmt.Sprintf("comment on pull request %s#%d", repo, number), resp, err)
	}
	if _, resp, err := c.CreateIssueComment(owner, name, number, sdk.CreateIssueCommentOption{Body: body}); err != nil {
		return fail(fmt.Sprintf("comment on pull request %s#%d", repo, number), resp, err)
	}
	return nil
}

// CreateHook registers a push webhook.
func (p *Provider) CreateHook(ctx context.Context, repo string, h scm.Hook) (string, error) {
	owner, name, err := split(repo)
	if err != nil {
		return "", err
	}
	hook, resp, err := p.client(ctx).CreateRepoHook(owner, name, sdk.CreateHookOption{
		Type:   "gitea",
		Config: map[string]string{"url": h.URL, "content_type": "json", "secret": h.Secret},
		Events: []string{"push"}, Active: true})
	if err != nil {
		return "", fail("create webhook on "+repo, resp, err)
	}
	return strconv.FormatInt(hook.ID, 10), nil
}

// DeleteHook removes a webhook.
func (p *Provider) DeleteHook(ctx context.Context, repo, id string) error {
	owner, name, err := split(repo)
	if err != nil {
		return err
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return fmt.Errorf("gitea: webhook %q of %s: not a hook id: %w", id, repo, errors.Join(scm.ErrNotFound, err))
	}
	if resp, err := p.client(ctx).DeleteRepoHook(owner, name, n); err != nil {
		return fail("delete webhook "+id+" of "+repo, resp, err)
	}
	return nil
}
