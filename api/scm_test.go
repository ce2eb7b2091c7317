package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	sdk "code.gitea.io/sdk/gitea"

	"github.com/astrolift/astrolift/api"
	"github.com/astrolift/astrolift/drift"
	"github.com/astrolift/astrolift/scm/git"
	"github.com/astrolift/astrolift/store"
)

var repoSeq atomic.Int64

// giteaRepo creates a repository on the test Gitea holding sharedManifest
// and returns its full name.
func giteaRepo(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("app%d", repoSeq.Add(1))
	gitea.CreateRepo(t, "acme", name, map[string]string{"astrolift.toml": sharedManifest})
	return "acme/" + name
}

// giteaConnection stores a connection to the test Gitea, credentials and
// webhook secret sealed as the API seals them.
func (h *harness) giteaConnection(name string) *store.SCMConnection {
	h.t.Helper()
	raw, err := json.Marshal(git.Credentials{Token: gitea.Token})
	must(h.t, err)
	conn := &store.SCMConnection{OrgID: h.org.ID, Kind: "gitea", Name: name, BaseURL: gitea.URL,
		CredentialsSealed: h.box.Seal(git.SealPurpose, raw), WebhookSecretSealed: h.box.Seal(api.PurposeWebhookSecret, []byte("s3cret"))}
	must(h.t, h.s.CreateSCMConnection(context.Background(), conn))
	return conn
}

// connectedApp registers an app on repo through conn, synced.
func (h *harness) connectedApp(conn *store.SCMConnection, repo, slug string) *store.App {
	h.t.Helper()
	ctx := context.Background()
	app := &store.App{OrgID: h.org.ID, ProjectID: h.project.ID, Slug: slug, Name: slug, SourceURL: gitea.URL + "/" + repo + ".git",
		SourceKind: "gitea", SCMConnectionID: conn.ID, SCMRepo: repo}
	must(h.t, h.s.CreateApp(ctx, app))
	must(h.t, h.s.SetSnapshot(ctx, app.ID, store.Snapshot{Raw: sharedManifest, Commit: "c0", BlobID: drift.BlobID([]byte(sharedManifest))}, false))
	return app
}

type pushView struct {
	PullRequest struct {
		Number int64  `json:"number"`
		URL    string `json:"url"`
		State  string `json:"state"`
	} `json:"pull_request"`
	Branch  string `json:"branch"`
	Commit  string `json:"commit"`
	Merged  bool   `json:"merged"`
	Updated bool   `json:"updated"`
	Config  struct {
		SyncState string `json:"sync_state"`
		Draft     *struct {
			PRNumber int64  `json:"pr_number"`
			PRState  string `json:"pr_state"`
			PRBranch string `json:"pr_branch"`
		} `json:"draft"`
	} `json:"config"`
}

func ok(t *testing.T, res response, want int) {
	t.Helper()
	if res.Code != want {
		t.Fatalf("got %d, want %d: %s", res.Code, want, res.body)
	}
}

