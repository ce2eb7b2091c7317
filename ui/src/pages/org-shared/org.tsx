// Pieces shared by the organization pages (projects, teams, members,
// webhooks, connections) and the app registration wizard: their queries,
// the permission checks at a team or app scope, the links between them and
// the name → slug pair of inputs.
import { useMemo, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { ApiError, api, ok } from "../../api/client";
import { fieldError } from "../../components/ui";
import { permissionsAt, useMe, useProjects, useRoles } from "../../api/session";
import type { App, Connection } from "../../api/types";
import { slugify, SLUG_MAX } from "./slug";
import "./org.css";

/** The organization pages, linked from each of them (Connections is not in the sidebar). */

// The small org-wide collections are read whole (the API pages at 50 by default).
const all = { limit: 500 } as never;

export function useTeams() {
  return useQuery({ queryKey: ["teams"], queryFn: () => ok(api.GET("/api/v1/teams", { params: { query: all } })) });
}

export function useUsers() {
  return useQuery({ queryKey: ["users"], queryFn: () => ok(api.GET("/api/v1/users", { params: { query: all } })) });
}

export function useAllProjects() {
  return useProjects();
}

export function useConnections() {
  return useQuery({ queryKey: ["scm-connections"], queryFn: () => ok(api.GET("/api/v1/scm-connections", { params: { query: all } })) });
}

/** The apps the caller can see (for the members page's scope picker). */
export function useAppsList(enabled = true) {
  return useQuery({
    queryKey: ["apps", "list", "all"],
    queryFn: () => ok(api.GET("/api/v1/apps", { params: { query: all } })),
    enabled,
  });
}

/** A created connection: the connection and its webhook secret, shown once. */
export type CreatedConnection = Connection & { webhook_secret: string };
/** The answer of POST …/test: the connection as tested and the token's scopes. */
export type TestedConnection = Connection & { scopes?: string[] };

/**
 * usePerms answers "may I do perm at this scope?" the way the API checks:
 * a role bound at the org applies everywhere, at a team to the team's
 * projects and apps, at an app to that app. anywhere(perm) is true when
 * some binding grants perm at some scope (to enable a button whose
 * dialog then offers only the allowed scopes).
 */
export function usePerms() {
  const me = useMe().data;
  const roles = useRoles().data?.items;
  const loaded = !!me && !!roles;
  return useMemo(() => {
    const at = (perm: string, chain: { team?: string; app?: string } = {}) => permissionsAt(me, roles, chain).has(perm);
    const anywhere = (perm: string) => {
      if (!me || !roles) return false;
      const byName = new Map(roles.map((r) => [r.name, r]));
      return me.bindings.some((b) => (!b.expires_at || new Date(b.expires_at) > new Date()) && (byName.get(b.role)?.permissions ?? []).includes(perm as never));
    };
    const teamsWith = (perm: string) => {
      if (!me || !roles) return [] as string[];
      const byName = new Map(roles.map((r) => [r.name, r]));
      return me.bindings
        .filter((b) => b.scope_level.toUpperCase() === "TEAM" && (!b.expires_at || new Date(b.expires_at) > new Date()) && (byName.get(b.role)?.permissions ?? []).includes(perm as never))
        .map((b) => b.scope);
    };
    return { at, anywhere, teamsWith, loaded };
  }, [me, roles, loaded]);
}

/** The reason shown on a disabled action. */
export function needs(perm: string, where = "in this organization") {
  return `You need the ${perm} permission ${where}.`;
}

/** The team of an app (through its project), for permission checks at the app. */
export function teamOfApp(app: Pick<App, "project"> | undefined, projects: { slug: string; team?: string }[] | undefined) {
  return app ? projects?.find((p) => p.slug === app.project)?.team : undefined;
}

/**
 * useNameSlug keeps a slug generated from the name until the person edits
 * the slug themselves (then it is theirs; clearing it goes back to auto).
 */
export function useNameSlug(initialName = "", max = SLUG_MAX) {
  const [name, setName] = useState(initialName);
  const [custom, setCustom] = useState<string | null>(null);
  const slug = custom ?? slugify(name, max);
  return {
    name,
    slug,
    auto: custom === null,
    setName,
    setSlug: (s: string) => setCustom(s === "" ? null : s),
    reset: (n = "") => {
      setName(n);
      setCustom(null);
    },
  };
}

/**
 * slugError is the error to show next to a new slug: the API's error naming
 * the slug, or its 409 conflict (a create's only unique field is the slug;
 * the store's conflict names no field).
 */
export function slugError(error: unknown): string | undefined {
  return fieldError(error, "slug") ?? (isSlugConflict(error) ? (error as ApiError).message : undefined);
}

/** isSlugConflict: the 409 a create answers when the slug is taken (shown next to the slug). */
export function isSlugConflict(error: unknown): boolean {
  return error instanceof ApiError && error.status === 409 && error.code === "conflict" && !error.field;
}
