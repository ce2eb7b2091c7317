package reconciler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	ssautils "github.com/fluxcd/pkg/ssa/utils"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/astrolift/astrolift/drift"
	"github.com/astrolift/astrolift/store"
)

// DriftChecker compares every deployed environment with its cluster on an
// interval (and when asked, e.g. on a watch event): the objects of the
// environment's last succeeded deployment are dry-run applied, drifted
// fields are stored on the environment with who changed them, a
// drift.detected event is emitted when the drift is new, and with
// self-heal on the objects are re-applied (drift.corrected).
type DriftChecker struct {
	Store   *store.Store
	Cluster func(ctx context.Context, env *store.Environment) (*ClusterClient, error)
	Holder  string
	// Interval between checks of each environment (default 3 min).
	Interval time.Duration
	Log      *slog.Logger
	// Box opens the sealed Secret values of the deployments' stored
	// objects (Deployer.Box seals them).
	Box Opener

	wakeOnce sync.Once
	wake     chan int64
}

func (c *DriftChecker) defaults() {
	if c.Interval <= 0 {
		c.Interval = 3 * time.Minute
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
}

// Run checks all deployed environments every Interval, and one environment
// as soon as Trigger names it, until ctx ends.
func (c *DriftChecker) Run(ctx context.Context) error {
	c.defaults()
	tick := time.NewTicker(c.Interval)
	defer tick.Stop()
	for {
		if err := c.Scan(ctx); err != nil && ctx.Err() == nil {
			c.Log.Error("drift check", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case id := <-c.wakeChan():
			c.checkOne(ctx, id)
		}
	}
}

func (c *DriftChecker) wakeChan() chan int64 {
	c.wakeOnce.Do(func() { c.wake = make(chan int64, 64) })
	return c.wake
}

// Trigger asks for a check of one environment soon (non-blocking).
func (c *DriftChecker) Trigger(envID int64) {
	select {
	case c.wakeChan() <- envID:
	default:
	}
}

func (c *DriftChecker) checkOne(ctx context.Context, envID int64) {
	e, dep, err := c.Store.DeployedEnvironment(ctx, envID)
	if errors.Is(err, store.ErrNotFound) {
		return // nothing deployed there (yet)
	}
	if err == nil {
		_, err = c.Check(ctx, e, dep)
	}
	if err != nil && ctx.Err() == nil {
		c.Log.Warn("drift check", "environment", envID, "error", err)
	}
}

// Scan checks every deployed environment once.
func (c *DriftChecker) Scan(ctx context.Context) error {
	c.defaults()
	envs, deps, err := c.Store.DeployedEnvironments(ctx)
	if err != nil {
		return err
	}
	for i, e := range envs {
		if ctx.Err() != nil {
			return nil
		}
		if _, err := c.Check(ctx, e, deps[i]); err != nil && ctx.Err() == nil {
			c.Log.Warn("drift check", "environment", e.ID, "error", err)
		}
	}
	return nil
}

// Check compares one environment with the objects of its deployment depID
// and stores the report. It skips (returning nil, nil) an environment with
// a deployment in flight, or one another replica is checking.
func (c *DriftChecker) Check(ctx context.Context, env *store.Environment, depID int64) (*drift.Report, error) {
	c.defaults()
	busy, err := c.Store.ListDeployments(ctx, store.DeploymentFilter{EnvironmentID: env.ID, Statuses: inFlight, Limit: 1})
	if err != nil || len(busy) > 0 {
		return nil, err
	}
	lease := fmt.Sprintf("drift:%d", env.ID)
	if ok, err := c.Store.AcquireLease(ctx, lease, c.Holder, c.Interval); err != nil || !ok {
		return nil, err
	}
	defer func() { _ = c.Store.ReleaseLease(context.WithoutCancel(ctx), lease, c.Holder) }()

	previous := &drift.Report{}
	if o, err := c.Store.Observe(ctx, env.ID, "drift"); err == nil && o.JSON != "" {
		_ = json.Unmarshal([]byte(o.JSON), previous)
	}
	rep, objs, cc, err := c.detect(ctx, env, depID)
	if err != nil {
		rep = &drift.Report{DeploymentID: depID, CheckedAt: time.Now().UTC(), Error: err.Error()}
		return rep, c.store(ctx, env, rep)
	}
	app, err := c.Store.GetAppByID(ctx, env.AppID)
	if err != nil {
		return nil, err
	}
	event := func(kind, severity, msg string) {
		_ = c.Store.AppendEvent(ctx, &store.Event{OrgID: app.OrgID, AppID: app.ID, Kind: kind, Severity: severity,
			Message: fmt.Sprintf("environment %s: %s", env.Name, msg), Actor: "drift"})
	}
	switch {
	case len(rep.Objects) > 0 && rep.Fingerprint() != previous.Fingerprint():
		event("drift.detected", "warning", rep.Summary())
	case len(rep.Objects) == 0 && len(previous.Objects) > 0:
		event("drift.resolved", "info", "the cluster matches deployment "+fmt.Sprint(depID)+" again")
	}
	if len(rep.Objects) > 0 && env.SelfHeal {
		var ids []string
		for _, o := range rep.Objects {
			ids = append(ids, o.ID())
		}
		if _, err := cc.resourceManager().ApplyAllStaged(ctx, objs, applyOptions()); err != nil {
			event("drift.correct_failed", "error", "self-heal failed: "+err.Error())
			rep.Error = "self-heal: " + err.Error()
			return rep, c.store(ctx, env, rep)
		}
		event("drift.corrected", "info", "self-heal re-applied deployment "+fmt.Sprint(depID)+": "+strings.Join(ids, ", "))
		healed, _, _, err := c.detect(ctx, env, depID)
		if err != nil {
			return rep, fmt.Errorf("environment %s: recheck after self-heal: %w", env.Name, err)
		}
		now := time.Now().UTC()
		healed.Corrected, healed.CorrectedAt = ids, &now
		rep = healed
	}
	return rep, c.store(ctx, env, rep)
}

// detect runs the dry-run diff of the deployment's stored objects.
func (c *DriftChecker) detect(ctx context.Context, env *store.Environment, depID int64) (*drift.Report, []*unstructured.Unstructured, *ClusterClient, error) {
	dep, err := c.Store.GetDeployment(ctx, depID)
	if err != nil {
		return nil, nil, nil, err
	}
	objs, err := ssautils.ReadObjects(strings.NewReader(dep.Rendered))
	if err == nil {
		err = openStored(c.Box, objs)
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("deployment %d: stored objects: %w", depID, err)
	}
	cc, err := c.Cluster(ctx, env)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("environment %s: cluster: %w", env.Name, err)
	}
	found, err := drift.Detect(ctx, cc.resourceManager(), cc.Client, FieldManager, objs)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("environment %s: %w", env.Name, err)
	}
	return &drift.Report{DeploymentID: depID, CheckedAt: time.Now().UTC(), Objects: found}, objs, cc, nil
}

func (c *DriftChecker) store(ctx context.Context, env *store.Environment, rep *drift.Report) error {
	if rep.Objects == nil {
		rep.Objects = []drift.Object{}
	}
	b, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	return c.Store.SetObservation(ctx, env.ID, "drift", string(b))
}
