// The app's environments: where each runs (cluster, namespace, public URL),
// whether it is paused, the approvals its deployments need, the replica
// override and self-heal. Adding, editing, pausing and resuming need
// app.update.
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ApiError, api, ok } from "../../api/client";
import { useCan } from "../../api/session";
import type { Environment } from "../../api/types";
import { useApp } from "../../layout/AppLayout";
import { Badge, Button, Card, Dialog, ErrorBox, Field, PageHeader, QueryView, Time, fieldError, formError } from "../../components/ui";
import { gate, useEnvironments } from "../subres/common";

export function EnvironmentsPage() {
  const app = useApp();
  const slug = app.slug;
  const can = useCan(app);
  const qc = useQueryClient();
  const envs = useEnvironments(slug);
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Environment | null>(null);
  const writable = can("app.update");
  const toggle = useMutation({
    mutationFn: (e: Environment) =>
      ok(api.POST("/api/v1/apps/{slug}/environments/{env}/{action}", { params: { path: { slug, env: e.name, action: e.paused ? "resume" : "pause" } } })),
    onSettled: () => qc.invalidateQueries({ queryKey: ["apps", slug] }),
  });
  return (
    <>
      <PageHeader
        title="Environments"
        subtitle="Where the app runs. A paused environment holds push and CI deployments; manual ones still run."
        actions={
          <Button kind="primary" {...gate(writable, "app.update")} onClick={() => setAdding(true)}>
            Add environment
          </Button>
        }
      />
      {toggle.error ? <ErrorBox error={toggle.error} title={`Could not ${toggle.variables?.paused ? "resume" : "pause"} ${toggle.variables?.name}.`} /> : null}
      <Card>
        <QueryView q={envs} label="environments" isEmpty={(d) => d.items.length === 0} empty="No environments yet. Add one to deploy the app.">
          {(d) => (
            <div className="subres-table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Environment</th>
                    <th scope="col">Cluster</th>
                    <th scope="col">Public URL</th>
                    <th scope="col">State</th>
                    <th scope="col">Approvals</th>
                    <th scope="col">Replicas</th>
                    <th scope="col">Self-heal</th>
                    <th scope="col">Updated</th>
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((e) => (
                    <tr key={e.id}>
                      <td>
                        <strong>{e.name}</strong>
                        <div className="muted small subres-mono">{e.namespace}</div>
                      </td>
                      <td>{e.cluster}</td>
                      <td>
                        {e.public_url ? (
                          <a href={e.public_url} target="_blank" rel="noreferrer" className="subres-mono">
                            {e.public_url}
                          </a>
                        ) : (
                          <span className="muted">—</span>
                        )}
                      </td>
                      <td>{e.paused ? <Badge status="paused" /> : <Badge tone="ok">active</Badge>}</td>
                      <td>{e.required_approvals === 0 ? <span className="muted">none</span> : e.required_approvals}</td>
                      <td>{e.replicas == null ? <span className="muted">manifest's</span> : e.replicas}</td>
                      <td>{e.self_heal ? <Badge tone="info">on</Badge> : <span className="muted">off</span>}</td>
                      <td>
                        <Time at={e.updated_at} />
                      </td>
                      <td className="actions-cell">
                        <Button {...gate(writable, "app.update")} aria-label={`Edit ${e.name}`} onClick={() => setEditing(e)}>
                          Edit
                        </Button>
                        <Button
                          {...gate(writable, "app.update")}
                          busy={toggle.isPending && toggle.variables?.id === e.id}
                          aria-label={`${e.paused ? "Resume" : "Pause"} ${e.name}`}
                          onClick={() => toggle.mutate(e)}
                        >
                          {e.paused ? "Resume" : "Pause"}
                        </Button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </QueryView>
      </Card>
      {adding && <EnvironmentDialog slug={slug} onClose={() => setAdding(false)} />}
      {editing && <EnvironmentDialog slug={slug} env={editing} onClose={() => setEditing(null)} />}
    </>
  );
}

/** EnvironmentDialog adds an environment, or edits env. */
function EnvironmentDialog({ slug, env, onClose }: { slug: string; env?: Environment; onClose: () => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState(env?.name ?? "");
  const [namespace, setNamespace] = useState(env?.namespace ?? "");
  const [cluster, setCluster] = useState(env?.cluster ?? "local");
  const [publicURL, setPublicURL] = useState(env?.public_url ?? "");
  const [approvals, setApprovals] = useState(String(env?.required_approvals ?? 0));
  const [replicas, setReplicas] = useState(env?.replicas == null ? "" : String(env.replicas));
  const [selfHeal, setSelfHeal] = useState(env?.self_heal ?? false);
  const [paused, setPaused] = useState(env?.paused ?? false);
  const m = useMutation({
    mutationFn: () => {
      const body = {
        name: env ? env.name : name.trim(),
        namespace: env ? env.namespace : namespace.trim(),
        cluster: cluster.trim() || "local",
        public_url: publicURL.trim(),
        required_approvals: approvals === "" ? 0 : Number(approvals),
        replicas: replicas.trim() === "" ? null : Number(replicas),
        self_heal: selfHeal,
        paused,
      };
      return env
        ? ok(api.PATCH("/api/v1/apps/{slug}/environments/{env}", { params: { path: { slug, env: env.name } }, body }))
        : ok(api.POST("/api/v1/apps/{slug}/environments", { params: { path: { slug } }, body }));
    },
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ["apps", slug] });
      onClose();
    },
  });
  const fields = [...(env ? [] : ["name", "namespace"]), "cluster", "public_url", "required_approvals", "replicas", "self_heal", "paused"];
  const formId = env ? "edit-environment" : "add-environment";
  // A taken name answers 409 without a field: it belongs next to Name.
  const nameTaken = !env && m.error instanceof ApiError && m.error.status === 409 && !m.error.field;
  return (
    <Dialog
      open
      title={env ? `Edit ${env.name}` : "Add environment"}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button kind="primary" type="submit" form={formId} busy={m.isPending}>
            {env ? "Save" : "Add environment"}
          </Button>
        </>
      }
    >
      <form
        id={formId}
        className="subres-form"
        onSubmit={(e) => {
          e.preventDefault();
          m.mutate();
        }}
      >
        {env ? (
          <p className="muted small">
            Namespace <code>{env.namespace}</code>. An environment's name and namespace cannot change.
          </p>
        ) : (
          <div className="subres-form-row">
            <Field label="Name" error={fieldError(m.error, "name") ?? (nameTaken ? (m.error as ApiError).message : undefined)} hint="A DNS label: staging, production…">
              {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required autoComplete="off" />}
            </Field>
            <Field label="Namespace" error={fieldError(m.error, "namespace")} hint={`Default ${slug}-${name || "<name>"}`}>
              {(p) => <input {...p} value={namespace} onChange={(e) => setNamespace(e.target.value)} placeholder={`${slug}-${name || "name"}`} autoComplete="off" />}
            </Field>
          </div>
        )}
        <div className="subres-form-row">
          <Field label="Cluster" error={fieldError(m.error, "cluster")} hint="A registered cluster's name.">
            {(p) => <input {...p} value={cluster} onChange={(e) => setCluster(e.target.value)} autoComplete="off" />}
          </Field>
          <Field label="Public URL" error={fieldError(m.error, "public_url")}>
            {(p) => <input {...p} type="url" value={publicURL} onChange={(e) => setPublicURL(e.target.value)} placeholder="https://…" />}
          </Field>
        </div>
        <div className="subres-form-row">
          <Field label="Required approvals" error={fieldError(m.error, "required_approvals")} hint="0 to 10 approvals before a deployment runs.">
            {(p) => <input {...p} type="number" min={0} max={10} value={approvals} onChange={(e) => setApprovals(e.target.value)} />}
          </Field>
          <Field label="Replicas" error={fieldError(m.error, "replicas")} hint="Overrides every workload's count; empty uses the manifest's.">
            {(p) => <input {...p} type="number" min={0} max={1000} value={replicas} onChange={(e) => setReplicas(e.target.value)} placeholder="manifest's" />}
          </Field>
        </div>
        <label className="subres-check">
          <input type="checkbox" checked={selfHeal} onChange={(e) => setSelfHeal(e.target.checked)} />
          Self-heal: correct drift in the cluster as soon as it is found
        </label>
        {fieldError(m.error, "self_heal") && <div className="field-error">{fieldError(m.error, "self_heal")}</div>}
        <label className="subres-check">
          <input type="checkbox" checked={paused} onChange={(e) => setPaused(e.target.checked)} />
          Paused: push and CI deployments wait
        </label>
        <ErrorBox error={nameTaken ? null : formError(m.error, fields)} />
      </form>
    </Dialog>
  );
}
