package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/astrolift/astrolift/store"
)

// Environments: replicas set and cleared (null), bad values refused with the
// field named and nothing stored, self-heal, pause and resume as actions
// with their events, and the drift report as the reconciler stored it.
func TestEnvironmentSettingsAndDrift(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	tok := h.user("admin@acme.test", "org.admin")
	path := "/api/v1/apps/shop/environments/staging"
	type envDTO struct {
		Replicas *int `json:"replicas"`
		SelfHeal bool `json:"self_heal"`
		Paused   bool `json:"paused"`
	}
	patch := func(body string) (response, envDTO) {
		r := h.do(request{method: http.MethodPatch, path: path, token: tok, body: body})
		var e envDTO
		if r.Code == http.StatusOK {
			r.decode(t, &e)
		}
		return r, e
	}
	if r, e := patch(`{"replicas": 4, "self_heal": true}`); r.Code != 200 || e.Replicas == nil || *e.Replicas != 4 || !e.SelfHeal {
		t.Fatalf("set replicas: %d %s", r.Code, r.body)
	}
	if r, e := patch(`{"public_url": "https://staging.shop.test"}`); r.Code != 200 || e.Replicas == nil || *e.Replicas != 4 {
		t.Errorf("an absent replicas must keep the override: %d %s", r.Code, r.body)
	}
	for _, bad := range []string{`{"replicas": -1}`, `{"replicas": "three"}`, `{"replicas": 1.5}`} {
		r, _ := patch(bad)
		if code, field := r.errorCode(); r.Code != 400 || code != "invalid" || field != "replicas" {
			t.Errorf("%s: %d %s, want 400 naming replicas", bad, r.Code, r.body)
		}
	}
	if e, _ := h.s.GetEnvironment(ctx, h.app.ID, "staging"); e.Replicas == nil || *e.Replicas != 4 {
		t.Errorf("a refused update changed the stored override: %v", e.Replicas)
	}
	if r, e := patch(`{"replicas": null}`); r.Code != 200 || e.Replicas != nil {
		t.Errorf("null must clear the override: %d %s", r.Code, r.body)
	}

	for _, step := range []struct {
		action string
		paused bool
	}{{"pause", true}, {"resume", false}} {
		r := h.do(request{method: http.MethodPost, path: path + "/" + step.action, token: tok})
		var e envDTO
		r.decode(t, &e)
		if r.Code != 200 || e.Paused != step.paused {
			t.Errorf("%s: %d %s", step.action, r.Code, r.body)
		}
	}
	if r := h.do(request{method: http.MethodPost, path: path + "/explode", token: tok}); r.Code != 404 {
		t.Errorf("unknown action: %d", r.Code)
	}
	evs, _ := h.s.ListEvents(ctx, store.EventFilter{AppID: h.app.ID, AfterID: -1})
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	if got := strings.Join(kinds, " "); !strings.Contains(got, "environment.paused environment.resumed") {
		t.Errorf("events %q", got)
	}

	// Drift: unknown before any check; then what the reconciler stored.
	var d struct {
		Status  string `json:"status"`
		Objects []struct {
			Kind   string `json:"kind"`
			Fields []struct {
				Path      string `json:"path"`
				ChangedBy []struct {
					Name string `json:"name"`
				} `json:"changed_by"`
			} `json:"fields"`
		} `json:"objects"`
	}
	r := h.do(request{method: http.MethodGet, path: path + "/drift", token: tok})
	r.decode(t, &d)
	if r.Code != 200 || d.Status != "unknown" || len(d.Objects) != 0 {
		t.Errorf("drift before a check: %d %s", r.Code, r.body)
	}
	must(t, h.s.SetObservation(ctx, h.env.ID, "drift", `{"deployment_id":1,"checked_at":"2026-12-03T06:00:00Z","objects":[
		{"kind":"Deployment","namespace":"shop-staging","name":"shop-web","fields":[{"path":"/spec/replicas","op":"replace","live":7,"desired":2,"changed_by":[{"name":"kubectl-edit","operation":"Update"}]}]}]}`))
	r = h.do(request{method: http.MethodGet, path: path + "/drift", token: tok})
	r.decode(t, &d)
	if r.Code != 200 || d.Status != "drifted" || len(d.Objects) != 1 || d.Objects[0].Fields[0].Path != "/spec/replicas" ||
		d.Objects[0].Fields[0].ChangedBy[0].Name != "kubectl-edit" {
		t.Errorf("drift: %d %s", r.Code, r.body)
	}
}

