// The app's overview (/apps/:slug): the hero with the quick actions, four
// status cards, the topology graph, recent deployments and events and the
// workloads as they run. Everything is keyed under ["apps", slug] so the
// live stream keeps it current.
import { useMemo, useState } from "react";
import { Link, useNavigate } from "react-router";
import { useMutation, useQuery, useQueryClient, type UseQueryResult } from "@tanstack/react-query";
import { api, ok } from "../../api/client";
import { useCan } from "../../api/session";
import type { App, Environment, Event, OverviewResponse, Topology } from "../../api/types";
import { useApp } from "../../layout/AppLayout";
import { Badge, Button, Card, Confirm, ErrorBox, QueryView, Spinner, Time } from "../../components/ui";
import { DeployDialog } from "./DeployDialog";
import { TopologyGraph } from "./Topology";
import { splitHosts, withManagedServices } from "./topologyLayout";
import { environmentsQuery, EVENTS_SHOWN, eventsQuery, managedServicesQuery, overviewQuery, topologyQuery, workloadsQuery } from "./queries";
import { replicasText, shortSHA } from "./format";
import "./overview.css";

/** sourceLink is the repository's web address, when the source URL is one. */
export function sourceLink(app: Pick<App, "source_url">): string | undefined {
  const u = app.source_url.trim();
  if (/^https?:\/\//i.test(u)) return u.replace(/\.git$/, "");
  return undefined;
}

/**
 * primaryURL is where Open goes: the primary environment's public URL (the
 * one named production, else the last with a public URL: the same rule as
 * the screenshot service's screenshot.Primary), else the first ingress host.
 */
export function primaryURL(envs: Environment[] | undefined, ingressHosts: string[]): string | undefined {
  const withURL = (envs ?? []).filter((x) => x.public_url);
  const e = withURL.find((x) => x.name === "production") ?? withURL[withURL.length - 1];
  if (e?.public_url) return /^https?:\/\//i.test(e.public_url) ? e.public_url : "https://" + e.public_url;
  return ingressHosts[0] ? "https://" + ingressHosts[0] : undefined;
}

export function OverviewPage() {
  const app = useApp();
  const slug = app.slug;
  const overview = useQuery(overviewQuery(slug));
  const envs = useQuery(environmentsQuery(slug));
  const envItems = envs.data?.items;
  const [env, setEnv] = useState("");
  const environment = env || envItems?.[0]?.name || "";
  const topology = useQuery({ ...topologyQuery(slug, environment), enabled: envs.isSuccess && (envItems?.length ?? 0) > 0 });
  const hosts = useMemo(() => (topology.data?.nodes ?? []).filter((n) => n.kind === "ingress").flatMap((n) => splitHosts(n.detail)), [topology.data]);

  return (
    <div className="overview stack">
      <Hero app={overview.data?.app ?? app} environments={envItems} openURL={primaryURL(envItems, hosts)} screenshotVersion={overview.data?.recent_deployments[0]?.id} />
      <QueryView q={overview} label="the overview">
        {(o) => <StatusCards o={o} app={app} environments={envItems} />}
      </QueryView>
      <TopologyCard slug={slug} environments={envItems} envsError={envs.error} environment={environment} onEnvironment={setEnv} topology={topology} />
      <div className="grid grid-2">
        <Card title="Recent deployments" actions={<Link to={`/apps/${slug}/deployments`}>All deployments</Link>}>
          <QueryView q={overview} label="deployments" isEmpty={(o) => o.recent_deployments.length === 0} empty="No deployment yet. Deploy to run the app.">
            {(o) => <RecentDeployments o={o} envs={envItems} />}
          </QueryView>
        </Card>
        <RecentEvents slug={slug} />
      </div>
      <WorkloadsCard slug={slug} />
    </div>
  );
}

function Hero({ app, environments, openURL, screenshotVersion }: { app: App; environments?: Environment[]; openURL?: string; screenshotVersion?: number }) {
  const can = useCan(app);
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [deploying, setDeploying] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [shotFailed, setShotFailed] = useState(false);
  const del = useMutation({
    mutationFn: () => ok(api.DELETE("/api/v1/apps/{slug}", { params: { path: { slug: app.slug } } })),
    onSuccess: () => {
      setDeleting(false);
      qc.removeQueries({ queryKey: ["apps", app.slug] });
      void qc.invalidateQueries({ queryKey: ["apps", "list"] });
      navigate("/apps");
    },
  });
  const source = sourceLink(app);
  const mayDeploy = can("app.deploy");
  const noEnv = environments !== undefined && environments.length === 0;
  const deployWhy = !mayDeploy ? "You need the app.deploy permission to deploy this app." : noEnv ? "The app has no environment to deploy to." : environments === undefined ? "Loading the environments…" : "Deploy to an environment";
  const mayDelete = can("app.delete");
  const shot = `/api/v1/apps/${encodeURIComponent(app.slug)}/screenshot${screenshotVersion ? `?v=${screenshotVersion}` : ""}`;
  return (
    <section className="card overview-hero" aria-labelledby="overview-app-name">
      {!shotFailed && <img className="overview-shot" src={shot} alt={`Screenshot of ${app.name}`} onError={() => setShotFailed(true)} />}
      <div className="overview-hero-text">
        <h1 id="overview-app-name">{app.name}</h1>
        <p className={app.description ? "" : "muted"}>{app.description || "No description."}</p>
        <div className="muted small">
          {app.slug} · project {app.project}
        </div>
      </div>
      <div className="actions overview-actions">
        {openURL ? (
          <a className="btn btn-primary" href={openURL} target="_blank" rel="noreferrer" title={`Open ${openURL} in a new tab`}>
            Open <span aria-hidden>↗</span>
          </a>
        ) : (
          <Button kind="primary" disabled title="No public URL: no environment has one and no workload is public.">
            Open
          </Button>
        )}
        <Button onClick={() => setDeploying(true)} disabled={!mayDeploy || !environments || noEnv} title={deployWhy}>
          Deploy
        </Button>
        <Link className="btn btn-secondary" to={`/apps/${app.slug}/config`}>
          Config
        </Link>
        {source ? (
          <a className="btn btn-secondary" href={source} target="_blank" rel="noreferrer" title={`Open the repository ${app.scm_repo || source}`}>
            Source <span aria-hidden>↗</span>
          </a>
        ) : (
          <Button disabled title={app.source_url ? `The repository ${app.scm_repo || app.source_url} has no web address.` : "The app has no source repository."}>
            Source
          </Button>
        )}
        <Button kind="danger" onClick={() => setDeleting(true)} disabled={!mayDelete} title={mayDelete ? "Delete the app (soft)" : "You need the app.delete permission to delete this app."}>
          Delete
        </Button>
      </div>
      {environments && environments.length > 0 && <DeployDialog slug={app.slug} environments={environments} open={deploying} onClose={() => setDeploying(false)} />}
      <Confirm
        open={deleting}
        title={`Delete ${app.name}?`}
        body={
          <p>
            The app is deleted softly: it stops being listed and deployed, and its slug <code>{app.slug}</code> stays reserved for the grace window.
          </p>
        }
        confirmLabel="Delete app"
        busy={del.isPending}
        error={del.error}
        onConfirm={() => del.mutate()}
        onClose={() => {
          del.reset();
          setDeleting(false);
        }}
      />
    </section>
  );
}

function StatusCards({ o, app, environments }: { o: OverviewResponse; app: App; environments?: Environment[] }) {
  const can = useCan(app);
  const qc = useQueryClient();
  const onboard = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/apps/{slug}/onboard", { params: { path: { slug: app.slug } } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ["apps", app.slug] });
      void qc.invalidateQueries({ queryKey: ["apps", "list"] });
    },
  });
  const failed = o.provisioning.status === "failed";
  const mayUpdate = can("app.update");
  const src = o.source;
  return (
    <div className="grid grid-4 overview-cards">
      <Card title="Provisioning" className="stat">
        <div className="value">
          <Badge status={o.provisioning.status} />
        </div>
        {o.provisioning.error && <p className="overview-error">{o.provisioning.error}</p>}
        {failed && (
          <>
            <Button onClick={() => onboard.mutate()} busy={onboard.isPending} disabled={!mayUpdate} title={mayUpdate ? "Set the app back to pending and onboard it again" : "You need the app.update permission to onboard the app again."}>
              Onboard again
            </Button>
            <ErrorBox error={onboard.error} title="Could not onboard again." />
          </>
        )}
      </Card>
      <Card title="Workloads" className="stat">
        <div className="value">
          {o.workloads.note ? "—" : o.workloads.count} <span className="label">{o.workloads.count === 1 ? "workload" : "workloads"}</span>
        </div>
        {o.workloads.note ? <p className="muted small">{o.workloads.note}</p> : <p className="muted">{o.workloads.replicas} {o.workloads.replicas === 1 ? "replica" : "replicas"} declared in the manifest</p>}
      </Card>
      <Card title="Source" className="stat">
        <dl className="meta">
          <dt>Repository</dt>
          <dd className="mono small">{app.scm_repo || src.url || "—"}</dd>
          <dt>Manifest</dt>
          <dd className="mono small">{src.manifest_path || "—"}</dd>
          <dt>Branch</dt>
          <dd className="mono small">{src.branch || "—"}</dd>
          {src.head_commit && (
            <>
              <dt>Commit</dt>
              <dd className="mono small" title={src.head_commit}>
                {shortSHA(src.head_commit)}
              </dd>
            </>
          )}
        </dl>
        {src.error && <p className="overview-error">{src.error}</p>}
      </Card>
      <Card title="Trigger" className="stat">
        <dl className="meta">
          <dt>Mode</dt>
          <dd>{o.trigger.mode.replaceAll("_", " ") || "—"}</dd>
          <dt>{o.trigger.namespace || (environments?.length ?? 0) < 2 ? "Namespace" : "Namespaces"}</dt>
          <dd className="mono small">{o.trigger.namespace || environments?.map((e) => e.namespace).join(", ") || "—"}</dd>
        </dl>
      </Card>
    </div>
  );
}

