package bitbucket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/astrolift/astrolift/scm"
)

// Provider is Bitbucket Cloud's API seen with one connection's
// credentials. It is safe for concurrent use.
type Provider struct {
	base string // API root, ending in /2.0
	hc   *http.Client
	auth func(*http.Request)
}

var _ scm.Provider = (*Provider)(nil)

// permissionChunk is how many repositories one permissions request asks
// about (BBQL OR of full names; keeps the URL to a few kilobytes).
const permissionChunk = 40

// maxFile bounds ReadFile.
const maxFile = 64 << 20

// New returns a Provider for o: o.Token as a Bearer token, or o.Username
// and o.Password as basic auth.
func New(o scm.Options) (*Provider, error) {
	base, err := apiRoot(o.BaseURL)
	if err != nil {
		return nil, err
	}
	p := &Provider{base: base, hc: o.Client()}
	switch {
	case o.Token != "":
		token := o.Token
		p.auth = func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
	case o.Username != "" && o.Password != "":
		user, pass := o.Username, o.Password
		p.auth = func(r *http.Request) { r.SetBasicAuth(user, pass) }
	default:
		return nil, errors.New("bitbucket: no credentials: set a token, or a username and an app password or API token")
	}
	return p, nil
}

type link struct {
	Href string `json:"href"`
	Name string `json:"name"`
}

type repository struct {
	FullName  string `json:"full_name"`
	IsPrivate bool   `json:"is_private"`
	// MainBranch is null in an empty repository.
	MainBranch *struct {
		Name string `json:"name"`
	} `json:"mainbranch"`
	Links struct {
		HTML  link   `json:"html"`
		Clone []link `json:"clone"`
	} `json:"links"`
}

func (r repository) toRepo() scm.Repo {
	out := scm.Repo{FullName: r.FullName, Kind: scm.Bitbucket, WebURL: r.Links.HTML.Href, Private: r.IsPrivate}
	if r.MainBranch != nil {
		out.DefaultBranch = r.MainBranch.Name
	}
	for _, c := range r.Links.Clone {
		switch c.Name {
		case "https":
			out.CloneURL = withoutUser(c.Href)
		case "ssh":
			out.SSHURL = c.Href
		}
	}
	return out
}

// withoutUser drops the "user@" Bitbucket puts in HTTPS clone links.
func withoutUser(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}

type pullRequest struct {
	ID     int64  `json:"id"`
	State  string `json:"state"`
	Source struct {
		Branch struct {
			Name string `json:"name"`
		} `json:"branch"`
	} `json:"source"`
	Destination struct {
		Branch struct {
			Name string `json:"name"`
		} `json:"branch"`
	} `json:"destination"`
	MergeCommit *struct {
		Hash string `json:"hash"`
	} `json:"merge_commit"`
	Links struct {
		HTML link `json:"html"`
	} `json:"links"`
}

func (pr pullRequest) toPR() *scm.PullRequest {
	out := &scm.PullRequest{Number: pr.ID, URL: pr.Links.HTML.Href, State: prState(pr.State),
		Head: pr.Source.Branch.Name, Base: pr.Destination.Branch.Name}
	if pr.MergeCommit != nil {
		out.MergeCommit = pr.MergeCommit.Hash
	}
	return out
}

// prState maps Bitbucket's OPEN, MERGED, DECLINED and SUPERSEDED.
func prState(s string) string {
	switch strings.ToUpper(s) {
	case "OPEN":
		return scm.PROpen
	case "MERGED":
		return scm.PRMerged
	default: // DECLINED, SUPERSEDED
		return scm.PRClosed
	}
}

