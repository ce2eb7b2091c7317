package reconciler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/astrolift/astrolift/drift"
	"github.com/astrolift/astrolift/render"
	"github.com/astrolift/astrolift/scm/git"
	"github.com/astrolift/astrolift/scm/webhook"
	"github.com/astrolift/astrolift/store"
)

// Poller defaults.
const (
	DefaultPollInterval = 30 * time.Second
	MaxBackoff          = 5 * time.Minute
	DefaultConcurrency  = 8
)

// Poller checks every distinct (repository, branch) of the live apps on an
// interval (±10% jitter; the shortest per-app override of a repository
// wins) and on demand (Trigger). A check costs one ls-remote round trip
// when the head has not moved; a new head is fetched once into the shared
// cache and read for every app of the repository. Failures back off
// exponentially up to MaxBackoff and are recorded on the apps. A lease in
// the store makes sure one replica checks a repository at a time, and a
// bounded worker pool keeps one slow repository from holding up the rest.
type Poller struct {
	Store  *store.Store
	Cache  *git.Cache
	Auth   func(ctx context.Context, app *store.App) (transport.AuthMethod, error)
	Holder string // this replica's lease holder name
	// Interval defaults to DefaultPollInterval; Concurrency to
	// DefaultConcurrency.
	Interval    time.Duration
	Concurrency int
	Log         *slog.Logger
	Now         func() time.Time
	// Queued, if set, is called after push deployments were created (it
	// wakes the deploy runner).
	Queued func()

	mu      sync.Mutex
	repos   map[repoKey]*repoState
	apps    map[repoKey][]*store.App
	listed  time.Time
	wake    chan struct{}
	workers chan struct{}
	wg      sync.WaitGroup
}

// repoKey is one unit of polling: apps reading a repository's branch with
// the same credentials (their SCM connection).
type repoKey struct {
	URL, Branch string
	Connection  int64
}

type repoState struct {
	next     time.Time
	failures int
	running  bool
	again    bool // triggered while running: check once more right after
	head     string
}

func (p *Poller) init() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.repos != nil {
		return
	}
	if p.Interval <= 0 {
		p.Interval = DefaultPollInterval
	}
	if p.Concurrency <= 0 {
		p.Concurrency = DefaultConcurrency
	}
	if p.Log == nil {
		p.Log = slog.Default()
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	p.repos = map[repoKey]*repoState{}
	p.wake = make(chan struct{}, 1)
	p.workers = make(chan struct{}, p.Concurrency)
}

