// The live stream: one Server-Sent Events connection (/api/v1/stream) per
// tab, merged into the query cache. An event is prepended to the cached
// event lists it belongs to, and the queries it makes stale (the app's
// pages, deployment lists and details) are invalidated, batched, so rows
// update without polling.
import { fetchEventSource } from "@microsoft/fetch-event-source";
import type { QueryClient, QueryKey } from "@tanstack/react-query";
import type { Event } from "./types";

export type LiveState = "connecting" | "live" | "offline";

/** Pages of events are cached under these keys (see queries.ts). */
interface EventPage {
  items: Event[];
  next_cursor?: string;
}

/** staleKeys lists the query key prefixes an event makes stale. */
export function staleKeys(e: Event): QueryKey[] {
  const keys: QueryKey[] = [];
  if (e.app) keys.push(["apps", e.app]);
  if (e.kind.startsWith("app.") || e.kind.startsWith("onboarding.") || e.kind.startsWith("provisioning.")) keys.push(["apps", "list"]);
  if (e.deployment_id || e.kind.startsWith("deployment.")) {
    keys.push(["deployments"]);
    if (e.deployment_id) keys.push(["deployment", e.deployment_id]);
  }
  if (e.kind.startsWith("member") || e.kind.startsWith("role.")) keys.push(["members"]);
  if (e.kind.startsWith("project.")) keys.push(["projects"]);
  if (e.kind.startsWith("team.")) keys.push(["teams"]);
  return keys;
}

/** mergeEvent prepends e to every cached event list it belongs to (org-wide and its app's). */
export function mergeEvent(qc: QueryClient, e: Event) {
  const add = (page: EventPage | undefined) =>
    page && !page.items.some((x) => x.id === e.id) ? { ...page, items: [e, ...page.items] } : page;
  qc.setQueriesData<EventPage>({ queryKey: ["events", "org"] }, add);
  if (e.app) qc.setQueriesData<EventPage>({ queryKey: ["apps", e.app, "events"] }, add);
}

/** connectLive keeps the stream open until the signal aborts; reconnects resume with Last-Event-ID. */
export function connectLive(qc: QueryClient, signal: AbortSignal, onState: (s: LiveState) => void) {
  let pending = new Map<string, QueryKey>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    timer = undefined;
    const keys = [...pending.values()];
    pending = new Map();
    for (const queryKey of keys) void qc.invalidateQueries({ queryKey });
  };
  onState("connecting");
  void fetchEventSource("/api/v1/stream", {
    signal,
    credentials: "same-origin",
    openWhenHidden: true,
    async onopen(res) {
      if (!res.ok) throw new Error(`stream: ${res.status}`);
      onState("live");
    },
    onmessage(msg) {
      if (!msg.data) return;
      let e: Event;
      try {
        e = JSON.parse(msg.data) as Event;
      } catch {
        return;
      }
      if (!e.kind) e.kind = msg.event;
      mergeEvent(qc, e);
      for (const k of staleKeys(e)) pending.set(JSON.stringify(k), k);
      timer ??= setTimeout(flush, 250);
    },
    onerror() {
      onState("offline");
      return 5000; // retry in 5 s (Last-Event-ID replays what was missed)
    },
    onclose() {
      onState("offline");
      throw new Error("stream closed"); // let onerror schedule the retry
    },
  }).catch(() => onState("offline"));
}
