// /connections: the organization's SCM connections (a git host account
// apps are registered from, whose pushes arrive as webhooks): list with
// what the last credential test found, add (the webhook secret is shown
// once), test again, delete.
import { useId, useState } from "react";
import { Link } from "react-router";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../../api/client";
import type { Connection } from "../../api/types";
import { Badge, Button, Card, Confirm, CopyButton, Dialog, ErrorBox, Field, OnceSecret, PageHeader, QueryView, Time, fieldError, formError } from "../../components/ui";
import { needs, useConnections, usePerms, type CreatedConnection, type TestedConnection } from "../org-shared/org";
import { slugify } from "../org-shared/slug";

export const connectionKinds = [
  { id: "github", label: "GitHub", host: "https://github.com" },
  { id: "gitlab", label: "GitLab", host: "https://gitlab.com" },
  { id: "gitea", label: "Gitea", host: "" },
  { id: "bitbucket", label: "Bitbucket", host: "https://bitbucket.org" },
];

const kindLabel = (k: string) => connectionKinds.find((c) => c.id === k)?.label ?? k;

export function ConnectionsPage() {
  const conns = useConnections();
  const perms = usePerms();
  const can = perms.at("connections.write");
  const why = can ? undefined : needs("connections.write");
  const qc = useQueryClient();
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState<Connection | null>(null);
  const [tested, setTested] = useState<Record<number, TestedConnection | Error>>({});
  const test = useMutation({
    mutationFn: async (c: Connection) => (await ok(api.POST("/api/v1/scm-connections/{id}/test", { params: { path: { id: String(c.id) } } }))) as TestedConnection,
    onSuccess: (r, c) => {
      setTested((m) => ({ ...m, [c.id]: r }));
      void qc.invalidateQueries({ queryKey: ["scm-connections"] });
    },
    onError: (e, c) => setTested((m) => ({ ...m, [c.id]: e as Error })),
  });
  const del = useMutation({
    mutationFn: (c: Connection) => ok(api.DELETE("/api/v1/scm-connections/{id}", { params: { path: { id: String(c.id) } } })),
    onSuccess: () => {
      setDeleting(null);
      void qc.invalidateQueries({ queryKey: ["scm-connections"] });
    },
  });
  return (
    <>
      <PageHeader
        title="Connections"
        subtitle={
          <>
            Git host accounts (GitHub, GitLab, Gitea, Bitbucket) to <Link to="/apps/new">register apps</Link> from and to receive their pushes.
          </>
        }
        actions={
          <Button kind="primary" disabled={!can} title={why} onClick={() => setAdding(true)}>
            Add connection
          </Button>
        }
      />
      <Card>
        <QueryView q={conns} label="connections" isEmpty={(d) => d.items.length === 0} empty={<>No connections yet.{can ? " Add one with an access token to pick repositories when registering an app." : ""}</>}>
          {(d) => (
            <div className="org-table-wrap">
              <table className="table org-table">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Base URL</th>
                    <th scope="col">Account</th>
                    <th scope="col">Can write</th>
                    <th scope="col">Last tested</th>
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((c) => {
                    const t = tested[c.id];
                    return (
                      <tr key={c.id}>
                        <td>
                          <strong>{c.name}</strong>
                          {!c.has_credentials && <div className="small muted">no credentials</div>}
                        </td>
                        <td>{kindLabel(c.kind)}</td>
                        <td className="url mono small">{c.base_url || <span className="muted">{connectionKinds.find((k) => k.id === c.kind)?.host || "—"}</span>}</td>
                        <td>{c.account || <span className="muted">—</span>}</td>
                        <td>{c.tested_at ? c.can_write ? <Badge tone="ok">yes</Badge> : <Badge tone="warn">read only</Badge> : <span className="muted">—</span>}</td>
                        <td>
                          {c.tested_at ? (
                            <>
                              <Time at={c.tested_at} /> {c.test_error ? <Badge tone="bad">failed</Badge> : <Badge tone="ok">ok</Badge>}
                              {c.test_error && <div className="small field-error">{c.test_error}</div>}
                            </>
                          ) : (
                            <span className="muted">never</span>
                          )}
                        </td>
                        <td className="actions-cell">
                          <Button busy={test.isPending && test.variables?.id === c.id} disabled={!can || c.kind === "generic"} title={c.kind === "generic" ? "A generic connection has no host API to test." : why} aria-label={`Test again: connection ${c.name}`} onClick={() => test.mutate(c)}>
                            Test again
                          </Button>
                          <Button
                            kind="danger"
                            disabled={!can}
                            title={why}
                            aria-label={`Delete connection ${c.name}`}
                            onClick={() => {
                              del.reset();
                              setDeleting(c);
                            }}
                          >
                            Delete
                          </Button>
                          {t && (
                            <div role="status" className={"org-outcome " + (t instanceof Error || t.test_error ? "bad" : "ok")}>
                              {t instanceof Error
                                ? t.message
                                : t.test_error
                                  ? `Test failed: ${t.test_error}`
                                  : `OK: ${t.account || "account"}${t.can_write ? " can write" : " is read only"}${t.scopes?.length ? ` (scopes: ${t.scopes.join(", ")})` : ""}.`}
                            </div>
                          )}
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
      {adding && <AddConnectionDialog onClose={() => setAdding(false)} />}
      <Confirm
        open={!!deleting}
        title={`Delete connection ${deleting?.name ?? ""}?`}
        body={<p>Its credentials stop being used and its webhook deliveries are refused. Apps registered through it keep their clone URL.</p>}
        confirmLabel="Delete connection"
        busy={del.isPending}
        error={del.error}
        onConfirm={() => deleting && del.mutate(deleting)}
        onClose={() => setDeleting(null)}
      />
    </>
  );
}

/** AddConnectionDialog adds a connection (the host checks the token first) and shows its webhook secret once. */
export function AddConnectionDialog({ onClose }: { onClose: () => void }) {
  const qc = useQueryClient();
  const formId = useId();
  const [kind, setKind] = useState("github");
  const [name, setName] = useState("");
  const [baseURL, setBaseURL] = useState("");
  const [token, setToken] = useState("");
  const effectiveName = name || slugify(kind + (baseURL ? "-" + baseURL.replace(/^https?:\/\//, "") : ""));
  const create = useMutation({
    mutationFn: async () => (await ok(api.POST("/api/v1/scm-connections", { body: { kind, name: effectiveName, base_url: baseURL.trim(), token, username: "", password: "", ssh_private_key: "", webhook_secret: "" } }))) as CreatedConnection,
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["scm-connections"] }),
  });
  const created = create.data;
  const host = connectionKinds.find((k) => k.id === kind)?.host;
  const hookURL = created ? window.location.origin + created.webhook_path : "";
  return (
    <Dialog
      open
      title={created ? `Connection ${created.name} added` : "Add connection"}
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
              {create.isPending ? "Checking with the host…" : "Add connection"}
            </Button>
          </>
        )
      }
    >
      {created ? (
        <div className="stack">
          <p>
            {created.account ? (
              <>
                The host knows the token as <strong>{created.account}</strong>
                {created.can_write ? ", with write access." : ", read only (pushing config changes will not work)."}
              </>
            ) : (
              "The connection is stored."
            )}{" "}
            Apps registered through it get a push webhook on the host; to add one by hand, point it at:
          </p>
          <div className="row">
            <code className="secret-value">{hookURL}</code>
            <CopyButton text={hookURL} label="Copy URL" />
          </div>
          <OnceSecret value={created.webhook_secret} what="webhook secret" />
        </div>
      ) : (
        <form
          id={formId}
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <div className="org-form-row">
            <Field label="Kind" error={fieldError(create.error, "kind")}>
              {(p) => (
                <select {...p} value={kind} onChange={(e) => setKind(e.target.value)}>
                  {connectionKinds.map((k) => (
                    <option key={k.id} value={k.id}>
                      {k.label}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field label="Name" error={fieldError(create.error, "name")} hint={name ? undefined : `Default: ${effectiveName || "—"}`}>
              {(p) => <input {...p} className="mono" placeholder={effectiveName} value={name} onChange={(e) => setName(e.target.value)} maxLength={40} />}
            </Field>
          </div>
          <Field label="Base URL" error={fieldError(create.error, "base_url")} hint={host ? `Empty for ${host}; set it for a self-hosted server.` : "The server's address, for example https://gitea.example.com."}>
            {(p) => <input {...p} type="url" className="mono" placeholder={host || "https://gitea.example.com"} value={baseURL} onChange={(e) => setBaseURL(e.target.value)} required={!host} />}
          </Field>
          <Field label="Access token" error={fieldError(create.error, "token")} hint="Stored sealed; never shown again. It needs read access to repositories (write access to push config changes and register webhooks).">
            {(p) => <input {...p} type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} required />}
          </Field>
          <ErrorBox error={formError(create.error, ["kind", "name", "base_url", "token"])} />
        </form>
      )}
    </Dialog>
  );
}
