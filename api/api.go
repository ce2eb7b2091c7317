package api

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/astrolift/astrolift/store"
)

// Database is the store as the readiness check sees it.
type Database interface {
	Ping(ctx context.Context) error
	Driver() store.Driver
}

// ClusterChecker reports whether a cluster answers, and its version.
type ClusterChecker interface {
	Check(ctx context.Context) (version string, err error)
}

// Options are the services the API uses.
type Options struct {
	// DB is checked by /readyz, which names its driver.
	DB Database
	// Cluster is checked by /readyz; nil means no cluster is configured,
	// which /readyz reports without failing.
	Cluster ClusterChecker
	// Logger receives one line per request. Default: slog.Default().
	Logger *slog.Logger
	// Registry receives the HTTP metrics and is served on /metrics.
	// Default: a new registry with the Go and process collectors.
	Registry *prometheus.Registry
	// Version is reported by /healthz.
	Version string
}

// API holds the router and the services its handlers use.
type API struct {
	opts    Options
	log     *slog.Logger
	metrics *httpMetrics
	router  *gin.Engine
}

// New builds the API and its router.
func New(opts Options) *API {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Registry == nil {
		opts.Registry = NewRegistry()
	}
	a := &API{opts: opts, log: opts.Logger, metrics: newHTTPMetrics(opts.Registry)}
	gin.SetMode(gin.ReleaseMode)
	a.router = gin.New()
	a.router.HandleMethodNotAllowed = true
	a.routes()
	return a
}

// Handler returns the HTTP handler serving every route.
func (a *API) Handler() http.Handler { return a.router }