// A deployment's detail shows its stored objects with Secret values
// masked, and its own events.
func TestDeploymentDetailMasksSecrets(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	tok := h.user("admin@acme.test", "org.admin")
	rendered := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: shop-env\n  namespace: shop-staging\ndata:\n  STRIPE_KEY: c2stbGl2ZS1zZWNyZXQ=\n" +
		"---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: shop\n  namespace: shop-staging\n"
	d := &store.Deployment{AppID: h.app.ID, EnvironmentID: h.env.ID, Trigger: "manual", Status: "succeeded", Rendered: rendered}
	must(t, h.s.CreateDeployment(ctx, d, "test"))
	must(t, h.s.AppendEvent(ctx, &store.Event{OrgID: h.org.ID, AppID: h.app.ID, DeploymentID: d.ID, Kind: "deployment.succeeded", Message: "mine"}))
	must(t, h.s.AppendEvent(ctx, &store.Event{OrgID: h.org.ID, AppID: h.app.ID, Kind: "app.status", Message: "not mine"}))
	r := h.do(request{method: http.MethodGet, path: fmt.Sprintf("/api/v1/deployments/%d", d.ID), token: tok})
	var detail struct {
		Events []struct {
			Kind    string `json:"kind"`
			Message string `json:"message"`
		} `json:"events"`
	}
	r.decode(t, &detail)
	if len(detail.Events) != 1 || detail.Events[0].Message != "mine" {
		t.Errorf("deployment events %+v, want only the deployment's own", detail.Events)
	}
	if r.Code != 200 || strings.Contains(string(r.body), "c2stbGl2ZS1zZWNyZXQ=") || !strings.Contains(string(r.body), "STRIPE_KEY: '********'") ||
		!strings.Contains(string(r.body), "kind: ServiceAccount") {
		t.Errorf("deployment detail: %d %s", r.Code, r.body)
	}
}

