package reconciler

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/astrolift/astrolift/reconciler/livestate"
	"github.com/astrolift/astrolift/render"
	"github.com/astrolift/astrolift/store"
)

// LiveWatcher keeps the live state of every deployed environment: one
// controller-runtime cache per cluster watches the objects labelled
// managed-by=astrolift (Deployments, StatefulSets, CronJobs, Jobs, Pods,
// HPAs); a change marks its namespace's environments, whose state is
// recomputed (livestate.Compute) and stored. A workload whose status
// changes, or is seen for the first time, is an event (workload.<status>); a change to an object's spec
// (its generation) or a deletion asks for a drift check (SpecChanged).
type LiveWatcher struct {
	Store   *store.Store
	Cluster func(ctx context.Context, env *store.Environment) (*ClusterClient, error)
	// SpecChanged is called with an environment whose objects' spec
	// changed or that lost an object (the drift checker's Trigger).
	SpecChanged func(envID int64)
	// Interval between scans for newly deployed environments (default
	// 5 s); Debounce groups changes before a recompute (default 300 ms).
	Interval time.Duration
	Debounce time.Duration
	Log      *slog.Logger

	mu       sync.Mutex
	clusters map[string]*watchedCluster // by API server host
	envs     map[nsKey][]*store.Environment
	dirty    map[int64]bool
	kick     chan struct{}
}

type nsKey struct{ host, namespace string }

type watchedCluster struct {
	cache    cache.Cache
	stop     context.CancelFunc
	err      error
	failedAt time.Time
}

// watchedTypes are the kinds the cache holds.
func watchedTypes() []client.Object {
	return []client.Object{&appsv1.Deployment{}, &appsv1.StatefulSet{}, &batchv1.CronJob{}, &batchv1.Job{}, &corev1.Pod{},
		&autoscalingv2.HorizontalPodAutoscaler{}}
}

func (w *LiveWatcher) init() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.clusters != nil {
		return
	}
	if w.Interval <= 0 {
		w.Interval = 5 * time.Second
	}
	if w.Debounce <= 0 {
		w.Debounce = 300 * time.Millisecond
	}
	if w.Log == nil {
		w.Log = slog.Default()
	}
	w.clusters = map[string]*watchedCluster{}
	w.envs = map[nsKey][]*store.Environment{}
	w.dirty = map[int64]bool{}
	w.kick = make(chan struct{}, 1)
}

// Run watches until ctx ends, then stops every cache.
func (w *LiveWatcher) Run(ctx context.Context) error {
	w.init()
	defer func() {
		w.mu.Lock()
		for _, c := range w.clusters {
			c.stop()
		}
		w.mu.Unlock()
	}()
	tick := time.NewTicker(w.Interval)
	defer tick.Stop()
	for {
		if err := w.Scan(ctx); err != nil && ctx.Err() == nil {
			w.Log.Error("live state", "error", err)
		}
		w.Flush(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-w.kick:
			// Let a burst of changes (a rollout) settle before recomputing.
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(w.Debounce):
			}
		}
	}
}

// Scan starts a cache for each cluster of a deployed environment not yet
// watched and marks new environments for a first computation.
func (w *LiveWatcher) Scan(ctx context.Context) error {
	w.init()
	envs, _, err := w.Store.DeployedEnvironments(ctx)
	if err != nil {
		return err
	}
	byNS := map[nsKey][]*store.Environment{}
	clients := map[int64]*ClusterClient{} // one lookup per cluster and scan
	for _, e := range envs {
		cc, ok := clients[e.ClusterID]
		var err error
		if !ok {
			cc, err = w.Cluster(ctx, e)
			if err == nil && e.ClusterID != 0 {
				clients[e.ClusterID] = cc
			}
		}
		if err != nil {
			w.Log.Warn("live state: no cluster", "environment", e.ID, "error", err)
			continue
		}
		if cc.Config == nil {
			continue
		}
		if err := w.watch(ctx, cc); err != nil {
			w.Log.Warn("live state: watch", "cluster", cc.Config.Host, "error", err)
			continue
		}
		k := nsKey{cc.Config.Host, e.Namespace}
		byNS[k] = append(byNS[k], e)
	}
	w.mu.Lock()
	known := map[int64]bool{}
	for _, list := range w.envs {
		for _, e := range list {
			known[e.ID] = true
		}
	}
	for _, list := range byNS {
		for _, e := range list {
			if !known[e.ID] { // newly deployed: compute its state once
				w.dirty[e.ID] = true
			}
		}
	}
	w.envs = byNS
	w.mu.Unlock()
	return nil
}

