// The app's manifest: edit the TOML (draft), see what it renders to per
// environment, compare the draft with the repository, and save, discard,
// sync or push it. GET/PUT/DELETE /api/v1/apps/:slug/config[/draft],
// POST …/config/sync, …/config/push, …/config/refresh.
import { useEffect, useMemo, useRef, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { EditorView } from "codemirror";
import { ApiError, api, ok } from "../../api/client";
import type { ConfigResponse, PushResponse } from "../../api/types";
import { useCan } from "../../api/session";
import { useApp } from "../../layout/AppLayout";
import { Button, Card, Confirm, Empty, ErrorBox, PageHeader, QueryView, Tabs, Time } from "../../components/ui";
import { DiffView, TomlEditor, YamlView, errorLabel, type RenderError } from "./editors";
import { ConflictList, SyncBadge, syncWording, useCountdown } from "./parts";
import "./config.css";

export const configQuery = (slug: string) => ({
  queryKey: ["apps", slug, "config"],
  queryFn: () => ok(api.GET("/api/v1/apps/{slug}/config", { params: { path: { slug } } })),
});

const short = (s?: string) => (s ? s.slice(0, 12) : "");

export function ConfigPage() {
  const app = useApp();
  const q = useQuery(configQuery(app.slug));
  return (
    <>
      <PageHeader title="Config" subtitle={<>The app's manifest, <code>{app.manifest_path}</code> on <code>{app.deploy_branch}</code>: edit a draft, preview what it renders to, push it to the repository.</>} />
      <QueryView q={q} label="the manifest">
        {(cfg) => <ConfigEditor cfg={cfg} />}
      </QueryView>
    </>
  );
}

type Tab = "editor" | "diff";

function ConfigEditor({ cfg }: { cfg: ConfigResponse }) {
  const app = useApp();
  const can = useCan(app);
  const qc = useQueryClient();
  const key = configQuery(app.slug).queryKey;
  const server = cfg.source;

  // text is the editor's text while it differs from the saved source; null follows the server.
  const [text, setText] = useState<string | null>(null);
  const [editBase, setEditBase] = useState(server); // the saved source when the edit started
  const current = text ?? server;
  const dirty = text !== null && text !== server;
  const [tab, setTab] = useState<Tab>("editor");
  const [confirm, setConfirm] = useState<"discard" | "sync" | null>(null);
  const [pushed, setPushed] = useState<PushResponse | null>(null);
  const [checking, setChecking] = useState(false);
  const view = useRef<EditorView | null>(null);

  const adopt = (c: ConfigResponse) => {
    qc.setQueryData(key, c);
    setText(null);
    setEditBase(c.source);
  };
  const save = useMutation({
    mutationFn: (source: string) => ok(api.PUT("/api/v1/apps/{slug}/config/draft", { params: { path: { slug: app.slug } }, body: { source } })),
    onSuccess: adopt,
  });
  const discard = useMutation({
    mutationFn: () => ok(api.DELETE("/api/v1/apps/{slug}/config/draft", { params: { path: { slug: app.slug } } })),
    onSuccess: (c) => {
      adopt(c);
      setConfirm(null);
      setPushed(null);
    },
  });
  const sync = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/apps/{slug}/config/sync", { params: { path: { slug: app.slug } } })),
    onSuccess: (c) => {
      adopt(c);
      setConfirm(null);
      setPushed(null);
    },
  });
  const push = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/apps/{slug}/config/push", { params: { path: { slug: app.slug } } })),
    onSuccess: (r) => {
      setPushed(r);
      if (r.config) adopt(r.config);
      else void qc.invalidateQueries({ queryKey: key });
    },
  });
  const refresh = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/apps/{slug}/config/refresh", { params: { path: { slug: app.slug } } })),
    onSuccess: () => {
      // The poller reads the repository in the background; its events refresh the page too.
      setChecking(true);
      for (const ms of [1500, 5000]) setTimeout(() => void qc.invalidateQueries({ queryKey: key }), ms);
      setTimeout(() => setChecking(false), 5000);
    },
  });

  const pushErr = push.error instanceof ApiError ? push.error : null;
  const retryLeft = useCountdown(pushErr?.status === 429 ? pushErr.retryAfter : undefined, push.error);
  const mayWrite = can("app.config.write");
  const noWrite = "You need the app.config.write permission to change the manifest.";
  const sync_ = syncWording(cfg.sync_state);
  const draft = cfg.draft;
  const prURL = pushed?.pull_request.url ?? (draft?.pr_state === "open" ? draft.pr_url : undefined);
  const prNumber = pushed?.pull_request.number ?? draft?.pr_number;

  const pushBlock = !cfg.push.available
    ? `Push to repo is not available: ${cfg.push.reason ?? "the app cannot push"}.`
    : !mayWrite
      ? noWrite
      : !draft
        ? "There is no draft to push: save one first."
        : dirty
          ? "Save the draft first: push sends the saved draft."
          : cfg.errors.length > 0
            ? "The draft has errors; an invalid draft is never pushed."
            : retryLeft > 0
              ? `The git host is rate limiting; try again in ${retryLeft} s.`
              : "";

  const errors = cfg.errors as (RenderError | null)[];
  const jump = (e: RenderError) => {
    const v = view.current;
    if (!v) return;
    const line = v.state.doc.line(Math.min(Math.max(e.line || 1, 1), v.state.doc.lines));
    v.dispatch({ selection: { anchor: line.from + Math.min(Math.max((e.column || 1) - 1, 0), line.length) }, scrollIntoView: true });
    v.focus();
  };

  return (
    <div className="config-page">
      <Card className="config-status">
        <div className="config-status-row">
          <div className="row">
            <SyncBadge state={cfg.sync_state} />
            <span className="small">{sync_.hint}</span>
          </div>
          <Button onClick={() => refresh.mutate()} busy={refresh.isPending} title="Read the repository's deploy branch now">
            Check repo now
          </Button>
        </div>
        <dl className="meta config-meta">
          <dt>Editing</dt>
          <dd>
            {cfg.source_kind === "draft" && draft ? (
              <>
                the draft saved by {draft.staged_by || "someone"} <Time at={draft.staged_at} />
              </>
            ) : (
              "the snapshot (no draft yet: saving creates one)"
            )}
          </dd>
          <dt>Snapshot</dt>
          <dd>
            {cfg.snapshot.commit ? (
              <>
                <code>{short(cfg.snapshot.commit)}</code>, synced <Time at={cfg.snapshot.synced_at} />
              </>
            ) : (
              <span className="muted">not synced from the repository yet</span>
            )}
          </dd>
          <dt>Repository head</dt>
          <dd>
            {cfg.repo.head_commit ? <code>{short(cfg.repo.head_commit)}</code> : <span className="muted">not read yet</span>}
            {cfg.repo.checked_at && (
              <>
                , checked <Time at={cfg.repo.checked_at} />
              </>
            )}
            {checking && <span className="muted"> · checking now…</span>}
            {cfg.repo.error && <div className="field-error">The last check failed: {cfg.repo.error}</div>}
          </dd>
          {draft?.pr_url && (
            <>
              <dt>Pull request</dt>
              <dd>
                <a href={draft.pr_url} target="_blank" rel="noreferrer">
                  #{draft.pr_number}
                </a>{" "}
                {draft.pr_state && <span className="muted">({draft.pr_state})</span>}
              </dd>
            </>
          )}
        </dl>
        {cfg.draft_landed && <p className="note">The repository now holds exactly this draft; it clears at the next check of the repository.</p>}
      </Card>

      <div className="config-actions" role="group" aria-label="Manifest actions">
        <Button kind="primary" busy={save.isPending} disabled={!mayWrite || !dirty} title={!mayWrite ? noWrite : !dirty ? "No changes to save" : "Save the editor's text as the draft"} onClick={() => save.mutate(current)}>
          Save draft
        </Button>
        <Button disabled={!mayWrite || !draft} title={!mayWrite ? noWrite : !draft ? "There is no draft" : "Drop the draft and go back to the snapshot"} onClick={() => setConfirm("discard")}>
          Discard draft
        </Button>
        {dirty && (
          <Button kind="ghost" onClick={() => setText(null)} title="Put back the saved text">
            Undo edits
          </Button>
        )}
        <Button disabled={!mayWrite} title={mayWrite ? "Replace the snapshot with the repository's manifest" : noWrite} onClick={() => setConfirm("sync")}>
          Sync from repo
        </Button>
        <Button kind="primary" busy={push.isPending} disabled={!!pushBlock} title={pushBlock || "Commit the draft on a branch and open a pull request"} onClick={() => push.mutate()} aria-describedby={pushBlock ? "push-reason" : undefined}>
          Push to repo
        </Button>
        {pushBlock && (
          <span id="push-reason" className="small muted push-reason">
            {pushBlock}
          </span>
        )}
      </div>

      {save.error && <ErrorBox error={save.error} title="Could not save the draft." />}
      {refresh.error && <ErrorBox error={refresh.error} title="Could not check the repository." />}
      {prURL && (
        <div className="note note-ok" role="status">
          {pushed ? (pushed.updated ? "The draft's pull request was updated" : "Pull request opened") : "The draft waits in an open pull request"}
          {pushed?.merged && " (the draft was merged onto the repository's newer manifest)"}:{" "}
          <a href={prURL} target="_blank" rel="noreferrer">
            {prNumber ? `#${prNumber}` : prURL}
          </a>
          {pushed && (
            <>
              {" "}
              on branch <code>{pushed.branch}</code>
            </>
          )}
        </div>
      )}
      {pushErr?.code === "merge_conflict" && pushErr.conflicts?.length ? (
        <div className="state state-error" role="alert">
          <strong>Nothing was pushed: the draft conflicts with the repository.</strong> {pushErr.message}
          <ConflictList conflicts={pushErr.conflicts} />
        </div>
      ) : pushErr?.status === 429 ? (
        <div className="state state-forbidden" role="alert">
          <strong>The git host is rate limiting.</strong> {pushErr.message}. {retryLeft > 0 ? `Push again in ${retryLeft} s.` : "You can push again now."}
        </div>
      ) : (
        push.error && <ErrorBox error={push.error} title="Could not push the draft." />
      )}
      {dirty && editBase !== server && (
        <div className="note" role="status">
          The saved manifest changed while you were editing (someone saved, discarded or synced).{" "}
          <Button kind="ghost" onClick={() => setText(null)}>
            Load the saved version
          </Button>
        </div>
      )}

      <Tabs<Tab>
        label="Config views"
        value={tab}
        onChange={setTab}
        tabs={[
          { id: "editor", label: "Editor" },
          { id: "diff", label: "Diff" },
        ]}
      />
      <div role="tabpanel" aria-labelledby={`tab-${tab}`}>
        {tab === "editor" ? (
          <div className="config-panes">
            <Card title={app.manifest_path} className="config-pane" actions={dirty ? <span className="badge badge-warn">edited, not saved</span> : undefined}>
              <TomlEditor
                value={current}
                errors={errors}
                label={`${app.manifest_path} (TOML)`}
                readOnly={!mayWrite}
                onView={(v) => (view.current = v)}
                onChange={(t) => {
                  if (t === server) setText(null);
                  else {
                    if (text === null) setEditBase(server);
                    setText(t);
                  }
                }}
              />
              {!mayWrite && <p className="small muted">Read-only: {noWrite}</p>}
              {errors.length > 0 && (
                <div className="render-errors" role="alert">
                  <strong>
                    The {cfg.source_kind === "draft" ? "saved draft" : "snapshot"} has {errors.length} error{errors.length === 1 ? "" : "s"}:
                  </strong>
                  <ul>
                    {errors.map((e, i) =>
                      e ? (
                        <li key={i}>
                          <button type="button" className="linkish" onClick={() => jump(e)}>
                            {errorLabel(e)}
                          </button>
                        </li>
                      ) : null,
                    )}
                  </ul>
                </div>
              )}
            </Card>
            <Rendered cfg={cfg} dirty={dirty} />
          </div>
        ) : (
          <DiffTab cfg={cfg} current={current} dirty={dirty} />
        )}
      </div>

      <Confirm
        open={confirm === "discard"}
        title="Discard the draft?"
        body={<p>The draft{draft?.pr_url ? " (its pull request stays open on the host)" : ""} is dropped and the editor goes back to the snapshot. This cannot be undone.</p>}
        confirmLabel="Discard draft"
        busy={discard.isPending}
        error={discard.error}
        onConfirm={() => discard.mutate()}
        onClose={() => {
          setConfirm(null);
          discard.reset();
        }}
      />
      <Confirm
        open={confirm === "sync"}
        title="Sync from the repository?"
        body={
          <p>
            The snapshot is replaced with <code>{app.manifest_path}</code> at the head of <code>{app.deploy_branch}</code>
            {draft || dirty ? <>, and this <strong>discards the draft</strong>{dirty ? " and your unsaved edits" : ""}.</> : "."}
          </p>
        }
        confirmLabel={draft || dirty ? "Sync and discard the draft" : "Sync from repo"}
        danger={!!(draft || dirty)}
        busy={sync.isPending}
        error={sync.error}
        onConfirm={() => sync.mutate()}
        onClose={() => {
          setConfirm(null);
          sync.reset();
        }}
      />
    </div>
  );
}

