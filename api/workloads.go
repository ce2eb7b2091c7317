package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	ssautils "github.com/fluxcd/pkg/ssa/utils"
	"github.com/gin-gonic/gin"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/astrolift/astrolift/drift"
	"github.com/astrolift/astrolift/reconciler/livestate"
	"github.com/astrolift/astrolift/render"
	"github.com/astrolift/astrolift/store"
)

// workloadDTO is one workload in one environment, as it runs.
type workloadDTO struct {
	Environment string `json:"environment"`
	livestate.Workload
	// ObservedAt is when the watch last computed the environment's state
	// (null: never; the workload is then listed from the manifest).
	ObservedAt *time.Time `json:"observed_at"`
}

type workloadDetailDTO struct {
	Name         string        `json:"name"`
	Environments []workloadDTO `json:"environments"`
}

// environmentWorkloads lists one environment's workloads: those the watch
// sees, then those the manifest m (nil when it does not parse) declares
// that are not running (status unknown, "not deployed").
func (a *API) environmentWorkloads(ctx context.Context, m *render.Manifest, e *store.Environment) []workloadDTO {
	out := []workloadDTO{}
	seen := map[string]bool{}
	if o, err := a.store.Observe(ctx, e.ID, "live"); err == nil && o.JSON != "" {
		var st livestate.State
		if json.Unmarshal([]byte(o.JSON), &st) == nil {
			for _, w := range st.Workloads {
				out = append(out, workloadDTO{Environment: e.Name, Workload: w, ObservedAt: o.At})
				seen[w.Name] = true
			}
		}
	}
	if m != nil {
		declared := m.Environment(e.Name).Workloads
		names := make([]string, 0, len(declared))
		for n := range declared {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if !seen[n] {
				out = append(out, workloadDTO{Environment: e.Name, Workload: livestate.Workload{Name: n, Kind: declared[n].Kind,
					Status: livestate.Unknown, Message: "not deployed", Containers: []livestate.Container{}}})
			}
		}
	}
	return out
}

// environmentsParam returns the app's environments, or the one named by
// ?environment.
func (a *API) environmentsParam(c *gin.Context, app *store.App) ([]*store.Environment, bool) {
	ctx := c.Request.Context()
	if name := c.Query("environment"); name != "" {
		e, err := a.store.GetEnvironment(ctx, app.ID, name)
		if err != nil {
			a.fail(c, invalid("environment", "no environment %q", name))
			return nil, false
		}
		return []*store.Environment{e}, true
	}
	envs, err := a.store.ListEnvironments(ctx, app.ID)
	if err != nil {
		a.fail(c, err)
		return nil, false
	}
	return envs, true
}

// listWorkloads lists the app's workloads per environment (?environment).
func (a *API) listWorkloads(c *gin.Context) {
	app := c.MustGet("app").(*store.App)
	envs, ok := a.environmentsParam(c, app)
	if !ok {
		return
	}
	m := parsedManifest(app)
	out := []workloadDTO{}
	for _, e := range envs {
		out = append(out, a.environmentWorkloads(c.Request.Context(), m, e)...)
	}
	c.JSON(http.StatusOK, Page[workloadDTO]{Items: out})
}

// getWorkload shows one workload in every environment (or ?environment).
func (a *API) getWorkload(c *gin.Context) {
	app := c.MustGet("app").(*store.App)
	envs, ok := a.environmentsParam(c, app)
	if !ok {
		return
	}
	m := parsedManifest(app)
	out := workloadDetailDTO{Name: c.Param("name"), Environments: []workloadDTO{}}
	for _, e := range envs {
		for _, w := range a.environmentWorkloads(c.Request.Context(), m, e) {
			if w.Name == out.Name {
				out.Environments = append(out.Environments, w)
			}
		}
	}
	if len(out.Environments) == 0 {
		a.fail(c, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "workload " + out.Name + ": not found in app " + app.Slug})
		return
	}
	c.JSON(http.StatusOK, out)
}

// topologyNode is one box of the topology graph.
type topologyNode struct {
	ID     string `json:"id"`   // "<kind>:<name>"
	Kind   string `json:"kind"` // ingress | service | workload | managed_service | dependency
	Name   string `json:"name"`
	Status string `json:"status"` // running | provisioning | failed | unknown
	Detail string `json:"detail,omitempty"`
}

type topologyEdge struct {
	From string `json:"from"`
	To   string `json:"to"`
}

type topologyDTO struct {
	Environment string         `json:"environment"`
	Nodes       []topologyNode `json:"nodes"`
	Edges       []topologyEdge `json:"edges"`
}

