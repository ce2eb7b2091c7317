package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"filippo.io/age"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/astrolift/astrolift/internal/ssrf"
	"github.com/astrolift/astrolift/scm"
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

// Repos reads facts from an app's repository at registration.
type Repos interface {
	// DefaultBranch is the branch the repository's HEAD points at.
	DefaultBranch(ctx context.Context, url string) (string, error)
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
	// Store backs the JSON API under /api/v1; without it only the health
	// and metrics endpoints are served.
	Store *store.Store
	// Repos fills in an app's deploy branch when registration leaves it
	// empty; nil means "main".
	Repos Repos
	// Poller checks repositories on demand (webhooks, refresh); nil
	// answers 503 there.
	Poller Poller
	// Secrets opens sealed values (webhook secrets); nil answers 503 there.
	Secrets SecretBox
	// Deployments is woken when a deployment is queued (the runner).
	Deployments Deployments
	// Drift is asked to check an environment now (self-heal turned on);
	// nil: the next interval does.
	Drift Drift
	// Source reads manifests from repositories (config sync); nil answers 503.
	Source Source
	// SCM builds the API client of a connection's host (scm/connect.New);
	// nil: connections have no API, so repository listing and push to
	// repo answer 503 and no webhooks are registered.
	SCM func(kind string, o scm.Options) (scm.Provider, error)
	// ExternalURL is where git hosts reach this server
	// (http://astrolift.example.com); registered webhooks post to
	// <ExternalURL>/api/v1/hooks/…. Empty: webhooks are not registered.
	ExternalURL string
	// Recipient is the platform's age recipient: the Secrets page seals
	// values to it. Nil: secrets cannot be set (503).
	Recipient *age.X25519Recipient
	// Webhooks sends outbound webhooks' test pings (the dispatcher); nil
	// answers 503 there.
	Webhooks WebhookPinger
	// ManagedServiceKinds are the managed-service kinds that can be
	// provisioned (the loop's providers); empty: DefaultManagedServiceKinds.
	ManagedServiceKinds []string
	// WebhookPolicy decides which outbound webhook URLs are accepted
	// (the zero value: public addresses only).
	WebhookPolicy ssrf.Policy
	// Domains checks custom domains' TXT challenges on demand (the
	// reconciler's DomainChecker); nil answers 503 on recheck.
	Domains DomainChecker
	// PlatformDomain is the base domain of platform hostnames (default
	// render.DefaultDomain); custom domains may not be under it.
	PlatformDomain string
	// SessionTTL is how long a login session lives without activity
	// (default DefaultSessionTTL).
	SessionTTL time.Duration
	// Exec runs commands in the pods of apps' workloads (the Commands
	// page); nil answers 503 there.
	Exec Executor
	// UI serves the dashboard: every GET outside /api/ that no route
	// answers (ui.Handler); nil answers those with the JSON 404.
	UI http.Handler
	// Now overrides the clock (tests).
	Now func() time.Time
}

// API holds the router and the services its handlers use.
type API struct {
	opts    Options
	log     *slog.Logger
	metrics *httpMetrics
	router  *gin.Engine
	store   *store.Store
	limiter loginLimiter
}

// New builds the API and its router.
func New(opts Options) *API {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Registry == nil {
		opts.Registry = NewRegistry()
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = DefaultSessionTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.DB == nil && opts.Store != nil {
		opts.DB = opts.Store
	}
	a := &API{opts: opts, log: opts.Logger, metrics: newHTTPMetrics(opts.Registry), store: opts.Store}
	gin.SetMode(gin.ReleaseMode)
	a.router = gin.New()
	a.router.HandleMethodNotAllowed = true
	a.routes()
	return a
}

// Handler returns the HTTP handler serving every route.
func (a *API) Handler() http.Handler { return a.router }

func (a *API) now() time.Time { return a.opts.Now().UTC() }
