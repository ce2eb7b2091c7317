package scm

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Errors a Provider's errors wrap; test with errors.Is.
var (
	// ErrUnauthorized: the host refused the credentials (HTTP 401).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: the credentials lack the permission (HTTP 403).
	ErrForbidden = errors.New("forbidden")
	// ErrNotFound: no such repository, branch, file, pull request or hook
	// (HTTP 404; hosts also hide private repositories this way).
	ErrNotFound = errors.New("not found")
	// ErrConflict: the object exists already, or the change conflicts
	// with the host's state (HTTP 409, and 422 where a host uses it so).
	ErrConflict = errors.New("conflict")
	// ErrRateLimited: the host asks to wait; the error is a
	// *RateLimitError.
	ErrRateLimited = errors.New("rate limited")
)

// RateLimitError is a refusal for rate limiting; RetryAfter is how long
// the host asked to wait (0 when it did not say).
type RateLimitError struct {
	RetryAfter time.Duration
	Err        error
}

func (e *RateLimitError) Error() string {
	msg := "rate limited"
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

func (e *RateLimitError) Unwrap() error { return e.Err }

// StatusError maps an HTTP status to the package's errors: it returns
// err wrapped with the sentinel for status (and, for 429 and for 403 with
// an exhausted rate limit, a *RateLimitError read from the headers), or
// err unchanged when no sentinel applies. h may be nil.
func StatusError(status int, h http.Header, err error) error {
	if err == nil {
		err = errors.New(http.StatusText(status))
	}
	if wait, limited := rateLimited(status, h, time.Now()); limited {
		return &RateLimitError{RetryAfter: wait, Err: err}
	}
	var sentinel error
	switch status {
	case http.StatusUnauthorized:
		sentinel = ErrUnauthorized
	case http.StatusForbidden:
		sentinel = ErrForbidden
	case http.StatusNotFound:
		sentinel = ErrNotFound
	case http.StatusConflict:
		sentinel = ErrConflict
	default:
		return err
	}
	return fmt.Errorf("%w: %w", sentinel, err)
}

// rateLimited reads the hosts' rate-limit signals: 429 with Retry-After
// (all hosts), or 403/429 with a remaining count of 0 and a reset time in
// epoch seconds (GitHub: X-RateLimit-Remaining/X-RateLimit-Reset; GitLab:
// RateLimit-Remaining/RateLimit-Reset).
func rateLimited(status int, h http.Header, now time.Time) (time.Duration, bool) {
	if status != http.StatusTooManyRequests && status != http.StatusForbidden {
		return 0, false
	}
	var wait time.Duration
	if h != nil {
		if s := h.Get("Retry-After"); s != "" {
			if n, err := strconv.Atoi(s); err == nil {
				wait = time.Duration(n) * time.Second
			} else if t, err := http.ParseTime(s); err == nil {
				wait = t.Sub(now)
			}
		}
		prefix := "X-"
		if h.Get("X-RateLimit-Remaining") == "" {
			prefix = ""
		}
		if wait == 0 && h.Get(prefix+"RateLimit-Remaining") == "0" {
			if n, err := strconv.ParseInt(h.Get(prefix+"RateLimit-Reset"), 10, 64); err == nil {
				wait = time.Unix(n, 0).Sub(now)
			}
			if status == http.StatusForbidden {
				return max(wait, time.Second), true
			}
		}
	}
	if status == http.StatusForbidden {
		return 0, false
	}
	return max(wait, 0), true
}
