package reconciler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/polling"
	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	"github.com/fluxcd/cli-utils/pkg/object"
	"github.com/fluxcd/pkg/ssa"
	ssautils "github.com/fluxcd/pkg/ssa/utils"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/astrolift/astrolift/render"
	"github.com/astrolift/astrolift/store"
)

// Deployment states.
const (
	StatePending          = "pending"
	StateAwaitingApproval = "awaiting_approval"
	StateRendering        = "rendering"
	StateApplying         = "applying"
	StateVerifying        = "verifying"
	StateSucceeded        = "succeeded"
	StateFailed           = "failed"
	StateAborted          = "aborted"
)

// FieldManager is the server-side apply field manager of everything
// Astrolift applies.
const FieldManager = "astrolift"

// ClusterClient is how the deployer reaches an environment's cluster.
type ClusterClient struct {
	Client client.Client
	Poller *polling.StatusPoller
	// Config is the client's REST config; the live-state watch starts its
	// informers with it.
	Config *rest.Config
}

// Deployer walks pending deployments through render → apply → verify.
type Deployer struct {
	Store *store.Store
	// Cluster returns the client of an environment's cluster.
	Cluster func(ctx context.Context, env *store.Environment) (*ClusterClient, error)
	// VerifyInterval is how often readiness is polled (default 1 s).
	VerifyInterval time.Duration
	// ApplySlots, if set, bounds deployments rendering and applying at
	// once; a deployment gives its slot back before verifying (waiting for
	// readiness costs little), so a slow rollout does not hold up others.
	ApplySlots chan struct{}
	// Succeeded, if set, is told the environment of each deployment that
	// succeeded (the drift checker's Trigger: a fresh baseline at once).
	Succeeded func(envID int64)
	// ServiceAccountAnnotations go on the rendered ServiceAccount: the same
	// map as Onboarder's, or a deploy removes what onboarding applied.
	ServiceAccountAnnotations map[string]string
	// Secrets opens the manifest's sealed values with the platform identity.
	Secrets *Secrets
	// CertIssuer is the cert-manager ClusterIssuer of custom domains'
	// certificates: where the cluster has cert-manager's Certificate CRD,
	// each validated custom domain gets a Certificate. Empty: never.
	CertIssuer string
	// Box is the master key: it opens the values of the secret bundles an
	// environment attaches and the envelopes of its active managed
	// services, and seals the Secret values of the objects a
	// deployment stores (opened again to re-apply them). Nil: attaching a
	// bundle fails the deployment, and stored objects keep Secret values
	// as rendered.
	Box Box
}

