// The app's deploy tokens (for CI): name, scopes, the last 4 characters,
// when each was last used and expires. The secret is shown once, when a
// token is created or rotated; a rotated token's old secret works 24 h more.
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../../api/client";
import { useCan } from "../../api/session";
import type { DeployToken } from "../../api/types";
import { useApp } from "../../layout/AppLayout";
import { Badge, Button, Card, Confirm, Dialog, ErrorBox, Field, OnceSecret, PageHeader, QueryView, Time, fieldError, formError } from "../../components/ui";
import { gate } from "../subres/common";

/** The create and rotate answer: the token and its secret (the generated type lists only the secret). */
type Issued = DeployToken & { token: string };

export function TokensPage() {
  const app = useApp();
  const slug = app.slug;
  const can = useCan(app);
  const qc = useQueryClient();
  const tokens = useQuery({
    queryKey: ["apps", slug, "tokens"],
    queryFn: () => ok(api.GET("/api/v1/apps/{slug}/tokens", { params: { path: { slug } } })),
  });
  const [creating, setCreating] = useState(false);
  const [rotating, setRotating] = useState<DeployToken | null>(null);
  const [revoking, setRevoking] = useState<DeployToken | null>(null);
  const [issued, setIssued] = useState<{ title: string; token: Issued } | null>(null);
  const writable = can("app.update");
  const refresh = () => qc.invalidateQueries({ queryKey: ["apps", slug, "tokens"] });
  const rotate = useMutation({
    mutationFn: (t: DeployToken) => ok(api.POST("/api/v1/apps/{slug}/tokens/{id}/rotate", { params: { path: { slug, id: String(t.id) } } })) as Promise<Issued>,
    onSuccess: (token) => {
      setRotating(null);
      setIssued({ title: `Token ${token.name} rotated`, token });
      void refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: (t: DeployToken) => ok(api.DELETE("/api/v1/apps/{slug}/tokens/{id}", { params: { path: { slug, id: String(t.id) } } })),
    onSuccess: () => {
      setRevoking(null);
      void refresh();
    },
  });
  const now = Date.now();
  return (
    <>
      <PageHeader
        title="Deploy tokens"
        subtitle={<>Tokens CI uses to deploy this app and read its state (<code>Authorization: Bearer aldt_…</code>).</>}
        actions={
          <Button kind="primary" {...gate(writable, "app.update")} onClick={() => setCreating(true)}>
            New token
          </Button>
        }
      />
      <Card>
        <QueryView q={tokens} label="deploy tokens" isEmpty={(d) => d.items.length === 0} empty="No deploy tokens yet.">
          {(d) => (
            <div className="subres-table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Scopes</th>
                    <th scope="col">Token</th>
                    <th scope="col">Last used</th>
                    <th scope="col">Created</th>
                    <th scope="col">Expires</th>
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((t) => {
                    const expired = new Date(t.expires_at).getTime() < now;
                    const oldValid = t.previous_valid_until && new Date(t.previous_valid_until).getTime() > now;
                    return (
                      <tr key={t.id}>
                        <td>
                          <strong>{t.name}</strong>
                        </td>
                        <td>
                          <div className="subres-chips">
                            {t.scopes.map((s) => (
                              <span key={s} className="chip">
                                {s}
                              </span>
                            ))}
                          </div>
                        </td>
                        <td>
                          <span className="subres-mono" aria-label={`token ending in ${t.last4}`}>
                            aldt_…{t.last4}
                          </span>
                          {oldValid && (
                            <div className="muted small">
                              old secret expires <Time at={t.previous_valid_until} />
                            </div>
                          )}
                        </td>
                        <td>{t.last_used_at ? <Time at={t.last_used_at} /> : <span className="muted">never</span>}</td>
                        <td>
                          <Time at={t.created_at} />
                          <div className="muted small">{t.created_by}</div>
                        </td>
                        <td>{expired ? <Badge tone="bad">expired</Badge> : <Time at={t.expires_at} />}</td>
                        <td className="actions-cell">
                          <Button {...gate(writable, "app.update")} aria-label={`Rotate ${t.name}`} onClick={() => { rotate.reset(); setRotating(t); }}>
                            Rotate
                          </Button>
                          <Button kind="danger" {...gate(writable, "app.update")} aria-label={`Revoke ${t.name}`} onClick={() => { revoke.reset(); setRevoking(t); }}>
                            Revoke
                          </Button>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
        </QueryView>
      </Card>
      {creating && (
        <CreateDialog
          slug={slug}
          onClose={() => setCreating(false)}
          onCreated={(token) => {
            setCreating(false);
            setIssued({ title: `Token ${token.name} created`, token });
            void refresh();
          }}
        />
      )}
      <Dialog open={!!issued} title={issued?.title ?? ""} onClose={() => setIssued(null)} footer={<Button kind="primary" onClick={() => setIssued(null)}>Done</Button>}>
        {issued && (
          <>
            <OnceSecret value={issued.token.token} what="deploy token" />
            <p className="muted small">
              Scopes {issued.token.scopes.join(", ")}; expires <Time at={issued.token.expires_at} />.
              {issued.token.previous_valid_until && <> The old secret keeps working for 24 hours: update CI before then.</>}
            </p>
          </>
        )}
      </Dialog>
      <Confirm
        open={!!rotating}
        title="Rotate deploy token"
        danger={false}
        body={rotating && <p>Give <strong>{rotating.name}</strong> a new secret? The current one keeps working for 24 hours, so CI can be updated in between.</p>}
        confirmLabel="Rotate"
        busy={rotate.isPending}
        error={rotate.error}
        onConfirm={() => rotating && rotate.mutate(rotating)}
        onClose={() => setRotating(null)}
      />
      <Confirm
        open={!!revoking}
        title="Revoke deploy token"
        body={revoking && <p>Revoke <strong>{revoking.name}</strong> (…{revoking.last4})? CI using it can no longer deploy, at once.</p>}
        confirmLabel="Revoke"
        busy={revoke.isPending}
        error={revoke.error}
        onConfirm={() => revoking && revoke.mutate(revoking)}
        onClose={() => setRevoking(null)}
      />
    </>
  );
}

function CreateDialog({ slug, onClose, onCreated }: { slug: string; onClose: () => void; onCreated: (t: Issued) => void }) {
  const [name, setName] = useState("");
  const [deploy, setDeploy] = useState(true);
  const [read, setRead] = useState(true);
  const [days, setDays] = useState("365");
  const m = useMutation({
    mutationFn: () => {
      const scopes = [deploy && "deploy", read && "read"].filter(Boolean).join(",");
      return ok(api.POST("/api/v1/apps/{slug}/tokens", { params: { path: { slug } }, body: { name: name.trim(), scopes, expires_in_days: days === "" ? null : Number(days) } })) as Promise<Issued>;
    },
    onSuccess: onCreated,
  });
  const scopesErr = fieldError(m.error, "scopes");
  return (
    <Dialog
      open
      title="New deploy token"
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button kind="primary" type="submit" form="new-token" busy={m.isPending}>
            Create token
          </Button>
        </>
      }
    >
      <form
        id="new-token"
        className="subres-form"
        onSubmit={(e) => {
          e.preventDefault();
          m.mutate();
        }}
      >
        <Field label="Name" error={fieldError(m.error, "name")} hint="Where it is used, like github-actions.">
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required autoComplete="off" />}
        </Field>
        <fieldset className="subres-fieldset" aria-describedby={scopesErr ? "token-scopes-err" : undefined} aria-invalid={scopesErr ? true : undefined}>
          <legend>Scopes</legend>
          <label className="subres-check">
            <input type="checkbox" checked={deploy} onChange={(e) => setDeploy(e.target.checked)} />
            deploy: start deployments
          </label>
          <label className="subres-check">
            <input type="checkbox" checked={read} onChange={(e) => setRead(e.target.checked)} />
            read: read the app, its deployments and their status
          </label>
          {scopesErr && (
            <div id="token-scopes-err" className="field-error" role="alert">
              {scopesErr}
            </div>
          )}
        </fieldset>
        <Field label="Expires in (days)" error={fieldError(m.error, "expires_in_days")} hint="1 to 3650; default 365.">
          {(p) => <input {...p} type="number" min={1} max={3650} value={days} onChange={(e) => setDays(e.target.value)} />}
        </Field>
        <ErrorBox error={formError(m.error, ["name", "scopes", "expires_in_days"])} />
      </form>
    </Dialog>
  );
}