// TestConnectionsAndRegistrationWithGitea: a connection is tested before
// it is stored, lists the host's repositories, and registering an app
// from one fills its source and registers the push webhook (removed on
// delete).
func TestConnectionsAndRegistrationWithGitea(t *testing.T) {
	h := newHarness(t)
	owner := h.user("owner@acme.test", "org.owner")
	repo := giteaRepo(t)
	owner2, name, _ := strings.Cut(repo, "/")

	res := h.do(request{method: http.MethodPost, path: "/api/v1/scm-connections", token: owner,
		body: map[string]any{"kind": "gitea", "name": "gitea", "base_url": gitea.URL, "token": "not-a-valid-token-0000"}})
	if code, field := res.errorCode(); res.Code != http.StatusUnprocessableEntity || code != "scm_unauthorized" || field != "token" {
		t.Fatalf("bad token: %d %s", res.Code, res.body)
	}
	var conn struct {
		ID       int64  `json:"id"`
		Account  string `json:"account"`
		CanWrite bool   `json:"can_write"`
		TestedAt string `json:"tested_at"`
	}
	res = h.do(request{method: http.MethodPost, path: "/api/v1/scm-connections", token: owner,
		body: map[string]any{"kind": "gitea", "name": "gitea", "base_url": gitea.URL, "token": gitea.Token}})
	ok(t, res, http.StatusCreated)
	res.decode(t, &conn)
	if conn.Account != gitea.Admin || !conn.CanWrite || conn.TestedAt == "" {
		t.Fatalf("created connection = %s", res.body)
	}
	if strings.Contains(string(res.body), gitea.Token) {
		t.Fatal("the token is in the answer")
	}
	var list struct{ Items []json.RawMessage }
	h.do(request{method: http.MethodGet, path: "/api/v1/scm-connections", token: owner}).decode(t, &list)
	if len(list.Items) != 1 { // the refused one was not stored
		t.Fatalf("connections = %d", len(list.Items))
	}
	res = h.do(request{method: http.MethodPost, path: fmt.Sprintf("/api/v1/scm-connections/%d/test", conn.ID), token: owner})
	ok(t, res, http.StatusOK)

	res = h.do(request{method: http.MethodGet, path: fmt.Sprintf("/api/v1/scm-connections/%d/repos?q=%s&per_page=10", conn.ID, name), token: owner})
	ok(t, res, http.StatusOK)
	var tagged struct {
		Items []struct {
			FullName      string `json:"full_name"`
			CloneURL      string `json:"clone_url"`
			DefaultBranch string `json:"default_branch"`
			Kind          string `json:"kind"`
			CanPush       bool   `json:"can_push"`
		} `json:"items"`
	}
	res.decode(t, &tagged)
	if len(tagged.Items) != 1 || tagged.Items[0].FullName != repo || tagged.Items[0].Kind != "gitea" || !tagged.Items[0].CanPush ||
		tagged.Items[0].DefaultBranch != "main" || !strings.HasSuffix(tagged.Items[0].CloneURL, "/"+repo+".git") {
		t.Fatalf("repos?q=%s = %s", name, res.body)
	}

	res = h.do(request{method: http.MethodPost, path: "/api/v1/apps", token: owner,
		body: map[string]any{"project": h.project.Slug, "name": "Picked", "scm_connection": "gitea", "scm_repo": repo}})
	ok(t, res, http.StatusCreated)
	var dto map[string]any
	res.decode(t, &dto)
	if dto["source_url"] != tagged.Items[0].CloneURL || dto["source_kind"] != "gitea" || dto["deploy_branch"] != "main" ||
		dto["scm_repo"] != repo || dto["scm_webhook"] != true {
		t.Fatalf("registered app = %s", res.body)
	}
	hooks, _, err := gitea.Client(t).ListRepoHooks(owner2, name, sdk.ListHooksOptions{})
	must(t, err)
	want := fmt.Sprintf("http://astrolift.test/api/v1/hooks/gitea/%d", conn.ID)
	if len(hooks) != 1 || hooks[0].Config["url"] != want || !hooks[0].Active {
		t.Fatalf("hooks on %s = %+v, want one posting to %s", repo, hooks, want)
	}

	res = h.do(request{method: http.MethodPost, path: "/api/v1/apps", token: owner,
		body: map[string]any{"project": h.project.Slug, "name": "Missing", "scm_connection": "gitea", "scm_repo": "acme/no-such-repo"}})
	if code, field := res.errorCode(); res.Code != http.StatusNotFound || code != "scm_not_found" || field != "scm_repo" {
		t.Fatalf("missing repository: %d %s", res.Code, res.body)
	}

	ok(t, h.do(request{method: http.MethodDelete, path: "/api/v1/apps/picked", token: owner}), http.StatusNoContent)
	hooks, _, err = gitea.Client(t).ListRepoHooks(owner2, name, sdk.ListHooksOptions{})
	must(t, err)
	if len(hooks) != 0 {
		t.Fatalf("hooks after delete = %+v", hooks)
	}
}

