package reconciler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/astrolift/astrolift/store"
)

// inFlight are the states a deployment passes while a replica works on it.
var inFlight = []string{StateRendering, StateApplying, StateVerifying}

// DeployRunner runs queued deployments: per environment one at a time,
// oldest first. Each running deployment holds a lease that its replica
// renews; a deployment whose lease expired (its replica died) is resumed
// from its last completed step by whichever replica takes the lease, and
// failed with reason "interrupted" after MaxResumes resumptions.
type DeployRunner struct {
	Deployer *Deployer
	Store    *store.Store
	Holder   string
	// Interval between scans (default 1 s); LeaseTTL of a running
	// deployment (default 1 min, renewed every third of it).
	Interval time.Duration
	LeaseTTL time.Duration
	// Concurrency bounds deployments rendering and applying at once
	// (default 10; the Deployer's ApplySlots); MaxInFlight bounds those
	// running at all, verifying included (default 10 × Concurrency).
	Concurrency int
	MaxInFlight int
	Log         *slog.Logger

	mu      sync.Mutex
	slots   chan struct{}
	running map[int64]bool
	wg      sync.WaitGroup
	wake    chan struct{}
}

func (r *DeployRunner) defaults() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running != nil {
		return
	}
	if r.Interval <= 0 {
		r.Interval = time.Second
	}
	if r.LeaseTTL <= 0 {
		r.LeaseTTL = time.Minute
	}
	if r.Log == nil {
		r.Log = slog.Default()
	}
	if r.Concurrency <= 0 {
		r.Concurrency = 10
	}
	if r.MaxInFlight <= 0 {
		r.MaxInFlight = 10 * r.Concurrency
	}
	if r.Deployer.ApplySlots == nil {
		r.Deployer.ApplySlots = make(chan struct{}, r.Concurrency)
	}
	r.slots = make(chan struct{}, r.MaxInFlight)
	r.running = map[int64]bool{}
	r.wake = make(chan struct{}, 1)
}

