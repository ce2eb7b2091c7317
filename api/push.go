package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/pmezard/go-difflib/difflib"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/astrolift/astrolift/drift"
	"github.com/astrolift/astrolift/internal/merge3"
	"github.com/astrolift/astrolift/render"
	"github.com/astrolift/astrolift/scm"
	"github.com/astrolift/astrolift/store"
)

type pushResponse struct {
	PullRequest scm.PullRequest `json:"pull_request"`
	Repository  string          `json:"repository"`
	Branch      string          `json:"branch"`
	Commit      string          `json:"commit"`
	// Merged: the repository's manifest had moved since the draft was
	// made; the draft was three-way merged onto it.
	Merged bool `json:"merged"`
	// Updated: the draft's open pull request got a new commit instead of
	// a new pull request being opened.
	Updated bool            `json:"updated"`
	Config  *configResponse `json:"config"`
}

// maxPRBody keeps pull request descriptions under the hosts' limits
// (GitHub: 65,536 characters).
const maxPRBody = 60000

// pushDraft is Push to repo: it commits the staged draft on a branch of
// the app's repository and opens a pull request against the deploy branch.
// If the repository's manifest moved since the draft was made, the draft
// is first merged onto it line by line; a conflict answers 409 with the
// conflicting lines and pushes nothing, so the repository's changes are
// never overwritten. A draft with an open pull request updates it.
func (a *API) pushDraft(c *gin.Context) {
	app := c.MustGet("app").(*store.App)
	p := principalOf(c)
	d := app.Draft
	if d == nil {
		a.fail(c, &Error{Status: http.StatusConflict, Code: "no_draft", Message: "app " + app.Slug + " has no draft to push; save one first"})
		return
	}
	if app.SCMConnectionID == 0 {
		a.fail(c, &Error{Status: http.StatusConflict, Code: "manual_source",
			Message: "app " + app.Slug + " reads " + app.SourceURL + " without an SCM connection, so Astrolift cannot push to it; " +
				"commit the draft to " + app.ManifestPath + " yourself, or register the app from a connection with write access"})
		return
	}
	if _, err := render.Parse(app.ManifestPath, []byte(d.Raw)); err != nil {
		a.fail(c, err) // an invalid draft never becomes a pull request
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*scmTimeout)
	defer cancel()
	conn, err := a.store.GetSCMConnection(ctx, app.SCMConnectionID)
	if err != nil {
		a.fail(c, &Error{Status: http.StatusConflict, Code: "manual_source", Message: "app " + app.Slug + ": its SCM connection was deleted"})
		return
	}
	prov, err := a.provider(conn)
	if err != nil {
		a.fail(c, err)
		return
	}
	repo := app.SCMRepo
	if repo == "" {
		repo = repoFullName(app.SourceURL, conn.BaseURL)
	}
	res, err := a.push(ctx, app, prov, repo, p.user)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			err = scmError(conn, err)
		}
		a.fail(c, err)
		return
	}
	verb := "opened"
	if res.Updated {
		verb = "updated"
	}
	a.event(ctx, app.OrgID, app.ID, "config.pushed", p.user.Email,
		fmt.Sprintf("draft pushed to %s on branch %s; pull request #%d %s: %s", repo, res.Branch, res.PullRequest.Number, verb, res.PullRequest.URL))
	fresh, err := a.store.GetAppByID(ctx, app.ID)
	if err == nil {
		res.Config, err = a.configView(ctx, fresh)
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

func (a *API) push(ctx context.Context, app *store.App, prov scm.Provider, repo string, user *store.User) (*pushResponse, error) {
	d := app.Draft
	r, err := prov.GetRepo(ctx, repo)
	if err != nil {
		return nil, err
	}
	if !r.CanPush {
		return nil, &Error{Status: http.StatusConflict, Code: "no_write_access",
			Message: "the connection's credentials cannot push to " + repo + "; give them write access, or commit the draft yourself"}
	}
	head, err := prov.BranchHead(ctx, repo, app.DeployBranch)
	if err != nil {
		return nil, err
	}
	current := ""
	if raw, err := prov.ReadFile(ctx, repo, head, app.ManifestPath); err == nil {
		current = string(raw)
	} else if !errors.Is(err, scm.ErrNotFound) {
		return nil, err
	}
	curBlob := drift.BlobID([]byte(current))
	if curBlob == drift.BlobID([]byte(d.Raw)) {
		return nil, &Error{Status: http.StatusConflict, Code: "already_landed",
			Message: fmt.Sprintf("%s at %s already holds the draft; it clears at the next check of the repository", app.ManifestPath, shortCommit(head))}
	}
	out := &pushResponse{Repository: repo}
	text := d.Raw
	if curBlob != d.BaseBlobID {
		base := d.BaseRaw
		if base == "" && d.BaseBlobID == app.Manifest.BlobID {
			base = app.Manifest.Raw
		}
		if d.BaseBlobID != "" && drift.BlobID([]byte(base)) != d.BaseBlobID {
			return nil, &Error{Status: http.StatusConflict, Code: "base_unknown",
				Message: "the text the draft was made from is not known, so it cannot be merged onto the repository's newer " + app.ManifestPath + "; copy your edit, sync from the repository and save it again"}
		}
		merged, conflicts := merge3.Merge(base, d.Raw, current)
		if len(conflicts) > 0 {
			return nil, mergeConflict(app, head, conflicts)
		}
		if _, err := render.Parse(app.ManifestPath, []byte(merged)); err != nil {
			return nil, &Error{Status: http.StatusConflict, Code: "merge_conflict",
				Message: fmt.Sprintf("the draft merges onto %s at %s without overlapping lines, but the result is not a valid manifest (%v); nothing was pushed", app.ManifestPath, shortCommit(head), err)}
		}
		text, out.Merged = merged, true
	}

	if d.PRState == scm.PROpen && d.PRBranch != "" {
		if pr, err := prov.GetPullRequest(ctx, repo, d.PRNumber); err == nil && pr.State == scm.PROpen {
			out.Branch, out.Updated = d.PRBranch, true
		}
	}
	if out.Branch == "" {
		out.Branch = fmt.Sprintf("astrolift/%s/%s", app.Slug, drift.BlobID([]byte(text))[:7])
		// The branch is named after the text, so a retry of a push that
		// failed half way finds its own branch.
		if err := prov.CreateBranch(ctx, repo, out.Branch, head); err != nil && !errors.Is(err, scm.ErrConflict) {
			return nil, err
		}
	}
	if onBranch, err := prov.ReadFile(ctx, repo, out.Branch, app.ManifestPath); err == nil && string(onBranch) == text {
		out.Commit, err = prov.BranchHead(ctx, repo, out.Branch)
		if err != nil {
			return nil, err
		}
	} else {
		author := scm.Author{Name: user.Name, Email: user.Email}
		if author.Name == "" {
			author.Name = user.Email
		}
		msg := fmt.Sprintf("Update %s of %s from the Astrolift dashboard\n\nStaged by %s.", app.ManifestPath, app.Slug, user.Email)
		out.Commit, err = prov.CommitFile(ctx, repo, scm.FileCommit{Branch: out.Branch, Path: app.ManifestPath, Content: []byte(text), Message: msg, Author: author})
		if err != nil {
			return nil, err
		}
	}

	body := a.prBody(ctx, app, user, current, text, head, out.Merged)
	var pr *scm.PullRequest
	if out.Updated {
		note := fmt.Sprintf("Astrolift pushed a new version of the draft (%s).\n\n%s", shortCommit(out.Commit), body)
		if err := prov.CommentPullRequest(ctx, repo, d.PRNumber, truncate(note, maxPRBody)); err != nil {
			return nil, err
		}
		pr, err = prov.GetPullRequest(ctx, repo, d.PRNumber)
	} else {
		pr, err = prov.OpenPullRequest(ctx, repo, scm.NewPullRequest{
			Title: fmt.Sprintf("Astrolift: update %s of %s", app.ManifestPath, app.Slug),
			Body:  body, Head: out.Branch, Base: app.DeployBranch})
	}
	if err != nil {
		return nil, err
	}
	out.PullRequest = *pr
	rec := store.Draft{Raw: text, BaseBlobID: curBlob, BaseRaw: current, PRURL: pr.URL, PRNumber: pr.Number, PRBranch: out.Branch, PRState: pr.State}
	if err := a.store.SetDraftPR(ctx, app.ID, d.Raw, rec); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, &Error{Status: http.StatusConflict, Code: "draft_changed",
				Message: fmt.Sprintf("the draft was saved again while it was being pushed; pull request #%d (%s) carries the earlier text: push again", pr.Number, pr.URL)}
		}
		return nil, err
	}
	return out, nil
}

