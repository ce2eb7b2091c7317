// Deployments, newest first: every app's (/deployments) or one app's
// (/apps/:slug/deployments), filtered by app and status (kept in the URL),
// a page at a time. Keyed ["deployments", …] so rows update live.
import { Link, useSearchParams } from "react-router";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { api, ok } from "../../api/client";
import { useApp } from "../../layout/AppLayout";
import { Badge, Button, Card, Empty, ErrorBox, PageHeader, Spinner, Time } from "../../components/ui";
import { durationOf, statuses, triggerWords, type DeploymentRow } from "./model";
import "./deployments.css";

const pageSize = 25;

export function deploymentsQuery(app: string, status: string) {
  return {
    queryKey: ["deployments", "list", { app, status }],
    initialPageParam: "",
    queryFn: async ({ pageParam }: { pageParam: string }) => {
      const page = await ok(
        api.GET("/api/v1/deployments", { params: { query: { app: app || undefined, status: status || undefined, limit: pageSize, cursor: pageParam || undefined } as never } }),
      );
      return { items: page.items as DeploymentRow[], next_cursor: page.next_cursor };
    },
    getNextPageParam: (last: { next_cursor?: string }) => last.next_cursor || undefined,
  };
}

export function DeploymentsPage() {
  return (
    <>
      <PageHeader title="Deployments" subtitle="Every deployment of the apps you can see, newest first. Rows update as deployments move." />
      <DeploymentList />
    </>
  );
}

export function AppDeploymentsPage() {
  const app = useApp();
  return (
    <>
      <PageHeader title="Deployments" subtitle={`Deployments of ${app.name}, newest first.`} />
      <DeploymentList app={app.slug} />
    </>
  );
}

function DeploymentList({ app }: { app?: string }) {
  const [params, setParams] = useSearchParams();
  const appFilter = app ?? params.get("app") ?? "";
  const status = params.get("status") ?? "";
  const q = useInfiniteQuery(deploymentsQuery(appFilter, status));
  const apps = useQuery({
    queryKey: ["apps", "list", ""],
    queryFn: () => ok(api.GET("/api/v1/apps", { params: { query: { q: undefined, limit: 200 } as never } })),
    enabled: !app,
  });
  const set = (k: string, v: string) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    setParams(next, { replace: true });
  };
  const rows = q.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Card>
      <div className="toolbar" role="search" aria-label="Filter deployments">
        {!app && (
          <div className="filter">
            <label htmlFor="dep-app">App</label>
            <select id="dep-app" value={appFilter} onChange={(e) => set("app", e.target.value)}>
              <option value="">All apps</option>
              {appFilter && !apps.data?.items.some((a) => a.slug === appFilter) && <option value={appFilter}>{appFilter}</option>}
              {apps.data?.items.map((a) => (
                <option key={a.slug} value={a.slug}>
                  {a.name} ({a.slug})
                </option>
              ))}
            </select>
          </div>
        )}
        <div className="filter">
          <label htmlFor="dep-status">Status</label>
          <select id="dep-status" value={status} onChange={(e) => set("status", e.target.value)}>
            <option value="">Any status</option>
            {statuses.map((s) => (
              <option key={s} value={s}>
                {s.replaceAll("_", " ")}
              </option>
            ))}
          </select>
        </div>
        {(status || (!app && appFilter)) && (
          <Button kind="ghost" onClick={() => setParams({}, { replace: true })}>
            Clear filters
          </Button>
        )}
      </div>
      {q.isPending ? (
        <Spinner label="Loading deployments…" />
      ) : !q.data ? (
        <ErrorBox error={q.error} title="Could not load deployments." />
      ) : rows.length === 0 ? (
        <Empty>{status || (!app && appFilter) ? "No deployment matches these filters." : app ? "This app has no deployments yet: they start from a push to the deploy branch, CI, or a manual deploy." : "No deployments yet."}</Empty>
      ) : (
          <>
            <div className="table-wrap">
              <table className="table deployments-table">
                <thead>
                  <tr>
                    <th scope="col">Deployment</th>
                    {!app && <th scope="col">App</th>}
                    <th scope="col">Environment</th>
                    <th scope="col">Status</th>
                    <th scope="col">Trigger</th>
                    <th scope="col">Commit / image</th>
                    <th scope="col">Requested by</th>
                    <th scope="col">Created</th>
                    <th scope="col">Duration</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((d) => (
                    <tr key={d.id}>
                      <td>
                        <Link to={`/deployments/${d.id}`}>#{d.id}</Link>
                      </td>
                      {!app && (
                        <td>
                          <Link to={`/apps/${d.app}`}>{d.app}</Link>
                        </td>
                      )}
                      <td>{d.environment}</td>
                      <td>
                        <Badge status={d.status} />
                        {d.error && (
                          <div className="small dep-error" title={d.error}>
                            {d.error}
                          </div>
                        )}
                      </td>
                      <td>{triggerWords[d.trigger] ?? d.trigger}</td>
                      <td className="mono small">
                        {d.commit_sha ? d.commit_sha.slice(0, 12) : <span className="muted">—</span>}
                        {d.image && <div className="muted dep-image">{d.image}</div>}
                      </td>
                      <td className="small">{d.created_by}</td>
                      <td>
                        <Time at={d.created_at} />
                      </td>
                      <td className="small">{durationOf(d) || <span className="muted">—</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {q.isFetchNextPageError && <ErrorBox error={q.error} title="Could not load more deployments." />}
            {q.hasNextPage && (
              <div className="load-more">
                <Button onClick={() => void q.fetchNextPage()} busy={q.isFetchingNextPage}>
                  Load more
                </Button>
              </div>
            )}
          </>
      )}
    </Card>
  );
}