function useEnvChoice(names: string[]) {
  const [env, setEnv] = useState(names[0] ?? "");
  useEffect(() => {
    if (names.length && !names.includes(env)) setEnv(names[0]);
  }, [names, env]);
  return [env, setEnv] as const;
}

function EnvSelect({ names, value, onChange, id }: { names: string[]; value: string; onChange: (s: string) => void; id: string }) {
  if (names.length <= 1) return names.length === 1 ? <span className="small muted">Environment: {names[0]}</span> : null;
  return (
    <span className="row">
      <label htmlFor={id} className="small">
        Environment
      </label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        {names.map((n) => (
          <option key={n}>{n}</option>
        ))}
      </select>
    </span>
  );
}

function Rendered({ cfg, dirty }: { cfg: ConfigResponse; dirty: boolean }) {
  const names = useMemo(() => cfg.previews.map((p) => p.environment), [cfg.previews]);
  const [env, setEnv] = useEnvChoice(names);
  const p = cfg.previews.find((x) => x.environment === env);
  return (
    <Card title="Rendered resources" className="config-pane" actions={<EnvSelect id="render-env" names={names} value={env} onChange={setEnv} />}>
      {cfg.errors.length > 0 ? (
        <Empty>The manifest does not parse, so nothing renders: fix the errors on the left and save the draft.</Empty>
      ) : !cfg.source ? (
        <Empty>No manifest yet: sync from the repository.</Empty>
      ) : !p ? (
        <Empty>No environment to render for.</Empty>
      ) : p.error ? (
        <ErrorBox error={p.error} title={`${p.environment} does not render.`} />
      ) : (
        <>
          <p className="small muted">
            Namespace <code>{p.namespace}</code>. Secret values are masked. {dirty && <strong>This is the saved {cfg.source_kind}'s rendering: save the draft to see your edits rendered.</strong>}
          </p>
          <YamlView value={p.yaml ?? ""} label={`Rendered Kubernetes resources for ${p.environment} (read-only YAML)`} />
        </>
      )}
    </Card>
  );
}

function DiffTab({ cfg, current, dirty }: { cfg: ConfigResponse; current: string; dirty: boolean }) {
  const app = useApp();
  // The repository side: the snapshot (the repository's manifest at the last sync).
  const repoText = cfg.draft ? (cfg.snapshot.source ?? "") : cfg.source;
  const names = useMemo(() => cfg.previews.map((p) => p.environment), [cfg.previews]);
  const [env, setEnv] = useEnvChoice(names);
  if (!cfg.draft && !dirty) {
    return <Empty>No draft: the editor shows the snapshot, the repository's manifest at commit {short(cfg.snapshot.commit) || "—"}. Edit it to compare.</Empty>;
  }
  const before = cfg.snapshot_previews?.find((p) => p.environment === env);
  const after = cfg.previews.find((p) => p.environment === env);
  return (
    <div className="stack">
      <Card title={`${app.manifest_path}: repository vs draft`}>
        <p className="small muted">
          Left: the repository's manifest as last synced (snapshot <code>{short(cfg.snapshot.commit)}</code>
          {cfg.sync_state === "repo_ahead" || cfg.sync_state === "diverged" ? "; the repository has moved since, check it or sync to compare with its head" : ""}). Right: {dirty ? "the editor's text, including unsaved edits" : "the saved draft"}.
        </p>
        <div className="diff-heads" aria-hidden>
          <span>Repository (snapshot)</span>
          <span>{dirty ? "Editor (unsaved)" : "Draft"}</span>
        </div>
        <DiffView a={repoText} b={current} labelA="Repository manifest (read-only)" labelB="Draft manifest (read-only)" language="toml" />
      </Card>
      <Card title="Rendered: before vs after" actions={<EnvSelect id="diff-env" names={names} value={env} onChange={setEnv} />}>
        {cfg.errors.length > 0 ? (
          <Empty>The saved draft has errors, so it does not render; fix them and save to compare the rendered objects.</Empty>
        ) : !before?.yaml || !after?.yaml ? (
          <Empty>
            {after?.error || before?.error
              ? `One side does not render for ${env}: ${after?.error ?? before?.error}`
              : cfg.draft
                ? "The snapshot does not render for this environment, so there is nothing to compare with."
                : "Save the draft to compare its rendering with the snapshot's."}
          </Empty>
        ) : (
          <>
            <p className="small muted">
              Left: the Kubernetes objects the snapshot renders to in {env} (what the next deployment applies today). Right: what the saved draft renders to.{" "}
              {dirty && "Unsaved edits are not rendered until you save. "}Secret values are masked.
            </p>
            <div className="diff-heads" aria-hidden>
              <span>Snapshot's rendering</span>
              <span>Draft's rendering</span>
            </div>
            <DiffView a={before.yaml} b={after.yaml} labelA={`Snapshot rendering for ${env} (read-only)`} labelB={`Draft rendering for ${env} (read-only)`} language="yaml" />
          </>
        )}
      </Card>
    </div>
  );
}
