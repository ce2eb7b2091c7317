package reconciler

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/fluxcd/pkg/ssa"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/astrolift/astrolift/store"
)

// App onboarding states.
const (
	AppPending      = "pending"
	AppProvisioning = "provisioning"
	AppReady        = "ready"
	AppFailed       = "failed"
)

// Onboarder provisions newly registered apps: pending → provisioning →
// ready (or failed with the reason). For each environment it applies the
// namespace and the ServiceAccount the workloads run as (workload identity,
// with ServiceAccountAnnotations for cloud IAM). An app without
// environments gets "production" on the cluster named DefaultCluster when
// that cluster exists. With a Registry, the app's image repository
// (<registry>/<org slug>/<app slug>) is recorded on the app with what the
// registry holds there ("no image pushed yet", "N tags"); a registry that
// cannot be read fails the onboarding with the reason. Applying is
// server-side and idempotent and the registry check only reads, so an
// interrupted onboarding simply runs again.
type Onboarder struct {
	Store    *store.Store
	Cluster  func(ctx context.Context, env *store.Environment) (*ClusterClient, error)
	Interval time.Duration // between scans; default 2 s
	// DefaultCluster names the cluster of the default environment
	// (default "local").
	DefaultCluster string
	// ServiceAccountAnnotations go on every environment's ServiceAccount
	// (cloud IAM). The Deployer applies the same ServiceAccount with the
	// same field manager, so it must carry the same map.
	ServiceAccountAnnotations map[string]string
	// Registry, when set, is where the apps' images live.
	Registry *Registry
	Log      *slog.Logger
}

// Run scans for apps to onboard until ctx ends.
func (o *Onboarder) Run(ctx context.Context) error {
	interval := o.Interval
	if interval <= 0 {
		interval = 2 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := o.Scan(ctx); err != nil && ctx.Err() == nil {
			o.Log.Error("onboarding", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Scan onboards every pending or provisioning app.
func (o *Onboarder) Scan(ctx context.Context) error {
	for _, status := range []string{AppPending, AppProvisioning} {
		apps, err := o.Store.ListApps(ctx, store.AppFilter{Status: status, Limit: 500})
		if err != nil {
			return err
		}
		for _, a := range apps {
			o.Onboard(ctx, a)
		}
	}
	return nil
}

// Onboard provisions one app and records the outcome on it.
func (o *Onboarder) Onboard(ctx context.Context, a *store.App) {
	if a.Status == AppPending {
		if err := o.Store.SetAppStatus(ctx, a.ID, AppProvisioning, ""); err != nil {
			o.Log.Error("onboarding", "app", a.Slug, "error", err)
			return
		}
		o.event(ctx, a, "app.status", "provisioning")
	}
	if err := o.provision(ctx, a); err != nil {
		if serr := o.Store.SetAppStatus(ctx, a.ID, AppFailed, err.Error()); serr != nil {
			o.Log.Error("onboarding", "app", a.Slug, "error", serr)
		}
		o.event(ctx, a, "app.status", "failed: "+err.Error())
		return
	}
	if err := o.Store.SetAppStatus(ctx, a.ID, AppReady, ""); err != nil {
		o.Log.Error("onboarding", "app", a.Slug, "error", err)
		return
	}
	o.event(ctx, a, "app.status", "ready")
}

func (o *Onboarder) provision(ctx context.Context, a *store.App) error {
	envs, err := o.Store.ListEnvironments(ctx, a.ID)
	if err != nil {
		return err
	}
	if len(envs) == 0 {
		name := o.DefaultCluster
		if name == "" {
			name = "local"
		}
		cl, err := o.Store.GetCluster(ctx, a.OrgID, name)
		if err != nil {
			return fmt.Errorf("no environment, and no cluster %q for a default one: add an environment", name)
		}
		e := &store.Environment{AppID: a.ID, Name: "production", Namespace: a.Slug + "-production", ClusterID: cl.ID}
		if err := o.Store.CreateEnvironment(ctx, e); err != nil {
			return err
		}
		envs = append(envs, e)
	}
	for _, e := range envs {
		cc, err := o.Cluster(ctx, e)
		if err != nil {
			return fmt.Errorf("environment %s: %w", e.Name, err)
		}
		labels := ownerLabels(a.Slug, e)
		ns := namespaceObject(a.Slug, e)
		saMeta := map[string]any{"name": a.Slug, "namespace": e.Namespace, "labels": labels}
		if len(o.ServiceAccountAnnotations) > 0 {
			ann := map[string]any{}
			for k, v := range o.ServiceAccountAnnotations {
				ann[k] = v
			}
			saMeta["annotations"] = ann
		}
		sa := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": saMeta}}
		rm := ssa.NewResourceManager(cc.Client, cc.Poller, ssa.Owner{Field: FieldManager, Group: "astrolift.dev"})
		if _, err := rm.ApplyAllStaged(ctx, []*unstructured.Unstructured{ns, sa}, ssa.DefaultApplyOptions()); err != nil {
			return fmt.Errorf("environment %s: %w", e.Name, err)
		}
	}
	return o.checkRegistry(ctx, a)
}

// checkRegistry records the app's image repository and what the registry
// holds there. Without a registry nothing is recorded.
func (o *Onboarder) checkRegistry(ctx context.Context, a *store.App) error {
	if o.Registry == nil {
		return nil
	}
	org, err := o.Store.GetOrganizationByID(ctx, a.OrgID)
	if err != nil {
		return err
	}
	reg := store.Registry{Repository: o.Registry.Repository(org.Slug, a.Slug)}
	status, checkErr := o.Registry.Check(ctx, org.Slug, a.Slug)
	if checkErr != nil {
		reg.Status = "error: " + checkErr.Error()
	} else {
		reg.Status = status
	}
	if err := o.Store.SetAppRegistry(ctx, a.ID, reg); err != nil {
		return err
	}
	if checkErr == nil && a.Registry != reg {
		o.event(ctx, a, "app.registry", reg.Repository+": "+reg.Status)
	}
	return checkErr
}

func (o *Onboarder) event(ctx context.Context, a *store.App, kind, msg string) {
	if err := o.Store.AppendEvent(ctx, &store.Event{OrgID: a.OrgID, AppID: a.ID, Kind: kind, Message: msg, Actor: "onboarding"}); err != nil {
		o.Log.Error("record event", "app", a.Slug, "error", err)
	}
}
