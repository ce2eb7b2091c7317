// The app's managed services (databases, caches, buckets) per environment:
// status as the reconciler moves it (live, and polled while it moves), the
// envelope keys injected into the workloads (values masked), provisioning
// and deprovisioning.
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../../api/client";
import { useCan } from "../../api/session";
import type { Environment, ManagedService } from "../../api/types";
import { useApp } from "../../layout/AppLayout";
import { Badge, Button, Card, Confirm, Dialog, Empty, ErrorBox, Field, PageHeader, QueryView, Time, fieldError, formError } from "../../components/ui";
import { EnvSelect, gate, useEnvironments } from "../subres/common";

/** The kinds the platform's in-cluster provider runs (api.DefaultManagedServiceKinds). */
export const KINDS = [
  { id: "postgres", label: "PostgreSQL" },
  { id: "mysql", label: "MySQL" },
  { id: "redis", label: "Redis" },
  { id: "s3", label: "S3 bucket" },
];
const VARIANTS = ["small", "medium", "large"];
const MOVING = ["pending", "provisioning", "deprovisioning"];

/** pollWhileMoving: every 5 s while a service is pending, provisioning or deprovisioning. */
export function pollWhileMoving(items: ManagedService[] | undefined): number | false {
  return items?.some((s) => MOVING.includes(s.status)) ? 5000 : false;
}

export const managedServicesQuery = (slug: string) => ({
  queryKey: ["apps", slug, "managed-services"],
  queryFn: () => ok(api.GET("/api/v1/apps/{slug}/managed-services", { params: { path: { slug } } })),
});

export function ManagedServicesPage() {
  const app = useApp();
  const slug = app.slug;
  const can = useCan(app);
  const envs = useEnvironments(slug);
  const services = useQuery({
    ...managedServicesQuery(slug),
    // the stream moves statuses; polling covers a missed event while one moves
    refetchInterval: (q) => pollWhileMoving(q.state.data?.items),
  });
  const [provisioning, setProvisioning] = useState(false);
  const [removing, setRemoving] = useState<ManagedService | null>(null);
  const qc = useQueryClient();
  const del = useMutation({
    mutationFn: (s: ManagedService) => ok(api.DELETE("/api/v1/apps/{slug}/managed-services/{id}", { params: { path: { slug, id: String(s.id) } } })),
    onSuccess: () => {
      setRemoving(null);
      void qc.invalidateQueries({ queryKey: ["apps", slug] });
    },
  });
  const writable = can("app.update");
  return (
    <>
      <PageHeader
        title="Managed services"
        subtitle="Databases, caches and buckets the platform runs for each environment; their connection keys are injected into the app's workloads once active."
        actions={
          <Button kind="primary" {...gate(writable, "app.update")} onClick={() => setProvisioning(true)}>
            Provision
          </Button>
        }
      />
      <QueryView q={services} label="managed services">
        {(d) => {
          const names = [...new Set([...(envs.data?.items ?? []).map((e) => e.name), ...d.items.map((s) => s.environment)])];
          if (names.length === 0) return <Empty>The app has no environments yet: add one first.</Empty>;
          return (
            <div className="stack">
              {names.map((env) => {
                const items = d.items.filter((s) => s.environment === env);
                return (
                  <Card key={env} title={env}>
                    {items.length === 0 ? (
                      <Empty>No managed services in {env}.</Empty>
                    ) : (
                      <ServicesTable items={items} writable={writable} onRemove={(s) => { del.reset(); setRemoving(s); }} />
                    )}
                  </Card>
                );
              })}
            </div>
          );
        }}
      </QueryView>
      {provisioning && <ProvisionDialog slug={slug} envs={envs.data?.items} onClose={() => setProvisioning(false)} />}
      <Confirm
        open={!!removing}
        title="Deprovision managed service"
        body={
          removing && (
            <p>
              Deprovision <strong>{label(removing)}</strong> in {removing.environment}? The reconciler tears it down <strong>with its data</strong>, and the workloads lose its keys at their next deployment.
            </p>
          )
        }
        confirmLabel="Deprovision"
        busy={del.isPending}
        error={del.error}
        onConfirm={() => removing && del.mutate(removing)}
        onClose={() => setRemoving(null)}
      />
    </>
  );
}

