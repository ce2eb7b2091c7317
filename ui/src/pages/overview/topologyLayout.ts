// The topology graph's layout, kept free of React: the API's nodes and
// edges (plus the environment's managed services) become positioned boxes,
// left to right by layer (ingress → services → workloads → managed
// services and dependencies). dagre orders the boxes within each layer to
// keep edges from crossing; the columns are fixed by kind so a workload no
// Service points at (a cron job) still sits with the other workloads.
import { graphlib, layout } from "@dagrejs/dagre";
import type { ManagedService, Topology } from "../../api/types";

export type NodeKind = "ingress" | "service" | "workload" | "managed_service" | "dependency";

export interface LayoutNode {
  id: string;
  kind: NodeKind | string;
  name: string;
  status: string;
  detail?: string;
  /** Public hostnames: an ingress's own, or those routed to a workload. */
  hosts: string[];
  layer: number;
  /** Top-left corner (React Flow's convention). */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LayoutEdge {
  id: string;
  source: string;
  target: string;
}

export interface Layout {
  nodes: LayoutNode[];
  edges: LayoutEdge[];
  width: number;
  height: number;
}

export const NODE_WIDTH = 200;
const NODE_HEIGHT = 64;
const HOSTS_HEIGHT = 26;
const COLUMN_GAP = 70;
const ROW_GAP = 24;

/** layerOf is a kind's column, left to right. */
export function layerOf(kind: string): number {
  switch (kind) {
    case "ingress":
      return 0;
    case "service":
      return 1;
    case "workload":
      return 2;
    default: // managed_service, dependency and anything newer
      return 3;
  }
}

/** splitHosts reads an ingress node's detail ("a.example.com, b.example.com"). */
export function splitHosts(detail: string | undefined): string[] {
  return (detail ?? "")
    .split(",")
    .map((h) => h.trim())
    .filter(Boolean);
}

/**
 * publicHosts maps each workload's name to the hostnames that reach it:
 * the hosts of every ingress with an edge to a Service with an edge to it.
 */
export function publicHosts(t: Pick<Topology, "nodes" | "edges">): Map<string, string[]> {
  const byId = new Map(t.nodes.map((n) => [n.id, n]));
  const out = new Map<string, string[]>();
  for (const e1 of t.edges) {
    const ing = byId.get(e1.from);
    if (ing?.kind !== "ingress") continue;
    for (const e2 of t.edges) {
      if (e2.from !== e1.to) continue;
      const w = byId.get(e2.to);
      if (w?.kind !== "workload") continue;
      const hosts = out.get(w.name) ?? [];
      for (const h of splitHosts(ing.detail)) if (!hosts.includes(h)) hosts.push(h);
      out.set(w.name, hosts);
    }
  }
  return out;
}

/**
 * withManagedServices adds the environment's managed services to the graph:
 * their connection envelope is injected into every workload, so each
 * workload (but the ones running the services) gets an edge to each of them.
 */
export function withManagedServices(t: Pick<Topology, "nodes" | "edges">, services: ManagedService[]): Pick<Topology, "nodes" | "edges"> {
  if (services.length === 0) return t;
  const nodes = [...t.nodes];
  const edges = [...t.edges];
  // An in-cluster service runs as a workload of its own (the reconciler
  // names it managed-<kind>[-<name>]): that one does not consume services.
  const backing = new Set(services.map((s) => (s.name ? `managed-${s.kind}-${s.name}` : `managed-${s.kind}`)));
  const workloads = t.nodes.filter((n) => n.kind === "workload" && !backing.has(n.name));
  for (const s of services) {
    const id = `managed_service:${s.kind}:${s.name}`;
    if (nodes.some((n) => n.id === id)) continue;
    nodes.push({ id, kind: "managed_service", name: s.name || s.kind, status: s.status, detail: [s.kind, s.variant].filter(Boolean).join(" · ") });
    for (const w of workloads) edges.push({ from: w.id, to: id });
  }
  return { nodes, edges };
}

/** layoutTopology positions the graph left to right. Edges to missing nodes are dropped. */
export function layoutTopology(t: Pick<Topology, "nodes" | "edges">): Layout {
  const hostsOf = publicHosts(t);
  const ids = new Set(t.nodes.map((n) => n.id));
  const seen = new Set<string>();
  const edges: LayoutEdge[] = [];
  for (const e of t.edges) {
    const id = `${e.from}->${e.to}`;
    if (!ids.has(e.from) || !ids.has(e.to) || e.from === e.to || seen.has(id)) continue;
    seen.add(id);
    edges.push({ id, source: e.from, target: e.to });
  }

  const nodes: LayoutNode[] = t.nodes.map((n) => {
    const hosts = n.kind === "ingress" ? splitHosts(n.detail) : n.kind === "workload" ? (hostsOf.get(n.name) ?? []) : [];
    return { id: n.id, kind: n.kind, name: n.name, status: n.status, detail: n.kind === "ingress" ? undefined : n.detail, hosts, layer: layerOf(n.kind), x: 0, y: 0, width: NODE_WIDTH, height: NODE_HEIGHT + (hosts.length ? HOSTS_HEIGHT : 0) };
  });
  if (nodes.length === 0) return { nodes, edges, width: 0, height: 0 };

  // dagre orders the nodes within their ranks (fewest crossings) …
  const g = new graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: ROW_GAP, ranksep: COLUMN_GAP, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: n.width, height: n.height });
  for (const e of edges) g.setEdge(e.source, e.target);
  layout(g);

  // … and the columns are the layers: used layers only, packed left to right,
  // each column's boxes kept in dagre's order without overlapping.
  const used = [...new Set(nodes.map((n) => n.layer))].sort((a, b) => a - b);
  let height = 0;
  for (const [col, layer] of used.entries()) {
    const column = nodes
      .filter((n) => n.layer === layer)
      .map((n) => ({ n, cy: g.node(n.id).y }))
      .sort((a, b) => a.cy - b.cy || a.n.id.localeCompare(b.n.id));
    let next = -Infinity;
    for (const { n, cy } of column) {
      n.x = col * (NODE_WIDTH + COLUMN_GAP);
      n.y = Math.max(Math.round(cy - n.height / 2), next);
      next = n.y + n.height + ROW_GAP;
    }
  }
  const top = Math.min(...nodes.map((n) => n.y));
  for (const n of nodes) {
    n.y -= top;
    height = Math.max(height, n.y + n.height);
  }
  return { nodes, edges, width: used.length * NODE_WIDTH + (used.length - 1) * COLUMN_GAP, height };
}