// Validate reads the account behind the credentials (GET /user) and the
// token's scopes from X-OAuth-Scopes when Bitbucket sends them.
func (p *Provider) Validate(ctx context.Context) (*scm.Account, error) {
	var u struct {
		Username    string `json:"username"`
		Nickname    string `json:"nickname"`
		AccountID   string `json:"account_id"`
		DisplayName string `json:"display_name"`
	}
	h, err := p.getJSON(ctx, "/user", nil, &u)
	if err != nil {
		return nil, fmt.Errorf("bitbucket: validating the credentials: %w", err)
	}
	acct := &scm.Account{Login: u.Username, Name: u.DisplayName, CanWrite: true}
	if acct.Login == "" {
		acct.Login = u.Nickname
	}
	if acct.Login == "" {
		acct.Login = u.AccountID
	}
	if acct.Login == "" {
		return nil, errors.New("bitbucket: validating the credentials: /user named no account")
	}
	if vals := h.Values("X-OAuth-Scopes"); len(vals) > 0 {
		acct.Scopes = parseScopes(vals)
		acct.CanWrite = canWrite(acct.Scopes)
	}
	return acct, nil
}

// parseScopes splits X-OAuth-Scopes ("account, repository:write ...").
func parseScopes(vals []string) []string {
	var out []string
	for _, v := range vals {
		out = append(out, strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })...)
	}
	if out == nil {
		out = []string{}
	}
	return out
}

// canWrite: the scopes allow pushing branches and opening pull requests.
// pullrequest:write implies repository:write on Bitbucket, and admin
// implies write.
func canWrite(scopes []string) bool {
	for _, s := range scopes {
		switch s {
		case "repository:write", "repository:admin", "pullrequest:write",
			"write:repository:bitbucket", "admin:repository:bitbucket", "write:pullrequest:bitbucket":
			return true
		}
	}
	return false
}

// ListRepos lists the repositories the account is a member of, one page
// at a time (one listing request and one permissions request per 40
// repositories on the page).
func (p *Provider) ListRepos(ctx context.Context, opts scm.ListOptions) (*scm.RepoPage, error) {
	per := opts.PerPage
	if per <= 0 {
		per = 30
	}
	per = min(per, 100)
	pg := max(opts.Page, 1)
	q := url.Values{
		"role":    {"member"},
		"sort":    {"full_name"},
		"pagelen": {strconv.Itoa(per)},
		"page":    {strconv.Itoa(pg)},
	}
	what := fmt.Sprintf("page %d", pg)
	if opts.Query != "" {
		q.Set("q", "full_name ~ "+bbqlString(opts.Query))
		what += fmt.Sprintf(" of repositories matching %q", opts.Query)
	}
	var res page[repository]
	if _, err := p.getJSON(ctx, "/repositories", q, &res); err != nil {
		return nil, fmt.Errorf("bitbucket: listing repositories, %s: %w", what, err)
	}
	out := &scm.RepoPage{Repos: make([]scm.Repo, 0, len(res.Values)), NextPage: nextPage(res.Next, pg)}
	names := make([]string, 0, len(res.Values))
	for _, r := range res.Values {
		out.Repos = append(out.Repos, r.toRepo())
		names = append(names, r.FullName)
	}
	perms, err := p.permissions(ctx, names)
	if err != nil {
		return nil, fmt.Errorf("bitbucket: listing repositories, %s: permissions: %w", what, err)
	}
	for i := range out.Repos {
		out.Repos[i].CanPush = canPush(perms[strings.ToLower(out.Repos[i].FullName)])
	}
	return out, nil
}

func canPush(permission string) bool { return permission == "admin" || permission == "write" }

