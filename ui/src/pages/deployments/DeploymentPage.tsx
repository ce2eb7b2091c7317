// One deployment (/deployments/:id): status, approval, metadata, the
// lifecycle log, the rendered objects and its events, with approve, abort,
// rollback and redeploy. Keyed ["deployment", id] so it updates live.
import { useState } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../../api/client";
import { useCan, useMe } from "../../api/session";
import { appQuery } from "../../layout/AppLayout";
import { Badge, Button, Card, Confirm, Empty, ErrorBox, PageHeader, QueryView, Time } from "../../components/ui";
import { actionState, durationOf, ended, splitObjects, triggerWords, type Action, type DeploymentRow } from "./model";
import "./deployments.css";

export const deploymentQuery = (id: string) => ({
  queryKey: ["deployment", id],
  queryFn: async () => (await ok(api.GET("/api/v1/deployments/{id}", { params: { path: { id } } }))) as DeploymentRow,
});

export function DeploymentPage() {
  const { id = "" } = useParams();
  const q = useQuery(deploymentQuery(id));
  return (
    <>
      <p className="small">
        <Link to="/deployments">Deployments</Link>
      </p>
      <QueryView q={q} label={`deployment ${id}`}>
        {(d) => <DeploymentView key={d.id} d={d} />}
      </QueryView>
    </>
  );
}

const actionWords: Record<Action, { label: string; confirm?: string; body?: string; done: string }> = {
  approve: { label: "Approve", done: "Approved." },
  abort: { label: "Abort", confirm: "Abort deployment", body: "The deployer stops at its next step; objects it already applied stay applied.", done: "Aborted." },
  rollback: { label: "Rollback", confirm: "Roll back", body: "A new deployment re-applies the last succeeded deployment before this one in the same environment, exactly as it ran.", done: "Rollback queued." },
  redeploy: { label: "Redeploy", done: "Redeploy queued." },
};