function TopologyCard({ slug, environments, envsError, environment, onEnvironment, topology }: { slug: string; environments?: Environment[]; envsError: unknown; environment: string; onEnvironment: (e: string) => void; topology: UseQueryResult<Topology> }) {
  const services = useQuery(managedServicesQuery(slug, environment));
  const graph = useMemo(() => (topology.data ? withManagedServices(topology.data, services.data?.items ?? []) : undefined), [topology.data, services.data]);
  const switcher =
    environments && environments.length > 1 ? (
      <label className="row small">
        <span>Environment</span>
        <select value={environment} onChange={(e) => onEnvironment(e.target.value)}>
          {environments.map((e) => (
            <option key={e.id} value={e.name}>
              {e.name}
            </option>
          ))}
        </select>
      </label>
    ) : environments?.length === 1 ? (
      <span className="muted small">Environment {environment}</span>
    ) : null;
  let body;
  if (envsError) body = <ErrorBox error={envsError} title="Could not load the environments." />;
  else if (!environments) body = <QueryView q={topology} label="the topology">{() => null}</QueryView>;
  else if (environments.length === 0) body = <p className="state state-empty">The app has no environment yet.</p>;
  else
    body = (
      <QueryView q={topology} label="the topology" isEmpty={(t) => t.nodes.length === 0} empty="Nothing to draw: the manifest declares no workload yet.">
        {(t) =>
          services.isPending && services.fetchStatus !== "idle" ? (
            <Spinner label="Loading the managed services…" />
          ) : (
            <>
              <TopologyGraph key={t.environment} slug={slug} environment={t.environment} graph={graph ?? t} />
              {services.isError && <p className="muted small">Managed services are not shown: {services.error.message}</p>}
            </>
          )
        }
      </QueryView>
    );
  return (
    <Card title="Topology" actions={switcher} className="overview-topology">
      {body}
      <div className="topo-legend small muted" aria-hidden>
        <span>
          <i className="dot dot-ok" /> running / active
        </span>
        <span>
          <i className="dot dot-warn" /> provisioning / unknown
        </span>
        <span>
          <i className="dot dot-bad" /> failed
        </span>
      </div>
    </Card>
  );
}

