// The app's members: the roles bound on this app (roles bound at the
// organization or the app's team apply too, and are managed there), granting
// an APP-scope role to a user, optionally until a date, and revoking it.
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../../api/client";
import { useCan } from "../../api/session";
import type { Binding, Role } from "../../api/types";
import { useApp } from "../../layout/AppLayout";
import { Badge, Button, Card, Confirm, Dialog, ErrorBox, Field, PageHeader, QueryView, Time, fieldError, formError } from "../../components/ui";
import { gate } from "../subres/common";

/** expiryISO turns a datetime-local value into an RFC 3339 time (null when empty). */
export function expiryISO(local: string): string | null {
  if (!local) return null;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export function MembersPage() {
  const app = useApp();
  const slug = app.slug;
  const can = useCan(app);
  const qc = useQueryClient();
  const members = useQuery({
    queryKey: ["apps", slug, "members"],
    queryFn: () => ok(api.GET("/api/v1/apps/{slug}/members", { params: { path: { slug } } })),
  });
  const [granting, setGranting] = useState(false);
  const [revoking, setRevoking] = useState<Binding | null>(null);
  const manage = can("members.manage");
  const revoke = useMutation({
    mutationFn: (b: Binding) => ok(api.DELETE("/api/v1/members/{id}", { params: { path: { id: String(b.id) } } })),
    onSuccess: () => {
      setRevoking(null);
      void qc.invalidateQueries({ queryKey: ["apps", slug, "members"] });
      void qc.invalidateQueries({ queryKey: ["members"] });
    },
  });
  return (
    <>
      <PageHeader
        title="Members"
        subtitle="Roles granted on this app. Roles granted on the organization or the app's team apply here too."
        actions={
          <Button kind="primary" {...gate(manage, "members.manage")} onClick={() => setGranting(true)}>
            Grant role
          </Button>
        }
      />
      <QueryView q={members} label="members">
        {(d) => (
          <div className="stack">
            <Card title="Bindings">
              {d.bindings.length === 0 ? (
                <p className="muted">Nobody has a role on this app itself yet.</p>
              ) : (
                <div className="subres-table-wrap">
                  <table className="table">
                    <thead>
                      <tr>
                        <th scope="col">User</th>
                        <th scope="col">Role</th>
                        <th scope="col">Granted</th>
                        <th scope="col">Expires</th>
                        <th scope="col">
                          <span className="sr-only">Actions</span>
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {d.bindings.map((b) => (
                        <tr key={b.id}>
                          <td>
                            <strong>{b.user.name || b.user.email}</strong>
                            <div className="muted small">{b.user.email}</div>
                          </td>
                          <td>
                            <Badge tone="info">{b.role}</Badge>
                          </td>
                          <td>
                            <Time at={b.granted_at} />
                          </td>
                          <td>{b.expires_at ? <Time at={b.expires_at} /> : <span className="muted">never</span>}</td>
                          <td className="actions-cell">
                            <Button kind="danger" {...gate(manage, "members.manage")} aria-label={`Revoke ${b.role} from ${b.user.email}`} onClick={() => { revoke.reset(); setRevoking(b); }}>
                              Revoke
                            </Button>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </Card>
            <Card title="Roles that can be granted here">
              <dl className="meta">
                {d.roles.map((r) => (
                  <RoleItem key={r.name} r={r} />
                ))}
              </dl>
            </Card>
          </div>
        )}
      </QueryView>
      {granting && members.data && <GrantDialog slug={slug} roles={members.data.roles} onClose={() => setGranting(false)} />}
      <Confirm
        open={!!revoking}
        title="Revoke role"
        body={revoking && <p>Revoke <strong>{revoking.role}</strong> on {slug} from {revoking.user.email}? It takes effect at once.</p>}
        confirmLabel="Revoke"
        busy={revoke.isPending}
        error={revoke.error}
        onConfirm={() => revoking && revoke.mutate(revoking)}
        onClose={() => setRevoking(null)}
      />
    </>
  );
}

function RoleItem({ r }: { r: Role }) {
  return (
    <>
      <dt>
        <code>{r.name}</code>
      </dt>
      <dd>
        {r.description}
        <div className="muted small">{r.permissions.join(", ")}</div>
      </dd>
    </>
  );
}

function GrantDialog({ slug, roles, onClose }: { slug: string; roles: Role[]; onClose: () => void }) {
  const qc = useQueryClient();
  const users = useQuery({
    queryKey: ["users", "all"],
    queryFn: () => ok(api.GET("/api/v1/users", { params: { query: { limit: 500 } as never } })),
  });
  const [email, setEmail] = useState("");
  const [role, setRole] = useState(roles[0]?.name ?? "");
  const [expires, setExpires] = useState("");
  const m = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/members", { body: { email, role, scope: slug, expires_at: expiryISO(expires) } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ["apps", slug, "members"] });
      void qc.invalidateQueries({ queryKey: ["members"] });
      onClose();
    },
  });
  const fields = ["email", "role", "expires_at"];
  return (
    <Dialog
      open
      title="Grant a role on this app"
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button kind="primary" type="submit" form="grant-role" busy={m.isPending} disabled={!email || !role}>
            Grant
          </Button>
        </>
      }
    >
      <form
        id="grant-role"
        className="subres-form"
        onSubmit={(e) => {
          e.preventDefault();
          m.mutate();
        }}
      >
        <Field label="User" error={fieldError(m.error, "email")} hint={users.data?.next_cursor ? "Showing the first 500 users." : undefined}>
          {(p) =>
            users.isError ? (
              <ErrorBox error={users.error} title="Could not load the users." />
            ) : (
              <select {...p} value={email} onChange={(e) => setEmail(e.target.value)} disabled={users.isPending} required>
                <option value="">{users.isPending ? "Loading users…" : "Choose a user"}</option>
                {(users.data?.items ?? []).map((u) => (
                  <option key={u.id} value={u.email}>
                    {u.name ? `${u.name} <${u.email}>` : u.email}
                  </option>
                ))}
              </select>
            )
          }
        </Field>
        <Field label="Role" error={fieldError(m.error, "role", "scope")} hint={roles.find((r) => r.name === role)?.description}>
          {(p) => (
            <select {...p} value={role} onChange={(e) => setRole(e.target.value)}>
              {roles.map((r) => (
                <option key={r.name} value={r.name}>
                  {r.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Expires (optional)" error={fieldError(m.error, "expires_at")} hint="Empty: until revoked.">
          {(p) => <input {...p} type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} />}
        </Field>
        <ErrorBox error={formError(m.error, [...fields, "scope"])} />
      </form>
    </Dialog>
  );
}
