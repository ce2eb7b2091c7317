// The app's outbound webhooks: where the app's events are sent, how the
// last delivery went, a test ping and the recent deliveries. The signing
// secret is shown once, when the webhook is created.
import { Fragment, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../../api/client";
import { useCan } from "../../api/session";
import type { Webhook, WebhookDelivery } from "../../api/types";

/** The create answer: the webhook and its secret (the generated type lists only the secret). */
type Created = Webhook & { secret: string };
import { useApp } from "../../layout/AppLayout";
import { Badge, Button, Card, Confirm, Dialog, ErrorBox, Field, OnceSecret, PageHeader, QueryView, Time, fieldError, formError } from "../../components/ui";
import { gate } from "../subres/common";

/** parseEventTypes splits "deployment.*, app.created" into its types. */
export function parseEventTypes(s: string): string[] {
  return s.split(/[\s,]+/).filter(Boolean);
}

function statusTone(code: number): "ok" | "bad" | "muted" {
  if (code === 0) return "muted";
  return code >= 200 && code < 300 ? "ok" : "bad";
}

function Outcome({ d, known }: { d: WebhookDelivery; known?: string }) {
  const parts = [d.status_code ? `HTTP ${d.status_code}` : "no response", `${d.duration_ms} ms`];
  return (
    <span>
      <Badge status={d.status} /> {parts.join(" · ")}
      {d.error && d.error !== known && <span className="subres-error"> — {d.error}</span>}
    </span>
  );
}

export function WebhooksPage() {
  const app = useApp();
  const slug = app.slug;
  const can = useCan(app);
  const qc = useQueryClient();
  const hooks = useQuery({
    queryKey: ["apps", slug, "webhooks"],
    queryFn: () => ok(api.GET("/api/v1/apps/{slug}/webhooks", { params: { path: { slug } } })),
  });
  const [creating, setCreating] = useState(false);
  const [open, setOpen] = useState<number | null>(null);
  const [removing, setRemoving] = useState<Webhook | null>(null);
  const [pings, setPings] = useState<Record<number, { delivery: WebhookDelivery } | { failed: unknown }>>({});
  const writable = can("app.update");
  const ping = useMutation({
    mutationFn: (w: Webhook) => ok(api.POST("/api/v1/apps/{slug}/webhooks/{id}/ping", { params: { path: { slug, id: String(w.id) } } })),
    onSuccess: (delivery, w) => setPings((p) => ({ ...p, [w.id]: { delivery } })),
    onError: (failed, w) => setPings((p) => ({ ...p, [w.id]: { failed } })),
    // the list's last delivery and the open deliveries panel
    onSettled: () => qc.invalidateQueries({ queryKey: ["apps", slug, "webhooks"] }),
  });
  const del = useMutation({
    mutationFn: (w: Webhook) => ok(api.DELETE("/api/v1/apps/{slug}/webhooks/{id}", { params: { path: { slug, id: String(w.id) } } })),
    onSuccess: () => {
      setRemoving(null);
      void qc.invalidateQueries({ queryKey: ["apps", slug, "webhooks"] });
    },
  });
  return (
    <>
      <PageHeader
        title="Webhooks"
        subtitle="Send the app's events to your own endpoints, signed with X-Astrolift-Signature."
        actions={
          <Button kind="primary" {...gate(writable, "app.update")} onClick={() => setCreating(true)}>
            New webhook
          </Button>
        }
      />
      <Card>
        <QueryView q={hooks} label="webhooks" isEmpty={(d) => d.items.length === 0} empty="No webhooks yet.">
          {(d) => (
            <div className="subres-table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">URL</th>
                    <th scope="col">Events</th>
                    <th scope="col">Last delivery</th>
                    <th scope="col">Failed</th>
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((w) => {
                    const p = pings[w.id];
                    return (
                      <Fragment key={w.id}>
                        <tr>
                          <td>
                            <span className="subres-mono">{w.url}</span>
                            <div className="muted small">
                              by {w.created_by}, <Time at={w.created_at} />
                            </div>
                          </td>
                          <td>
                            <div className="subres-chips">
                              {w.event_types.map((t) => (
                                <span key={t} className="chip">
                                  {t === "*" ? "every event" : t}
                                </span>
                              ))}
                            </div>
                          </td>
                          <td>
                            {w.last_delivery_at ? (
                              <>
                                <Badge tone={statusTone(w.last_status)}>{w.last_status ? `HTTP ${w.last_status}` : "no response"}</Badge> <Time at={w.last_delivery_at} />
                                {w.last_error && <div className="subres-error">{w.last_error}</div>}
                              </>
                            ) : (
                              <span className="muted">none yet</span>
                            )}
                            {p && (
                              <div className="small" role="status">
                                Ping: {"failed" in p ? <span className="subres-error">{p.failed instanceof Error ? p.failed.message : String(p.failed)}</span> : <Outcome d={p.delivery} known={w.last_error} />}
                              </div>
                            )}
                          </td>
                          <td>{w.failed_count > 0 ? <Badge tone="bad">{w.failed_count}</Badge> : <span className="muted">0</span>}</td>
                          <td className="actions-cell">
                            <Button {...gate(writable, "app.update")} busy={ping.isPending && ping.variables?.id === w.id} aria-label={`Ping ${w.url}`} onClick={() => ping.mutate(w)}>
                              Ping
                            </Button>
                            <Button aria-expanded={open === w.id} aria-controls={`deliveries-${w.id}`} onClick={() => setOpen(open === w.id ? null : w.id)}>
                              {open === w.id ? "Hide deliveries" : "Deliveries"}
                            </Button>
                            <Button kind="danger" {...gate(writable, "app.update")} aria-label={`Delete ${w.url}`} onClick={() => { del.reset(); setRemoving(w); }}>
                              Delete
                            </Button>
                          </td>
                        </tr>
                        {open === w.id && (
                          <tr className="subres-expanded" id={`deliveries-${w.id}`}>
                            <td colSpan={5}>
                              <Deliveries slug={slug} id={w.id} />
                            </td>
                          </tr>
                        )}
                      </Fragment>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
        </QueryView>
      </Card>
      {creating && <CreateDialog slug={slug} onClose={() => setCreating(false)} />}
      <Confirm
        open={!!removing}
        title="Delete webhook"
        body={removing && <p>Delete the webhook to <code>{removing.url}</code>? Its pending deliveries are dropped.</p>}
        confirmLabel="Delete"
        busy={del.isPending}
        error={del.error}
        onConfirm={() => removing && del.mutate(removing)}
        onClose={() => setRemoving(null)}
      />
    </>
  );
}

function Deliveries({ slug, id }: { slug: string; id: number }) {
  const q = useQuery({
    queryKey: ["apps", slug, "webhooks", id, "deliveries"],
    queryFn: () => ok(api.GET("/api/v1/apps/{slug}/webhooks/{id}/deliveries", { params: { path: { slug, id: String(id) } } })),
  });
  return (
    <QueryView q={q} label="deliveries" isEmpty={(d) => d.items.length === 0} empty="No deliveries yet: Ping sends one.">
      {(d) => (
        <table className="table" aria-label="Recent deliveries">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col">Attempt</th>
              <th scope="col">Response</th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
            {d.items.map((x) => (
              <tr key={x.id}>
                <td>
                  <Time at={x.delivered_at ?? x.created_at} />
                </td>
                <td className="subres-mono">{x.event_type}</td>
                <td>
                  <Badge status={x.status} />
                  {x.next_attempt_at && x.status === "pending" && (
                    <div className="muted small">
                      retry <Time at={x.next_attempt_at} />
                    </div>
                  )}
                </td>
                <td>{x.attempt}</td>
                <td>
                  {x.status_code ? `HTTP ${x.status_code}` : <span className="muted">none</span>} <span className="muted small">{x.duration_ms} ms</span>
                </td>
                <td>{x.error ? <span className="subres-error">{x.error}</span> : <span className="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </QueryView>
  );
}

function CreateDialog({ slug, onClose }: { slug: string; onClose: () => void }) {
  const qc = useQueryClient();
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState("*");
  const m = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/apps/{slug}/webhooks", { params: { path: { slug } }, body: { url: url.trim(), event_types: parseEventTypes(events) } })) as Promise<Created>,
    onSuccess: () => qc.invalidateQueries({ queryKey: ["apps", slug, "webhooks"] }),
  });
  if (m.data) {
    return (
      <Dialog open title="Webhook created" onClose={onClose} footer={<Button kind="primary" onClick={onClose}>Done</Button>}>
        <p>
          Deliveries to <code>{m.data.url}</code> carry an <code>X-Astrolift-Signature</code> header: <code>sha256=</code> and the hex HMAC-SHA256, keyed with this secret, of <code>X-Astrolift-Timestamp</code>, a dot and the body.
        </p>
        <OnceSecret value={m.data.secret} what="signing secret" />
      </Dialog>
    );
  }
  return (
    <Dialog
      open
      title="New webhook"
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button kind="primary" type="submit" form="new-webhook" busy={m.isPending}>
            Create webhook
          </Button>
        </>
      }
    >
      <form
        id="new-webhook"
        className="subres-form"
        onSubmit={(e) => {
          e.preventDefault();
          m.mutate();
        }}
      >
        <Field label="URL" error={fieldError(m.error, "url")} hint="An http or https endpoint that receives a POST per event.">
          {(p) => <input {...p} type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://hooks.example.com/astrolift" required />}
        </Field>
        <Field label="Event types" error={fieldError(m.error, "event_types")} hint="Comma-separated: exact kinds (deployment.succeeded), prefixes (deployment.*) or * for every event.">
          {(p) => <input {...p} value={events} onChange={(e) => setEvents(e.target.value)} spellCheck={false} />}
        </Field>
        <ErrorBox error={formError(m.error, ["url", "event_types"])} />
      </form>
    </Dialog>
  );
}