function label(s: ManagedService) {
  return s.name ? `${s.kind} ${s.name}` : s.kind;
}

function ServicesTable({ items, writable, onRemove }: { items: ManagedService[]; writable: boolean; onRemove: (s: ManagedService) => void }) {
  return (
    <div className="subres-table-wrap">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">Name</th>
            <th scope="col">Variant</th>
            <th scope="col">Status</th>
            <th scope="col">Envelope keys</th>
            <th scope="col">Created</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((s) => (
            <tr key={s.id}>
              <td>
                <strong>{KINDS.find((k) => k.id === s.kind)?.label ?? s.kind}</strong>
              </td>
              <td>{s.name || <span className="muted">default</span>}</td>
              <td>{s.variant}</td>
              <td>
                <span className="row">
                  <Badge status={s.status} />
                  {MOVING.includes(s.status) && <span className="spinner" aria-hidden />}
                </span>
                {s.status_error && <div className="subres-error">{s.status_error}</div>}
              </td>
              <td>
                {s.envelope.length === 0 ? (
                  <span className="muted small">{s.status === "active" ? "none" : "once active"}</span>
                ) : (
                  <ul className="subres-envelope">
                    {s.envelope.map((k) => (
                      <li key={k.key}>
                        <span className="subres-mono">{k.key}</span>=<span className="subres-masked" aria-label={`${k.key} value, masked`}>{k.value}</span>
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              <td>
                <Time at={s.created_at} />
                <div className="muted small">{s.created_by}</div>
              </td>
              <td className="actions-cell">
                <Button
                  kind="danger"
                  {...gate(writable, "app.update")}
                  disabled={!writable || s.status === "deprovisioning"}
                  aria-label={`Deprovision ${label(s)} in ${s.environment}`}
                  onClick={() => onRemove(s)}
                >
                  Deprovision
                </Button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ProvisionDialog({ slug, envs, onClose }: { slug: string; envs: Environment[] | undefined; onClose: () => void }) {
  const qc = useQueryClient();
  const [environment, setEnvironment] = useState(envs?.[0]?.name ?? "");
  const [kind, setKind] = useState("postgres");
  const [name, setName] = useState("");
  const [variant, setVariant] = useState("small");
  const m = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/apps/{slug}/managed-services", { params: { path: { slug } }, body: { environment, kind, name: name.trim(), variant } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ["apps", slug] });
      onClose();
    },
  });
  const fields = ["environment", "kind", "name", "variant"];
  const prefix = name.trim() ? name.trim().toUpperCase().replaceAll("-", "_") + "_" : "";
  return (
    <Dialog
      open
      title="Provision a managed service"
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button kind="primary" type="submit" form="provision-service" busy={m.isPending}>
            Provision
          </Button>
        </>
      }
    >
      <form
        id="provision-service"
        className="subres-form"
        onSubmit={(e) => {
          e.preventDefault();
          m.mutate();
        }}
      >
        <Field label="Environment" error={fieldError(m.error, "environment")}>
          {(p) => <EnvSelect {...p} envs={envs} value={environment} onChange={setEnvironment} />}
        </Field>
        <Field label="Kind" error={fieldError(m.error, "kind")}>
          {(p) => (
            <select {...p} value={kind} onChange={(e) => setKind(e.target.value)}>
              {KINDS.map((k) => (
                <option key={k.id} value={k.id}>
                  {k.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field
          label="Name"
          error={fieldError(m.error, "name")}
          hint={prefix ? `Its envelope keys start with ${prefix}.` : "Optional: empty is the environment's default service of this kind; a named one's keys start with NAME_."}
        >
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} placeholder="default" autoComplete="off" />}
        </Field>
        <Field label="Variant" error={fieldError(m.error, "variant")}>
          {(p) => (
            <select {...p} value={variant} onChange={(e) => setVariant(e.target.value)}>
              {VARIANTS.map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          )}
        </Field>
        <ErrorBox error={formError(m.error, fields)} />
      </form>
    </Dialog>
  );
}