// TestHostRateLimitPassedOn: a host's rate limit answers 429 with the
// host's Retry-After, and nothing is stored.
func TestHostRateLimitPassedOn(t *testing.T) {
	h := newHarness(t)
	owner := h.user("owner@acme.test", "org.owner")
	limited := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "9")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"message":"rate limit exceeded"}`))
	}))
	defer limited.Close()
	res := h.do(request{method: http.MethodPost, path: "/api/v1/scm-connections", token: owner,
		body: map[string]any{"kind": "gitea", "name": "busy", "base_url": limited.URL, "token": "t"}})
	if code, _ := res.errorCode(); res.Code != http.StatusTooManyRequests || code != "scm_rate_limited" || res.Header().Get("Retry-After") != "9" {
		t.Fatalf("rate-limited host: %d %v %s", res.Code, res.Header(), res.body)
	}
	if conns, _ := h.s.ListSCMConnections(context.Background(), h.org.ID); len(conns) != 0 {
		t.Fatalf("stored %d connections", len(conns))
	}
}

// TestPushToRepo: a draft becomes a branch, a commit and a pull request on
// Gitea with the rendered diff; pushing an edit updates the same pull
// request; merging it makes the poller clear the draft, take the
// repository's text and queue a push deployment.
func TestPushToRepo(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	dev := h.user("dev@acme.test", "team.member")
	repo := giteaRepo(t)
	owner, name, _ := strings.Cut(repo, "/")
	app := h.connectedApp(h.giteaConnection("gitea"), repo, "store")
	env := &store.Environment{AppID: app.ID, Name: "staging", Namespace: "store-staging", ClusterID: h.env.ClusterID}
	must(t, h.s.CreateEnvironment(ctx, env))
	base := "/api/v1/apps/store/config"

	draft := strings.Replace(sharedManifest, "nginx:1.27", "nginx:1.28", 1)
	ok(t, h.do(request{method: http.MethodPut, path: base + "/draft", token: dev, body: map[string]string{"source": draft}}), http.StatusOK)
	res := h.do(request{method: http.MethodPost, path: base + "/push", token: dev})
	ok(t, res, http.StatusOK)
	var pv pushView
	res.decode(t, &pv)
	if pv.PullRequest.Number == 0 || pv.PullRequest.State != "open" || pv.Merged || pv.Updated ||
		!strings.HasPrefix(pv.Branch, "astrolift/store/") || pv.Config.SyncState != "drafts" ||
		pv.Config.Draft == nil || pv.Config.Draft.PRNumber != pv.PullRequest.Number || pv.Config.Draft.PRState != "open" {
		t.Fatalf("push = %s", res.body)
	}
	c := gitea.Client(t)
	pr, _, err := c.GetPullRequest(owner, name, pv.PullRequest.Number)
	must(t, err)
	for _, want := range []string{"dev@acme.test", "-image = \"nginx:1.27\"", "+image = \"nginx:1.28\"", "**staging** (namespace `store-staging`)",
		"`Deployment/store-web` changed", "-        image: nginx:1.27", "+        image: nginx:1.28", "Secret values are masked"} {
		if !strings.Contains(pr.Body, want) {
			t.Errorf("pull request body lacks %q:\n%s", want, pr.Body)
		}
	}
	if pr.Head.Ref != pv.Branch || pr.Base.Ref != "main" || pr.HTMLURL != pv.PullRequest.URL {
		t.Errorf("pull request = %s → %s, %s", pr.Head.Ref, pr.Base.Ref, pr.HTMLURL)
	}
	onBranch, _, err := c.GetFile(owner, name, pv.Branch, "astrolift.toml")
	must(t, err)
	if string(onBranch) != draft {
		t.Fatalf("branch holds %q, want the draft", onBranch)
	}

	// An edit of the draft goes to the same pull request.
	draft2 := draft + "# reviewed\n"
	ok(t, h.do(request{method: http.MethodPut, path: base + "/draft", token: dev, body: map[string]string{"source": draft2}}), http.StatusOK)
	res = h.do(request{method: http.MethodPost, path: base + "/push", token: dev})
	ok(t, res, http.StatusOK)
	var pv2 pushView
	res.decode(t, &pv2)
	if !pv2.Updated || pv2.PullRequest.Number != pv.PullRequest.Number || pv2.Branch != pv.Branch {
		t.Fatalf("second push = %s", res.body)
	}
	comments, _, err := c.ListIssueComments(owner, name, pv.PullRequest.Number, sdk.ListIssueCommentOptions{})
	must(t, err)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "new version of the draft") {
		t.Fatalf("comments = %+v", comments)
	}

	// Merged on Gitea: the poller sees the repository catch up.
	gitea.MergePR(t, repo, pv.PullRequest.Number)
	must(t, h.poller.PollOnce(ctx))
	var v struct {
		SyncState string `json:"sync_state"`
		Source    string `json:"source"`
		Draft     any    `json:"draft"`
	}
	h.do(request{method: http.MethodGet, path: base, token: dev}).decode(t, &v)
	if v.SyncState != "in_sync" || v.Draft != nil || v.Source != draft2 {
		t.Fatalf("after merge: %+v", v)
	}
	deps, err := h.s.ListDeployments(ctx, store.DeploymentFilter{AppID: app.ID})
	must(t, err)
	if len(deps) != 1 || deps[0].Trigger != "push" || deps[0].EnvironmentID != env.ID || deps[0].ManifestRaw != draft2 {
		t.Fatalf("deployments after merge = %+v", deps)
	}
}

// TestPushDiverged: a draft whose repository moved is merged onto it when
// the changes do not overlap, and refused with the conflicting lines when
// they do, leaving the repository untouched. A pull request closed
// without merging leaves the draft.
func TestPushDiverged(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	dev := h.user("dev@acme.test", "team.member")
	repo := giteaRepo(t)
	owner, name, _ := strings.Cut(repo, "/")
	h.connectedApp(h.giteaConnection("gitea"), repo, "store")
	base := "/api/v1/apps/store/config"
	configState := func() (string, map[string]any) {
		var v struct {
			SyncState string         `json:"sync_state"`
			Draft     map[string]any `json:"draft"`
		}
		h.do(request{method: http.MethodGet, path: base, token: dev}).decode(t, &v)
		return v.SyncState, v.Draft
	}

	// Clean: the draft changes the image, someone adds a comment on top.
	draft := strings.Replace(sharedManifest, "nginx:1.27", "nginx:1.28", 1)
	ok(t, h.do(request{method: http.MethodPut, path: base + "/draft", token: dev, body: map[string]string{"source": draft}}), http.StatusOK)
	theirs := "# owned by team payments\n" + sharedManifest
	gitea.WriteFile(t, repo, "main", "astrolift.toml", theirs, "concurrent edit")
	must(t, h.poller.PollOnce(ctx))
	if s, _ := configState(); s != "diverged" {
		t.Fatalf("state after the concurrent commit = %s, want diverged", s)
	}
	res := h.do(request{method: http.MethodPost, path: base + "/push", token: dev})
	ok(t, res, http.StatusOK)
	var pv pushView
	res.decode(t, &pv)
	merged := "# owned by team payments\n" + draft
	onBranch, _, err := gitea.Client(t).GetFile(owner, name, pv.Branch, "astrolift.toml")
	must(t, err)
	if !pv.Merged || string(onBranch) != merged || pv.Config.SyncState != "drafts" {
		t.Fatalf("merged push = %s; branch holds %q", res.body, onBranch)
	}
	pr, _, err := gitea.Client(t).GetPullRequest(owner, name, pv.PullRequest.Number)
	must(t, err)
	if !strings.Contains(pr.Body, "merged onto it line by line") {
		t.Errorf("the pull request does not say the draft was merged:\n%s", pr.Body)
	}
	gitea.MergePR(t, repo, pv.PullRequest.Number)
	must(t, h.poller.PollOnce(ctx))
	if s, d := configState(); s != "in_sync" || d != nil {
		t.Fatalf("after merging the merged draft: %s %v", s, d)
	}

	// Conflict: both change the image line.
	draft = strings.Replace(merged, "nginx:1.28", "nginx:1.30", 1)
	ok(t, h.do(request{method: http.MethodPut, path: base + "/draft", token: dev, body: map[string]string{"source": draft}}), http.StatusOK)
	theirs = strings.Replace(merged, "nginx:1.28", "nginx:1.31", 1)
	head := gitea.WriteFile(t, repo, "main", "astrolift.toml", theirs, "concurrent image bump")
	branches, _, err := gitea.Client(t).ListRepoBranches(owner, name, sdk.ListRepoBranchesOptions{})
	must(t, err)
	res = h.do(request{method: http.MethodPost, path: base + "/push", token: dev})
	var e struct {
		Error struct {
			Code      string `json:"code"`
			Message   string `json:"message"`
			Conflicts []struct {
				OursLine   int      `json:"ours_line"`
				TheirsLine int      `json:"theirs_line"`
				Ours       []string `json:"ours"`
				Theirs     []string `json:"theirs"`
			} `json:"conflicts"`
		} `json:"error"`
	}
	res.decode(t, &e)
	if res.Code != http.StatusConflict || e.Error.Code != "merge_conflict" || len(e.Error.Conflicts) != 1 ||
		e.Error.Conflicts[0].OursLine != 6 || e.Error.Conflicts[0].TheirsLine != 6 ||
		e.Error.Conflicts[0].Ours[0] != "image = \"nginx:1.30\"\n" || e.Error.Conflicts[0].Theirs[0] != "image = \"nginx:1.31\"\n" ||
		!strings.Contains(e.Error.Message, "line 6") {
		t.Fatalf("conflicting push: %d %s", res.Code, res.body)
	}
	after, _, err := gitea.Client(t).ListRepoBranches(owner, name, sdk.ListRepoBranchesOptions{})
	must(t, err)
	if len(after) != len(branches) {
		t.Errorf("a conflicting push created a branch: %d → %d", len(branches), len(after))
	}
	mainHead, _, err := gitea.Client(t).GetRepoBranch(owner, name, "main")
	must(t, err)
	if mainHead.Commit.ID != head {
		t.Errorf("main moved to %s, want %s", mainHead.Commit.ID, head)
	}
	if _, d := configState(); d == nil {
		t.Fatal("the conflicting push dropped the draft")
	}

	// Resolve by taking their line plus ours elsewhere; push; close unmerged.
	resolved := strings.Replace(theirs, "port = 80", "port = 8080", 1)
	ok(t, h.do(request{method: http.MethodDelete, path: base + "/draft", token: dev}), http.StatusOK)
	must(t, h.poller.PollOnce(ctx))
	ok(t, h.do(request{method: http.MethodPost, path: base + "/sync", token: dev}), http.StatusOK)
	ok(t, h.do(request{method: http.MethodPut, path: base + "/draft", token: dev, body: map[string]string{"source": resolved}}), http.StatusOK)
	res = h.do(request{method: http.MethodPost, path: base + "/push", token: dev})
	ok(t, res, http.StatusOK)
	res.decode(t, &pv)
	gitea.ClosePR(t, repo, pv.PullRequest.Number)
	s, d := configState()
	if s != "drafts" || d == nil || d["pr_state"] != "closed" {
		t.Fatalf("after closing the pull request: %s %v", s, d)
	}
}

// TestPushRefusals: no draft, an invalid draft and a manual source are
// refused with what to do, and nothing reaches a host.
func TestPushRefusals(t *testing.T) {
	h := newHarness(t)
	dev := h.user("dev@acme.test", "team.member")
	path := "/api/v1/apps/shop/config/push"
	res := h.do(request{method: http.MethodPost, path: path, token: dev})
	if code, _ := res.errorCode(); res.Code != http.StatusConflict || code != "no_draft" {
		t.Fatalf("no draft: %d %s", res.Code, res.body)
	}
	ok(t, h.do(request{method: http.MethodPut, path: "/api/v1/apps/shop/config/draft", token: dev,
		body: map[string]string{"source": sharedManifest + "# edited\n"}}), http.StatusOK)
	res = h.do(request{method: http.MethodPost, path: path, token: dev})
	if code, _ := res.errorCode(); res.Code != http.StatusConflict || code != "manual_source" || !strings.Contains(string(res.body), "without an SCM connection") {
		t.Fatalf("manual source: %d %s", res.Code, res.body)
	}
	var v struct {
		Push struct {
			Available bool   `json:"available"`
			Reason    string `json:"reason"`
		} `json:"push"`
	}
	h.do(request{method: http.MethodGet, path: "/api/v1/apps/shop/config", token: dev}).decode(t, &v)
	if v.Push.Available || v.Push.Reason == "" {
		t.Fatalf("push availability of a manual source = %+v", v.Push)
	}

	repo := giteaRepo(t)
	h.connectedApp(h.giteaConnection("gitea"), repo, "broken")
	ok(t, h.do(request{method: http.MethodPut, path: "/api/v1/apps/broken/config/draft", token: dev,
		body: map[string]string{"source": "schema = 1\n[workloads.web]\nreplicas = \"many\"\n"}}), http.StatusOK)
	res = h.do(request{method: http.MethodPost, path: "/api/v1/apps/broken/config/push", token: dev})
	if res.Code != http.StatusUnprocessableEntity {
		t.Fatalf("invalid draft: %d %s", res.Code, res.body)
	}
	owner, name, _ := strings.Cut(repo, "/")
	prs, _, err := gitea.Client(t).ListRepoPullRequests(owner, name, sdk.ListPullRequestsOptions{State: sdk.StateAll})
	must(t, err)
	if len(prs) != 0 {
		t.Fatalf("an invalid draft opened %d pull requests", len(prs))
	}
}