// Run executes one deployment from its current state to a final one. Each
// step is a compare-and-set transition, so a deployment moved by someone
// else (aborted, or run by another replica) stops here with ErrConflict.
func (d *Deployer) Run(ctx context.Context, id int64) error {
	dep, err := d.Store.GetDeployment(ctx, id)
	if err != nil {
		return err
	}
	app, err := d.Store.GetAppByID(ctx, dep.AppID)
	if err != nil {
		return d.fail(ctx, dep, dep.Status, fmt.Errorf("app %d: %w", dep.AppID, err))
	}
	env, err := d.environment(ctx, app.ID, dep.EnvironmentID)
	if err != nil {
		return d.fail(ctx, dep, dep.Status, err)
	}
	if dep.Status == StatePending {
		if env.RequiredApprovals > 0 {
			return d.transition(ctx, dep, StatePending, StateAwaitingApproval, store.TransitionUpdate{
				Detail: fmt.Sprintf("waiting for %d approval(s)", env.RequiredApprovals)})
		}
		if err := d.transition(ctx, dep, StatePending, StateRendering, store.TransitionUpdate{Detail: "rendering " + app.ManifestPath}); err != nil {
			return err
		}
		dep.Status = StateRendering
	}
	if dep.Status == StateAwaitingApproval {
		n, err := d.Store.Approvals(ctx, id)
		if err != nil {
			return err
		}
		if n < env.RequiredApprovals {
			return nil // still waiting
		}
		if err := d.transition(ctx, dep, StateAwaitingApproval, StateRendering, store.TransitionUpdate{
			Detail: fmt.Sprintf("approved (%d of %d)", n, env.RequiredApprovals)}); err != nil {
			return err
		}
		dep.Status = StateRendering
	}
	var (
		objs []*unstructured.Unstructured
		m    *render.Manifest
	)
	release := func() {}
	if d.ApplySlots != nil && dep.Status != StateVerifying {
		select {
		case d.ApplySlots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		var once sync.Once
		release = func() { once.Do(func() { <-d.ApplySlots }) }
		defer release()
	}
	switch dep.Status {
	case StateRendering:
		objs, m, err = d.render(ctx, dep, app, env)
		if err != nil {
			return d.fail(ctx, dep, StateRendering, err)
		}
		text := dep.Rendered
		detail := fmt.Sprintf("%d objects rendered", len(objs))
		if dep.Trigger == "rollback" && dep.Rendered != "" {
			detail = fmt.Sprintf("re-applying the %d objects of deployment %d", len(objs), dep.RollbackOf)
		} else if text, err = yamlText(sealStored(d.Box, objs)); err != nil {
			return d.fail(ctx, dep, StateRendering, err)
		}
		if err := d.transition(ctx, dep, StateRendering, StateApplying, store.TransitionUpdate{Detail: detail, Rendered: &text}); err != nil {
			return err
		}
		dep.Status = StateApplying
	case StateApplying, StateVerifying:
		// Resumed after the replica running it stopped: the stored objects
		// are what it was applying (applying again is idempotent).
		if objs, m, err = d.render(ctx, dep, app, env); err != nil {
			return d.fail(ctx, dep, dep.Status, err)
		}
		if err := d.transition(ctx, dep, dep.Status, dep.Status, store.TransitionUpdate{
			Detail: "resumed " + dep.Status + " after the replica running it stopped"}); err != nil {
			return err
		}
	default:
		return fmt.Errorf("deployment %d is %s; Run takes pending, approved or in-flight deployments", id, dep.Status)
	}

	cc, err := d.Cluster(ctx, env)
	if err != nil {
		return d.fail(ctx, dep, dep.Status, fmt.Errorf("environment %s: cluster: %w", env.Name, err))
	}
	rm := cc.resourceManager()
	if dep.Status == StateApplying {
		// Applying, then pruning what the last deployment applied and this
		// one does not.
		changes, err := rm.ApplyAllStaged(ctx, objs, applyOptions())
		if err != nil {
			return d.fail(ctx, dep, StateApplying, err)
		}
		pruned, err := d.prune(ctx, rm, env, objs)
		if err != nil {
			return d.fail(ctx, dep, StateApplying, err)
		}
		detail := summarize(changes)
		if len(pruned) > 0 {
			detail += "; pruned " + strings.Join(pruned, ", ")
		}
		if err := d.transition(ctx, dep, StateApplying, StateVerifying, store.TransitionUpdate{Detail: detail}); err != nil {
			return err
		}
	}

	// Verifying: the workloads' rollouts (the other kinds are ready once
	// applied).
	release()
	interval := d.VerifyInterval
	if interval <= 0 {
		interval = time.Second
	}
	timeout := m.Environment(env.Name).DeployTimeout()
	set := object.UnstructuredSetToObjMetadataSet(rollouts(objs))
	if err := rm.WaitForSetWithContext(ctx, set, ssa.WaitOptions{Interval: interval, Timeout: timeout, FailFast: true}); err != nil {
		return d.fail(ctx, dep, StateVerifying, notReady(ctx, cc.Client, objs, timeout, err))
	}
	if err := d.transition(ctx, dep, StateVerifying, StateSucceeded, store.TransitionUpdate{
		Detail: fmt.Sprintf("%d objects ready", len(objs)), Finished: true}); err != nil {
		return err
	}
	if d.Succeeded != nil {
		d.Succeeded(env.ID)
	}
	return nil
}

// render returns the deployment's objects: the stored ones when it has them
// (a rollback, or a deployment resumed after rendering), else the manifest
// rendered for the environment, with the namespace first.
func (d *Deployer) render(ctx context.Context, dep *store.Deployment, app *store.App, env *store.Environment) ([]*unstructured.Unstructured, *render.Manifest, error) {
	m, err := render.Parse(app.ManifestPath, []byte(dep.ManifestRaw))
	if err != nil {
		return nil, nil, err
	}
	if dep.Rendered != "" && (dep.Status != StateRendering || dep.Trigger == "rollback") {
		objs, err := ssautils.ReadObjects(strings.NewReader(dep.Rendered))
		if err == nil {
			err = openStored(d.Box, objs)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("deployment %d: stored objects: %w", dep.ID, err)
		}
		return objs, m, nil
	}
	image := imageRef(dep.Image, dep.ImageDigest)
	if image == "" { // a push or a config change keeps the image that runs
		last, err := d.Store.ListDeployments(ctx, store.DeploymentFilter{EnvironmentID: env.ID, Statuses: []string{StateSucceeded}, Limit: 1})
		if err != nil {
			return nil, nil, err
		}
		if len(last) > 0 {
			image = imageRef(last[0].Image, last[0].ImageDigest)
		}
	}
	// The bundles this environment attaches, read now: a value rotated
	// since the last deployment is picked up here.
	var bundles map[string]string
	if names := m.Environment(env.Name).Secrets.Bundles; len(names) > 0 {
		if bundles, err = BundleValues(ctx, d.Store, d.Box, app.OrgID, names); err != nil {
			return nil, nil, fmt.Errorf("environment %s: %w", env.Name, err)
		}
	}
	// The envelopes of the environment's active managed services, read
	// now: a service that became active since is injected here.
	managed, err := ManagedEnv(ctx, d.Store, d.Box, env.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("environment %s: %w", env.Name, err)
	}
	// The environment's validated custom domains, read now: a domain
	// validated since the last deployment is served from this one.
	domains, err := d.Store.ValidatedHostnames(ctx, env.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("environment %s: %w", env.Name, err)
	}
	in := render.Input{App: app.Slug, Environment: env.Name, Namespace: env.Namespace, Image: image,
		Replicas: env.Replicas, ServiceAccountAnnotations: d.ServiceAccountAnnotations, Bundles: bundles, ManagedEnv: managed,
		CustomDomains: domains}
	if len(domains) > 0 && d.CertIssuer != "" {
		if in.CertIssuer, err = d.certIssuer(ctx, env); err != nil {
			return nil, nil, err
		}
	}
	if err := d.Secrets.Input(ctx, app, m, &in); err != nil {
		return nil, nil, err
	}
	objs, err := render.Render(m, in)
	if err != nil {
		return nil, nil, err
	}
	return append([]*unstructured.Unstructured{namespaceObject(app.Slug, env)}, objs...), m, nil
}

// certIssuer is d.CertIssuer when the environment's cluster serves
// cert-manager's Certificate (cert-manager.io/v1), else "".
func (d *Deployer) certIssuer(ctx context.Context, env *store.Environment) (string, error) {
	cc, err := d.Cluster(ctx, env)
	if err != nil {
		return "", fmt.Errorf("environment %s: cluster: %w", env.Name, err)
	}
	_, err = cc.Client.RESTMapper().RESTMapping(schema.GroupKind{Group: "cert-manager.io", Kind: "Certificate"}, "v1")
	switch {
	case err == nil:
		return d.CertIssuer, nil
	case meta.IsNoMatchError(err):
		return "", nil
	}
	return "", fmt.Errorf("environment %s: look for cert-manager's Certificate: %w", env.Name, err)
}

// ownerLabels mark what Astrolift applies for an app's environment outside
// the rendered objects (namespace, onboarding's ServiceAccount).
func ownerLabels(app string, env *store.Environment) map[string]any {
	return map[string]any{render.LabelManagedBy: render.ManagedBy, render.LabelApp: app, render.LabelEnvironment: env.Name}
}

// namespaceObject is an environment's Namespace, as onboarding and every
// deployment apply it (one field manager: the same labels, or one of them
// removes what the other set).
func namespaceObject(app string, env *store.Environment) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": env.Namespace, "labels": ownerLabels(app, env)}}}
}