// mergeConflict is the 409 of a draft that conflicts with the repository.
func mergeConflict(app *store.App, head string, conflicts []merge3.Conflict) *Error {
	var where []string
	for _, c := range conflicts {
		where = append(where, fmt.Sprintf("draft %s vs repository %s",
			lineRange(c.OursLine, len(c.Ours)), lineRange(c.TheirsLine, len(c.Theirs))))
	}
	return &Error{Status: http.StatusConflict, Code: "merge_conflict", Field: "source", Conflicts: conflicts,
		Message: fmt.Sprintf("%s changed in the repository since the draft was made (now at %s) and %d region(s) conflict with the draft (%s); nothing was pushed: edit the draft to resolve them, or sync from the repository",
			app.ManifestPath, shortCommit(head), len(conflicts), strings.Join(where, "; "))}
}

func lineRange(start, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("before line %d", start)
	case 1:
		return fmt.Sprintf("line %d", start)
	}
	return fmt.Sprintf("lines %d-%d", start, start+n-1)
}

// prBody is the pull request's description: who staged the change, the
// manifest's diff and, per environment, which Kubernetes objects change
// and their rendered diff (Secret values masked).
func (a *API) prBody(ctx context.Context, app *store.App, user *store.User, before, after, head string, merged bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Staged in the Astrolift dashboard by %s. Merging updates `%s` on `%s`", user.Email, app.ManifestPath, app.DeployBranch)
	if app.TriggerMode == "push" {
		b.WriteString("; Astrolift then deploys it to the environments below.\n")
	} else {
		fmt.Fprintf(&b, "; the app deploys on %s trigger, so nothing deploys until someone does.\n", app.TriggerMode)
	}
	if merged {
		fmt.Fprintf(&b, "\n> The repository's `%s` changed since the draft was made (now at %s); the draft was merged onto it line by line, without conflicts.\n",
			app.ManifestPath, shortCommit(head))
	}
	fmt.Fprintf(&b, "\n### `%s`\n\n```diff\n%s```\n", app.ManifestPath, unifiedDiff(before, after, "a/"+app.ManifestPath, "b/"+app.ManifestPath))

	m, err := render.Parse(app.ManifestPath, []byte(after))
	if err != nil {
		return b.String()
	}
	var old *render.Manifest
	if before != "" {
		old, _ = render.Parse(app.ManifestPath, []byte(before))
	}
	targets, err := a.previewTargets(ctx, app, m)
	if err != nil {
		return b.String()
	}
	b.WriteString("\n### Kubernetes changes\n")
	details := make([]string, 0, len(targets))
	for _, t := range targets {
		in := render.Input{App: app.Slug, Environment: t.Environment, Namespace: t.Namespace}
		var was []*unstructured.Unstructured
		if old != nil {
			was, _ = render.Preview(old, in)
		}
		now, err := render.Preview(m, in)
		if err != nil {
			fmt.Fprintf(&b, "\n**%s**: does not render: %v\n", t.Environment, err)
			continue
		}
		summary, diff := objectChanges(was, now)
		ns := now[0].GetNamespace()
		if len(summary) == 0 {
			fmt.Fprintf(&b, "\n**%s** (namespace `%s`): no object changes.\n", t.Environment, ns)
			continue
		}
		fmt.Fprintf(&b, "\n**%s** (namespace `%s`):\n", t.Environment, ns)
		for _, s := range summary {
			b.WriteString("- " + s + "\n")
		}
		details = append(details, fmt.Sprintf("\n<details><summary>Rendered diff: %s</summary>\n\n```diff\n%s```\n</details>\n", t.Environment, diff))
	}
	b.WriteString("\nSecret values are masked.\n")
	for _, d := range details {
		if b.Len()+len(d) > maxPRBody-200 {
			b.WriteString("\n_More rendered diffs are too long for this description; the app's Config page shows them._\n")
			break
		}
		b.WriteString(d)
	}
	return b.String()
}

