package api

import (
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"
)

// observe logs each request and records its metrics. The route label is
// the registered pattern (/api/v1/apps/:slug), never the raw path, so
// metric cardinality stays bounded.
func (a *API) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	d := time.Since(start)
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	status := c.Writer.Status()
	a.metrics.observe(c.Request.Method, route, status, d)
	level := slog.LevelInfo
	switch {
	case status >= 500:
		level = slog.LevelError
	case route == "/healthz" || route == "/readyz" || route == "/metrics":
		level = slog.LevelDebug
	}
	a.log.LogAttrs(c.Request.Context(), level, "http request",
		slog.String("method", c.Request.Method),
		slog.String("path", c.Request.URL.Path),
		slog.Int("status", status),
		slog.Duration("duration", d),
		slog.String("remote", c.ClientIP()),
	)
}

// recoverPanics turns a handler panic into a 500 with the standard error
// body, logging the stack.
func (a *API) recoverPanics(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			a.log.Error("handler panic", "path", c.Request.URL.Path, "panic", r, "stack", string(debug.Stack()))
			abortWithError(c, http.StatusInternalServerError, "internal", "internal error")
		}
	}()
	c.Next()
}
