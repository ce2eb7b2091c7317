// Test helpers of the overview and workload pages: the JSON the API
// answered for the demo app of `astrolift dev` (shapes copied from real
// responses), a fetch stub routing "METHOD /path" to answers, and a
// renderer mounting the real app routes in a MemoryRouter.
import { render } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createMemoryRouter, RouterProvider, useParams } from "react-router";
import { vi } from "vitest";
import { AppLayout } from "../../layout/AppLayout";
import type { App, Environment, Event, Me, OverviewResponse, Role, Topology, Workload, WorkloadDetail } from "../../api/types";
import { OverviewPage } from "./OverviewPage";
import { WorkloadPage } from "../workload/WorkloadPage";

export const app: App = {
  id: 1, slug: "shop", name: "Demo shop", description: "Seeded by astrolift dev from examples/shop", project: "demo",
  source_url: "https://git.example.com/demo/shop.git", source_kind: "git", scm_webhook: false, deploy_branch: "main",
  manifest_path: "astrolift.toml", trigger_mode: "push", poll_interval_seconds: 5, namespace: "", status: "ready",
  registry_repository: "", registry_status: "", created_at: "2026-12-03T12:03:57.397649Z", updated_at: "2026-12-03T12:03:57.534591Z",
};

export const environments: Environment[] = [
  { id: 1, name: "staging", cluster: "local", namespace: "shop-staging", paused: false, required_approvals: 0, replicas: null, self_heal: false, updated_at: "2026-12-03T12:03:57.747115Z" },
  { id: 2, name: "production", cluster: "local", namespace: "shop-production", paused: false, required_approvals: 1, replicas: null, self_heal: false, updated_at: "2026-12-03T12:03:57.748096Z" },
];

export const events: Event[] = [
  { id: 13, app: "shop", deployment_id: 2, kind: "deployment.succeeded", severity: "info", message: "deployment 2: succeeded: 8 objects ready", actor: "deployer", created_at: "2026-12-03T12:03:58.760854Z" },
  { id: 9, app: "shop", kind: "app.status", severity: "info", message: "ready", actor: "onboarding", created_at: "2026-12-03T12:03:57.535054Z" },
];

export const overview: OverviewResponse = {
  app,
  provisioning: { status: "ready" },
  workloads: { count: 3, replicas: 3 },
  source: { url: app.source_url, kind: "git", branch: "main", manifest_path: "astrolift.toml", head_commit: "1c6481e396f8df5eeb8d33017beff66603cdaf7e" },
  trigger: { mode: "push", namespace: "" },
  recent_deployments: [
    { id: 2, environment_id: 2, trigger: "push", status: "succeeded", commit_sha: "1c6481e396f8df5eeb8d33017beff66603cdaf7e", created_at: "2026-12-03T12:03:57Z", started_at: "2026-12-03T12:03:57.486932Z", finished_at: "2026-12-03T12:03:58.76047Z", duration_seconds: 1.274 },
    { id: 1, environment_id: 1, trigger: "push", status: "failed", commit_sha: "0a1b2c3d4e5f", created_at: "2026-12-03T12:03:57Z" },
  ],
  recent_events: events,
};

export const topologyStaging: Topology = {
  environment: "staging",
  nodes: [
    { id: "service:shop-web", kind: "service", name: "shop-web", status: "running", detail: "port 8080" },
    { id: "ingress:shop-web", kind: "ingress", name: "shop-web", status: "running", detail: "shop-staging.localhost" },
    { id: "workload:nightly", kind: "workload", name: "nightly", status: "running", detail: "cronjob" },
    { id: "workload:web", kind: "workload", name: "web", status: "running", detail: "deployment 1/1 ready" },
    { id: "workload:worker", kind: "workload", name: "worker", status: "failed", detail: "deployment 0/1 ready" },
    { id: "dependency:payments-api", kind: "dependency", name: "payments-api", status: "unknown", detail: "https://api.stripe.com" },
  ],
  edges: [
    { from: "service:shop-web", to: "workload:web" },
    { from: "ingress:shop-web", to: "service:shop-web" },
    { from: "workload:web", to: "dependency:payments-api" },
    { from: "workload:worker", to: "dependency:payments-api" },
  ],
};

export const topologyProduction: Topology = {
  environment: "production",
  nodes: [
    { id: "ingress:shop-web", kind: "ingress", name: "shop-web", status: "running", detail: "shop-production.localhost" },
    { id: "service:shop-web", kind: "service", name: "shop-web", status: "running", detail: "port 8080" },
    { id: "workload:web", kind: "workload", name: "web", status: "running", detail: "deployment 2/2 ready" },
  ],
  edges: [
    { from: "ingress:shop-web", to: "service:shop-web" },
    { from: "service:shop-web", to: "workload:web" },
  ],
};

const web = (environment: string, ready: number, desired: number): Workload & { environment: string; observed_at?: string | null } => ({
  environment, name: "web", kind: "deployment", object: `Deployment/shop-${environment}/shop-web`, status: "running",
  message: `Deployment is available. Replicas: ${ready}`, desired_replicas: desired, ready_replicas: ready, resources: { cpu: "250m", memory: "256Mi" },
  containers: [{ name: "web", image: "nginx:1.27", port: 8080, healthcheck: "GET /healthz", env: { PORT: "8080", LOG_LEVEL: "very-secret-debug" } }],
  observed_at: "2026-12-03T12:04:02.539444Z",
});