// objectChanges compares two renderings object by object: a line per
// added, removed or changed object, and the unified diff of the YAML.
func objectChanges(was, now []*unstructured.Unstructured) ([]string, string) {
	key := func(o *unstructured.Unstructured) string { return o.GetKind() + "/" + o.GetName() }
	docs := func(objs []*unstructured.Unstructured) map[string]string {
		out := map[string]string{}
		for _, o := range objs {
			y, err := render.YAML([]*unstructured.Unstructured{o})
			if err == nil {
				out[key(o)] = string(y)
			}
		}
		return out
	}
	a, b := docs(was), docs(now)
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var summary []string
	var diff strings.Builder
	for _, k := range keys {
		before, inA := a[k]
		after, inB := b[k]
		switch {
		case !inA:
			summary = append(summary, "`"+k+"` added")
		case !inB:
			summary = append(summary, "`"+k+"` removed")
		case before != after:
			summary = append(summary, "`"+k+"` changed")
		default:
			continue
		}
		diff.WriteString(unifiedDiff(before, after, k+" (before)", k+" (after)"))
	}
	return summary, diff.String()
}

func unifiedDiff(a, b, from, to string) string {
	out, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(a), B: difflib.SplitLines(b), FromFile: from, ToFile: to, Context: 3})
	if out != "" && !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "\n…"
}