// watch starts the cluster's cache once.
func (w *LiveWatcher) watch(ctx context.Context, cc *ClusterClient) error {
	host := cc.Config.Host
	w.mu.Lock()
	if c, ok := w.clusters[host]; ok {
		if c.err == nil || time.Since(c.failedAt) < time.Minute {
			w.mu.Unlock()
			return c.err
		}
		c.stop() // failed a minute ago: try again
		delete(w.clusters, host)
	}
	w.mu.Unlock()

	sel := labels.SelectorFromSet(labels.Set{render.LabelManagedBy: render.ManagedBy})
	c, err := cache.New(cc.Config, cache.Options{Scheme: clientgoscheme.Scheme, DefaultLabelSelector: sel})
	if err != nil {
		return fmt.Errorf("cluster %s: live-state cache: %w", host, err)
	}
	cctx, stop := context.WithCancel(ctx)
	wc := &watchedCluster{cache: c, stop: stop}
	for _, obj := range watchedTypes() {
		inf, err := c.GetInformer(cctx, obj)
		if err != nil {
			stop()
			return fmt.Errorf("cluster %s: informer for %T: %w", host, obj, err)
		}
		_, isPod := obj.(*corev1.Pod)
		_, err = inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc: func(o any) { w.changed(host, o, false) },
			UpdateFunc: func(oldObj, newObj any) {
				spec := false
				if o, ok := oldObj.(client.Object); ok && !isPod {
					if n, ok := newObj.(client.Object); ok {
						spec = o.GetGeneration() != n.GetGeneration()
					}
				}
				w.changed(host, newObj, spec)
			},
			DeleteFunc: func(o any) {
				if t, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
					o = t.Obj
				}
				w.changed(host, o, !isPod)
			},
		})
		if err != nil {
			stop()
			return fmt.Errorf("cluster %s: event handler: %w", host, err)
		}
	}
	go func() {
		if err := c.Start(cctx); err != nil && cctx.Err() == nil {
			w.Log.Error("live state: cache stopped", "cluster", host, "error", err)
		}
	}()
	syncCtx, cancel := context.WithTimeout(cctx, 30*time.Second)
	defer cancel()
	if !c.WaitForCacheSync(syncCtx) {
		wc.err = fmt.Errorf("cluster %s: live-state cache did not sync within 30 s (retried after a minute)", host)
		wc.failedAt = time.Now()
	}
	w.mu.Lock()
	w.clusters[host] = wc
	w.mu.Unlock()
	return wc.err
}

// changed marks the environments of an object's namespace.
func (w *LiveWatcher) changed(host string, o any, spec bool) {
	obj, ok := o.(client.Object)
	if !ok {
		return
	}
	w.mu.Lock()
	envs := w.envs[nsKey{host, obj.GetNamespace()}]
	for _, e := range envs {
		w.dirty[e.ID] = true
	}
	w.mu.Unlock()
	if len(envs) == 0 {
		return
	}
	if spec && w.SpecChanged != nil {
		for _, e := range envs {
			w.SpecChanged(e.ID)
		}
	}
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Flush recomputes and stores the state of every marked environment.
func (w *LiveWatcher) Flush(ctx context.Context) {
	w.init()
	w.mu.Lock()
	var todo []*store.Environment
	var hosts []string
	for k, list := range w.envs {
		for _, e := range list {
			if w.dirty[e.ID] {
				todo, hosts = append(todo, e), append(hosts, k.host)
				delete(w.dirty, e.ID)
			}
		}
	}
	w.mu.Unlock()
	for i, e := range todo {
		if err := w.update(ctx, hosts[i], e); err != nil && ctx.Err() == nil {
			w.Log.Warn("live state", "environment", e.ID, "error", err)
		}
	}
}

// update computes one environment's state from the cache and stores it,
// with an event per workload whose status changed.
func (w *LiveWatcher) update(ctx context.Context, host string, e *store.Environment) error {
	w.mu.Lock()
	wc := w.clusters[host]
	w.mu.Unlock()
	if wc == nil || wc.err != nil {
		return fmt.Errorf("environment %d: cluster %s is not watched", e.ID, host)
	}
	app, err := w.Store.GetAppByID(ctx, e.AppID)
	if err != nil {
		return err
	}
	opts := []client.ListOption{client.InNamespace(e.Namespace), client.MatchingLabels{render.LabelApp: app.Slug}}
	var (
		deps  appsv1.DeploymentList
		sts   appsv1.StatefulSetList
		cjs   batchv1.CronJobList
		jobs  batchv1.JobList
		pods  corev1.PodList
		hpas  autoscalingv2.HorizontalPodAutoscalerList
		lists = []client.ObjectList{&deps, &sts, &cjs, &jobs, &pods, &hpas}
	)
	for _, l := range lists {
		if err := wc.cache.List(ctx, l, opts...); err != nil {
			return fmt.Errorf("environment %s: list %T: %w", e.Name, l, err)
		}
	}
	state := livestate.Compute(livestate.Objects{Deployments: deps.Items, StatefulSets: sts.Items, CronJobs: cjs.Items,
		Jobs: jobs.Items, Pods: pods.Items, HPAs: hpas.Items}, time.Now())

	previous := &livestate.State{}
	if o, err := w.Store.Observe(ctx, e.ID, "live"); err == nil && o.JSON != "" {
		_ = json.Unmarshal([]byte(o.JSON), previous)
	}
	b, err := json.Marshal(state)
	if err != nil {
		return err
	}
	if err := w.Store.SetObservation(ctx, e.ID, "live", string(b)); err != nil {
		return err
	}
	for _, wl := range state.Workloads {
		// The first look at a workload is an event too: pages showing the
		// workload as only declared refresh from the stream.
		before := previous.Find(wl.Name)
		if before != nil && before.Status == wl.Status {
			continue
		}
		severity := map[string]string{livestate.Failed: "error"}[wl.Status]
		msg := fmt.Sprintf("workload %s in %s: observed %s", wl.Name, e.Name, wl.Status)
		if before != nil {
			msg = fmt.Sprintf("workload %s in %s: %s → %s", wl.Name, e.Name, before.Status, wl.Status)
		}
		if wl.Message != "" {
			msg += " (" + wl.Message + ")"
		}
		_ = w.Store.AppendEvent(ctx, &store.Event{OrgID: app.OrgID, AppID: app.ID, Kind: "workload." + wl.Status,
			Severity: severity, Message: msg, Actor: "cluster"})
	}
	return nil
}
