// /webhooks: the organization-wide outbound webhooks (every event of the
// organization is POSTed, signed, to their URL): list, create (the signing
// secret is shown once), ping, the recent deliveries, delete.
import { Fragment, useId, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../../api/client";
import type { Webhook, WebhookDelivery } from "../../api/types";
import { Badge, Button, Card, Confirm, Dialog, ErrorBox, Field, OnceSecret, PageHeader, QueryView, Time, fieldError, formError } from "../../components/ui";
import { needs, usePerms } from "../org-shared/org";

/** The answer of POST /api/v1/webhooks: the webhook and its signing secret, shown once. */
export type CreatedWebhook = Webhook & { secret: string };

/** parseEventTypes reads "deployment.*, app.registered" (commas or spaces) into the API's list. */
export function parseEventTypes(s: string): string[] {
  return s
    .split(/[\s,]+/)
    .map((t) => t.trim())
    .filter(Boolean);
}

function deliveryOutcome(d: WebhookDelivery) {
  const code = d.status_code ? `HTTP ${d.status_code}` : "no response";
  if (d.status === "delivered") return `Delivered: ${code} in ${d.duration_ms} ms.`;
  if (d.status === "pending") return `Pending (attempt ${d.attempt})${d.error ? ": " + d.error : ""}.`;
  return `Failed: ${code}${d.error ? ", " + d.error : ""}.`;
}

export function WebhooksPage() {
  const perms = usePerms();
  const can = perms.at("connections.write");
  const webhooks = useQuery({ queryKey: ["org-webhooks"], queryFn: () => ok(api.GET("/api/v1/webhooks")) });
  const qc = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const [pinged, setPinged] = useState<Record<number, WebhookDelivery | Error>>({});
  const ping = useMutation({
    mutationFn: (w: Webhook) => ok(api.POST("/api/v1/webhooks/{id}/ping", { params: { path: { id: String(w.id) } } })),
    onSuccess: (d, w) => {
      setPinged((m) => ({ ...m, [w.id]: d }));
      void qc.invalidateQueries({ queryKey: ["org-webhooks"] });
    },
    onError: (e, w) => setPinged((m) => ({ ...m, [w.id]: e as Error })),
  });
  const del = useMutation({
    mutationFn: (w: Webhook) => ok(api.DELETE("/api/v1/webhooks/{id}", { params: { path: { id: String(w.id) } } })),
    onSuccess: () => {
      setDeleting(null);
      void qc.invalidateQueries({ queryKey: ["org-webhooks"] });
    },
  });
  const why = can ? undefined : needs("connections.write");
  return (
    <>
      <PageHeader
        title="Webhooks"
        subtitle="Organization-wide outbound webhooks: the events you subscribe to are POSTed to the URL, signed with X-Astrolift-Signature."
        actions={
          <Button kind="primary" disabled={!can} title={why} onClick={() => setCreating(true)}>
            New webhook
          </Button>
        }
      />
      <Card>
          <QueryView q={webhooks} label="webhooks" isEmpty={(d) => d.items.length === 0} empty="No organization-wide webhooks yet. App webhooks are on each app's Webhooks tab.">
            {(d) => (
              <div className="org-table-wrap">
                <table className="table org-table">
                  <thead>
                    <tr>
                      <th scope="col">URL</th>
                      <th scope="col">Events</th>
                      <th scope="col">Last delivery</th>
                      <th scope="col">Failed</th>
                      <th scope="col">Created</th>
                      <th scope="col">
                        <span className="sr-only">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.items.map((w) => {
                      const p = pinged[w.id];
                      return (
                        <Fragment key={w.id}>
                          <tr>
                            <td className="url mono small">{w.url}</td>
                            <td>
                              <div className="org-chips">
                                {w.event_types.map((t) => (
                                  <span key={t} className="chip mono">
                                    {t}
                                  </span>
                                ))}
                              </div>
                            </td>
                            <td>
                              {w.last_delivery_at ? (
                                <>
                                  <Time at={w.last_delivery_at} />{" "}
                                  <Badge tone={w.last_status >= 200 && w.last_status < 300 ? "ok" : "bad"}>{w.last_status ? `HTTP ${w.last_status}` : "no response"}</Badge>
                                  {w.last_error && <div className="small muted">{w.last_error}</div>}
                                </>
                              ) : (
                                <span className="muted">none yet</span>
                              )}
                            </td>
                            <td>{w.failed_count ? <Badge tone="bad">{w.failed_count}</Badge> : <span className="muted">0</span>}</td>
                            <td>
                              <Time at={w.created_at} />
                              <div className="small muted">{w.created_by}</div>
                            </td>
                            <td className="actions-cell">
                              <Button busy={ping.isPending && ping.variables?.id === w.id} disabled={!can} title={why} aria-label={`Ping ${w.url}`} onClick={() => ping.mutate(w)}>
                                Ping
                              </Button>
                              <Button aria-expanded={open === w.id} aria-controls={`deliveries-${w.id}`} onClick={() => setOpen(open === w.id ? null : w.id)}>
                                {open === w.id ? "Hide deliveries" : "Deliveries"}
                              </Button>
                              <Button
                                kind="danger"
                                disabled={!can}
                                title={why}
                                aria-label={`Delete webhook ${w.url}`}
                                onClick={() => {
                                  del.reset();
                                  setDeleting(w);
                                }}
                              >
                                Delete
                              </Button>
                              {p && (
                                <div role="status" className={"org-outcome " + (p instanceof Error || p.status === "failed" ? "bad" : "ok")}>
                                  Ping: {p instanceof Error ? p.message : deliveryOutcome(p)}
                                </div>
                              )}
                            </td>
                          </tr>
                          {open === w.id && (
                            <tr className="detail-row" id={`deliveries-${w.id}`}>
                              <td colSpan={6}>
                                <Deliveries id={w.id} />
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
      {creating && <CreateWebhookDialog onClose={() => setCreating(false)} />}
      <Confirm
        open={!!deleting}
        title="Delete webhook?"
        body={<p>Nothing more is sent to {deleting?.url}; its pending deliveries are dropped.</p>}
        confirmLabel="Delete webhook"
        busy={del.isPending}
        error={del.error}
        onConfirm={() => deleting && del.mutate(deleting)}
        onClose={() => setDeleting(null)}
      />
    </>
  );
}

function Deliveries({ id }: { id: number }) {
  const q = useQuery({
    queryKey: ["org-webhooks", id, "deliveries"],
    queryFn: () => ok(api.GET("/api/v1/webhooks/{id}/deliveries", { params: { path: { id: String(id) }, query: { limit: 50 } as never } })),
    refetchInterval: 10_000,
  });
  return (
    <QueryView q={q} label="deliveries" isEmpty={(d) => d.items.length === 0} empty="No deliveries yet: ping the webhook, or wait for an event.">
      {(d) => (
        <div className="org-deliveries" tabIndex={0} role="region" aria-label="Deliveries">
        {d.next_cursor && <p className="small muted">The latest {d.items.length} deliveries.</p>}
        <table className="table">
          <caption className="sr-only">Recent deliveries</caption>
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col">Attempt</th>
              <th scope="col">Response</th>
              <th scope="col">Duration</th>
              <th scope="col">Created</th>
              <th scope="col">Payload</th>
            </tr>
          </thead>
          <tbody>
            {d.items.map((x) => (
              <tr key={x.id}>
                <td className="mono small">{x.event_type}</td>
                <td>
                  <Badge status={x.status} />
                  {x.error && <div className="small muted">{x.error}</div>}
                  {x.status === "pending" && x.next_attempt_at && (
                    <div className="small muted">
                      next try <Time at={x.next_attempt_at} />
                    </div>
                  )}
                </td>
                <td>{x.attempt}</td>
                <td>{x.status_code ? `HTTP ${x.status_code}` : <span className="muted">none</span>}</td>
                <td>{x.duration_ms} ms</td>
                <td>
                  <Time at={x.created_at} />
                </td>
                <td>
                  {x.payload ? (
                    <details>
                      <summary>Show</summary>
                      <pre className="code org-payload">{JSON.stringify(x.payload, null, 2)}</pre>
                    </details>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
    </QueryView>
  );
}

/** CreateWebhookDialog creates an org-wide webhook and then shows its signing secret once. */
export function CreateWebhookDialog({ onClose }: { onClose: () => void }) {
  const qc = useQueryClient();
  const formId = useId();
  const [url, setUrl] = useState("");
  const [types, setTypes] = useState("*");
  const create = useMutation({
    mutationFn: async () => (await ok(api.POST("/api/v1/webhooks", { body: { url, event_types: parseEventTypes(types) } }))) as CreatedWebhook,
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["org-webhooks"] }),
  });
  const created = create.data;
  return (
    <Dialog
      open
      title={created ? "Webhook created" : "New webhook"}
      onClose={onClose}
      footer={
        created ? (
          <Button kind="primary" onClick={onClose}>
            Done
          </Button>
        ) : (
          <>
            <Button onClick={onClose}>Cancel</Button>
            <Button kind="primary" type="submit" form={formId} busy={create.isPending}>
              Create webhook
            </Button>
          </>
        )
      }
    >
      {created ? (
        <div className="stack">
          <p>
            Deliveries to <span className="mono">{created.url}</span> are signed with this secret (header X-Astrolift-Signature).
          </p>
          <OnceSecret value={created.secret} what="signing secret" />
        </div>
      ) : (
        <form
          id={formId}
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <Field label="URL" error={fieldError(create.error, "url")} hint="An http(s) URL that accepts POST requests.">
            {(p) => <input {...p} type="url" className="mono" placeholder="https://example.com/hooks/astrolift" value={url} onChange={(e) => setUrl(e.target.value)} required autoFocus />}
          </Field>
          <Field label="Event types" error={fieldError(create.error, "event_types")} hint="Exact kinds (deployment.succeeded), prefixes (deployment.*) or * for every event; separate with commas or spaces.">
            {(p) => <input {...p} className="mono" value={types} onChange={(e) => setTypes(e.target.value)} />}
          </Field>
          <ErrorBox error={formError(create.error, ["url", "event_types"])} />
        </form>
      )}
    </Dialog>
  );
}