// Run polls until ctx ends, then waits for running checks to finish.
func (p *Poller) Run(ctx context.Context) error {
	p.init()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	defer p.wg.Wait()
	for {
		if err := p.dispatch(ctx, false); err != nil && ctx.Err() == nil {
			p.Log.Error("poller", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-p.wake:
		}
	}
}

// PollOnce checks every repository now and waits for the checks.
func (p *Poller) PollOnce(ctx context.Context) error {
	p.init()
	err := p.dispatch(ctx, true)
	p.wg.Wait()
	return err
}

// Trigger asks for an immediate check of a repository's branch (a push
// webhook, or the dashboard's refresh). A trigger that arrives during a
// check of that repository causes one more check right after it, so a
// push is never lost. It reports how many tracked repositories matched.
func (p *Poller) Trigger(url, branch string) int {
	p.init()
	p.mu.Lock()
	n := 0
	for k, st := range p.repos {
		if k.Branch == branch && webhook.SameRepo(k.URL, url) {
			n++
			st.next = time.Time{}
			if st.running {
				st.again = true
			}
		}
	}
	p.mu.Unlock()
	if n == 0 { // maybe an app registered since the last listing
		p.mu.Lock()
		p.listed = time.Time{}
		p.mu.Unlock()
	}
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return n
}

// refresh reloads the apps, grouped by repository and branch, at most
// every 10 s (or when forced).
func (p *Poller) refresh(ctx context.Context, force bool) error {
	p.mu.Lock()
	stale := force || p.Now().Sub(p.listed) > 10*time.Second
	p.mu.Unlock()
	if !stale {
		return nil
	}
	groups := map[repoKey][]*store.App{}
	after := ""
	for {
		apps, err := p.Store.ListApps(ctx, store.AppFilter{AfterSlug: after, Limit: 500})
		if err != nil {
			return err
		}
		for _, a := range apps {
			k := repoKey{a.SourceURL, a.DeployBranch, a.SCMConnectionID}
			groups[k] = append(groups[k], a)
		}
		if len(apps) < 500 {
			break
		}
		after = apps[len(apps)-1].Slug
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.apps, p.listed = groups, p.Now()
	for k := range groups {
		if _, ok := p.repos[k]; !ok {
			p.repos[k] = &repoState{}
		}
	}
	for k, st := range p.repos {
		if _, ok := groups[k]; !ok && !st.running {
			delete(p.repos, k)
		}
	}
	return nil
}

// dispatch starts a check for every due repository (all, when all).
func (p *Poller) dispatch(ctx context.Context, all bool) error {
	if err := p.refresh(ctx, all); err != nil {
		return fmt.Errorf("list apps: %w", err)
	}
	now := p.Now()
	p.mu.Lock()
	var due []repoKey
	for k, st := range p.repos {
		if !st.running && (all || !now.Before(st.next)) {
			st.running = true
			due = append(due, k)
		}
	}
	p.mu.Unlock()
	for _, k := range due {
		p.mu.Lock()
		apps := p.apps[k]
		p.mu.Unlock()
		select {
		case p.workers <- struct{}{}:
		case <-ctx.Done():
			p.finish(k, nil, ctx.Err())
			continue
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer func() { <-p.workers }()
			head, err := p.check(ctx, k, apps)
			p.finish(k, apps, err)
			if err == nil {
				p.mu.Lock()
				p.repos[k].head = head
				p.mu.Unlock()
			}
		}()
	}
	return nil
}

// finish schedules a repository's next check: the interval with ±10%
// jitter after a success, exponential backoff after failures, at once when
// triggered meanwhile.
func (p *Poller) finish(k repoKey, apps []*store.App, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.repos[k]
	if st == nil {
		return
	}
	st.running = false
	interval := p.Interval
	for _, a := range apps {
		if a.PollInterval > 0 && a.PollInterval < interval {
			interval = a.PollInterval
		}
	}
	if err != nil {
		st.failures++
		interval = min(interval<<min(st.failures, 10), MaxBackoff)
	} else {
		st.failures = 0
	}
	jitter := time.Duration((rand.Float64()*0.2 - 0.1) * float64(interval))
	st.next = p.Now().Add(interval + jitter)
	if st.again {
		st.again, st.next = false, time.Time{}
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
}

// CheckTimeout bounds one repository check, so a hung server frees its
// worker.
const CheckTimeout = 2 * time.Minute

// check polls one repository for its apps and returns the head it saw.
func (p *Poller) check(ctx context.Context, k repoKey, apps []*store.App) (string, error) {
	if len(apps) == 0 {
		return "", nil
	}
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()
	lease := fmt.Sprintf("poll:%s#%s@%d", k.URL, k.Branch, k.Connection)
	if p.Holder != "" {
		ok, err := p.Store.AcquireLease(ctx, lease, p.Holder, 2*p.Interval)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", nil // another replica polls this repository
		}
	}
	var auth transport.AuthMethod
	if p.Auth != nil {
		var err error
		if auth, err = p.Auth(ctx, apps[0]); err != nil {
			return "", p.recordError(ctx, apps, fmt.Errorf("credentials: %w", err))
		}
	}
	head, err := git.Head(ctx, k.URL, k.Branch, auth)
	if err != nil {
		return "", p.recordError(ctx, apps, err)
	}
	now := p.Now()
	var unchanged []int64
	var changed []*store.App
	for _, a := range apps {
		if a.Repo.Commit != head || a.Repo.Error != "" {
			// The listing is up to 10 s old: an earlier check (or the API:
			// a draft, a sync) may have moved the app since. Decide on
			// its stored state, read only when the head looks new.
			fresh, err := p.Store.GetAppByID(ctx, a.ID)
			if err != nil {
				return head, err
			}
			a = fresh
		}
		if a.Repo.Commit == head && a.Repo.Error == "" {
			unchanged = append(unchanged, a.ID)
		} else {
			changed = append(changed, a)
		}
	}
	if err := p.Store.TouchRepoChecked(ctx, unchanged, now); err != nil {
		return head, err
	}
	if len(changed) == 0 {
		return head, nil
	}
	if err := p.Cache.Fetch(ctx, k.URL, k.Branch, head, auth); err != nil {
		return "", p.recordError(ctx, changed, err)
	}
	var firstErr error
	for _, a := range changed {
		if err := p.readApp(ctx, a, head, now); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return head, firstErr
}

// recordError stores err on every app of the repository (their snapshot
// and last good head stay) and returns it.
func (p *Poller) recordError(ctx context.Context, apps []*store.App, err error) error {
	now := p.Now()
	for _, a := range apps {
		h := store.RepoHead{Commit: a.Repo.Commit, BlobID: a.Repo.BlobID, CheckedAt: &now, Error: err.Error()}
		if rerr := p.Store.RecordRepoHead(ctx, a.ID, h); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
	return err
}

// readApp records an app's manifest at a new head and, for push-triggered
// apps without a draft, takes it as the snapshot and queues deployments
// when the rendered result changed.
func (p *Poller) readApp(ctx context.Context, a *store.App, head string, now time.Time) error {
	blob, content, err := p.Cache.ReadFile(a.SourceURL, head, a.ManifestPath)
	if err == nil && len(content) > render.MaxManifestSize {
		err = fmt.Errorf("%s is larger than 1 MiB", a.ManifestPath)
	}
	if err != nil {
		return p.recordError(ctx, []*store.App{a}, err)
	}
	if err := p.Store.RecordRepoHead(ctx, a.ID, store.RepoHead{Commit: head, BlobID: blob, CheckedAt: &now}); err != nil {
		return err
	}
	if a.Repo.Commit != head {
		p.event(ctx, a, "repo.new_head", fmt.Sprintf("%s is at %s", a.DeployBranch, short(head)))
	}
	if d := a.Draft; d != nil && blob == drift.BlobID([]byte(d.Raw)) && blob != d.BaseBlobID {
		// The repository caught up with the draft (its pull request was
		// merged, or someone committed the same text): the draft is done.
		dropped, err := p.Store.DropLandedDraft(ctx, a.ID, d.Raw)
		if err != nil {
			return err
		}
		if dropped {
			msg := "the repository holds the draft at " + short(head) + "; draft cleared"
			if d.PRNumber != 0 {
				msg = fmt.Sprintf("pull request #%d landed: %s", d.PRNumber, msg)
			}
			p.event(ctx, a, "config.draft_landed", msg)
			a.Draft = nil
		}
	}
	if a.TriggerMode != "push" || a.Draft != nil || blob == a.Manifest.BlobID {
		return nil // manual/ci: the app shows "repo ahead" until synced
	}
	m, perr := render.Parse(a.ManifestPath, content)
	if perr != nil {
		p.event(ctx, a, "deployment.skipped", "the manifest at "+short(head)+" is invalid: "+perr.Error())
		return nil
	}
	var old *render.Manifest
	if a.Manifest.Raw != "" {
		old, _ = render.Parse(a.ManifestPath, []byte(a.Manifest.Raw))
	}
	if err := p.Store.SetSnapshot(ctx, a.ID, store.Snapshot{Raw: string(content), Commit: head, BlobID: blob, SyncedAt: &now}, false); err != nil {
		return err
	}
	envs, err := p.Store.ListEnvironments(ctx, a.ID)
	if err != nil {
		return err
	}
	for _, e := range envs {
		if e.Paused || !renderChanged(old, m, a.Slug, e) {
			continue
		}
		d := &store.Deployment{AppID: a.ID, EnvironmentID: e.ID, Trigger: "push", Status: "pending", CommitSHA: head,
			ManifestRaw: string(content), CreatedBy: "poller"}
		if err := p.Store.CreateDeployment(ctx, d, "push to "+a.DeployBranch+" at "+short(head)); err != nil {
			return err
		}
		p.event(ctx, a, "deployment.created", fmt.Sprintf("push deployment %d to %s for %s", d.ID, e.Name, short(head)))
		if p.Queued != nil {
			p.Queued()
		}
	}
	return nil
}

// renderChanged compares the masked renderings of the old and new manifest
// for one environment (a comment-only commit deploys nothing).
func renderChanged(old, m *render.Manifest, app string, e *store.Environment) bool {
	if old == nil {
		return true
	}
	in := render.Input{App: app, Environment: e.Name, Namespace: e.Namespace}
	a, errA := render.Preview(old, in)
	b, errB := render.Preview(m, in)
	if errA != nil || errB != nil {
		return true
	}
	ya, _ := render.YAML(a)
	yb, _ := render.YAML(b)
	return !bytes.Equal(ya, yb)
}

func (p *Poller) event(ctx context.Context, a *store.App, kind, msg string) {
	if err := p.Store.AppendEvent(ctx, &store.Event{OrgID: a.OrgID, AppID: a.ID, Kind: kind, Message: msg, Actor: "poller"}); err != nil {
		p.Log.Error("record event", "app", a.Slug, "kind", kind, "error", err)
	}
}

func short(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}
