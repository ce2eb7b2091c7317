// The app's custom domains: the TXT record that proves each hostname, the
// state of its checks and their last error, recheck and removal.
import { Fragment, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../../api/client";
import { useCan } from "../../api/session";
import type { Domain, Environment } from "../../api/types";
import { useApp } from "../../layout/AppLayout";
import { Badge, Button, Card, Confirm, CopyButton, Dialog, ErrorBox, Field, PageHeader, QueryView, Time, fieldError, formError } from "../../components/ui";
import { EnvSelect, gate, useEnvironments } from "../subres/common";

/** certificate words what happens to a domain's TLS certificate (the API has no certificate state of its own). */
export function certificate(d: Domain): string {
  return d.state === "validated" ? "requested at the environment's next deployment" : "after validation";
}

function TxtRecord({ d }: { d: Domain }) {
  return (
    <div className="subres-record">
      <span className="label">TXT name</span>
      <code>{d.record_name}</code>
      <CopyButton text={d.record_name} label="Copy name" />
      <span className="label">TXT value</span>
      <code>{d.record_value}</code>
      <CopyButton text={d.record_value} label="Copy value" />
    </div>
  );
}

export function DomainsPage() {
  const app = useApp();
  const slug = app.slug;
  const can = useCan(app);
  const qc = useQueryClient();
  const envs = useEnvironments(slug);
  const domains = useQuery({
    queryKey: ["apps", slug, "domains"],
    queryFn: () => ok(api.GET("/api/v1/apps/{slug}/domains", { params: { path: { slug } } })),
  });
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<Domain | null>(null);
  const writable = can("app.update");
  const recheck = useMutation({
    mutationFn: (d: Domain) => ok(api.POST("/api/v1/apps/{slug}/domains/{id}/recheck", { params: { path: { slug, id: String(d.id) } } })),
    onSettled: () => qc.invalidateQueries({ queryKey: ["apps", slug, "domains"] }),
  });
  const del = useMutation({
    mutationFn: (d: Domain) => ok(api.DELETE("/api/v1/apps/{slug}/domains/{id}", { params: { path: { slug, id: String(d.id) } } })),
    onSuccess: () => {
      setRemoving(null);
      void qc.invalidateQueries({ queryKey: ["apps", slug] });
    },
  });
  return (
    <>
      <PageHeader
        title="Domains"
        subtitle="Custom hostnames. Create the TXT record to prove each one; once validated, the environment's next deployment serves it."
        actions={
          <Button kind="primary" {...gate(writable, "app.update")} onClick={() => setAdding(true)}>
            Add domain
          </Button>
        }
      />
      {recheck.error ? <ErrorBox error={recheck.error} title={`Could not recheck ${recheck.variables?.hostname}.`} /> : null}
      <Card>
        <QueryView q={domains} label="domains" isEmpty={(d) => d.items.length === 0} empty="No custom domains yet.">
          {(d) => (
            <div className="subres-table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Hostname</th>
                    <th scope="col">State</th>
                    <th scope="col">Last check</th>
                    <th scope="col">Certificate</th>
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((x) => (
                    <Fragment key={x.id}>
                      <tr className="subres-mainrow">
                        <td>
                          <strong className="subres-mono">{x.hostname}</strong>
                          <div className="muted small">{x.environment}</div>
                        </td>
                        <td>
                          <Badge status={x.state} />
                        </td>
                        <td>
                          <Time at={x.last_checked_at} />
                          {x.attempts > 0 && <div className="muted small">{x.attempts === 1 ? "1 attempt" : `${x.attempts} attempts`}</div>}
                          {x.error && <div className="subres-error">{x.error}</div>}
                          {x.next_check_at && x.state !== "validated" && (
                            <div className="muted small">
                              next check <Time at={x.next_check_at} />
                            </div>
                          )}
                        </td>
                        <td className="small">{certificate(x)}</td>
                        <td className="actions-cell">
                          <Button {...gate(writable, "app.update")} busy={recheck.isPending && recheck.variables?.id === x.id} aria-label={`Recheck ${x.hostname}`} onClick={() => recheck.mutate(x)}>
                            Recheck
                          </Button>
                          <Button kind="danger" {...gate(writable, "app.update")} aria-label={`Remove ${x.hostname}`} onClick={() => { del.reset(); setRemoving(x); }}>
                            Remove
                          </Button>
                        </td>
                      </tr>
                      <tr className="subres-subrow">
                        <td colSpan={5}>
                          <TxtRecord d={x} />
                        </td>
                      </tr>
                    </Fragment>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </QueryView>
      </Card>
      {adding && <AddDomainDialog slug={slug} envs={envs.data?.items} onClose={() => setAdding(false)} />}
      <Confirm
        open={!!removing}
        title="Remove domain"
        body={removing && <p>Remove <strong>{removing.hostname}</strong>? The next deployment of {removing.environment} stops serving it.</p>}
        confirmLabel="Remove"
        busy={del.isPending}
        error={del.error}
        onConfirm={() => removing && del.mutate(removing)}
        onClose={() => setRemoving(null)}
      />
    </>
  );
}

function AddDomainDialog({ slug, envs, onClose }: { slug: string; envs: Environment[] | undefined; onClose: () => void }) {
  const qc = useQueryClient();
  const [hostname, setHostname] = useState("");
  const [environment, setEnvironment] = useState(envs?.[0]?.name ?? "");
  const m = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/apps/{slug}/domains", { params: { path: { slug } }, body: { hostname: hostname.trim(), environment } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["apps", slug, "domains"] }),
  });
  if (m.data) {
    return (
      <Dialog open title={`Prove ${m.data.hostname}`} onClose={onClose} footer={<Button kind="primary" onClick={onClose}>Done</Button>}>
        <p>Create this TXT record at your DNS provider. The platform checks it regularly; Recheck checks it now.</p>
        <TxtRecord d={m.data} />
      </Dialog>
    );
  }
  return (
    <Dialog
      open
      title="Add domain"
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button kind="primary" type="submit" form="add-domain" busy={m.isPending}>
            Add domain
          </Button>
        </>
      }
    >
      <form
        id="add-domain"
        className="subres-form"
        onSubmit={(e) => {
          e.preventDefault();
          m.mutate();
        }}
      >
        <Field label="Hostname" error={fieldError(m.error, "hostname")} hint="A full DNS name, like shop.example.com (no wildcards).">
          {(p) => <input {...p} value={hostname} onChange={(e) => setHostname(e.target.value)} placeholder="shop.example.com" autoComplete="off" spellCheck={false} required />}
        </Field>
        <Field label="Environment" error={fieldError(m.error, "environment")} hint="The environment that serves it.">
          {(p) => <EnvSelect {...p} envs={envs} value={environment} onChange={setEnvironment} />}
        </Field>
        <ErrorBox error={formError(m.error, ["hostname", "environment"])} />
      </form>
    </Dialog>
  );
}
