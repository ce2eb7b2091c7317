import { describe, expect, it } from "vitest";
import { QueryClient } from "@tanstack/react-query";
import { mergeEvent, staleKeys } from "./live";
import type { Event } from "./types";

const ev = (over: Partial<Event>): Event => ({ id: 1, kind: "deployment.succeeded", severity: "info", message: "m", actor: "system", created_at: "2026-12-03T10:00:00Z", ...over });

describe("staleKeys", () => {
  it("marks the app, the deployment lists and the deployment stale for a deployment event", () => {
    expect(staleKeys(ev({ app: "shop", deployment_id: 7 }))).toEqual([["apps", "shop"], ["deployments"], ["deployment", 7]]);
  });
  it("refreshes the app list when an app's status changes", () => {
    expect(staleKeys(ev({ app: "shop", kind: "app.status" }))).toContainEqual(["apps", "list"]);
  });
});

describe("mergeEvent", () => {
  it("prepends the event to the org and app event lists once", () => {
    const qc = new QueryClient();
    qc.setQueryData(["events", "org"], { items: [ev({ id: 1 })] });
    qc.setQueryData(["apps", "shop", "events"], { items: [] });
    qc.setQueryData(["apps", "other", "events"], { items: [] });
    const e = ev({ id: 2, app: "shop" });
    mergeEvent(qc, e);
    mergeEvent(qc, e);
    expect((qc.getQueryData(["events", "org"]) as { items: Event[] }).items.map((x) => x.id)).toEqual([2, 1]);
    expect((qc.getQueryData(["apps", "shop", "events"]) as { items: Event[] }).items.map((x) => x.id)).toEqual([2]);
    expect((qc.getQueryData(["apps", "other", "events"]) as { items: Event[] }).items).toEqual([]);
  });
});
