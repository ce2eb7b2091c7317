// Test helpers for the organization pages: render a route with a fresh
// query cache and answer fetch like the API (JSON bodies, error bodies).
import { afterEach, vi } from "vitest";
import { cleanup, render } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { MemoryRouter, Route, Routes } from "react-router";
import type { ReactNode } from "react";

// Every test starts from an empty document and the delegating fetch.
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}
type Reply = { status?: number; body?: unknown } | undefined;
export type Handler = [method: string, path: string | RegExp, reply: (c: Call) => Reply | Promise<Reply>];

/** stubApi answers fetch from handlers (first match) and records every call. */
export function stubApi(handlers: Handler[]) {
  const calls: Call[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(new URL(String(input), "http://localhost"), init);
    const url = new URL(req.url);
    const text = req.method === "GET" || req.method === "HEAD" ? "" : await req.text();
    const call: Call = { method: req.method, path: url.pathname, query: url.searchParams, body: text ? JSON.parse(text) : undefined };
    calls.push(call);
    for (const [m, p, reply] of handlers) {
      if (m !== req.method) continue;
      if (typeof p === "string" ? p !== url.pathname : !p.test(url.pathname)) continue;
      const r = (await reply(call)) ?? {};
      const status = r.status ?? 200;
      if (status === 204) return new Response(null, { status });
      return new Response(JSON.stringify(r.body ?? {}), { status, headers: { "Content-Type": "application/json" } });
    }
    return new Response(JSON.stringify({ error: { code: "not_found", message: `no stub for ${req.method} ${url.pathname}` } }), { status: 404, headers: { "Content-Type": "application/json" } });
  });
  vi.stubGlobal("fetch", fetchMock);
  return calls;
}

/** apiError is the API's error body. */
export const apiError = (status: number, code: string, message: string, field?: string) => ({ status, body: { error: { code, message, field } } });

export function renderAt(path: string, routePath: string, element: ReactNode) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  return render(
    <QueryClientProvider client={qc}>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path={routePath} element={element} />
          <Route path="*" element={<div>elsewhere</div>} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

export const roles = [
  { name: "org.owner", scope_level: "ORG", description: "everything", permissions: ["org.read", "teams.write", "projects.write", "app.create", "connections.write", "secrets.manage", "app.read", "app.update", "app.delete", "app.deploy", "app.config.write", "app.secrets.write", "app.exec", "deployment.approve", "members.manage"] },
  { name: "org.member", scope_level: "ORG", description: "reads everything, registers apps", permissions: ["org.read", "app.create", "app.read"] },
  { name: "org.viewer", scope_level: "ORG", description: "reads everything", permissions: ["org.read", "app.read"] },
  { name: "team.maintainer", scope_level: "TEAM", description: "manages the team's projects and apps and their members", permissions: ["projects.write", "app.create", "app.read", "members.manage"] },
  { name: "team.member", scope_level: "TEAM", description: "deploys and configures the team's apps", permissions: ["app.read", "app.deploy", "app.config.write"] },
  { name: "app.admin", scope_level: "APP", description: "everything on one app", permissions: ["app.read", "app.update", "members.manage"] },
  { name: "app.developer", scope_level: "APP", description: "deploys, configures and runs commands on one app", permissions: ["app.read", "app.deploy"] },
  { name: "app.viewer", scope_level: "APP", description: "reads one app", permissions: ["app.read"] },
];

const admin = { id: 1, email: "admin@example.com", name: "Admin", created_at: "2026-12-01T10:00:00Z" };

/** The session of a user holding role at the organization. */
export function sessionHandlers(role = "org.owner"): Handler[] {
  return [
    ["GET", "/api/v1/me", () => ({ body: { user: admin, bindings: [{ id: 1, user: admin, role, scope_level: "ORG", scope: "", granted_at: "2026-12-01T10:00:00Z" }] } })],
    ["GET", "/api/v1/roles", () => ({ body: { items: roles } })],
  ];
}
