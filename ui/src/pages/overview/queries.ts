// The app-scoped reads of the overview and workload pages. Every key starts
// with ["apps", slug] so the live stream refreshes them when the app's
// events arrive; the events page is keyed ["apps", slug, "events"] so new
// events are prepended to it as they happen.
import { api, ok } from "../../api/client";

export const overviewQuery = (slug: string) => ({
  queryKey: ["apps", slug, "overview"],
  queryFn: () => ok(api.GET("/api/v1/apps/{slug}/overview", { params: { path: { slug } } })),
});

export const environmentsQuery = (slug: string) => ({
  queryKey: ["apps", slug, "environments"],
  queryFn: () => ok(api.GET("/api/v1/apps/{slug}/environments", { params: { path: { slug } } })),
});

export const workloadsQuery = (slug: string) => ({
  queryKey: ["apps", slug, "workloads"],
  queryFn: () => ok(api.GET("/api/v1/apps/{slug}/workloads", { params: { path: { slug } } })),
});

export const workloadQuery = (slug: string, name: string) => ({
  queryKey: ["apps", slug, "workload", name],
  queryFn: () => ok(api.GET("/api/v1/apps/{slug}/workloads/{name}", { params: { path: { slug, name } } })),
});

/** topologyQuery is one environment's graph ("" asks for the API's default, the first). */
export const topologyQuery = (slug: string, environment: string) => ({
  queryKey: ["apps", slug, "topology", environment],
  queryFn: () => ok(api.GET("/api/v1/apps/{slug}/topology", { params: { path: { slug }, query: (environment ? { environment } : {}) as never } })),
});

export const managedServicesQuery = (slug: string, environment: string) => ({
  queryKey: ["apps", slug, "managed-services", environment],
  queryFn: () => ok(api.GET("/api/v1/apps/{slug}/managed-services", { params: { path: { slug }, query: { environment } as never } })),
  enabled: environment !== "",
});

export const EVENTS_SHOWN = 10;

export const eventsQuery = (slug: string) => ({
  queryKey: ["apps", slug, "events"],
  queryFn: () => ok(api.GET("/api/v1/apps/{slug}/events", { params: { path: { slug }, query: { limit: EVENTS_SHOWN } as never } })),
});
