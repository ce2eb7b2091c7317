// /members: the organization's role bindings (who holds which role at
// the organization, a team or an app), granting a role (with a new local
// user if needed) and revoking one.
import { useId, useState } from "react";
import { Link } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../../api/client";
import { useMe, useRoles } from "../../api/session";
import type { Binding, User } from "../../api/types";
import { Badge, Button, Card, Confirm, Dialog, ErrorBox, Field, PageHeader, QueryView, Time, fieldError, formError } from "../../components/ui";
import { needs, teamOfApp, useAllProjects, useAppsList, usePerms, useTeams, useUsers } from "../org-shared/org";

export type Level = "ORG" | "TEAM" | "APP";
export const levels: { id: Level; label: string }[] = [
  { id: "ORG", label: "Organization" },
  { id: "TEAM", label: "Team" },
  { id: "APP", label: "App" },
];

function expired(b: Binding) {
  return !!b.expires_at && new Date(b.expires_at) < new Date();
}

export function MembersPage() {
  const members = useQuery({ queryKey: ["members"], queryFn: () => ok(api.GET("/api/v1/members", { params: { query: { limit: 500 } as never } })) });
  const perms = usePerms();
  const apps = useAppsList();
  const projects = useAllProjects();
  const qc = useQueryClient();
  const [granting, setGranting] = useState(false);
  const [revoking, setRevoking] = useState<Binding | null>(null);
  const revoke = useMutation({
    mutationFn: (b: Binding) => ok(api.DELETE("/api/v1/members/{id}", { params: { path: { id: String(b.id) } } })),
    onSuccess: () => {
      setRevoking(null);
      void qc.invalidateQueries({ queryKey: ["members"] });
      void qc.invalidateQueries({ queryKey: ["me"] });
    },
  });
  const canManageAt = (b: Binding) => {
    const level = b.scope_level.toUpperCase();
    if (level === "TEAM") return perms.at("members.manage", { team: b.scope });
    if (level === "APP") {
      const app = apps.data?.items.find((a) => a.slug === b.scope);
      return perms.at("members.manage", { app: b.scope, team: teamOfApp(app, projects.data?.items) });
    }
    return perms.at("members.manage");
  };
  const canGrant = perms.anywhere("members.manage");
  const meID = useMe().data?.user.id;
  return (
    <>
      <PageHeader
        title="Members"
        subtitle="Who holds which role, and where: at the organization, on a team (its projects and apps) or on one app."
        actions={
          <Button kind="primary" disabled={!canGrant} title={canGrant ? undefined : needs("members.manage", "at some scope")} onClick={() => setGranting(true)}>
            Grant role
          </Button>
        }
      />
      <Card>
        <QueryView q={members} label="members" isEmpty={(d) => d.items.length === 0} empty="No role bindings.">
          {(d) => (
            <div className="org-table-wrap">
              <table className="table org-table">
                <thead>
                  <tr>
                    <th scope="col">User</th>
                    <th scope="col">Role</th>
                    <th scope="col">Scope level</th>
                    <th scope="col">Scope</th>
                    <th scope="col">Granted</th>
                    <th scope="col">Expires</th>
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((b) => {
                    const level = b.scope_level.toUpperCase();
                    const can = canManageAt(b);
                    return (
                      <tr key={b.id}>
                        <td>
                          {b.user.name || b.user.email} {b.user.id === meID && <Badge tone="info">you</Badge>}
                          {b.user.name && <div className="muted small">{b.user.email}</div>}
                        </td>
                        <td className="mono small">{b.role}</td>
                        <td>{levels.find((l) => l.id === level)?.label ?? b.scope_level}</td>
                        <td>
                          {level === "APP" ? (
                            <Link to={`/apps/${b.scope}`}>{b.scope}</Link>
                          ) : level === "TEAM" ? (
                            b.scope
                          ) : (
                            <span className="muted">whole organization</span>
                          )}
                        </td>
                        <td>
                          <Time at={b.granted_at} />
                        </td>
                        <td>
                          {b.expires_at ? (
                            <>
                              <Time at={b.expires_at} /> {expired(b) && <Badge tone="bad">expired</Badge>}
                            </>
                          ) : (
                            <span className="muted">never</span>
                          )}
                        </td>
                        <td className="actions-cell">
                          <Button
                            kind="danger"
                            disabled={!can}
                            title={can ? undefined : needs("members.manage", level === "ORG" ? "in this organization" : `on ${b.scope} or the organization`)}
                            aria-label={`Revoke ${b.role} from ${b.user.email}`}
                            onClick={() => {
                              revoke.reset();
                              setRevoking(b);
                            }}
                          >
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
      {granting && <GrantDialog onClose={() => setGranting(false)} />}
      <Confirm
        open={!!revoking}
        title="Revoke role?"
        body={
          revoking && (
            <p>
              {revoking.user.email} loses <strong>{revoking.role}</strong>
              {revoking.scope ? ` on ${revoking.scope}` : " in the organization"} now.
            </p>
          )
        }
        confirmLabel="Revoke"
        busy={revoke.isPending}
        error={revoke.error}
        onConfirm={() => revoking && revoke.mutate(revoking)}
        onClose={() => setRevoking(null)}
      />
    </>
  );
}

/** GrantDialog binds a role to a user at the organization, a team or an app (POST /api/v1/members). */
export function GrantDialog({ onClose }: { onClose: () => void }) {
  const qc = useQueryClient();
  const formId = useId();
  const users = useUsers();
  const roles = useRoles();
  const teams = useTeams();
  const apps = useAppsList();
  const projects = useAllProjects();
  const perms = usePerms();
  const [email, setEmail] = useState("");
  const [level, setLevel] = useState<Level>(perms.at("members.manage") ? "ORG" : perms.teamsWith("members.manage").length ? "TEAM" : "APP");
  const [scope, setScope] = useState("");
  const [role, setRole] = useState("");
  const [expires, setExpires] = useState("");
  const [newUser, setNewUser] = useState(false);
  const levelRoles = (roles.data?.items ?? []).filter((r) => r.scope_level.toUpperCase() === level);
  const chosenRole = levelRoles.find((r) => r.name === role) ?? levelRoles[0];
  const grant = useMutation({
    mutationFn: () =>
      ok(
        api.POST("/api/v1/members", {
          body: { email, role: chosenRole?.name ?? "", scope: level === "ORG" ? "" : scope, expires_at: expires ? new Date(expires).toISOString() : null },
        }),
      ),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ["members"] });
      void qc.invalidateQueries({ queryKey: ["me"] });
      onClose();
    },
  });
  const orgManage = perms.at("members.manage");
  const teamAllowed = (t: string) => perms.at("members.manage", { team: t });
  const appAllowed = (a: { slug: string; project: string }) => perms.at("members.manage", { app: a.slug, team: teamOfApp(a, projects.data?.items) });
  const fields = ["email", "role", "scope", "expires_at"];
  return (
    <>
      {/* The New user dialog opens above this one (closing this one would end the grant). */}
      <Dialog
        open
        title="Grant role"
        onClose={onClose}
        footer={
          <>
            <Button onClick={onClose}>Cancel</Button>
            <Button kind="primary" type="submit" form={formId} busy={grant.isPending}>
              Grant role
            </Button>
          </>
        }
      >
        <form
          id={formId}
          onSubmit={(e) => {
            e.preventDefault();
            grant.mutate();
          }}
        >
          <div className="org-inline">
            <Field label="User" error={fieldError(grant.error, "email")}>
              {(p) => (
                <select {...p} value={email} onChange={(e) => setEmail(e.target.value)} required>
                  <option value="">{users.isPending ? "Loading users…" : "Choose a user"}</option>
                  {(users.data?.items ?? []).map((u) => (
                    <option key={u.email} value={u.email}>
                      {u.name ? `${u.name} <${u.email}>` : u.email}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            {orgManage && <Button onClick={() => setNewUser(true)}>New user</Button>}
          </div>
          {users.isError && <ErrorBox error={users.error} title="Could not load the users." />}
          <fieldset className="org-radios">
            <legend>Scope level</legend>
            {levels.map((l) => {
              const allowed = l.id === "ORG" ? orgManage : l.id === "TEAM" ? orgManage || perms.teamsWith("members.manage").length > 0 : perms.anywhere("members.manage");
              return (
                <label key={l.id} title={allowed ? undefined : needs("members.manage", l.id === "ORG" ? "in this organization" : "on a team or the organization")}>
                  <input
                    type="radio"
                    name="scope-level"
                    value={l.id}
                    checked={level === l.id}
                    disabled={!allowed}
                    onChange={() => {
                      setLevel(l.id);
                      setScope("");
                      setRole("");
                    }}
                  />
                  {l.label}
                </label>
              );
            })}
          </fieldset>
          {level === "TEAM" && (
            <Field label="Team" error={fieldError(grant.error, "scope")}>
              {(p) => (
                <select {...p} value={scope} onChange={(e) => setScope(e.target.value)} required>
                  <option value="">{teams.isPending ? "Loading teams…" : teams.data?.items.length ? "Choose a team" : "No teams yet"}</option>
                  {(teams.data?.items ?? []).map((t) => (
                    <option key={t.slug} value={t.slug} disabled={!teamAllowed(t.slug)}>
                      {t.name} ({t.slug})
                    </option>
                  ))}
                </select>
              )}
            </Field>
          )}
          {level === "APP" && (
            <Field label="App" error={fieldError(grant.error, "scope")}>
              {(p) => (
                <select {...p} value={scope} onChange={(e) => setScope(e.target.value)} required>
                  <option value="">{apps.isPending ? "Loading apps…" : apps.data?.items.length ? "Choose an app" : "No apps yet"}</option>
                  {(apps.data?.items ?? []).map((a) => (
                    <option key={a.slug} value={a.slug} disabled={!appAllowed(a)}>
                      {a.name} ({a.slug})
                    </option>
                  ))}
                </select>
              )}
            </Field>
          )}
          {(teams.isError || apps.isError) && <ErrorBox error={teams.error ?? apps.error} />}
          <Field label="Role" error={fieldError(grant.error, "role")} hint={chosenRole?.description}>
            {(p) => (
              <select {...p} value={chosenRole?.name ?? ""} onChange={(e) => setRole(e.target.value)} required>
                {roles.isPending && <option value="">Loading roles…</option>}
                {levelRoles.map((r) => (
                  <option key={r.name} value={r.name}>
                    {r.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Expires (optional)" error={fieldError(grant.error, "expires_at")} hint="Leave empty for a role that does not expire.">
            {(p) => <input {...p} type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} />}
          </Field>
          <ErrorBox error={formError(grant.error, fields)} />
        </form>
      </Dialog>
      {newUser && (
        <NewUserDialog
          onClose={(u) => {
            if (u) setEmail(u.email);
            setNewUser(false);
          }}
        />
      )}
    </>
  );
}

/** NewUserDialog adds a local user (POST /api/v1/users); roles are granted afterwards. */
function NewUserDialog({ onClose }: { onClose: (u?: User) => void }) {
  const qc = useQueryClient();
  const formId = useId();
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const create = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/users", { body: { email, name, password } })),
    onSuccess: async (u) => {
      await qc.invalidateQueries({ queryKey: ["users"] });
      onClose(u);
    },
  });
  return (
    <Dialog
      open
      title="New user"
      onClose={() => onClose()}
      footer={
        <>
          <Button onClick={() => onClose()}>Cancel</Button>
          <Button kind="primary" type="submit" form={formId} busy={create.isPending}>
            Create user
          </Button>
        </>
      }
    >
      <form
        id={formId}
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <Field label="Email" error={fieldError(create.error, "email")}>
          {(p) => <input {...p} type="email" autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} required autoFocus />}
        </Field>
        <Field label="Name" error={fieldError(create.error, "name")}>
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required />}
        </Field>
        <Field label="Password" error={fieldError(create.error, "password")} hint="Tell the person their password; they can change it after logging in.">
          {(p) => <input {...p} type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} required />}
        </Field>
        <ErrorBox error={formError(create.error, ["email", "name", "password"])} />
      </form>
    </Dialog>
  );
}
