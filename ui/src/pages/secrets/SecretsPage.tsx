// The app's secrets: every key from the manifest (draft included), the
// attached secret bundles and the managed services, values always masked.
// Setting, importing and deleting stage the change in the draft; the config
// page pushes it.
import { useState } from "react";
import { Link } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok, raw, ApiError } from "../../api/client";
import { useCan } from "../../api/session";
import type { Secret, SecretsResponse } from "../../api/types";
import { useApp } from "../../layout/AppLayout";
import { Badge, Button, Card, Confirm, Dialog, ErrorBox, Field, PageHeader, QueryView, fieldError, formError } from "../../components/ui";
import { EnvSelect, envQuery, gate, useEnvironments } from "../subres/common";

const envLabel = (e: string) => (e ? e : "all (base)");

/** importFieldError is the import's error when it names a line of the body. */
export function importFieldError(error: unknown): string | undefined {
  if (error instanceof ApiError && error.field && (error.field === "body" || /^line \d+$/.test(error.field))) return error.message;
  return undefined;
}

function Source({ s }: { s: Secret }) {
  switch (s.source) {
    case "bundle":
      return (
        <>
          bundle <strong>{s.bundle}</strong>
        </>
      );
    case "managed_service":
      return <>managed service {s.managed_service}</>;
    default:
      return (
        <span className="row">
          manifest
          {s.sealed ? <Badge tone="muted">sealed</Badge> : <Badge tone="warn">plain text</Badge>}
        </span>
      );
  }
}

export function SecretsPage() {
  const app = useApp();
  const slug = app.slug;
  const can = useCan(app);
  const qc = useQueryClient();
  const envs = useEnvironments(slug);
  const [env, setEnv] = useState("");
  const secrets = useQuery({
    queryKey: ["apps", slug, "secrets", env],
    queryFn: () => ok(api.GET("/api/v1/apps/{slug}/secrets", { params: { path: { slug }, query: envQuery(env) } })),
  });
  const [dialog, setDialog] = useState<"" | "new" | "import">("");
  const [staged, setStaged] = useState("");
  const [deleting, setDeleting] = useState<Secret | null>(null);
  const writable = can("app.secrets.write");

  const done = (what: string) => {
    setStaged(what);
    setDialog("");
    void qc.invalidateQueries({ queryKey: ["apps", slug] });
  };

  const del = useMutation({
    mutationFn: (s: Secret) =>
      ok(api.DELETE("/api/v1/apps/{slug}/secrets/{key}", { params: { path: { slug, key: s.key }, query: envQuery(s.environment) } })),
    onSuccess: (_, s) => {
      setDeleting(null);
      done(`Secret ${s.key}${s.environment ? ` (${s.environment})` : ""} was removed.`);
    },
  });

  return (
    <>
      <PageHeader
        title="Secrets"
        subtitle="Environment variables the platform keeps sealed. Values are never shown: set a new one to change it."
        actions={
          <>
            <Button {...gate(writable, "app.secrets.write")} onClick={() => setDialog("import")}>
              Bulk import .env
            </Button>
            <Button kind="primary" {...gate(writable, "app.secrets.write")} onClick={() => setDialog("new")}>
              New secret
            </Button>
          </>
        }
      />
      {staged && (
        <div className="subres-notice" role="status">
          <span>
            {staged} The change is staged in the draft: <Link to={`/apps/${slug}/config`}>push it from the config page</Link> to land it in the repository; the next deployment after that carries it.
          </span>
          <Button kind="ghost" onClick={() => setStaged("")} aria-label="Dismiss">
            ×
          </Button>
        </div>
      )}
      <Card>
        <div className="subres-filter">
          <label htmlFor="secrets-env">Environment</label>
          <EnvSelect id="secrets-env" envs={envs.data?.items} value={env} onChange={setEnv} allLabel="All environments" />
        </div>
        <QueryView
          q={secrets}
          label="secrets"
          isEmpty={(d) => d.items.length === 0}
          empty={env ? `No secrets apply to ${env}.` : "No secrets yet. Add one, or import a .env file."}
        >
          {(d) => <SecretsTable d={d} writable={writable} onDelete={(s) => { del.reset(); setDeleting(s); }} />}
        </QueryView>
      </Card>
      {dialog === "new" && <NewSecretDialog slug={slug} envs={envs.data?.items} defaultEnv={env} onClose={() => setDialog("")} onDone={(k, e) => done(`Secret ${k} was sealed and set${e ? ` for ${e}` : ""}.`)} />}
      {dialog === "import" && <ImportDialog slug={slug} envs={envs.data?.items} defaultEnv={env} onClose={() => setDialog("")} onDone={done} />}
      <Confirm
        open={!!deleting}
        title="Delete secret"
        body={
          deleting && (
            <p>
              Remove <code>{deleting.key}</code> ({envLabel(deleting.environment)}) from the draft? Workloads lose it at the next deployment of the draft.
            </p>
          )
        }
        confirmLabel="Delete"
        busy={del.isPending}
        error={del.error}
        onConfirm={() => deleting && del.mutate(deleting)}
        onClose={() => setDeleting(null)}
      />
    </>
  );
}

