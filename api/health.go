package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// Check is one dependency's result in /readyz.
type Check struct {
	Name      string `json:"name"`
	Status    string `json:"status"` // ok | failed | skipped
	Detail    string `json:"detail,omitempty"`
	Error     string `json:"error,omitempty"`
	LatencyMS int64  `json:"latency_ms"`
}

// Readiness is the /readyz body.
type Readiness struct {
	Status string  `json:"status"` // ok | unavailable
	Checks []Check `json:"checks"`
}

func (a *API) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok", "version": a.opts.Version})
}

func (a *API) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 5*time.Second)
	defer cancel()
	body := Readiness{Status: "ok", Checks: []Check{a.checkDatabase(ctx), a.checkCluster(ctx)}}
	status := http.StatusOK
	for _, ch := range body.Checks {
		if ch.Status == "failed" {
			body.Status = "unavailable"
			status = http.StatusServiceUnavailable
		}
	}
	c.JSON(status, body)
}

func (a *API) checkDatabase(ctx context.Context) Check {
	ch := Check{Name: "database"}
	if a.opts.DB == nil {
		ch.Status, ch.Error = "failed", "no database configured"
		return ch
	}
	ch.Detail = string(a.opts.DB.Driver())
	start := time.Now()
	err := a.opts.DB.Ping(ctx)
	ch.LatencyMS = time.Since(start).Milliseconds()
	ch.Status = "ok"
	if err != nil {
		ch.Status, ch.Error = "failed", err.Error()
	}
	return ch
}

func (a *API) checkCluster(ctx context.Context) Check {
	ch := Check{Name: "cluster"}
	if a.opts.Cluster == nil {
		ch.Status, ch.Detail = "skipped", "no cluster configured"
		return ch
	}
	start := time.Now()
	version, err := a.opts.Cluster.Check(ctx)
	ch.LatencyMS = time.Since(start).Milliseconds()
	ch.Status, ch.Detail = "ok", version
	if err != nil {
		ch.Status, ch.Error = "failed", err.Error()
	}
	return ch
}
