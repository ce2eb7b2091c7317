package scm

import (
	"context"
	"net/http"
	"time"
)

// Kinds of hosts.
const (
	GitHub    = "github"
	GitLab    = "gitlab"
	Gitea     = "gitea"
	Bitbucket = "bitbucket"
)

// Provider is one git host's API, seen with one connection's credentials.
// Implementations are safe for concurrent use.
type Provider interface {
	// Validate checks the credentials and says who they belong to and
	// whether they may write (push branches, open pull requests).
	Validate(ctx context.Context) (*Account, error)
	// ListRepos lists the repositories the credentials can see, a page at
	// a time, optionally only those whose name contains opts.Query.
	ListRepos(ctx context.Context, opts ListOptions) (*RepoPage, error)
	// GetRepo returns one repository by full name.
	GetRepo(ctx context.Context, repo string) (*Repo, error)
	// BranchHead returns the commit at the tip of a branch.
	BranchHead(ctx context.Context, repo, branch string) (string, error)
	// CreateBranch creates branch at commit; an existing branch is an
	// ErrConflict.
	CreateBranch(ctx context.Context, repo, branch, commit string) error
	// ReadFile returns a file's content at a branch, tag or commit.
	ReadFile(ctx context.Context, repo, ref, path string) ([]byte, error)
	// CommitFile commits one file's new content (created if missing) on an
	// existing branch and returns the new commit's id.
	CommitFile(ctx context.Context, repo string, c FileCommit) (string, error)
	// OpenPullRequest opens a pull (merge) request from Head into Base.
	OpenPullRequest(ctx context.Context, repo string, pr NewPullRequest) (*PullRequest, error)
	// GetPullRequest reads a pull request's state.
	GetPullRequest(ctx context.Context, repo string, number int64) (*PullRequest, error)
	// CommentPullRequest posts a comment on a pull request.
	CommentPullRequest(ctx context.Context, repo string, number int64, body string) error
	// CreateHook registers a push webhook that posts to url, signed with
	// secret, and returns its id on the host.
	CreateHook(ctx context.Context, repo string, h Hook) (string, error)
	// DeleteHook removes a webhook; one that is gone is an ErrNotFound.
	DeleteHook(ctx context.Context, repo, id string) error
}

// Options configure a Provider.
type Options struct {
	// BaseURL is the host's web (or API) root for self-hosted and
	// enterprise installations; empty means the hosted service. Each
	// provider documents which forms it accepts.
	BaseURL string
	// Token is a personal, project or app access token.
	Token string
	// Username and Password are basic-auth credentials (Bitbucket app
	// passwords, Gitea users) used when Token is empty.
	Username, Password string
	// HTTPClient is used for every request; nil means a client with a 30 s
	// timeout.
	HTTPClient *http.Client
}

// Client returns o.HTTPClient or the default client.
func (o Options) Client() *http.Client {
	if o.HTTPClient != nil {
		return o.HTTPClient
	}
	return &http.Client{Timeout: 30 * time.Second}
}

// Account is whom a connection's credentials belong to.
type Account struct {
	Login string `json:"login"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	// CanWrite: the credentials may push and open pull requests (token
	// scopes where the host reports them). Write access to one repository
	// is Repo.CanPush.
	CanWrite bool `json:"can_write"`
	// Scopes the host reported for the token, if it reports them.
	Scopes []string `json:"scopes,omitempty"`
}

// ListOptions select a page of repositories.
type ListOptions struct {
	// Query keeps repositories whose full name contains it
	// (case-insensitive). Providers use the host's search where it has
	// these semantics and filter client-side otherwise, so a page may come
	// back short, even empty, while NextPage is set: page until it is 0.
	Query string
	// Page starts at 1 (0 means 1).
	Page int
	// PerPage is at most 100 (0 means 30).
	PerPage int
}

// RepoPage is one page of repositories.
type RepoPage struct {
	Repos []Repo
	// NextPage is the page to ask for next, 0 on the last page.
	NextPage int
}

// Repo is a repository on a host.
type Repo struct {
	// FullName is the path the provider's methods take.
	FullName string `json:"full_name"`
	// Kind is the host's kind (github, gitlab, gitea, bitbucket).
	Kind          string `json:"kind"`
	CloneURL      string `json:"clone_url"` // HTTP(S)
	SSHURL        string `json:"ssh_url,omitempty"`
	WebURL        string `json:"web_url,omitempty"`
	DefaultBranch string `json:"default_branch"`
	Private       bool   `json:"private"`
	// CanPush: the credentials may push branches to this repository.
	CanPush bool `json:"can_push"`
}

// Author is a commit's author.
type Author struct {
	Name  string
	Email string
}

// FileCommit is one file's change on a branch.
type FileCommit struct {
	Branch  string
	Path    string
	Content []byte
	Message string
	Author  Author
}

// NewPullRequest describes a pull request to open.
type NewPullRequest struct {
	Title string
	Body  string
	// Head is the branch with the changes, Base the branch they go into.
	Head, Base string
}

// Pull request states.
const (
	PROpen   = "open"
	PRMerged = "merged"
	PRClosed = "closed" // closed without merging
)

// PullRequest is a pull (merge) request and its state.
type PullRequest struct {
	Number int64  `json:"number"`
	URL    string `json:"url"` // web page
	State  string `json:"state"`
	Head   string `json:"head"`
	Base   string `json:"base"`
	// MergeCommit is the commit the merge made, when merged and known.
	MergeCommit string `json:"merge_commit,omitempty"`
}

// Hook is a push webhook to register.
type Hook struct {
	URL    string
	Secret string
}
