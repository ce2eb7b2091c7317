package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/astrolift/astrolift/scm"
)

// Kinds of webhook senders: the hosts of package scm, and generic senders
// (CI, scripts) that sign with the Astrolift scheme.
const (
	GitHub    = scm.GitHub
	GitLab    = scm.GitLab
	Gitea     = scm.Gitea
	Bitbucket = scm.Bitbucket
	Generic   = "generic"
)

// Errors Verify returns, wrapped with the header or field concerned.
var (
	ErrSignature   = errors.New("signature missing or wrong")
	ErrStale       = errors.New("delivery too old")
	ErrNotPush     = errors.New("not a push event")
	ErrPayload     = errors.New("payload not understood")
	ErrUnknownKind = errors.New("unknown webhook kind")
)

// MaxAge bounds the age of a generic delivery's timestamp.
const MaxAge = 5 * time.Minute

// Push is what a verified push delivery says.
type Push struct {
	Delivery string   // the sender's delivery id, for replay protection
	Repos    []string // the repository's URLs as the sender names them (clone, ssh, web)
	Branch   string   // "main" from refs/heads/main; "" for tag pushes
	After    string   // the new head commit; "" when the branch was deleted
}

// Verify checks a delivery's signature with secret and parses its push.
// now is the clock for generic timestamps.
func Verify(kind string, secret []byte, h http.Header, body []byte, now time.Time) (*Push, error) {
	if len(secret) == 0 {
		return nil, fmt.Errorf("no webhook secret configured: %w", ErrSignature)
	}
	switch kind {
	case GitHub:
		if err := checkHMAC(h.Get("X-Hub-Signature-256"), "sha256=", secret, body, "X-Hub-Signature-256"); err != nil {
			return nil, err
		}
		if ev := h.Get("X-GitHub-Event"); ev != "push" {
			return nil, fmt.Errorf("X-GitHub-Event %q: %w", ev, ErrNotPush)
		}
		return parseGitHubLike(body, h.Get("X-GitHub-Delivery"))
	case Gitea:
		if err := checkHMAC(h.Get("X-Gitea-Signature"), "", secret, body, "X-Gitea-Signature"); err != nil {
			return nil, err
		}
		if ev := h.Get("X-Gitea-Event"); ev != "push" {
			return nil, fmt.Errorf("X-Gitea-Event %q: %w", ev, ErrNotPush)
		}
		return parseGitHubLike(body, h.Get("X-Gitea-Delivery"))
	case GitLab:
		if subtle.ConstantTimeCompare([]byte(h.Get("X-Gitlab-Token")), secret) != 1 {
			return nil, fmt.Errorf("X-Gitlab-Token: %w", ErrSignature)
		}
		if ev := h.Get("X-Gitlab-Event"); ev != "Push Hook" {
			return nil, fmt.Errorf("X-Gitlab-Event %q: %w", ev, ErrNotPush)
		}
		return parseGitLab(body, h.Get("X-Gitlab-Event-UUID"))
	case Bitbucket:
		if err := checkHMAC(h.Get("X-Hub-Signature"), "sha256=", secret, body, "X-Hub-Signature"); err != nil {
			return nil, err
		}
		if ev := h.Get("X-Event-Key"); ev != "repo:push" {
			return nil, fmt.Errorf("X-Event-Key %q: %w", ev, ErrNotPush)
		}
		return parseBitbucket(body, h.Get("X-Request-UUID"))
	case Generic:
		ts := h.Get("X-Astrolift-Timestamp")
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("X-Astrolift-Timestamp %q: %w", ts, ErrSignature)
		}
		if age := now.Sub(time.Unix(sec, 0)); age > MaxAge || age < -MaxAge {
			return nil, fmt.Errorf("X-Astrolift-Timestamp is %s off: %w", age.Round(time.Second), ErrStale)
		}
		if err := checkHMAC(h.Get("X-Astrolift-Signature"), "sha256=", secret, append([]byte(ts+"."), body...), "X-Astrolift-Signature"); err != nil {
			return nil, err
		}
		var p struct {
			Repository string `json:"repository"`
			Branch     string `json:"branch"`
			Commit     string `json:"commit"`
		}
		if err := json.Unmarshal(body, &p); err != nil || p.Repository == "" || p.Branch == "" {
			return nil, fmt.Errorf("generic payload needs {\"repository\", \"branch\"}: %w", ErrPayload)
		}
		return &Push{Delivery: h.Get("X-Astrolift-Delivery"), Repos: []string{p.Repository}, Branch: p.Branch, After: p.Commit}, nil
	}
	return nil, fmt.Errorf("%q: %w", kind, ErrUnknownKind)
}

// Sign computes the generic sender's signature header value; senders (and
// tests) use it.
func Sign(secret []byte, timestamp string, body []byte) string {
	return "sha256=" + hexHMAC(secret, append([]byte(timestamp+"."), body...))
}

// SignBody computes the body signature GitHub (X-Hub-Signature-256) and
// Bitbucket (X-Hub-Signature) send; senders (and tests) use it.
func SignBody(secret, body []byte) string {
	return "sha256=" + hexHMAC(secret, body)
}