function SecretsTable({ d, writable, onDelete }: { d: SecretsResponse; writable: boolean; onDelete: (s: Secret) => void }) {
  return (
    <>
      <div className="subres-table-wrap">
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Value</th>
              <th scope="col">Source</th>
              <th scope="col">Environment</th>
              <th scope="col">State</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {d.items.map((s) => (
              <tr key={`${s.source}/${s.environment}/${s.bundle ?? s.managed_service ?? ""}/${s.key}`}>
                <td className="subres-mono">{s.key}</td>
                <td>
                  <span className="subres-masked" aria-label={`${s.key} value, masked`}>
                    {s.value}
                  </span>
                </td>
                <td>
                  <Source s={s} />
                </td>
                <td>{envLabel(s.environment)}</td>
                <td>{s.staged ? <Badge tone="warn">staged</Badge> : <Badge tone="muted">{s.source === "literal" ? "in repository" : "attached"}</Badge>}</td>
                <td className="actions-cell">
                  {s.source === "literal" ? (
                    <Button kind="danger" {...gate(writable, "app.secrets.write")} aria-label={`Delete ${s.key}${s.environment ? ` (${s.environment})` : ""}`} onClick={() => onDelete(s)}>
                      Delete
                    </Button>
                  ) : (
                    <span className="muted small" title={s.source === "bundle" ? "Change it in the secret bundle" : "Managed by its service"}>
                      read-only
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {d.recipient && (
        <p className="hint">
          Values are sealed to the platform's age recipient <code className="subres-mono">{d.recipient}</code> (<code>astrolift seal --recipient</code> seals them offline).
        </p>
      )}
    </>
  );
}

function NewSecretDialog({ slug, envs, defaultEnv, onClose, onDone }: { slug: string; envs: { id: number; name: string }[] | undefined; defaultEnv: string; onClose: () => void; onDone: (key: string, env: string) => void }) {
  const [key, setKey] = useState("");
  const [value, setValue] = useState("");
  const [environment, setEnvironment] = useState(defaultEnv);
  const m = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/apps/{slug}/secrets", { params: { path: { slug } }, body: { key, value, environment } })),
    onSuccess: () => onDone(key, environment),
  });
  const fields = ["key", "value", "environment"];
  return (
    <Dialog
      open
      title="New secret"
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button kind="primary" type="submit" form="new-secret" busy={m.isPending}>
            Seal and stage
          </Button>
        </>
      }
    >
      <form
        id="new-secret"
        className="subres-form"
        onSubmit={(e) => {
          e.preventDefault();
          m.mutate();
        }}
      >
        <Field label="Key" error={fieldError(m.error, "key")} hint="An environment variable name: letters, digits and _.">
          {(p) => <input {...p} value={key} onChange={(e) => setKey(e.target.value)} autoComplete="off" spellCheck={false} required />}
        </Field>
        <Field label="Value" error={fieldError(m.error, "value")} hint="Sealed to the platform before it is stored; it is never shown again.">
          {(p) => <input {...p} type="password" value={value} onChange={(e) => setValue(e.target.value)} autoComplete="new-password" />}
        </Field>
        <Field label="Environment" error={fieldError(m.error, "environment")}>
          {(p) => <EnvSelect {...p} envs={envs} value={environment} onChange={setEnvironment} allLabel="All environments (base)" />}
        </Field>
        <ErrorBox error={formError(m.error, fields)} />
      </form>
    </Dialog>
  );
}

function ImportDialog({ slug, envs, defaultEnv, onClose, onDone }: { slug: string; envs: { id: number; name: string }[] | undefined; defaultEnv: string; onClose: () => void; onDone: (what: string) => void }) {
  const [body, setBody] = useState("");
  const [environment, setEnvironment] = useState(defaultEnv);
  const m = useMutation({
    mutationFn: () =>
      raw<SecretsResponse>("POST", `/api/v1/apps/${encodeURIComponent(slug)}/secrets/import${environment ? "?environment=" + encodeURIComponent(environment) : ""}`, body),
    onSuccess: () => onDone(`The .env file's secrets were sealed and imported${environment ? ` for ${environment}` : ""}.`),
  });
  const bodyErr = importFieldError(m.error);
  return (
    <Dialog
      open
      wide
      title="Bulk import .env"
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button kind="primary" type="submit" form="import-secrets" busy={m.isPending} disabled={!body.trim()}>
            Seal and stage all
          </Button>
        </>
      }
    >
      <form
        id="import-secrets"
        className="subres-form"
        onSubmit={(e) => {
          e.preventDefault();
          m.mutate();
        }}
      >
        <Field label="Environment" error={fieldError(m.error, "environment")}>
          {(p) => <EnvSelect {...p} envs={envs} value={environment} onChange={setEnvironment} allLabel="All environments (base)" />}
        </Field>
        <Field label=".env contents" error={bodyErr} hint="One KEY=value a line; # comments and blank lines are skipped. A bad line imports nothing.">
          {(p) => <textarea {...p} rows={10} value={body} onChange={(e) => setBody(e.target.value)} spellCheck={false} placeholder={"DATABASE_URL=postgres://…\nAPI_KEY=…"} />}
        </Field>
        <ErrorBox error={bodyErr ? null : formError(m.error, ["environment"])} />
      </form>
    </Dialog>
  );
}
