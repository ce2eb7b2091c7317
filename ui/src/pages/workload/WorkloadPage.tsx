// One workload (/apps/:slug/workloads/:name?environment=): how it runs in
// the chosen environment: status, replicas, autoscaler, resources, storage,
// public hostnames, its containers (env keys only, never values) and, for
// a cron job, its recent runs.
import { useMemo } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { useApp } from "../../layout/AppLayout";
import type { WorkloadDetail } from "../../api/types";
import { Badge, Card, Empty, PageHeader, QueryView, Time } from "../../components/ui";
import { topologyQuery, workloadQuery } from "../overview/queries";
import { publicHosts } from "../overview/topologyLayout";
import "./workload.css";

type WorkloadInEnv = WorkloadDetail["environments"][number];
type Container = WorkloadInEnv["containers"][number];
type Run = NonNullable<WorkloadInEnv["runs"]>[number];

export function WorkloadPage() {
  const app = useApp();
  const { name = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const q = useQuery(workloadQuery(app.slug, name));
  return (
    <div className="workload stack">
      <PageHeader
        title={
          <>
            <span className="muted">Workload</span> {name}
          </>
        }
        subtitle={<Link to={`/apps/${app.slug}`}>Back to the overview</Link>}
      />
      <QueryView q={q} label={`workload ${name}`} isEmpty={(d) => d.environments.length === 0} empty={`Workload ${name} runs in no environment.`}>
        {(d) => {
          const wanted = params.get("environment");
          const w = d.environments.find((e) => e.environment === wanted) ?? d.environments[0];
          return (
            <>
              {d.environments.length > 1 && (
                <div className="toolbar workload-env">
                  <label htmlFor="workload-env">Environment</label>
                  <select id="workload-env" value={w.environment} onChange={(e) => setParams({ environment: e.target.value }, { replace: true })}>
                    {d.environments.map((e) => (
                      <option key={e.environment} value={e.environment}>
                        {e.environment} ({e.status.replaceAll("_", " ")})
                      </option>
                    ))}
                  </select>
                </div>
              )}
              <General slug={app.slug} w={w} all={d.environments.map((e) => e.environment)} />
              <Card title={`Containers (${w.containers.length})`}>
                {w.containers.length === 0 ? <Empty>No container is known: the workload is not deployed here yet.</Empty> : <div className="workload-containers">{w.containers.map((c) => <ContainerBox key={c.name} c={c} />)}</div>}
              </Card>
              {w.kind === "cronjob" && <Runs runs={w.runs ?? []} />}
            </>
          );
        }}
      </QueryView>
    </div>
  );
}

function General({ slug, w, all }: { slug: string; w: WorkloadInEnv; all: string[] }) {
  const topology = useQuery(topologyQuery(slug, w.environment));
  const hosts = useMemo(() => (topology.data ? (publicHosts(topology.data).get(w.name) ?? []) : []), [topology.data, w.name]);
  const resources = Object.entries(w.resources ?? {});
  return (
    <Card title="General">
      <dl className="meta">
        <dt>Kind</dt>
        <dd>{w.kind}</dd>
        <dt>Environment</dt>
        <dd>
          {w.environment}
          {all.length > 1 && <span className="muted small"> (runs in {all.join(", ")})</span>}
        </dd>
        <dt>Status</dt>
        <dd>
          <Badge status={w.status} /> {w.message && <span className="muted">{w.message}</span>}
        </dd>
        {w.kind === "cronjob" ? (
          <>
            <dt>Schedule</dt>
            <dd className="mono">{w.schedule || "—"}{w.suspended && <> <Badge tone="warn">suspended</Badge></>}</dd>
          </>
        ) : (
          <>
            <dt>Replicas</dt>
            <dd>
              {w.ready_replicas} ready of {w.autoscale ? w.autoscale.desired_replicas : (w.desired_replicas ?? "?")} desired
            </dd>
            <dt>Autoscaling</dt>
            <dd>
              {w.autoscale ? (
                <>
                  {w.autoscale.min}–{w.autoscale.max} replicas{w.autoscale.cpu_percent != null && <> at {w.autoscale.cpu_percent}% CPU</>}; now {w.autoscale.current_replicas}, wants {w.autoscale.desired_replicas}
                </>
              ) : (
                <span className="muted">off</span>
              )}
            </dd>
          </>
        )}
        <dt>Resources</dt>
        <dd>
          {resources.length ? (
            <span className="row">
              {resources.map(([k, v]) => (
                <span key={k} className="chip mono">
                  {k} {v}
                </span>
              ))}
            </span>
          ) : (
            <span className="muted">none set</span>
          )}
        </dd>
        <dt>Storage</dt>
        <dd>{w.storage_size || w.storage_class ? <>{w.storage_size || "?"}{w.storage_class && <span className="muted"> (class {w.storage_class})</span>}</> : <span className="muted">none</span>}</dd>
        <dt>Public hostnames</dt>
        <dd>
          {topology.isPending ? (
            <span className="muted">loading…</span>
          ) : topology.isError ? (
            <span className="muted">unknown ({topology.error.message})</span>
          ) : hosts.length ? (
            <span className="row">
              {hosts.map((h) => (
                <a key={h} className="chip" href={`https://${h}`} target="_blank" rel="noreferrer">
                  {h} <span aria-hidden>↗</span>
                </a>
              ))}
            </span>
          ) : (
            <span className="muted">not public</span>
          )}
        </dd>
        {w.object && (
          <>
            <dt>Object</dt>
            <dd className="mono small">{w.object}</dd>
          </>
        )}
        <dt>Observed</dt>
        <dd>{w.observed_at ? <Time at={w.observed_at} /> : <span className="muted">never (listed from the manifest)</span>}</dd>
      </dl>
    </Card>
  );
}

function ContainerBox({ c }: { c: Container }) {
  const keys = Object.keys(c.env ?? {}).sort();
  const cmd = [...(c.command ?? []), ...(c.args ?? [])];
  return (
    <section className="workload-container" aria-label={`Container ${c.name}`}>
      <h3>{c.name}</h3>
      <dl className="meta">
        <dt>Image</dt>
        <dd className="mono small">{c.image || "—"}</dd>
        <dt>Port</dt>
        <dd>{c.port ?? <span className="muted">none</span>}</dd>
        <dt>Command</dt>
        <dd>{cmd.length ? <code>{cmd.join(" ")}</code> : <span className="muted">the image's default</span>}</dd>
        {c.healthcheck && (
          <>
            <dt>Health check</dt>
            <dd className="mono small">{c.healthcheck}</dd>
          </>
        )}
        <dt>Environment</dt>
        <dd>
          {keys.length ? (
            <>
              <span className="row">
                {keys.map((k) => (
                  <span key={k} className="chip mono">
                    {k}
                  </span>
                ))}
              </span>
              <div className="muted small">Names only: values are not shown. Secrets and managed-service keys are injected too.</div>
            </>
          ) : (
            <span className="muted">no variables pinned on the container</span>
          )}
        </dd>
      </dl>
    </section>
  );
}

function duration(r: Run): string {
  if (!r.started_at || !r.finished_at) return "—";
  const s = Math.round((new Date(r.finished_at).getTime() - new Date(r.started_at).getTime()) / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

function Runs({ runs }: { runs: Run[] }) {
  return (
    <Card title="Recent runs">
      {runs.length === 0 ? (
        <Empty>The cron job has not run yet.</Empty>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Status</th>
              <th scope="col">Started</th>
              <th scope="col">Finished</th>
              <th scope="col">Duration</th>
              <th scope="col">Exit code</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.name}>
                <td className="mono small">{r.name}</td>
                <td>
                  <Badge status={r.status} />
                </td>
                <td>
                  <Time at={r.started_at} />
                </td>
                <td>
                  <Time at={r.finished_at} />
                </td>
                <td>{duration(r)}</td>
                <td>{r.exit_code ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