func hexHMAC(secret, data []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(data)
	return hex.EncodeToString(m.Sum(nil))
}

func checkHMAC(header, prefix string, secret, data []byte, name string) error {
	got, ok := strings.CutPrefix(header, prefix)
	if !ok || got == "" {
		return fmt.Errorf("%s: %w", name, ErrSignature)
	}
	want := hexHMAC(secret, data)
	if !hmac.Equal([]byte(strings.ToLower(got)), []byte(want)) {
		return fmt.Errorf("%s: %w", name, ErrSignature)
	}
	return nil
}

func branchOf(ref string) string {
	b, _ := strings.CutPrefix(ref, "refs/heads/")
	if b == ref {
		return ""
	}
	return b
}

const zeroCommit = "0000000000000000000000000000000000000000"

func after(c string) string {
	if c == zeroCommit {
		return ""
	}
	return c
}

// parseGitHubLike reads GitHub's and Gitea's push payloads (same shape).
func parseGitHubLike(body []byte, delivery string) (*Push, error) {
	var p struct {
		Ref        string `json:"ref"`
		After      string `json:"after"`
		Repository struct {
			CloneURL string `json:"clone_url"`
			SSHURL   string `json:"ssh_url"`
			HTMLURL  string `json:"html_url"`
		} `json:"repository"`
	}
	if err := json.Unmarshal(body, &p); err != nil || p.Ref == "" {
		return nil, fmt.Errorf("push payload: %w", ErrPayload)
	}
	return &Push{Delivery: delivery, Repos: nonEmpty(p.Repository.CloneURL, p.Repository.SSHURL, p.Repository.HTMLURL),
		Branch: branchOf(p.Ref), After: after(p.After)}, nil
}

func parseGitLab(body []byte, delivery string) (*Push, error) {
	var p struct {
		Ref     string `json:"ref"`
		After   string `json:"after"`
		Project struct {
			HTTPURL string `json:"git_http_url"`
			SSHURL  string `json:"git_ssh_url"`
			WebURL  string `json:"web_url"`
		} `json:"project"`
	}
	if err := json.Unmarshal(body, &p); err != nil || p.Ref == "" {
		return nil, fmt.Errorf("push payload: %w", ErrPayload)
	}
	return &Push{Delivery: delivery, Repos: nonEmpty(p.Project.HTTPURL, p.Project.SSHURL, p.Project.WebURL),
		Branch: branchOf(p.Ref), After: after(p.After)}, nil
}

func parseBitbucket(body []byte, delivery string) (*Push, error) {
	var p struct {
		Repository struct {
			FullName string `json:"full_name"`
			Links    struct {
				HTML struct {
					Href string `json:"href"`
				} `json:"html"`
			} `json:"links"`
		} `json:"repository"`
		Push struct {
			Changes []struct {
				New *struct {
					Type   string `json:"type"`
					Name   string `json:"name"`
					Target struct {
						Hash string `json:"hash"`
					} `json:"target"`
				} `json:"new"`
				Old *struct {
					Type string `json:"type"`
					Name string `json:"name"`
				} `json:"old"`
			} `json:"changes"`
		} `json:"push"`
	}
	if err := json.Unmarshal(body, &p); err != nil || len(p.Push.Changes) == 0 {
		return nil, fmt.Errorf("push payload: %w", ErrPayload)
	}
	push := &Push{Delivery: delivery}
	if web := p.Repository.Links.HTML.Href; web != "" {
		push.Repos = append(push.Repos, web, web+".git")
	}
	if p.Repository.FullName != "" {
		push.Repos = append(push.Repos, "git@bitbucket.org:"+p.Repository.FullName+".git")
	}
	ch := p.Push.Changes[len(p.Push.Changes)-1]
	switch {
	case ch.New != nil && ch.New.Type == "branch":
		push.Branch, push.After = ch.New.Name, ch.New.Target.Hash
	case ch.New == nil && ch.Old != nil && ch.Old.Type == "branch":
		push.Branch = ch.Old.Name // deleted
	}
	return push, nil
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

// SameRepo reports whether two repository URLs name the same repository:
// scheme, user, a trailing ".git" or "/" and case of the host are ignored,
// and scp-like SSH URLs (git@host:owner/repo) match their https form.
func SameRepo(a, b string) bool { return normalize(a) == normalize(b) }

func normalize(u string) string {
	s := strings.TrimSpace(u)
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	} else if at := strings.Index(s, "@"); at >= 0 && strings.Contains(s[at:], ":") {
		s = strings.Replace(s[at+1:], ":", "/", 1) // git@host:owner/repo
	}
	if at := strings.Index(s, "@"); at >= 0 && at < strings.Index(s+"/", "/") {
		s = s[at+1:] // user@host/...
	}
	s = strings.TrimSuffix(strings.TrimSuffix(s, "/"), ".git")
	host, path, _ := strings.Cut(s, "/")
	if h, _, ok := strings.Cut(host, ":"); ok && (strings.HasSuffix(host, ":22") || strings.HasSuffix(host, ":443")) {
		host = h
	}
	return strings.ToLower(host) + "/" + path
}
