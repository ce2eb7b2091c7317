// Drift (/apps/:slug/drift): per environment, what the last drift check
// found — objects whose live state differs from what was deployed, each
// drifted field with its live and desired values and who changed it — and
// "Reconcile now": a manual deployment of the environment, which re-applies
// the desired state (POST /api/v1/apps/:slug/deploy; app.deploy).
import { useState } from "react";
import { Link } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../../api/client";
import type { Drift, Environment } from "../../api/types";
import { useCan } from "../../api/session";
import { useApp } from "../../layout/AppLayout";
import { Badge, Button, Card, Confirm, Empty, PageHeader, QueryView, Time } from "../../components/ui";
import "./drift.css";

export function DriftPage() {
  const app = useApp();
  const envs = useQuery({
    queryKey: ["apps", app.slug, "environments"],
    queryFn: () => ok(api.GET("/api/v1/apps/{slug}/environments", { params: { path: { slug: app.slug } } })),
  });
  return (
    <>
      <PageHeader title="Drift" subtitle="What changed in the cluster since Astrolift deployed it: drifted objects and fields, live vs desired values, and who changed them." />
      <QueryView q={envs} label="environments" isEmpty={(d) => d.items.length === 0} empty="This app has no environments yet, so nothing can drift.">
        {(d) => (
          <div className="stack">
            {d.items.map((e) => (
              <EnvironmentDrift key={e.name} env={e} />
            ))}
          </div>
        )}
      </QueryView>
    </>
  );
}

/** show words a live or desired value; Secrets' values are never given. */
export function show(v: unknown, secret: boolean): string {
  if (secret) return "(hidden: Secret)";
  if (v === undefined) return "(absent)";
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

const opWords: Record<string, string> = {
  replace: "changed",
  add: "removed live (reconcile adds it back)",
  remove: "added live (reconcile removes it)",
};

function EnvironmentDrift({ env }: { env: Environment }) {
  const app = useApp();
  const can = useCan(app);
  const qc = useQueryClient();
  const [confirm, setConfirm] = useState(false);
  const q = useQuery({
    queryKey: ["apps", app.slug, "drift", env.name],
    queryFn: () => ok(api.GET("/api/v1/apps/{slug}/environments/{env}/drift", { params: { path: { slug: app.slug, env: env.name } } })),
  });
  const deploy = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/apps/{slug}/deploy", { params: { path: { slug: app.slug } }, body: { environment: env.name } as never })),
    onSuccess: () => {
      setConfirm(false);
      void qc.invalidateQueries({ queryKey: ["deployments"] });
    },
  });
  const mayDeploy = can("app.deploy");
  const queued = deploy.data as { id?: number } | undefined;
  return (
    <Card
      title={`Environment ${env.name}`}
      actions={
        <>
          {q.data && <Badge status={q.data.status}>{statusWords[q.data.status] ?? q.data.status}</Badge>}
          <Button
            kind="primary"
            disabled={!mayDeploy}
            title={mayDeploy ? `Queue a manual deployment of the synced manifest to ${env.name}: it re-applies the desired state` : "You need the app.deploy permission to reconcile."}
            onClick={() => {
              deploy.reset();
              setConfirm(true);
            }}
          >
            Reconcile now
          </Button>
        </>
      }
    >
      {queued?.id && (
        <p className="drift-note" role="status">
          Deployment <Link to={`/deployments/${queued.id}`}>#{queued.id}</Link> queued to {env.name}; the next drift check runs after it.
        </p>
      )}
      <QueryView q={q} label={`drift of ${env.name}`}>
        {(d) => <DriftReport d={d} env={env} />}
      </QueryView>
      <Confirm
        open={confirm}
        title={`Reconcile ${env.name}?`}
        body={
          <p>
            This queues a manual deployment of the synced manifest to <strong>{env.name}</strong> (namespace <code>{env.namespace}</code>). Applying it puts every drifted field back to the desired value; changes made directly in the cluster are lost.
            {env.required_approvals > 0 && ` It needs ${env.required_approvals} approval${env.required_approvals === 1 ? "" : "s"} first.`}
          </p>
        }
        confirmLabel="Queue deployment"
        danger={false}
        busy={deploy.isPending}
        error={deploy.error}
        onConfirm={() => deploy.mutate()}
        onClose={() => setConfirm(false)}
      />
    </Card>
  );
}