// rollouts are the objects whose readiness takes a rollout.
func rollouts(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		switch o.GetKind() {
		case "Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet", "PersistentVolumeClaim":
			out = append(out, o)
		}
	}
	return out
}

func yamlText(objs []*unstructured.Unstructured) (string, error) {
	b, err := render.YAML(objs)
	return string(b), err
}

// resourceManager applies as Astrolift's field manager.
func (cc *ClusterClient) resourceManager() *ssa.ResourceManager {
	return ssa.NewResourceManager(cc.Client, cc.Poller, ssa.Owner{Field: FieldManager, Group: "astrolift.dev"})
}

// applyOptions are the server-side apply options of deployments and of
// drift correction: objects staged (namespaces, then the rest), fields of
// kubectl and of pre-SSA updates handed over to Astrolift.
func applyOptions() ssa.ApplyOptions {
	opts := ssa.DefaultApplyOptions()
	// The namespace stage is waited for before the objects in it; poll
	// briefly rather than the default 2 s.
	opts.WaitInterval, opts.WaitTimeout = 100*time.Millisecond, time.Minute
	opts.Cleanup = ssa.ApplyCleanupOptions{
		Annotations: []string{"kubectl.kubernetes.io/last-applied-configuration"},
		FieldManagers: []ssa.FieldManager{
			{Name: "kubectl", OperationType: "Apply"}, {Name: "kubectl", OperationType: "Update"},
			{Name: "before-first-apply", OperationType: "Update"},
		},
	}
	return opts
}

func (d *Deployer) environment(ctx context.Context, appID, envID int64) (*store.Environment, error) {
	envs, err := d.Store.ListEnvironments(ctx, appID)
	if err != nil {
		return nil, err
	}
	for _, e := range envs {
		if e.ID == envID {
			return e, nil
		}
	}
	return nil, fmt.Errorf("environment %d of app %d: %w", envID, appID, store.ErrNotFound)
}

