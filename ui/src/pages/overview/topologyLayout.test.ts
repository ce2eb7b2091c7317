import { describe, expect, it } from "vitest";
import type { ManagedService, Topology } from "../../api/types";
import { layerOf, layoutTopology, publicHosts, withManagedServices } from "./topologyLayout";

// The shape GET /api/v1/apps/:slug/topology answers (api/workloads.go).
const topology: Topology = {
  environment: "production",
  nodes: [
    { id: "service:web", kind: "service", name: "web", status: "running", detail: "port 80" },
    { id: "service:api", kind: "service", name: "api", status: "running", detail: "port 8080" },
    { id: "ingress:web", kind: "ingress", name: "web", status: "running", detail: "shop.example.com, www.shop.example.com" },
    { id: "workload:web", kind: "workload", name: "web", status: "running", detail: "deployment 2/2 ready" },
    { id: "workload:api", kind: "workload", name: "api", status: "failed", detail: "deployment 0/1 ready" },
    { id: "workload:nightly", kind: "workload", name: "nightly", status: "running", detail: "cronjob" },
    { id: "dependency:stripe", kind: "dependency", name: "stripe", status: "unknown", detail: "https://api.stripe.com" },
    { id: "workload:managed-postgres-db", kind: "workload", name: "managed-postgres-db", status: "running", detail: "statefulset 1/1 ready" },
  ],
  edges: [
    { from: "service:web", to: "workload:web" },
    { from: "service:api", to: "workload:api" },
    { from: "ingress:web", to: "service:web" },
    { from: "workload:web", to: "dependency:stripe" },
    { from: "workload:api", to: "dependency:stripe" },
    { from: "workload:api", to: "workload:gone" }, // an endpoint that is not a node
  ],
};

const pg: ManagedService = {
  id: 1, environment: "production", kind: "postgres", name: "db", variant: "small", status: "active",
  envelope: [{ key: "DATABASE_URL", value: "••••" }], created_by: "a@example.com", created_at: "2026-12-01T10:00:00Z", updated_at: "2026-12-01T10:00:00Z",
};

describe("layoutTopology", () => {
  const l = layoutTopology(withManagedServices(topology, [pg]));
  const byId = new Map(l.nodes.map((n) => [n.id, n]));

  it("keeps every node and only edges whose endpoints exist", () => {
    expect(l.nodes).toHaveLength(9);
    expect(l.edges.length).toBeGreaterThan(0);
    for (const e of l.edges) {
      expect(byId.has(e.source), e.source).toBe(true);
      expect(byId.has(e.target), e.target).toBe(true);
    }
    expect(l.edges.some((e) => e.target === "workload:gone")).toBe(false);
    // the managed service is reached from every workload but the one running it
    expect(l.edges.filter((e) => e.target === "managed_service:postgres:db").map((e) => e.source).sort()).toEqual(["workload:api", "workload:nightly", "workload:web"]);
  });

  it("orders the layers left to right: ingress → services → workloads → managed services and dependencies", () => {
    for (const a of l.nodes)
      for (const b of l.nodes) {
        if (a.layer < b.layer) expect(a.x + a.width, `${a.id} left of ${b.id}`).toBeLessThan(b.x);
        if (a.layer === b.layer) expect(a.x).toBe(b.x);
      }
    const x = (id: string) => byId.get(id)!.x;
    expect(x("ingress:web")).toBeLessThan(x("service:web"));
    expect(x("service:web")).toBeLessThan(x("workload:web"));
    // a cron job no Service points at still sits with the workloads
    expect(x("workload:nightly")).toBe(x("workload:web"));
    expect(x("workload:web")).toBeLessThan(x("dependency:stripe"));
    expect(x("dependency:stripe")).toBe(x("managed_service:postgres:db"));
    expect(x("workload:managed-postgres-db")).toBe(x("workload:web"));
    for (const e of l.edges) expect(x(e.source)).toBeLessThan(x(e.target));
  });

  it("does not overlap boxes in a column and fits them in its size", () => {
    for (const a of l.nodes)
      for (const b of l.nodes) {
        if (a === b || a.x !== b.x) continue;
        const apart = a.y + a.height <= b.y || b.y + b.height <= a.y;
        expect(apart, `${a.id} / ${b.id}`).toBe(true);
      }
    for (const n of l.nodes) {
      expect(n.y).toBeGreaterThanOrEqual(0);
      expect(n.y + n.height).toBeLessThanOrEqual(l.height);
      expect(n.x + n.width).toBeLessThanOrEqual(l.width);
    }
  });

  it("puts hostnames on the ingress and on the workloads it routes to", () => {
    expect(byId.get("ingress:web")!.hosts).toEqual(["shop.example.com", "www.shop.example.com"]);
    expect(byId.get("workload:web")!.hosts).toEqual(["shop.example.com", "www.shop.example.com"]);
    expect(byId.get("workload:api")!.hosts).toEqual([]);
    expect(publicHosts(topology).get("web")).toEqual(["shop.example.com", "www.shop.example.com"]);
  });

  it("packs the used layers only and handles an empty graph", () => {
    const only = layoutTopology({ nodes: [{ id: "workload:w", kind: "workload", name: "w", status: "unknown" }], edges: [] });
    expect(only.nodes[0]).toMatchObject({ x: 0, y: 0, layer: 2 });
    expect(layoutTopology({ nodes: [], edges: [] })).toEqual({ nodes: [], edges: [], width: 0, height: 0 });
    expect([layerOf("ingress"), layerOf("service"), layerOf("workload"), layerOf("managed_service"), layerOf("dependency")]).toEqual([0, 1, 2, 3, 3]);
  });
});