function RecentDeployments({ o, envs }: { o: OverviewResponse; envs?: Environment[] }) {
  const envName = (id: number) => envs?.find((e) => e.id === id)?.name ?? `#${id}`;
  return (
    <table className="table">
      <thead>
        <tr>
          <th scope="col">Deployment</th>
          <th scope="col">Environment</th>
          <th scope="col">Status</th>
          <th scope="col">Trigger</th>
          <th scope="col">Created</th>
        </tr>
      </thead>
      <tbody>
        {o.recent_deployments.slice(0, 5).map((d) => (
          <tr key={d.id}>
            <td>
              <Link to={`/deployments/${d.id}`}>#{d.id}</Link>
              {d.commit_sha && (
                <div className="mono small muted" title={d.commit_sha}>
                  {shortSHA(d.commit_sha)}
                </div>
              )}
            </td>
            <td>{envName(d.environment_id)}</td>
            <td>
              <Badge status={d.status} />
            </td>
            <td>{d.trigger}</td>
            <td>
              <Time at={d.created_at} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RecentEvents({ slug }: { slug: string }) {
  const events = useQuery(eventsQuery(slug));
  return (
    <Card title="Recent events">
      <QueryView q={events} label="events" isEmpty={(p) => p.items.length === 0} empty="No events yet.">
        {(p) => (
          <ul className="overview-events">
            {p.items.slice(0, EVENTS_SHOWN).map((e: Event) => (
              <li key={e.id}>
                <Badge tone={e.severity === "error" ? "bad" : e.severity === "warning" ? "warn" : "muted"}>{e.kind}</Badge>
                <span className="overview-event-msg">
                  {e.deployment_id ? <Link to={`/deployments/${e.deployment_id}`}>{e.message}</Link> : e.message}
                </span>
                <span className="muted small">
                  {e.actor && <>{e.actor} · </>}
                  <Time at={e.created_at} />
                </span>
              </li>
            ))}
          </ul>
        )}
      </QueryView>
    </Card>
  );
}

function WorkloadsCard({ slug }: { slug: string }) {
  const workloads = useQuery(workloadsQuery(slug));
  return (
    <Card title="Workloads by environment">
      <QueryView q={workloads} label="workloads" isEmpty={(p) => p.items.length === 0} empty="No workloads: the manifest declares none, or the app has no environment yet.">
        {(p) => (
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Environment</th>
                  <th scope="col">Status</th>
                  <th scope="col">Replicas (ready/desired)</th>
                  <th scope="col">Image</th>
                </tr>
              </thead>
              <tbody>
                {p.items.map((w) => (
                  <tr key={w.environment + "/" + w.name}>
                    <td>
                      <Link to={`/apps/${slug}/workloads/${encodeURIComponent(w.name)}?environment=${encodeURIComponent(w.environment)}`}>{w.name}</Link>
                    </td>
                    <td>{w.kind}</td>
                    <td>{w.environment}</td>
                    <td>
                      <Badge status={w.status} />
                      {w.message && <div className="muted small">{w.message}</div>}
                    </td>
                    <td>{replicasText(w)}</td>
                    <td className="mono small overview-image">{w.containers.map((c) => c.image).filter(Boolean).join(", ") || "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
    </Card>
  );
}