// permissions reads the caller's permission on each repository by full
// name (lower-cased keys). Credentials refused the permissions listing
// (403) get an empty map: no push access is claimed.
func (p *Provider) permissions(ctx context.Context, names []string) (map[string]string, error) {
	out := make(map[string]string, len(names))
	for len(names) > 0 {
		chunk := names[:min(len(names), permissionChunk)]
		names = names[len(chunk):]
		terms := make([]string, len(chunk))
		for i, n := range chunk {
			terms[i] = "repository.full_name=" + bbqlString(n)
		}
		q := url.Values{"q": {strings.Join(terms, " OR ")}, "pagelen": {"100"}}
		for pg := 1; pg != 0; {
			q.Set("page", strconv.Itoa(pg))
			var res page[struct {
				Permission string `json:"permission"`
				Repository struct {
					FullName string `json:"full_name"`
				} `json:"repository"`
			}]
			if _, err := p.getJSON(ctx, "/user/permissions/repositories", q, &res); err != nil {
				if errors.Is(err, scm.ErrForbidden) && !errors.Is(err, scm.ErrRateLimited) {
					return out, nil
				}
				return nil, err
			}
			for _, v := range res.Values {
				out[strings.ToLower(v.Repository.FullName)] = v.Permission
			}
			if pg = nextPage(res.Next, pg); pg > 10 {
				break // ≤ 40 names fit one page of 100; never loop on a broken next link
			}
		}
	}
	return out, nil
}

// GetRepo reads one repository and the caller's permission on it.
func (p *Provider) GetRepo(ctx context.Context, repo string) (*scm.Repo, error) {
	rp, err := repoPath(repo)
	if err != nil {
		return nil, err
	}
	var r repository
	if _, err := p.getJSON(ctx, rp, nil, &r); err != nil {
		return nil, fmt.Errorf("bitbucket: repository %s: %w", repo, err)
	}
	out := r.toRepo()
	perms, err := p.permissions(ctx, []string{r.FullName})
	if err != nil {
		return nil, fmt.Errorf("bitbucket: repository %s: permissions: %w", repo, err)
	}
	out.CanPush = canPush(perms[strings.ToLower(r.FullName)])
	return &out, nil
}

// BranchHead reads refs/branches/{name}.
func (p *Provider) BranchHead(ctx context.Context, repo, branch string) (string, error) {
	rp, err := repoPath(repo)
	if err != nil {
		return "", err
	}
	head, err := p.branchHead(ctx, rp, branch)
	if err != nil {
		return "", fmt.Errorf("bitbucket: branch %s in %s: %w", branch, repo, err)
	}
	return head, nil
}

func (p *Provider) branchHead(ctx context.Context, rp, branch string) (string, error) {
	var b struct {
		Target struct {
			Hash string `json:"hash"`
		} `json:"target"`
	}
	if _, err := p.getJSON(ctx, rp+"/refs/branches/"+url.PathEscape(branch), nil, &b); err != nil {
		return "", err
	}
	if b.Target.Hash == "" {
		return "", errors.New("no target commit in the answer")
	}
	return b.Target.Hash, nil
}

// CreateBranch posts refs/branches; an existing name is scm.ErrConflict.
func (p *Provider) CreateBranch(ctx context.Context, repo, branch, commit string) error {
	rp, err := repoPath(repo)
	if err != nil {
		return err
	}
	body := map[string]any{"name": branch, "target": map[string]string{"hash": commit}}
	_, err = p.sendJSON(ctx, http.MethodPost, rp+"/refs/branches", body, nil)
	if err == nil {
		return nil
	}
	exists := isBranchExists(err)
	if !exists && statusOf(err) == http.StatusBadRequest {
		// The message did not say why: a branch that is there now is the
		// reason enough.
		_, headErr := p.branchHead(ctx, rp, branch)
		exists = headErr == nil
	}
	if exists {
		return fmt.Errorf("bitbucket: creating branch %s in %s: %w: %w", branch, repo, scm.ErrConflict, err)
	}
	return fmt.Errorf("bitbucket: creating branch %s at %s in %s: %w", branch, commit, repo, err)
}