// topology is the app's graph in one environment (?environment, default
// the first): ingress → services → workloads → external dependencies, each
// with its status. Ingresses and Services come from the last succeeded
// deployment (missing ones, per the drift check, are failed); before any
// deployment, from the manifest, with status unknown.
func (a *API) topology(c *gin.Context) {
	ctx := c.Request.Context()
	app := c.MustGet("app").(*store.App)
	envs, ok := a.environmentsParam(c, app)
	if !ok {
		return
	}
	if len(envs) == 0 {
		a.fail(c, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "app " + app.Slug + " has no environment"})
		return
	}
	e := envs[0]
	out := topologyDTO{Environment: e.Name, Nodes: []topologyNode{}, Edges: []topologyEdge{}}
	m := parsedManifest(app)

	objs, deployed := a.deployedObjects(ctx, e)
	if !deployed && m != nil {
		objs, _ = render.Preview(m, render.Input{App: app.Slug, Environment: e.Name, Namespace: e.Namespace, Image: "latest"})
	}
	missing := map[string]bool{}
	if o, err := a.store.Observe(ctx, e.ID, "drift"); err == nil && o.JSON != "" {
		var rep drift.Report
		if json.Unmarshal([]byte(o.JSON), &rep) == nil {
			for _, ob := range rep.Objects {
				if ob.Missing {
					missing[ob.Kind+"/"+ob.Name] = true
				}
			}
		}
	}
	status := func(u *unstructured.Unstructured) string {
		switch {
		case !deployed:
			return livestate.Unknown
		case missing[u.GetKind()+"/"+u.GetName()]:
			return livestate.Failed
		}
		return livestate.Running
	}
	workloadOf := map[string]string{} // Service name → workload
	for _, u := range objs {
		switch u.GetKind() {
		case "Service":
			w := u.GetLabels()[render.LabelWorkload]
			workloadOf[u.GetName()] = w
			ports, _, _ := unstructured.NestedSlice(u.Object, "spec", "ports")
			var ps []string
			for _, p := range ports {
				if pm, ok := p.(map[string]any); ok {
					ps = append(ps, fmt.Sprint(pm["port"]))
				}
			}
			out.Nodes = append(out.Nodes, topologyNode{ID: "service:" + u.GetName(), Kind: "service", Name: u.GetName(), Status: status(u),
				Detail: "port " + strings.Join(ps, ", ")})
			if w != "" {
				out.Edges = append(out.Edges, topologyEdge{From: "service:" + u.GetName(), To: "workload:" + w})
			}
		}
	}
	for _, u := range objs {
		if u.GetKind() != "Ingress" {
			continue
		}
		rules, _, _ := unstructured.NestedSlice(u.Object, "spec", "rules")
		var hosts []string
		backends := map[string]bool{}
		for _, r := range rules {
			rm, _ := r.(map[string]any)
			if h, ok := rm["host"].(string); ok {
				hosts = append(hosts, h)
			}
			paths, _, _ := unstructured.NestedSlice(rm, "http", "paths")
			for _, p := range paths {
				if pm, ok := p.(map[string]any); ok {
					if name, ok, _ := unstructured.NestedString(pm, "backend", "service", "name"); ok {
						backends[name] = true
					}
				}
			}
		}
		out.Nodes = append(out.Nodes, topologyNode{ID: "ingress:" + u.GetName(), Kind: "ingress", Name: u.GetName(), Status: status(u),
			Detail: strings.Join(hosts, ", ")})
		names := make([]string, 0, len(backends))
		for b := range backends {
			names = append(names, b)
		}
		sort.Strings(names)
		for _, b := range names {
			out.Edges = append(out.Edges, topologyEdge{From: "ingress:" + u.GetName(), To: "service:" + b})
		}
	}
	var serving []string // workloads that run continuously
	for _, w := range a.environmentWorkloads(ctx, m, e) {
		detail := w.Kind
		if w.DesiredReplicas != nil {
			detail += fmt.Sprintf(" %d/%d ready", w.ReadyReplicas, *w.DesiredReplicas)
		}
		out.Nodes = append(out.Nodes, topologyNode{ID: "workload:" + w.Name, Kind: "workload", Name: w.Name, Status: w.Status, Detail: detail})
		if w.Kind != "cronjob" {
			serving = append(serving, w.Name)
		}
	}
	if m != nil {
		deps := m.Environment(e.Name).Dependencies
		names := make([]string, 0, len(deps))
		for n := range deps {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			out.Nodes = append(out.Nodes, topologyNode{ID: "dependency:" + n, Kind: "dependency", Name: n, Status: livestate.Unknown, Detail: deps[n].URL})
			for _, w := range serving {
				out.Edges = append(out.Edges, topologyEdge{From: "workload:" + w, To: "dependency:" + n})
			}
		}
	}
	c.JSON(http.StatusOK, out)
}

// deployedObjects are the objects of the environment's last succeeded
// deployment.
func (a *API) deployedObjects(ctx context.Context, e *store.Environment) ([]*unstructured.Unstructured, bool) {
	last, err := a.store.ListDeployments(ctx, store.DeploymentFilter{EnvironmentID: e.ID, Statuses: []string{"succeeded"}, Limit: 1})
	if err != nil || len(last) == 0 {
		return nil, false
	}
	objs, err := ssautils.ReadObjects(strings.NewReader(last[0].Rendered))
	if err != nil {
		return nil, false
	}
	return objs, true
}

// parsedManifest is the app's synced manifest, or nil when it does not
// parse (then only what runs is shown).
func parsedManifest(app *store.App) *render.Manifest {
	m, err := render.Parse(app.ManifestPath, []byte(app.Manifest.Raw))
	if err != nil {
		return nil
	}
	return m
}