// Workloads come from the live state the watch stored, plus manifest
// workloads that do not run yet; the topology links ingress → service →
// workload → dependency with each node's status.
func TestWorkloadsAndTopology(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	tok := h.user("viewer@acme.test", "app.viewer")
	manifest := sharedManifest + "[workloads.worker]\n[[workloads.worker.containers]]\nimage = \"nginx:1.27\"\n[dependencies.stripe]\nurl = \"https://api.stripe.com\"\n"
	must(t, h.s.SetSnapshot(ctx, h.app.ID, store.Snapshot{Raw: manifest, Commit: "c1", BlobID: "b1"}, false))

	// Before anything runs: both workloads from the manifest, unknown.
	var page struct {
		Items []struct {
			Environment     string `json:"environment"`
			Name            string `json:"name"`
			Status          string `json:"status"`
			Message         string `json:"message"`
			ReadyReplicas   int    `json:"ready_replicas"`
			DesiredReplicas *int   `json:"desired_replicas"`
		} `json:"items"`
	}
	r := h.do(request{method: http.MethodGet, path: "/api/v1/apps/shop/workloads", token: tok})
	r.decode(t, &page)
	if r.Code != 200 || len(page.Items) != 2 || page.Items[0].Name != "web" || page.Items[0].Status != "unknown" || page.Items[0].Message != "not deployed" {
		t.Fatalf("workloads before a deployment: %d %s", r.Code, r.body)
	}

	// The watch stored web's state; a deployment succeeded; the drift check found the Ingress missing.
	must(t, h.s.SetObservation(ctx, h.env.ID, "live", `{"observed_at":"2026-12-03T06:00:00Z","workloads":[
		{"name":"web","kind":"deployment","object":"Deployment/shop-staging/shop-web","status":"running","desired_replicas":2,"ready_replicas":2,
		 "containers":[{"name":"web","image":"nginx:1.27","port":80}]}]}`))
	rendered := `apiVersion: v1
kind: Service
metadata:
  name: shop-web
  namespace: shop-staging
  labels: {astrolift.dev/workload: web}
spec:
  ports: [{port: 80}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop-web
  namespace: shop-staging
spec:
  rules:
  - host: shop-staging.apps.example.com
    http:
      paths: [{path: /, pathType: Prefix, backend: {service: {name: shop-web, port: {number: 80}}}}]
`
	must(t, h.s.CreateDeployment(ctx, &store.Deployment{AppID: h.app.ID, EnvironmentID: h.env.ID, Trigger: "manual", Status: "succeeded", Rendered: rendered}, "t"))
	must(t, h.s.SetObservation(ctx, h.env.ID, "drift", `{"deployment_id":1,"objects":[{"kind":"Ingress","namespace":"shop-staging","name":"shop-web","missing":true}]}`))

	r = h.do(request{method: http.MethodGet, path: "/api/v1/apps/shop/workloads?environment=staging", token: tok})
	r.decode(t, &page)
	if r.Code != 200 || len(page.Items) != 2 || page.Items[0].Name != "web" || page.Items[0].Status != "running" || page.Items[0].ReadyReplicas != 2 ||
		page.Items[1].Name != "worker" || page.Items[1].Status != "unknown" {
		t.Errorf("workloads: %d %s", r.Code, r.body)
	}
	if r := h.do(request{method: http.MethodGet, path: "/api/v1/apps/shop/workloads?environment=nope", token: tok}); r.Code != 400 {
		t.Errorf("unknown environment: %d", r.Code)
	}
	var detail struct {
		Name         string `json:"name"`
		Environments []struct {
			Environment string `json:"environment"`
			Containers  []struct {
				Image string `json:"image"`
			} `json:"containers"`
		} `json:"environments"`
	}
	r = h.do(request{method: http.MethodGet, path: "/api/v1/apps/shop/workloads/web", token: tok})
	r.decode(t, &detail)
	if r.Code != 200 || len(detail.Environments) != 1 || detail.Environments[0].Environment != "staging" || detail.Environments[0].Containers[0].Image != "nginx:1.27" {
		t.Errorf("workload detail: %d %s", r.Code, r.body)
	}
	if r := h.do(request{method: http.MethodGet, path: "/api/v1/apps/shop/workloads/nope", token: tok}); r.Code != 404 {
		t.Errorf("unknown workload: %d", r.Code)
	}

	var topo struct {
		Environment string `json:"environment"`
		Nodes       []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"nodes"`
		Edges []struct {
			From string `json:"from"`
			To   string `json:"to"`
		} `json:"edges"`
	}
	r = h.do(request{method: http.MethodGet, path: "/api/v1/apps/shop/topology", token: tok})
	r.decode(t, &topo)
	var nodes, edges []string
	for _, n := range topo.Nodes {
		nodes = append(nodes, n.ID+"="+n.Status)
	}
	for _, e := range topo.Edges {
		edges = append(edges, e.From+">"+e.To)
	}
	wantNodes := "service:shop-web=running ingress:shop-web=failed workload:web=running workload:worker=unknown dependency:stripe=unknown"
	wantEdges := "service:shop-web>workload:web ingress:shop-web>service:shop-web workload:web>dependency:stripe workload:worker>dependency:stripe"
	if r.Code != 200 || topo.Environment != "staging" || strings.Join(nodes, " ") != wantNodes || strings.Join(edges, " ") != wantEdges {
		t.Errorf("topology %d\nnodes %s\nwant  %s\nedges %s\nwant  %s", r.Code, strings.Join(nodes, " "), wantNodes, strings.Join(edges, " "), wantEdges)
	}
}

// A failed app goes back to pending when asked; others answer 409.
func TestOnboardAgain(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	tok := h.user("admin@acme.test", "org.admin")
	must(t, h.s.SetAppStatus(ctx, h.app.ID, "ready", ""))
	if r := h.do(request{method: http.MethodPost, path: "/api/v1/apps/shop/onboard", token: tok}); r.Code != http.StatusConflict {
		t.Errorf("a ready app: %d %s", r.Code, r.body)
	}
	must(t, h.s.SetAppStatus(ctx, h.app.ID, "failed", "registry 127.0.0.1:1: unreachable"))
	r := h.do(request{method: http.MethodPost, path: "/api/v1/apps/shop/onboard", token: tok})
	if a, _ := h.s.GetApp(ctx, "shop"); r.Code != 200 || a.Status != "pending" || a.StatusError != "" {
		t.Errorf("onboard again: %d %s; app %s %q", r.Code, r.body, a.Status, a.StatusError)
	}
}
