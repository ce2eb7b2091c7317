// The session: who is logged in (GET /api/v1/me), what they may do, and
// the live stream that runs while they are. Permissions are worked out the
// way the API checks them: a role bound at the org, the app's team, its
// project or the app itself grants its permissions there.
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok, setUnauthenticatedHandler } from "./client";
import { connectLive, type LiveState } from "./live";
import type { App, Me, Project, Role } from "./types";

export const meQuery = { queryKey: ["me"], queryFn: () => ok(api.GET("/api/v1/me")), retry: false, staleTime: 60_000 };

const LiveContext = createContext<LiveState>("offline");
export const useLiveState = () => useContext(LiveContext);

/** LiveStream keeps the SSE connection open while rendered (inside the logged-in shell). */
export function LiveStream({ children }: { children: ReactNode }) {
  const qc = useQueryClient();
  const [state, setState] = useState<LiveState>("connecting");
  useEffect(() => {
    const ctl = new AbortController();
    connectLive(qc, ctl.signal, setState);
    return () => ctl.abort();
  }, [qc]);
  return <LiveContext.Provider value={state}>{children}</LiveContext.Provider>;
}

/** useUnauthenticatedRedirect sends the browser to /login when any request answers 401. */
export function useUnauthenticatedRedirect(go: (to: string) => void) {
  const qc = useQueryClient();
  useEffect(() => {
    setUnauthenticatedHandler(() => {
      qc.removeQueries({ queryKey: ["me"] });
      const here = window.location.pathname + window.location.search;
      if (!window.location.pathname.startsWith("/login")) go("/login?next=" + encodeURIComponent(here));
    });
  }, [qc, go]);
}

export function useMe() {
  return useQuery(meQuery);
}

export function useRoles() {
  return useQuery({ queryKey: ["roles"], queryFn: () => ok(api.GET("/api/v1/roles")), staleTime: 10 * 60_000 });
}

export function useProjects() {
  return useQuery({ queryKey: ["projects"], queryFn: () => ok(api.GET("/api/v1/projects")) });
}

/** permissionsAt is the set of permissions me holds at the scope chain (org, team, project, app). */
export function permissionsAt(me: Me | undefined, roles: Role[] | undefined, chain: { team?: string; project?: string; app?: string }): Set<string> {
  const out = new Set<string>();
  if (!me || !roles) return out;
  const byName = new Map(roles.map((r) => [r.name, r]));
  for (const b of me.bindings) {
    if (b.expires_at && new Date(b.expires_at) < new Date()) continue;
    const level = b.scope_level.toUpperCase(); // ORG, TEAM, APP
    const applies =
      level === "ORG" ||
      (level === "TEAM" && chain.team && b.scope === chain.team) ||
      (level === "APP" && chain.app && b.scope === chain.app);
    if (!applies) continue;
    for (const p of byName.get(b.role)?.permissions ?? []) out.add(p);
  }
  return out;
}

/** useCan answers "may I do perm here?" for an app (or the org when app is undefined). */
export function useCan(app?: Pick<App, "slug" | "project">) {
  const me = useMe().data;
  const roles = useRoles().data?.items;
  const projects = useProjects().data?.items;
  return useMemo(() => {
    const project: Project | undefined = app ? projects?.find((p) => p.slug === app.project) : undefined;
    const perms = permissionsAt(me, roles, { app: app?.slug, project: app?.project, team: project?.team });
    return (perm: string) => perms.has(perm);
  }, [me, roles, projects, app]);
}
