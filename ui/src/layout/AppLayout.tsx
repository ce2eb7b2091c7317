// The frame of every /apps/:slug page: the app's name and status above its
// navigation. Pages read the app with useApp().
import { Link, Outlet, useOutletContext, useParams } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { api, ok } from "../api/client";
import type { App } from "../api/types";
import { Badge, ErrorBox, Spinner } from "../components/ui";
import { AppNav } from "./Shell";

export const appQuery = (slug: string) => ({
  queryKey: ["apps", slug, "app"],
  queryFn: () => ok(api.GET("/api/v1/apps/{slug}", { params: { path: { slug } } })),
});

export function AppLayout() {
  const { slug = "" } = useParams();
  const app = useQuery(appQuery(slug));
  if (app.isPending) return <Spinner label="Loading the app…" />;
  if (app.isError)
    return (
      <>
        <ErrorBox error={app.error} title={`Could not load app ${slug}.`} />
        <p>
          <Link to="/apps">Back to apps</Link>
        </p>
      </>
    );
  return (
    <>
      <div className="app-title row">
        <Link to="/apps" className="muted small">
          Apps
        </Link>
        <span className="muted small" aria-hidden>
          /
        </span>
        <strong>{app.data.name}</strong>
        <Badge status={app.data.status} />
      </div>
      <AppNav />
      <Outlet context={app.data satisfies App} />
    </>
  );
}

/** useApp is the app of the current /apps/:slug page. */
export function useApp(): App {
  return useOutletContext<App>();
}