export const nightly = (runs: Workload["runs"]) => ({
  environment: "staging", name: "nightly", kind: "cronjob", object: "CronJob/shop-staging/shop-nightly", status: "running", message: "scheduled",
  ready_replicas: 0, schedule: "0 3 * * *", containers: [{ name: "report", image: "registry.example.com/demo/shop", command: ["bin/report"], args: ["--since", "24h"] }],
  runs, observed_at: "2026-12-03T12:04:02.539444Z",
});

export const workloads = {
  items: [
    nightly(undefined),
    web("staging", 1, 1),
    { environment: "staging", name: "worker", kind: "deployment", object: "Deployment/shop-staging/shop-worker", status: "failed", message: "Deployment does not have minimum availability.", desired_replicas: 1, ready_replicas: 0, containers: [{ name: "worker", image: "registry.example.com/demo/shop", command: ["bin/worker"] }], observed_at: "2026-12-03T12:04:02.539444Z" },
    { ...web("production", 1, 3), autoscale: { min: 2, max: 5, cpu_percent: 70, current_replicas: 2, desired_replicas: 3 } },
  ],
};

export const webDetail: WorkloadDetail = { name: "web", environments: [web("staging", 1, 1), { ...web("production", 1, 3), autoscale: { min: 2, max: 5, cpu_percent: 70, current_replicas: 2, desired_replicas: 3 } }] };

export const roles: Role[] = [
  { name: "org.owner", scope_level: "ORG", description: "everything", permissions: ["org.read", "app.read", "app.update", "app.delete", "app.deploy", "app.config.write"] },
  { name: "org.viewer", scope_level: "ORG", description: "reads everything", permissions: ["org.read", "app.read"] },
];

const user = { id: 1, email: "admin@astrolift.local", name: "Admin", created_at: "2026-12-03T12:03:51.828436Z" };
export const me = (role: string): Me => ({ user, bindings: [{ id: 1, user, role, scope_level: "ORG", scope: "", granted_at: "2026-12-03T12:03:51.828965Z" }] });

export type Answer = unknown | ((req: Request, body: unknown) => Response | unknown);

export const jsonResponse = (status: number, body: unknown) => new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
export const apiError = (status: number, code: string, message: string, field?: string) => jsonResponse(status, { error: { code, message, field } });

/**
 * stubAPI answers fetch from routes keyed "GET /api/v1/…" (path without the
 * query); calls lists every request as "METHOD /path?query" with its body.
 */
export function stubAPI(routes: Record<string, Answer>, role = "org.owner") {
  const all: Record<string, Answer> = {
    "GET /api/v1/me": me(role),
    "GET /api/v1/roles": { items: roles },
    "GET /api/v1/projects": { items: [{ id: 1, slug: "demo", name: "Demo", description: "", created_at: "2026-12-03T12:03:51Z" }] },
    "GET /api/v1/apps/shop": app,
    "GET /api/v1/apps/shop/overview": overview,
    "GET /api/v1/apps/shop/environments": { items: environments },
    "GET /api/v1/apps/shop/workloads": workloads,
    "GET /api/v1/apps/shop/events": { items: events },
    "GET /api/v1/apps/shop/managed-services": { items: [] },
    "GET /api/v1/apps/shop/topology": (req: Request) => (new URL(req.url).searchParams.get("environment") === "production" ? topologyProduction : topologyStaging),
    ...routes,
  };
  const calls: { method: string; url: string; body: unknown }[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(new URL(String(input), "http://localhost"), init);
    const url = new URL(req.url);
    const text = req.method === "GET" || req.method === "HEAD" ? "" : await req.text();
    const body = text ? JSON.parse(text) : undefined;
    calls.push({ method: req.method, url: url.pathname + url.search, body });
    const a = all[`${req.method} ${url.pathname}`];
    if (a === undefined) return apiError(404, "not_found", `no stub for ${req.method} ${url.pathname}`);
    const out = typeof a === "function" ? await (a as (r: Request, b: unknown) => unknown)(req, body) : a;
    return out instanceof Response ? out : jsonResponse(200, out);
  });
  vi.stubGlobal("fetch", fetchMock);
  return { calls, fetchMock };
}

function Where({ what }: { what: string }) {
  const params = useParams();
  return <p>{`${what} ${params.id ?? ""}`.trim()}</p>;
}

/** renderAt mounts the app pages at path (the overview and workload pages under the real AppLayout). */
export function renderAt(path: string) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  const router = createMemoryRouter(
    [
      {
        path: "/apps/:slug",
        element: <AppLayout />,
        children: [
          { index: true, element: <OverviewPage /> },
          { path: "workloads/:name", element: <WorkloadPage /> },
        ],
      },
      { path: "/apps", element: <Where what="apps list" /> },
      { path: "/deployments/:id", element: <Where what="deployment page" /> },
    ],
    { initialEntries: [path] },
  );
  const r = render(
    <QueryClientProvider client={qc}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
  return { ...r, qc, router };
}

/** React Flow measures its nodes with ResizeObserver, which jsdom lacks. */
export function stubResizeObserver() {
  vi.stubGlobal(
    "ResizeObserver",
    class {
      observe() {}
      unobserve() {}
      disconnect() {}
    },
  );
}