// Wake makes the runner scan now (a deployment was queued).
func (r *DeployRunner) Wake() {
	r.defaults()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run scans for work until ctx ends, then waits for running deployments.
func (r *DeployRunner) Run(ctx context.Context) error {
	r.defaults()
	tick := time.NewTicker(r.Interval)
	defer tick.Stop()
	defer r.wg.Wait()
	for {
		if err := r.Scan(ctx); err != nil && ctx.Err() == nil {
			r.Log.Error("deploy runner", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-r.wake:
		}
	}
}

// Scan starts what can start: for each environment, its in-flight
// deployment if orphaned (resumed, or failed as interrupted after
// MaxResumes), else its oldest pending
// one when nothing else is in flight there.
func (r *DeployRunner) Scan(ctx context.Context) error {
	r.defaults()
	deps, err := r.Store.QueuedDeployments(ctx, append([]string{StatePending, StateAwaitingApproval}, inFlight...), 500)
	if err != nil {
		return err
	}
	busy := map[int64]bool{}
	// stillIs tells whether d is still in the status it was listed with,
	// once its lease is held: this runner may have finished it since.
	stillIs := func(d *store.QueuedDeployment) (bool, error) {
		st, err := r.Store.DeploymentStatus(ctx, d.ID)
		if err != nil || st == d.Status {
			return err == nil, err
		}
		return false, r.Store.ReleaseLease(ctx, leaseName(d.ID), r.Holder)
	}
	for _, d := range deps { // oldest first
		if d.Status == StatePending || d.Status == StateAwaitingApproval {
			continue
		}
		busy[d.EnvironmentID] = true
		r.mu.Lock()
		mine := r.running[d.ID]
		r.mu.Unlock()
		if mine {
			continue
		}
		ok, err := r.Store.AcquireLease(ctx, leaseName(d.ID), r.Holder, r.LeaseTTL)
		if err != nil {
			return err
		}
		if !ok {
			continue // its replica is alive
		}
		if same, err := stillIs(d); err != nil || !same {
			if err != nil {
				return err
			}
			busy[d.EnvironmentID] = false // it ended meanwhile
			continue
		}
		// The replica running it is gone: resume it from its last
		// completed step, unless it was resumed MaxResumes times already
		// (then something in it stops replicas: fail it).
		resumes, err := r.resumes(ctx, d.ID)
		if err != nil {
			return err
		}
		if resumes < MaxResumes {
			select {
			case r.slots <- struct{}{}:
				r.start(ctx, d.ID)
			default:
				_ = r.Store.ReleaseLease(ctx, leaseName(d.ID), r.Holder) // all slots busy; the next scan resumes it
			}
			continue
		}
		err = r.Store.TransitionDeployment(ctx, d.ID, d.Status, StateFailed, store.TransitionUpdate{
			Detail: fmt.Sprintf("interrupted: the replica running it stopped during %s (after %d resumes)", d.Status, resumes),
			Error:  "interrupted", Finished: true})
		if err != nil && !errors.Is(err, store.ErrConflict) {
			return err
		}
		_ = r.Store.ReleaseLease(ctx, leaseName(d.ID), r.Holder)
		busy[d.EnvironmentID] = false
	}
	for _, d := range deps {
		if d.Status != StatePending && d.Status != StateAwaitingApproval || busy[d.EnvironmentID] {
			continue
		}
		r.mu.Lock()
		mine := r.running[d.ID] // listed as pending, but already started here
		r.mu.Unlock()
		if mine {
			busy[d.EnvironmentID] = true
			continue
		}
		if d.Status == StateAwaitingApproval {
			if ok, err := r.approved(ctx, d); err != nil || !ok {
				busy[d.EnvironmentID] = true // the queue waits behind it
				continue
			}
		}
		busy[d.EnvironmentID] = true
		select {
		case r.slots <- struct{}{}:
		default:
			return nil // all slots busy; the next scan continues
		}
		ok, err := r.Store.AcquireLease(ctx, leaseName(d.ID), r.Holder, r.LeaseTTL)
		if err != nil || !ok {
			<-r.slots
			if err != nil {
				return err
			}
			continue // another replica has it
		}
		if same, err := stillIs(d); err != nil || !same {
			<-r.slots
			if err != nil {
				return err
			}
			continue // started and ended meanwhile, here or elsewhere
		}
		r.start(ctx, d.ID)
	}
	return nil
}

// MaxResumes is how often an in-flight deployment whose replica stopped is
// resumed before it is failed as interrupted.
const MaxResumes = 2

// resumes counts a deployment's resumptions (lifecycle rows from a state
// to itself).
func (r *DeployRunner) resumes(ctx context.Context, id int64) (int, error) {
	ts, err := r.Store.ListTransitions(ctx, id)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range ts {
		if t.From == t.To {
			n++
		}
	}
	return n, nil
}

func leaseName(id int64) string { return fmt.Sprintf("deploy:%d", id) }

func (r *DeployRunner) start(ctx context.Context, id int64) {
	r.mu.Lock()
	r.running[id] = true
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		runCtx, cancel := context.WithCancel(ctx)
		renewDone := make(chan struct{})
		go func() { // renew the lease while running
			defer close(renewDone)
			t := time.NewTicker(r.LeaseTTL / 3)
			defer t.Stop()
			for {
				select {
				case <-runCtx.Done():
					return
				case <-t.C:
					if ok, err := r.Store.AcquireLease(runCtx, leaseName(id), r.Holder, r.LeaseTTL); err == nil && !ok {
						cancel() // someone else owns it now: stop
					}
				}
			}
		}()
		if err := r.Deployer.Run(runCtx, id); err != nil && ctx.Err() == nil {
			r.Log.Info("deployment ended with an error", "deployment", id, "error", err)
		}
		cancel()
		<-renewDone
		_ = r.Store.ReleaseLease(context.WithoutCancel(ctx), leaseName(id), r.Holder)
		r.mu.Lock()
		delete(r.running, id)
		r.mu.Unlock()
		<-r.slots
		r.Wake() // the next queued deployment
	}()
}

// approved reports whether a deployment waiting for approval has enough.
func (r *DeployRunner) approved(ctx context.Context, d *store.QueuedDeployment) (bool, error) {
	env, err := r.Deployer.environment(ctx, d.AppID, d.EnvironmentID)
	if err != nil {
		return false, err
	}
	n, err := r.Store.Approvals(ctx, d.ID)
	return n >= env.RequiredApprovals, err
}
