package github

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v88/github"

	"github.com/astrolift/astrolift/scm"
)

// classify maps an error from go-github onto scm's errors, keeping err in
// the chain:
//
//   - *github.RateLimitError (primary limit: 403 or 429 with
//     X-RateLimit-Remaining: 0, or go-github refusing to send a request
//     before X-RateLimit-Reset) is a *scm.RateLimitError waiting until the
//     reset (or Retry-After, when the host sent one);
//   - *github.AbuseRateLimitError (secondary limit, or go-github refusing
//     to send before its Retry-After) is a *scm.RateLimitError waiting
//     Retry-After (0 when GitHub did not say);
//   - a 403 with Retry-After is a secondary limit whose body go-github did
//     not recognise (GitHub documents Retry-After on secondary limits);
//   - a 422 whose message says the object "already exists" (a branch, a
//     pull request, a hook) is an ErrConflict;
//   - any other status goes through scm.StatusError.
//
// An error without a response (network, context) is returned unchanged.
func classify(resp *gh.Response, err error) error {
	if err == nil {
		return nil
	}
	var rl *gh.RateLimitError
	if errors.As(err, &rl) {
		wait := time.Until(rl.Rate.Reset.Time)
		if rl.Response != nil {
			if d, ok := retryAfter(rl.Response.Header); ok {
				wait = d
			}
		}
		return &scm.RateLimitError{RetryAfter: max(wait, time.Second), Err: err}
	}
	var arl *gh.AbuseRateLimitError
	if errors.As(err, &arl) {
		return &scm.RateLimitError{RetryAfter: max(arl.GetRetryAfter(), 0), Err: err}
	}

	var status int
	var header http.Header
	var er *gh.ErrorResponse
	switch {
	case errors.As(err, &er) && er.Response != nil:
		status, header = er.Response.StatusCode, er.Response.Header
	case resp != nil && resp.Response != nil:
		status, header = resp.StatusCode, resp.Header
	default:
		return err
	}
	if d, ok := retryAfter(header); ok && status == http.StatusForbidden {
		return &scm.RateLimitError{RetryAfter: d, Err: err}
	}
	if status == http.StatusUnprocessableEntity && er != nil && alreadyExists(er) {
		return fmt.Errorf("%w: %w", scm.ErrConflict, err)
	}
	return scm.StatusError(status, header, err)
}

// retryAfter reads a Retry-After header in seconds.
func retryAfter(h http.Header) (time.Duration, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After")))
	if err != nil || n < 0 {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

// alreadyExists: a 422 that refuses to create what exists, e.g.
// {"message":"Reference already exists"} or {"message":"Validation
// Failed","errors":[{"code":"custom","message":"A pull request already
// exists for acme:topic."}]}.
func alreadyExists(er *gh.ErrorResponse) bool {
	if strings.Contains(strings.ToLower(er.Message), "already exists") {
		return true
	}
	for _, e := range er.Errors {
		if e.Code == "already_exists" || strings.Contains(strings.ToLower(e.Message), "already exists") {
			return true
		}
	}
	return false
}