function DeploymentView({ d }: { d: DeploymentRow }) {
  const app = useQuery(appQuery(d.app));
  const can = useCan(app.data);
  const me = useMe().data?.user.email;
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [confirm, setConfirm] = useState<Action | null>(null);
  const from = useLocation().state as { from?: number; action?: Action } | null;
  const [done, setDone] = useState(from?.from ? `${actionWords[from.action ?? "redeploy"].done.replace(".", "")} from deployment #${from.from}.` : "");
  const envs = useQuery({
    queryKey: ["apps", d.app, "environments"],
    queryFn: () => ok(api.GET("/api/v1/apps/{slug}/environments", { params: { path: { slug: d.app } } })),
  });
  const env = envs.data?.items.find((e) => e.name === d.environment);
  const act = useMutation({
    mutationFn: (action: Action) => ok(api.POST("/api/v1/deployments/{id}/{action}", { params: { path: { id: String(d.id), action } }, body: {} as never })) as Promise<DeploymentRow>,
    onSuccess: (next, action) => {
      setConfirm(null);
      setDone(actionWords[action].done);
      void qc.invalidateQueries({ queryKey: ["deployment", String(d.id)] });
      void qc.invalidateQueries({ queryKey: ["deployments"] });
      if (next && next.id !== d.id) navigate(`/deployments/${next.id}`, { state: { from: d.id, action } });
    },
  });
  const approvals = (d.events ?? []).filter((e) => e.kind === "deployment.approved");
  const button = (a: Action, kind: "primary" | "secondary" | "danger" = "secondary") => {
    const st = actionState(a, d, can, me);
    return (
      <Button
        key={a}
        kind={kind}
        disabled={!st.enabled || app.isPending}
        title={st.reason}
        busy={act.isPending && act.variables === a && !actionWords[a].confirm}
        onClick={() => {
          setDone("");
          if (actionWords[a].confirm) {
            act.reset();
            setConfirm(a);
          } else act.mutate(a);
        }}
      >
        {actionWords[a].label}
      </Button>
    );
  };
  const events = [...(d.events ?? [])].reverse();
  const objects = d.rendered ? splitObjects(d.rendered) : [];
  return (
    <>
      <PageHeader
        title={
          <span className="row">
            Deployment #{d.id} <Badge status={d.status} />
          </span>
        }
        subtitle={
          <>
            {triggerWords[d.trigger] ?? d.trigger} deployment of <Link to={`/apps/${d.app}`}>{d.app}</Link> to <strong>{d.environment}</strong>, requested by {d.created_by} <Time at={d.created_at} />
          </>
        }
        actions={
          <>
            {button("approve", "primary")}
            {button("abort", "danger")}
            {button("rollback")}
            {button("redeploy")}
          </>
        }
      />
      {done && (
        <p className="note-ok-inline" role="status">
          {done}
        </p>
      )}
      {act.error && !confirm && <ErrorBox error={act.error} title={`Could not ${act.variables ?? "do that"}.`} />}
      {d.error && (
        <div className="state state-error" role="alert">
          <strong>The deployment failed.</strong> <span className="pre-wrap">{d.error}</span>
        </div>
      )}
      {d.status === "awaiting_approval" && (
        <div className="state state-forbidden approval">
          <strong>Waiting for approval.</strong>{" "}
          {env ? `${env.name} needs ${env.required_approvals} approval${env.required_approvals === 1 ? "" : "s"}` : "This environment needs approval"}
          {approvals.length > 0 ? `; ${approvals.length} so far (${approvals.map((a) => a.actor).join(", ")}).` : "; none yet."} The requester cannot approve their own deployment.
        </div>
      )}
      <div className="dep-grid">
        <Card title="Details">
          <dl className="meta">
            <dt>Status</dt>
            <dd>
              <Badge status={d.status} />
            </dd>
            <dt>Trigger</dt>
            <dd>{triggerWords[d.trigger] ?? d.trigger}</dd>
            <dt>Approval</dt>
            <dd>
              {d.status === "awaiting_approval"
                ? `waiting (${approvals.length}${env ? ` of ${env.required_approvals}` : ""})`
                : approvals.length > 0
                  ? `approved by ${approvals.map((a) => a.actor).join(", ")}`
                  : env && env.required_approvals > 0
                    ? `${env.required_approvals} required, none given`
                    : "not required"}
            </dd>
            <dt>App</dt>
            <dd>
              <Link to={`/apps/${d.app}`}>{d.app}</Link>
            </dd>
            <dt>Environment</dt>
            <dd>
              {d.environment}
              {env && <span className="muted small"> (namespace {env.namespace}, cluster {env.cluster})</span>}
            </dd>
            <dt>Commit</dt>
            <dd className="mono">{d.commit_sha || <span className="muted">—</span>}</dd>
            <dt>Image</dt>
            <dd className="mono">
              {d.image || <span className="muted">the environment's current image</span>}
              {d.image_digest && <div className="small muted">{d.image_digest}</div>}
            </dd>
            {d.ci && (
              <>
                <dt>CI</dt>
                <dd>
                  {d.ci.branch && <code>{d.ci.branch}</code>} {d.ci.commit && <code>{d.ci.commit.slice(0, 12)}</code>}{" "}
                  {d.ci.run_url && (
                    <a href={d.ci.run_url} target="_blank" rel="noreferrer">
                      CI run
                    </a>
                  )}
                </dd>
              </>
            )}
            <dt>Requested by</dt>
            <dd>{d.created_by}</dd>
            <dt>Created</dt>
            <dd>
              <Time at={d.created_at} /> <span className="muted small">{new Date(d.created_at).toLocaleString()}</span>
            </dd>
            <dt>Started</dt>
            <dd>
              <Time at={d.started_at} />
            </dd>
            <dt>Finished</dt>
            <dd>{d.finished_at ? <Time at={d.finished_at} /> : ended.has(d.status) ? <span className="muted">—</span> : <span className="muted">still running</span>}</dd>
            <dt>Duration</dt>
            <dd>
              {durationOf(d) || <span className="muted">—</span>}
              {d.duration && d.duration_seconds != null && <span className="muted small"> ({d.duration} including the queue)</span>}
            </dd>
          </dl>
        </Card>
        <Card title="Lifecycle">
          {(d.lifecycle ?? []).length === 0 ? (
            <Empty>No steps yet.</Empty>
          ) : (
            <ol className="lifecycle">
              {(d.lifecycle ?? []).map((t, i) => {
                const bad = t.to === "failed" || t.to === "aborted";
                const head = (
                  <>
                    <span className="lc-states">
                      {t.from ? <Badge status={t.from} /> : <span className="muted small">start</span>} <span aria-hidden>→</span>
                      <span className="sr-only">to</span> <Badge status={t.to} />
                    </span>
                    <Time at={t.at} />
                  </>
                );
                return (
                  <li key={i} className={bad ? "lc-bad" : undefined}>
                    {bad && t.detail ? (
                      <details>
                        <summary title="Show what failed"><span className="lc-head lc-sum">{head}</span></summary>
                        <pre className="lc-detail">{t.detail}</pre>
                      </details>
                    ) : (
                      <>
                        <div className="lc-head">{head}</div>
                        {t.detail && <div className="small muted lc-text">{t.detail}</div>}
                      </>
                    )}
                  </li>
                );
              })}
            </ol>
          )}
        </Card>
      </div>
      <Card title={`Rendered objects${objects.length ? ` (${objects.length})` : ""}`} className="dep-section">
        {objects.length === 0 ? (
          <Empty>{ended.has(d.status) ? "This deployment rendered no objects." : "Nothing rendered yet: objects appear once the deployment has rendered the manifest."}</Empty>
        ) : (
          <>
            <p className="small muted">The objects as applied; Secret values are masked.</p>
            {objects.map((o, i) => (
              <details key={i} className="object">
                <summary className="mono">{o.title}</summary>
                <pre className="code">{o.text}</pre>
              </details>
            ))}
          </>
        )}
      </Card>
      <Card title="Events" className="dep-section">
        {events.length === 0 ? (
          <Empty>No events for this deployment yet.</Empty>
        ) : (
          <ul className="dep-events">
            {events.map((e) => (
              <li key={e.id}>
                <Time at={e.created_at} /> <Badge tone={e.severity === "error" ? "bad" : e.severity === "warning" ? "warn" : "muted"}>{e.severity}</Badge> <code>{e.kind}</code> {e.message}
                {e.actor && <span className="muted small"> · {e.actor}</span>}
              </li>
            ))}
          </ul>
        )}
      </Card>
      {(["abort", "rollback"] as const).map((a) => (
        <Confirm
          key={a}
          open={confirm === a}
          title={`${actionWords[a].label} deployment #${d.id}?`}
          body={<p>{actionWords[a].body}</p>}
          confirmLabel={actionWords[a].confirm!}
          busy={act.isPending}
          error={act.error}
          onConfirm={() => act.mutate(a)}
          onClose={() => setConfirm(null)}
        />
      ))}
    </>
  );
}
