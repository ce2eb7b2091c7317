import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { api, ok } from "../api/client";
import { useCan } from "../api/session";
import { Badge, Card, PageHeader, QueryView, Time } from "../components/ui";

export function AppsPage() {
  const [params, setParams] = useSearchParams();
  const [q, setQ] = useState(params.get("q") ?? "");
  const search = params.get("q") ?? "";
  const can = useCan();
  const apps = useQuery({
    queryKey: ["apps", "list", search],
    queryFn: () => ok(api.GET("/api/v1/apps", { params: { query: { q: search || undefined, limit: 200 } as never } })),
  });
  return (
    <>
      <PageHeader
        title="Apps"
        subtitle="Every app you can see, from its repository's astrolift.toml."
        actions={
          can("app.create") && (
            <Link className="btn btn-primary" to="/apps/new">
              New app
            </Link>
          )
        }
      />
      <Card>
        <form
          role="search"
          className="toolbar"
          onSubmit={(e) => {
            e.preventDefault();
            setParams(q ? { q } : {});
          }}
        >
          <label htmlFor="app-search" className="sr-only">
            Search apps
          </label>
          <input id="app-search" type="search" placeholder="Search apps" value={q} onChange={(e) => setQ(e.target.value)} />
          <button type="submit" className="btn btn-secondary">
            Search
          </button>
        </form>
        <QueryView q={apps} label="apps" isEmpty={(d) => d.items.length === 0} empty={search ? `No app matches “${search}”.` : <>No apps yet. <Link to="/apps/new">Register one</Link> from a git repository.</>}>
          {(d) => (
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">App</th>
                  <th scope="col">Project</th>
                  <th scope="col">Status</th>
                  <th scope="col">Source</th>
                  <th scope="col">Trigger</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((a) => (
                  <tr key={a.slug}>
                    <td>
                      <Link to={`/apps/${a.slug}`}>{a.name}</Link>
                      <div className="muted small">{a.slug}</div>
                    </td>
                    <td>{a.project}</td>
                    <td>
                      <Badge status={a.status} />
                    </td>
                    <td className="mono small">{a.scm_repo || a.source_url}</td>
                    <td>{a.trigger_mode}</td>
                    <td>
                      <Time at={a.updated_at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </QueryView>
      </Card>
    </>
  );
}