// ReadFile reads src/{ref}/{path}.
func (p *Provider) ReadFile(ctx context.Context, repo, ref, file string) ([]byte, error) {
	rp, err := repoPath(repo)
	if err != nil {
		return nil, err
	}
	if strings.Trim(file, "/") == "" || ref == "" {
		return nil, fmt.Errorf("bitbucket: file %q at %q in %s: %w", file, ref, repo, scm.ErrNotFound)
	}
	resp, err := p.do(ctx, request{method: http.MethodGet, path: rp + "/src/" + url.PathEscape(ref) + "/" + filePath(file)})
	if err != nil {
		return nil, fmt.Errorf("bitbucket: file %s at %s in %s: %w", file, ref, repo, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxFile+1))
	if err != nil {
		return nil, fmt.Errorf("bitbucket: file %s at %s in %s: %w", file, ref, repo, err)
	}
	if len(b) > maxFile {
		return nil, fmt.Errorf("bitbucket: file %s at %s in %s: larger than %d bytes", file, ref, repo, maxFile)
	}
	return b, nil
}

// CommitFile commits one file on an existing branch with POST src,
// guarded by parents = the head read first.
func (p *Provider) CommitFile(ctx context.Context, repo string, c scm.FileCommit) (string, error) {
	rp, err := repoPath(repo)
	if err != nil {
		return "", err
	}
	file := strings.Trim(c.Path, "/")
	if file == "" {
		return "", fmt.Errorf("bitbucket: committing to %s in %s: empty file path", c.Branch, repo)
	}
	// POST src would create a missing branch; the interface wants it to
	// exist, and its head is the parent the commit must follow.
	head, err := p.branchHead(ctx, rp, c.Branch)
	if err != nil {
		return "", fmt.Errorf("bitbucket: committing %s: branch %s in %s: %w", file, c.Branch, repo, err)
	}
	body, ct, err := commitForm(c, file, head)
	if err != nil {
		return "", err
	}
	resp, err := p.do(ctx, request{method: http.MethodPost, path: rp + "/src", body: body, contentType: ct})
	if err != nil {
		return "", fmt.Errorf("bitbucket: committing %s to branch %s in %s: %w", file, c.Branch, repo, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
	if id := commitFromLocation(resp.Header.Get("Location")); id != "" {
		return id, nil
	}
	id, err := p.branchHead(ctx, rp, c.Branch)
	if err != nil {
		return "", fmt.Errorf("bitbucket: committed %s to branch %s in %s, reading the new head: %w", file, c.Branch, repo, err)
	}
	return id, nil
}

// commitForm is POST src's multipart body.
func commitForm(c scm.FileCommit, file, parent string) (io.Reader, string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fields := [][2]string{{"message", c.Message}, {"branch", c.Branch}, {"parents", parent}}
	if c.Author.Email != "" {
		name := c.Author.Name
		if name == "" {
			name = c.Author.Email
		}
		fields = append(fields, [2]string{"author", fmt.Sprintf("%s <%s>", name, c.Author.Email)})
	}
	for _, f := range fields {
		if err := w.WriteField(f[0], f[1]); err != nil {
			return nil, "", err
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, quote(file), quote(path.Base(file))))
	h.Set("Content-Type", "application/octet-stream")
	part, err := w.CreatePart(h)
	if err != nil {
		return nil, "", err
	}
	if _, err := part.Write(c.Content); err != nil {
		return nil, "", err
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return &buf, w.FormDataContentType(), nil
}

func quote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", "%0D", "\n", "%0A").Replace(s)
}

// commitFromLocation reads the hash of ".../commit/{hash}".
func commitFromLocation(loc string) string {
	if loc == "" {
		return ""
	}
	u, err := url.Parse(loc)
	if err != nil {
		return ""
	}
	dir, hash := path.Split(strings.TrimRight(u.Path, "/"))
	if path.Base(strings.TrimRight(dir, "/")) != "commit" || !isHex(hash) {
		return ""
	}
	return hash
}

func isHex(s string) bool {
	if len(s) < 7 {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}

// OpenPullRequest posts pullrequests.
func (p *Provider) OpenPullRequest(ctx context.Context, repo string, pr scm.NewPullRequest) (*scm.PullRequest, error) {
	rp, err := repoPath(repo)
	if err != nil {
		return nil, err
	}
	type branchRef struct {
		Branch struct {
			Name string `json:"name"`
		} `json:"branch"`
	}
	body := struct {
		Title             string    `json:"title"`
		Description       string    `json:"description"`
		Source            branchRef `json:"source"`
		Destination       branchRef `json:"destination"`
		CloseSourceBranch bool      `json:"close_source_branch"`
	}{Title: pr.Title, Description: pr.Body}
	body.Source.Branch.Name = pr.Head
	body.Destination.Branch.Name = pr.Base
	var out pullRequest
	if _, err := p.sendJSON(ctx, http.MethodPost, rp+"/pullrequests", body, &out); err != nil {
		return nil, fmt.Errorf("bitbucket: opening a pull request from %s into %s in %s: %w", pr.Head, pr.Base, repo, err)
	}
	return out.toPR(), nil
}

// GetPullRequest reads pullrequests/{id}.
func (p *Provider) GetPullRequest(ctx context.Context, repo string, number int64) (*scm.PullRequest, error) {
	rp, err := repoPath(repo)
	if err != nil {
		return nil, err
	}
	var out pullRequest
	if _, err := p.getJSON(ctx, rp+"/pullrequests/"+strconv.FormatInt(number, 10), nil, &out); err != nil {
		return nil, fmt.Errorf("bitbucket: pull request %s#%d: %w", repo, number, err)
	}
	return out.toPR(), nil
}

// CommentPullRequest posts pullrequests/{id}/comments.
func (p *Provider) CommentPullRequest(ctx context.Context, repo string, number int64, body string) error {
	rp, err := repoPath(repo)
	if err != nil {
		return err
	}
	in := map[string]any{"content": map[string]string{"raw": body}}
	if _, err := p.sendJSON(ctx, http.MethodPost, rp+"/pullrequests/"+strconv.FormatInt(number, 10)+"/comments", in, nil); err != nil {
		return fmt.Errorf("bitbucket: commenting on pull request %s#%d: %w", repo, number, err)
	}
	return nil
}

// CreateHook registers a repo:push webhook and returns its uuid.
func (p *Provider) CreateHook(ctx context.Context, repo string, h scm.Hook) (string, error) {
	rp, err := repoPath(repo)
	if err != nil {
		return "", err
	}
	in := struct {
		Description string   `json:"description"`
		URL         string   `json:"url"`
		Active      bool     `json:"active"`
		Events      []string `json:"events"`
		Secret      string   `json:"secret,omitempty"`
	}{Description: "Astrolift", URL: h.URL, Active: true, Events: []string{"repo:push"}, Secret: h.Secret}
	var out struct {
		UUID string `json:"uuid"`
	}
	if _, err := p.sendJSON(ctx, http.MethodPost, rp+"/hooks", in, &out); err != nil {
		return "", fmt.Errorf("bitbucket: creating a webhook in %s: %w", repo, err)
	}
	if out.UUID == "" {
		return "", fmt.Errorf("bitbucket: creating a webhook in %s: no uuid in the answer", repo)
	}
	return out.UUID, nil
}

// DeleteHook deletes hooks/{uuid}.
func (p *Provider) DeleteHook(ctx context.Context, repo, id string) error {
	rp, err := repoPath(repo)
	if err != nil {
		return err
	}
	if id == "" {
		return fmt.Errorf("bitbucket: webhook %q in %s: %w", id, repo, scm.ErrNotFound)
	}
	if _, err := p.sendJSON(ctx, http.MethodDelete, rp+"/hooks/"+url.PathEscape(id), nil, nil); err != nil {
		return fmt.Errorf("bitbucket: deleting webhook %s in %s: %w", id, repo, err)
	}
	return nil
}
