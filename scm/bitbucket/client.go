package bitbucket

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/astrolift/astrolift/scm"
)

// DefaultBaseURL is Bitbucket Cloud's API root.
const DefaultBaseURL = "https://api.bitbucket.org/2.0"

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// apiRoot turns Options.BaseURL into the API root, ending in /2.0.
func apiRoot(base string) (string, error) {
	base = strings.TrimSpace(base)
	if base == "" {
		return DefaultBaseURL, nil
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("bitbucket: base URL %q: want an http(s) URL", base)
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	path := strings.TrimRight(u.Path, "/")
	if h := strings.ToLower(u.Hostname()); (h == "bitbucket.org" || h == "www.bitbucket.org") && path == "" {
		return DefaultBaseURL, nil
	}
	if !strings.HasSuffix(path, "/2.0") {
		path += "/2.0"
	}
	u.Path, u.RawPath = path, ""
	return u.String(), nil
}

// apiError is Bitbucket's error document, {"type": "error", "error":
// {"message": ..., "detail": ..., "fields": ..., "data": ...}}.
type apiError struct {
	Status  int
	Message string
	// Key is error.data.key when Bitbucket sends one.
	Key string
}

func (e *apiError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message)
}

// readError turns a non-2xx response into an error wrapping scm.StatusError.
func readError(resp *http.Response) error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &apiError{Status: resp.StatusCode}
	var doc struct {
		Error struct {
			Message string         `json:"message"`
			Detail  any            `json:"detail"`
			Fields  map[string]any `json:"fields"`
			Data    map[string]any `json:"data"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &doc) == nil && (doc.Error.Message != "" || len(doc.Error.Fields) > 0) {
		msg := doc.Error.Message
		if d := fmt.Sprint(orEmpty(doc.Error.Detail)); d != "" && d != msg {
			msg = joinNonEmpty(msg, d)
		}
		if len(doc.Error.Fields) > 0 {
			keys := make([]string, 0, len(doc.Error.Fields))
			for k := range doc.Error.Fields {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				msg = joinNonEmpty(msg, fmt.Sprintf("%s: %v", k, doc.Error.Fields[k]))
			}
		}
		e.Message = msg
		if k, ok := doc.Error.Data["key"].(string); ok {
			e.Key = k
		}
	} else {
		// Not Bitbucket's document (a proxy's page): a short plain-text
		// excerpt, or the status text.
		text := strings.TrimSpace(string(raw))
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || len(text) > 200 {
			text = ""
		}
		if text == "" {
			text = http.StatusText(resp.StatusCode)
		}
		e.Message = text
	}
	return scm.StatusError(resp.StatusCode, resp.Header, e)
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// request is one API call.
type request struct {
	method string
	// path is below the API root, already escaped ("/repositories/w/r").
	path  string
	query url.Values
	body  io.Reader
	// contentType of body.
	contentType string
}

// do sends r and returns the response when it is a 2xx; otherwise the
// response is consumed and an error wrapping scm.StatusError returned.
func (p *Provider) do(ctx context.Context, r request) (*http.Response, error) {
	u := p.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, r.body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "astrolift")
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	p.auth(req)
	resp, err := p.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer func() { _ = resp.Body.Close() }()
		return nil, readError(resp)
	}
	return resp, nil
}

// getJSON GETs path and decodes the body into out; it returns the
// response's header.
func (p *Provider) getJSON(ctx context.Context, path string, q url.Values, out any) (http.Header, error) {
	resp, err := p.do(ctx, request{method: http.MethodGet, path: path, query: q})
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return nil, fmt.Errorf("decoding the response: %w", err)
	}
	return resp.Header, nil
}

// sendJSON sends in as JSON with method and decodes the answer into out
// (when out is not nil).
func (p *Provider) sendJSON(ctx context.Context, method, path string, in, out any) (http.Header, error) {
	var body io.Reader
	ct := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body, ct = bytes.NewReader(b), "application/json"
	}
	resp, err := p.do(ctx, request{method: method, path: path, body: body, contentType: ct})
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return nil, fmt.Errorf("decoding the response: %w", err)
		}
	} else {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	}
	return resp.Header, nil
}

// repoPath is /repositories/{workspace}/{slug} for "workspace/slug".
func repoPath(repo string) (string, error) {
	ws, slug, ok := strings.Cut(repo, "/")
	if !ok || ws == "" || slug == "" || strings.Contains(slug, "/") {
		return "", fmt.Errorf("bitbucket: repository %q: want workspace/repo_slug: %w", repo, scm.ErrNotFound)
	}
	return "/repositories/" + url.PathEscape(ws) + "/" + url.PathEscape(slug), nil
}

// filePath escapes a file's path segment by segment.
func filePath(p string) string {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// bbqlString quotes s as a BBQL string literal.
func bbqlString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// page is Bitbucket's paginated envelope.
type page[T any] struct {
	Size    int    `json:"size"`
	Page    int    `json:"page"`
	PageLen int    `json:"pagelen"`
	Next    string `json:"next"`
	Values  []T    `json:"values"`
}

// nextPage reads the page number of a next link; a next link that pages
// with a cursor instead counts as the page after current.
func nextPage(next string, current int) int {
	if next == "" {
		return 0
	}
	if u, err := url.Parse(next); err == nil {
		if n, err := strconv.Atoi(u.Query().Get("page")); err == nil && n > current {
			return n
		}
	}
	return current + 1
}

// isBranchExists reads Bitbucket's refusal of an existing branch name.
func isBranchExists(err error) bool {
	var e *apiError
	if !errors.As(err, &e) || (e.Status != http.StatusBadRequest && e.Status != http.StatusConflict) {
		return false
	}
	s := strings.ToLower(e.Message + " " + e.Key)
	return strings.Contains(s, "already exists") || strings.Contains(s, "branch_already_exists")
}

// statusOf is the HTTP status an error carries, 0 if none.
func statusOf(err error) int {
	var e *apiError
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}
