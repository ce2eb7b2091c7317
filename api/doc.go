// Package api is Astrolift's HTTP surface: the gin router, middleware
// (request logging, metrics, panics), the health endpoints and, as they
// land, the JSON API under /api/v1 that the dashboard, the CLI and CI use.
//
// All routes are declared in routes.go. Handlers are methods on *API, which
// receives its services through Options; the package talks to the rest of
// Astrolift only through the store and small interfaces declared here.
//
// Endpoints so far:
//
//	GET /healthz   the process is up (no dependencies checked)
//	GET /readyz    the database and the cluster answer; 503 with the failing
//	               check named otherwise
//	GET /metrics   Prometheus metrics
package api