const statusWords: Record<string, string> = { in_sync: "in sync", drifted: "drifted", error: "check failed", unknown: "not checked yet" };

function DriftReport({ d, env }: { d: Drift; env: Environment }) {
  return (
    <>
      <dl className="meta drift-meta">
        <dt>Last check</dt>
        <dd>{d.checked_at && !d.checked_at.startsWith("0001-") ? <Time at={d.checked_at} /> : <span className="muted">never</span>}</dd>
        <dt>Compared with</dt>
        <dd>{d.deployment_id ? <Link to={`/deployments/${d.deployment_id}`}>deployment #{d.deployment_id}</Link> : <span className="muted">no deployment yet</span>}</dd>
        <dt>Self-heal</dt>
        <dd>{d.self_heal ? "on: drift is re-applied automatically" : "off: drift stays until someone reconciles"}</dd>
        {d.corrected && d.corrected.length > 0 && (
          <>
            <dt>Self-healed</dt>
            <dd>
              {d.corrected.join(", ")} <Time at={d.corrected_at} />
            </dd>
          </>
        )}
      </dl>
      {d.status === "error" ? (
        <div className="state state-error" role="alert">
          <strong>The drift check could not run.</strong> {d.error}
        </div>
      ) : d.status === "unknown" ? (
        <Empty>Not checked yet: nothing has been deployed to {env.name}, or the first check is pending.</Empty>
      ) : d.objects.length === 0 ? (
        <Empty>No drift: the cluster matches what was deployed.</Empty>
      ) : (
        <div className="drift-objects">
          {d.objects.map((o) => {
            const secret = o.kind === "Secret";
            const id = `${o.kind}/${o.namespace ? o.namespace + "/" : ""}${o.name}`;
            return (
              <section key={id} className="drift-object" aria-label={id}>
                <h3>
                  <span className="mono">{o.kind}</span> {o.name}
                  {o.namespace && <span className="muted small"> in {o.namespace}</span>}
                  {o.missing && <Badge tone="bad">missing from the cluster</Badge>}
                </h3>
                {o.missing ? (
                  <p className="small">The object was deleted in the cluster; reconciling creates it again.</p>
                ) : (o.fields ?? []).length === 0 ? (
                  <p className="small muted">Drifted, with no field detail.</p>
                ) : (
                  <div className="table-wrap">
                    <table className="table drift-fields">
                      <thead>
                        <tr>
                          <th scope="col">Field</th>
                          <th scope="col">Live</th>
                          <th scope="col">Desired</th>
                          <th scope="col">Changed by</th>
                        </tr>
                      </thead>
                      <tbody>
                        {(o.fields ?? []).map((f) => (
                          <tr key={f.path}>
                            <td>
                              <code>{f.path}</code>
                              <div className="small muted">{opWords[f.op] ?? f.op}</div>
                            </td>
                            <td>
                              <code className="val val-live">{show(f.live, secret)}</code>
                            </td>
                            <td>
                              <code className="val val-desired">{show(f.desired, secret)}</code>
                            </td>
                            <td className="small">
                              {(f.changed_by ?? []).length === 0 ? (
                                <span className="muted">unknown</span>
                              ) : (
                                (f.changed_by ?? []).map((m) => (
                                  <div key={m.name + m.operation}>
                                    <strong>{m.name}</strong> <span className="muted">({m.operation})</span> {m.time && <Time at={m.time} />}
                                  </div>
                                ))
                              )}
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </section>
            );
          })}
        </div>
      )}
    </>
  );
}