// fail moves the deployment from state to failed with err as its error.
func (d *Deployer) fail(ctx context.Context, dep *store.Deployment, from string, cause error) error {
	msg := cause.Error()
	if err := d.transition(ctx, dep, from, StateFailed, store.TransitionUpdate{
		Detail: from + " failed: " + msg, Error: msg, Finished: true}); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// inventoryEntry names one applied object.
type inventoryEntry struct {
	Group     string `json:"group"`
	Version   string `json:"version"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// prune deletes the objects of the environment's inventory that are not in
// objs (never the namespace), then stores objs as the new inventory.
func (d *Deployer) prune(ctx context.Context, rm *ssa.ResourceManager, env *store.Environment, objs []*unstructured.Unstructured) ([]string, error) {
	current := map[inventoryEntry]bool{}
	var next []inventoryEntry
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		e := inventoryEntry{gvk.Group, gvk.Version, gvk.Kind, o.GetNamespace(), o.GetName()}
		current[e] = true
		next = append(next, e)
	}
	raw, err := d.Store.Inventory(ctx, env.ID)
	if err != nil {
		return nil, err
	}
	var previous []inventoryEntry
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &previous); err != nil {
			return nil, fmt.Errorf("environment %s: inventory: %w", env.Name, err)
		}
	}
	var stale []*unstructured.Unstructured
	var names []string
	for _, e := range previous {
		if current[e] || e.Kind == "Namespace" {
			continue
		}
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(schema.GroupVersionKind{Group: e.Group, Version: e.Version, Kind: e.Kind})
		u.SetNamespace(e.Namespace)
		u.SetName(e.Name)
		stale = append(stale, u)
		names = append(names, e.Kind+"/"+e.Name)
	}
	if len(stale) > 0 {
		if _, err := rm.DeleteAll(ctx, stale, ssa.DefaultDeleteOptions()); err != nil {
			return nil, fmt.Errorf("prune: %w", err)
		}
	}
	b, _ := json.Marshal(next)
	if err := d.Store.SetInventory(ctx, env.ID, string(b)); err != nil {
		return nil, err
	}
	sort.Strings(names)
	return names, nil
}

func summarize(cs *ssa.ChangeSet) string {
	counts := map[ssa.Action]int{}
	for _, e := range cs.Entries {
		counts[e.Action]++
	}
	var parts []string
	for _, a := range []ssa.Action{ssa.CreatedAction, ssa.ConfiguredAction, ssa.UnchangedAction} {
		if counts[a] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[a], a))
		}
	}
	return "applied: " + strings.Join(parts, ", ")
}

// transition moves a deployment and records it as an event
// ("deployment.<state>"), so the live stream shows every step.
func (d *Deployer) transition(ctx context.Context, dep *store.Deployment, from, to string, u store.TransitionUpdate) error {
	if err := d.Store.TransitionDeployment(ctx, dep.ID, from, to, u); err != nil {
		return err
	}
	msg := fmt.Sprintf("deployment %d: %s", dep.ID, to)
	if u.Detail != "" {
		msg += ": " + u.Detail
	}
	severity := "info"
	if to == StateFailed {
		severity = "error"
	}
	app, err := d.Store.GetAppByID(ctx, dep.AppID)
	if err != nil {
		return nil // the transition stands; the event is best effort
	}
	_ = d.Store.AppendEvent(ctx, &store.Event{OrgID: app.OrgID, AppID: dep.AppID, DeploymentID: dep.ID, Kind: "deployment." + to,
		Severity: severity, Message: msg, Actor: "deployer"})
	return nil
}

// notReady names the objects that are not ready (kstatus), with their
// status and message, so a failed verification says what to look at.
func notReady(ctx context.Context, c client.Client, objs []*unstructured.Unstructured, timeout time.Duration, cause error) error {
	var names []string
	for _, o := range objs {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(o.GroupVersionKind())
		id := fmt.Sprintf("%s/%s/%s", o.GetKind(), o.GetNamespace(), o.GetName())
		if o.GetNamespace() == "" {
			id = o.GetKind() + "/" + o.GetName()
		}
		if err := c.Get(ctx, client.ObjectKeyFromObject(o), u); err != nil {
			names = append(names, fmt.Sprintf("%s (%v)", id, err))
			continue
		}
		res, err := status.Compute(u)
		if err != nil {
			names = append(names, fmt.Sprintf("%s (%v)", id, err))
			continue
		}
		if res.Status != status.CurrentStatus {
			names = append(names, fmt.Sprintf("%s (%s: %s)", id, res.Status, res.Message))
		}
	}
	if len(names) == 0 {
		return cause
	}
	return fmt.Errorf("not ready within %s: %s", timeout, strings.Join(names, "; "))
}
