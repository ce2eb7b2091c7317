package api

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/astrolift/astrolift/internal/merge3"
	"github.com/astrolift/astrolift/render"
	"github.com/astrolift/astrolift/store"
)

// ErrorBody is the one error shape every endpoint answers with.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong and, for validation errors, where.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	// Conflicts lists the lines a push to the repository could not merge.
	Conflicts []merge3.Conflict `json:"conflicts,omitempty"`
}

func abortWithError(c *gin.Context, status int, code, message string) {
	c.AbortWithStatusJSON(status, ErrorBody{Error: ErrorDetail{Code: code, Message: message}})
}

func (a *API) notFound(c *gin.Context) {
	r := c.Request
	if a.opts.UI != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
		!strings.HasPrefix(r.URL.Path, "/api/") {
		c.Status(http.StatusOK) // gin presets 404 for NoRoute; the dashboard decides
		a.opts.UI.ServeHTTP(c.Writer, r)
		return
	}
	abortWithError(c, http.StatusNotFound, "not_found", "no route for "+c.Request.Method+" "+c.Request.URL.Path)
}

func (a *API) methodNotAllowed(c *gin.Context) {
	abortWithError(c, http.StatusMethodNotAllowed, "method_not_allowed", c.Request.Method+" is not allowed on "+c.Request.URL.Path)
}

// Error is a handler error with its HTTP status and, for validation errors,
// the offending field. Handlers return it through fail.
type Error struct {
	Status  int
	Code    string
	Message string
	Field   string
	// Conflicts: see ErrorDetail.
	Conflicts []merge3.Conflict
	// RetryAfter, when set, is sent as the Retry-After header (a git
	// host's rate limit passed on).
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Message }

// invalid is a 400 naming the request field at fault.
func invalid(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid", Field: field, Message: fmt.Sprintf(format, args...)}
}

var (
	errUnauthenticated = &Error{Status: http.StatusUnauthorized, Code: "unauthenticated", Message: "log in, or send Authorization: Bearer <token>"}
	errCSRF            = &Error{Status: http.StatusForbidden, Code: "csrf", Message: "missing or wrong X-CSRF-Token header (a cookie session must send the token it got at login)"}
)

func forbidden(perm Permission) *Error {
	return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: fmt.Sprintf("you need the %s permission here", perm)}
}

// fail answers with the error shape for err: *Error as is, store errors as
// 404/409, manifest problems as 422 with file:line:col, anything else 500
// (logged, not shown).
func (a *API) fail(c *gin.Context, err error) {
	var (
		e    *Error
		list render.ErrorList
		mbe  *http.MaxBytesError
	)
	switch {
	case errors.As(err, &e):
	case errors.As(err, &list):
		e = &Error{Status: http.StatusUnprocessableEntity, Code: "manifest_invalid", Message: list.Error()}
		if len(list) > 0 {
			e.Field = list[0].Path
		}
	case errors.As(err, &mbe):
		e = &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: fmt.Sprintf("request body is larger than %d bytes", mbe.Limit)}
	case errors.Is(err, store.ErrNotFound):
		e = &Error{Status: http.StatusNotFound, Code: "not_found", Message: err.Error()}
	case errors.Is(err, store.ErrConflict):
		e = &Error{Status: http.StatusConflict, Code: "conflict", Message: err.Error()}
	default:
		a.log.Error("request failed", "method", c.Request.Method, "path", c.Request.URL.Path, "error", err)
		e = &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
	}
	if e.RetryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	c.AbortWithStatusJSON(e.Status, ErrorBody{Error: ErrorDetail{Code: e.Code, Message: e.Message, Field: e.Field, Conflicts: e.Conflicts}})
}
