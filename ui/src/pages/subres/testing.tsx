// Test helpers of the app's sub-resource pages: render a page inside the
// app layout with a stubbed fetch that answers like the API.
import type { ReactElement } from "react";
import { cleanup, render } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { MemoryRouter, Route, Routes } from "react-router";
import { afterEach, vi } from "vitest";
import { AppLayout } from "../../layout/AppLayout";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
  json: () => unknown;
}

/** A handler answers a call: a body (200), [status, body], or undefined for "not mine". */
export type Handler = (c: Call) => unknown | [number, unknown] | undefined;

export const ALL_APP_PERMS = ["org.read", "app.read", "app.update", "app.deploy", "app.config.write", "app.secrets.write", "app.exec", "members.manage"];

export const demoApp = {
  id: 1, slug: "demo", name: "Demo", project: "default", status: "ready", description: "", namespace: "demo",
  deploy_branch: "main", manifest_path: "astrolift.toml", created_at: "2026-12-01T10:00:00Z", updated_at: "2026-12-01T10:00:00Z",
  source_url: "", scm_repo: "", trigger_mode: "push",
};

export const envs = [
  { id: 1, name: "production", namespace: "demo-production", cluster: "local", paused: false, public_url: "https://demo.example.test", required_approvals: 0, replicas: null, self_heal: false, updated_at: "2026-12-01T10:00:00Z" },
  { id: 2, name: "staging", namespace: "demo-staging", cluster: "local", paused: true, required_approvals: 1, replicas: 2, self_heal: true, updated_at: "2026-12-01T10:00:00Z" },
];

export function apiError(status: number, code: string, message: string, field?: string): [number, unknown] {
  return [status, { error: { code, message, field } }];
}

/**
 * stubApi replaces fetch: the session (me, roles, projects), the demo app
 * and its environments are answered with perms granted org-wide; handler
 * answers the rest. Every call is recorded in calls.
 */
export function stubApi(handler: Handler, perms: string[] = ALL_APP_PERMS) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : null;
    const url = new URL(req ? req.url : String(input), "http://localhost");
    const method = (req?.method ?? init?.method ?? "GET").toUpperCase();
    const body = req ? await req.clone().text() : typeof init?.body === "string" ? init.body : "";
    const call: Call = { method, path: url.pathname, query: url.searchParams, body, json: () => JSON.parse(body) };
    calls.push(call);
    let out = handler(call);
    if (out === undefined) out = session(call, perms);
    if (out === undefined) out = [404, { error: { code: "not_found", message: `no stub for ${method} ${url.pathname}` } }];
    const [status, data] = Array.isArray(out) && out.length === 2 && typeof out[0] === "number" ? (out as [number, unknown]) : [200, out];
    if (status === 204) return new Response(null, { status });
    return new Response(JSON.stringify(data), { status, headers: { "Content-Type": "application/json" } });
  });
  vi.stubGlobal("fetch", fetch);
  return { calls, fetch, last: (method: string, path: string) => calls.filter((c) => c.method === method && c.path === path).at(-1) };
}

function session(c: Call, perms: string[]): unknown {
  if (c.method !== "GET") return undefined;
  const user = { id: 1, email: "ada@example.test", name: "Ada", created_at: "2026-12-01T10:00:00Z" };
  switch (c.path) {
    case "/api/v1/me":
      return { user, bindings: [{ id: 1, role: "test.role", scope: "", scope_level: "ORG", granted_at: "2026-12-01T10:00:00Z", user }] };
    case "/api/v1/roles":
      return { items: [{ name: "test.role", scope_level: "ORG", description: "test", permissions: perms }] };
    case "/api/v1/projects":
      return { items: [{ slug: "default", name: "Default", team: "" }] };
    case "/api/v1/apps/demo":
      return demoApp;
    case "/api/v1/apps/demo/environments":
      return { items: envs };
  }
  return undefined;
}

/** renderPage renders page at /apps/demo/<path> inside AppLayout. */
export function renderPage(path: string, page: ReactElement) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  return render(
    <QueryClientProvider client={qc}>
      <MemoryRouter initialEntries={[`/apps/demo/${path}`]}>
        <Routes>
          <Route path="/apps/:slug" element={<AppLayout />}>
            <Route path={path} element={page} />
          </Route>
          <Route path="*" element={<p>elsewhere</p>} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}
