// Test helpers for the config, drift and deployment pages: a stubbed API
// (fetch answering the API's JSON shapes) and a router with an app.
import { vi } from "vitest";
import { render } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { MemoryRouter, Outlet, Route, Routes } from "react-router";
import type { ReactNode } from "react";
import type { App } from "../../api/types";

/** A route of the stub: method and path ("GET /api/v1/me"), answered with body or a Response. */
export type Answer = unknown | Response | ((req: Request, url: URL) => unknown | Response | Promise<unknown | Response>);

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}

export interface Stub {
  routes: Record<string, Answer>;
  calls: { method: string; path: string; search: string; body: string }[];
}

/**
 * stubFetch makes fetch answer from stub.routes.
 */
export function stubFetch(stub: Stub) {
  const f = async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(String(input), init);
    const url = new URL(req.url);
    const body = req.method === "GET" ? "" : await req.text();
    stub.calls.push({ method: req.method, path: url.pathname, search: url.search, body });
    const a = stub.routes[`${req.method} ${url.pathname}`];
    if (a === undefined) return json({ error: { code: "not_found", message: `no stub for ${req.method} ${url.pathname}` } }, 404);
    const v = typeof a === "function" ? await (a as (r: Request, u: URL) => unknown)(req, url) : a;
    return v instanceof Response ? v : json(v);
  };
  vi.stubGlobal("fetch", f);
}

/** session answers /me, /roles and /projects for a user holding permissions at the org. */
export function session(email: string, permissions: string[]): Record<string, Answer> {
  return {
    "GET /api/v1/me": { user: { id: 1, email, name: "", created_at: "2026-12-01T00:00:00Z" }, bindings: [{ id: 1, role: "tester", scope: "", scope_level: "ORG", granted_at: "2026-12-01T00:00:00Z", user: { id: 1, email, name: "", created_at: "2026-12-01T00:00:00Z" } }] },
    "GET /api/v1/roles": { items: [{ name: "tester", description: "", scope_level: "ORG", permissions }] },
    "GET /api/v1/projects": { items: [{ id: 1, slug: "shop-project", name: "Shop", description: "", team: "shop-team", created_at: "2026-12-01T00:00:00Z" }] },
  };
}

export const testApp: App = {
  id: 1, slug: "shop", name: "Demo shop", project: "shop-project", description: "", created_at: "2026-12-01T00:00:00Z", updated_at: "2026-12-01T00:00:00Z",
  deploy_branch: "main", manifest_path: "astrolift.toml", namespace: "shop", poll_interval_seconds: 30, registry_repository: "", registry_status: "",
  scm_webhook: false, source_kind: "git", source_url: "http://127.0.0.1:8081/shop.git", status: "ready", trigger_mode: "push",
};

/** renderAt renders page at path; app pages (under /apps/:slug) get testApp from their layout. */
export function renderAt(path: string, routes: { path: string; element: ReactNode }[]) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={qc}>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path="/apps/:slug" element={<Outlet context={testApp} />}>
            {routes.filter((r) => !r.path.startsWith("/")).map((r) => (
              <Route key={r.path} path={r.path} element={r.element} />
            ))}
          </Route>
          {routes.filter((r) => r.path.startsWith("/")).map((r) => (
            <Route key={r.path} path={r.path} element={r.element} />
          ))}
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

/** CodeMirror measures text; jsdom has no layout, so give it empty rectangles. */
export function fakeLayout() {
  const rect = { x: 0, y: 0, width: 0, height: 0, top: 0, left: 0, right: 0, bottom: 0, toJSON: () => ({}) } as DOMRect;
  const list = Object.assign([], { item: () => null }) as unknown as DOMRectList;
  Range.prototype.getClientRects = () => list;
  Range.prototype.getBoundingClientRect = () => rect;
  vi.spyOn(Element.prototype, "getClientRects").mockImplementation(() => list);
}
