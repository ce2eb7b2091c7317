// /apps/new: the app registration wizard (POST /api/v1/apps). Four steps:
// the project, the app's name and slug, its source (a repository picked
// from a connected git host, or a clone URL) and its manifest path and
// deploy branch. After registering, the app's onboarding is followed live
// (pending → provisioning → ready, or failed with the reason).
import { useEffect, useId, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, api, ok } from "../../api/client";
import { useCan } from "../../api/session";
import type { components } from "../../api/schema";
import { appQuery } from "../../layout/AppLayout";
import { Badge, Button, Card, ErrorBox, Field, PageHeader, QueryView, Spinner, fieldError, formError } from "../../components/ui";
import { isSlugConflict, needs, slugError, useAllProjects, useConnections, useNameSlug, usePerms } from "../org-shared/org";

/** A repository of a connected host (scm.Repo in GET /scm-connections/:id/repos). */
export type Repo = components["schemas"]["Repo"];

export const sourceKinds = ["git", "github", "gitlab", "gitea", "bitbucket"];
export const triggerModes = [
  { id: "push", label: "push: deploy on every push to the deploy branch" },
  { id: "manual", label: "manual: deploy only when someone asks" },
  { id: "ci", label: "ci: deploy when CI reports an image" },
];

const steps = ["Project", "Name", "Source", "Manifest & branch"] as const;

/** The wizard step that shows an API field. */
export function stepOfField(field: string | undefined): number | undefined {
  switch (field) {
    case "project":
      return 0;
    case "name":
    case "slug":
    case "description":
      return 1;
    case "scm_connection":
    case "scm_repo":
    case "source_url":
    case "source_kind":
      return 2;
    case "manifest_path":
    case "deploy_branch":
    case "trigger_mode":
      return 3;
  }
  return undefined;
}

/** useDebounced is value once it stopped changing for ms. */
export function useDebounced<T>(value: T, ms = 300): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export function NewAppPage() {
  const [params, setParams] = useSearchParams();
  const created = params.get("app");
  return (
    <div className="wizard">
      <PageHeader title="Register an app" subtitle="Astrolift reads the app's astrolift.toml from its git repository and deploys what it describes." />
      {created ? (
        <Onboarding slug={created} onAnother={() => setParams({}, { replace: true })} />
      ) : (
        <Wizard onCreated={(slug) => setParams({ app: slug })} />
      )}
    </div>
  );
}

function Wizard({ onCreated }: { onCreated: (slug: string) => void }) {
  const projects = useAllProjects();
  const conns = useConnections();
  const perms = usePerms();
  const [step, setStep] = useState(0);
  const [hint, setHint] = useState("");
  const [project, setProject] = useState("");
  const ns = useNameSlug();
  const [description, setDescription] = useState("");
  const [mode, setMode] = useState<"host" | "url">("url");
  const [modeChosen, setModeChosen] = useState(false);
  const [connection, setConnection] = useState("");
  const [picked, setPicked] = useState<Repo | null>(null);
  const [sourceURL, setSourceURL] = useState("");
  const [sourceKind, setSourceKind] = useState("git");
  const [manifestPath, setManifestPath] = useState("astrolift.toml");
  const [deployBranch, setDeployBranch] = useState("");
  const [trigger, setTrigger] = useState("push");
  const qc = useQueryClient();

  const hostConns = (conns.data?.items ?? []).filter((c) => c.kind !== "generic");
  // Offer the connected hosts first when there are some (until the person picks a mode).
  useEffect(() => {
    if (!modeChosen && hostConns.length > 0) setMode("host");
  }, [modeChosen, hostConns.length]);
  const conn = hostConns.find((c) => c.name === connection) ?? (hostConns.length === 1 ? hostConns[0] : undefined);

  const creatable = (projects.data?.items ?? []).filter((p) => perms.at("app.create", { team: p.team || undefined }));

  const register = useMutation({
    mutationFn: () =>
      ok(
        api.POST("/api/v1/apps", {
          body: {
            project,
            name: ns.name.trim(),
            slug: ns.slug,
            description,
            source_url: sourceURL.trim(),
            source_kind: sourceKind,
            scm_connection: mode === "host" && conn ? conn.name : "",
            scm_repo: mode === "host" && picked ? picked.full_name : "",
            manifest_path: manifestPath.trim(),
            deploy_branch: deployBranch.trim(),
            trigger_mode: trigger,
          },
        }),
      ),
    onSuccess: (app) => {
      void qc.invalidateQueries({ queryKey: ["apps", "list"] });
      qc.setQueryData(["apps", app.slug, "app"], app);
      onCreated(app.slug);
    },
    onError: (e) => {
      const s = isSlugConflict(e) ? 1 : e instanceof ApiError ? stepOfField(e.field) : undefined;
      if (s !== undefined) setStep(s);
    },
  });

  const pick = (r: Repo) => {
    setPicked(r);
    setSourceURL(r.clone_url);
    setSourceKind(r.kind || "git");
    setDeployBranch(r.default_branch);
  };

  // What a step needs before the next one.
  const missing = (s: number): string => {
    if (s === 0 && !project) return "Choose the project the app belongs to.";
    if (s === 1 && !ns.name.trim()) return "Give the app a name.";
    if (s === 2) {
      if (mode === "host" && !picked) return "Pick a repository, or enter a clone URL instead.";
      if (!sourceURL.trim()) return "Enter the repository's clone URL.";
    }
    return "";
  };
  const go = (to: number) => {
    for (let s = 0; s < to; s++) {
      const m = missing(s);
      if (m) {
        setStep(s);
        setHint(m);
        return;
      }
    }
    setHint("");
    setStep(to);
  };
  const err = register.error;
  const fields = ["project", "name", "slug", "description", "scm_connection", "scm_repo", "source_url", "source_kind", "manifest_path", "deploy_branch", "trigger_mode"];
  const stepErr = (s: number) => (isSlugConflict(err) ? s === 1 : err instanceof ApiError && stepOfField(err.field) === s);

  if (projects.isPending || perms.loaded === false) return <Spinner label="Loading projects…" />;
  if (projects.isError) return <ErrorBox error={projects.error} title="Could not load the projects." />;
  if (!perms.anywhere("app.create"))
    return <ErrorBox error={new ApiError(403, "forbidden", needs("app.create", "on a team or the organization") + " Ask an owner to grant org.member or team.maintainer.")} />;

  return (
    <Card>
      <ol className="wizard-steps" aria-label="Steps">
        {steps.map((label, i) => (
          <li key={label}>
            <button type="button" aria-current={step === i ? "step" : undefined} className={i < step ? "done" : undefined} onClick={() => go(i)}>
              {label}
              {stepErr(i) && <span className="sr-only"> (has an error)</span>}
              {stepErr(i) && <Badge tone="bad">!</Badge>}
            </button>
          </li>
        ))}
      </ol>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (step < steps.length - 1) go(step + 1);
          else {
            const m = [0, 1, 2].map(missing).find(Boolean);
            if (m) go(3);
            else register.mutate();
          }
        }}
      >
        {step === 0 && (
          <fieldset className="step">
            <legend>1. Project</legend>
            {creatable.length === 0 ? (
              <p>
                {projects.data.items.length === 0 ? "There is no project yet. " : "You may not register apps in any project. "}
                <Link to="/projects?new=1">Create a project</Link> first.
              </p>
            ) : (
              <Field label="Project" error={fieldError(err, "project")} hint={<>The project's team gets its roles on the app. <Link to="/projects?new=1">Create a project</Link></>}>
                {(p) => (
                  <select {...p} value={project} onChange={(e) => setProject(e.target.value)} autoFocus>
                    <option value="">Choose a project</option>
                    {creatable.map((pr) => (
                      <option key={pr.slug} value={pr.slug}>
                        {pr.name} ({pr.slug}){pr.team ? ` · team ${pr.team}` : ""}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            )}
          </fieldset>
        )}
        {step === 1 && (
          <fieldset className="step">
            <legend>2. Name</legend>
            <Field label="Display name" error={fieldError(err, "name")}>
              {(p) => <input {...p} value={ns.name} onChange={(e) => ns.setName(e.target.value)} autoFocus />}
            </Field>
            <Field label="Slug" error={slugError(err)} hint={ns.auto ? "Made from the name; it names the app's namespaces and addresses and cannot change later." : "Lower-case letters, digits and hyphens, starting with a letter; it cannot change later."}>
              {(p) => <input {...p} className="mono" value={ns.slug} onChange={(e) => ns.setSlug(e.target.value)} maxLength={40} />}
            </Field>
            <Field label="Description (optional)" error={fieldError(err, "description")}>
              {(p) => <input {...p} value={description} onChange={(e) => setDescription(e.target.value)} />}
            </Field>
          </fieldset>
        )}
        {step === 2 && (
          <fieldset className="step">
            <legend>3. Source</legend>
            <fieldset className="org-radios">
              <legend>Where is the repository?</legend>
              <label>
                <input
                  type="radio"
                  name="source-mode"
                  checked={mode === "host"}
                  onChange={() => {
                    setModeChosen(true);
                    setMode("host");
                  }}
                />
                A connected git host
              </label>
              <label>
                <input
                  type="radio"
                  name="source-mode"
                  checked={mode === "url"}
                  onChange={() => {
                    setModeChosen(true);
                    setMode("url");
                    setPicked(null);
                  }}
                />
                A clone URL
              </label>
            </fieldset>
            {mode === "host" ? (
              conns.isError ? (
                <ErrorBox error={conns.error} title="Could not load the connections." />
              ) : hostConns.length === 0 ? (
                <p className="muted">
                  {conns.isPending ? "Loading connections…" : <>No git host is connected. <Link to="/connections">Add a connection</Link>, or enter a clone URL.</>}
                </p>
              ) : (
                <>
                  <Field label="Connection" error={fieldError(err, "scm_connection")}>
                    {(p) => (
                      <select
                        {...p}
                        value={conn?.name ?? ""}
                        onChange={(e) => {
                          setConnection(e.target.value);
                          setPicked(null);
                        }}
                      >
                        {!conn && <option value="">Choose a connection</option>}
                        {hostConns.map((c) => (
                          <option key={c.id} value={c.name}>
                            {c.name} ({c.kind}{c.account ? `, ${c.account}` : ""})
                          </option>
                        ))}
                      </select>
                    )}
                  </Field>
                  {conn && <RepoPicker connectionId={conn.id} picked={picked} onPick={pick} error={fieldError(err, "scm_repo")} />}
                </>
              )
            ) : null}
            {(mode === "url" || picked) && (
              <div className="org-form-row">
                <Field label="Clone URL" error={fieldError(err, "source_url")} hint={picked ? "From the picked repository." : "https://host/owner/repo.git, ssh://… or git@host:owner/repo.git"}>
                  {(p) => <input {...p} className="mono" value={sourceURL} readOnly={!!picked} onChange={(e) => setSourceURL(e.target.value)} placeholder="https://github.com/acme/shop.git" />}
                </Field>
                <Field label="Kind" error={fieldError(err, "source_kind")}>
                  {(p) => (
                    <select {...p} value={sourceKind} disabled={!!picked} onChange={(e) => setSourceKind(e.target.value)}>
                      {sourceKinds.map((k) => (
                        <option key={k} value={k}>
                          {k}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
              </div>
            )}
          </fieldset>
        )}
        {step === 3 && (
          <fieldset className="step review">
            <legend>4. Manifest &amp; branch</legend>
            <div className="org-form-row">
              <Field label="Manifest path" error={fieldError(err, "manifest_path")} hint="The astrolift.toml to read, relative to the repository's root.">
                {(p) => <input {...p} className="mono" value={manifestPath} onChange={(e) => setManifestPath(e.target.value)} autoFocus />}
              </Field>
              <Field label="Deploy branch" error={fieldError(err, "deploy_branch")} hint={picked ? `The repository's default branch is ${picked.default_branch}.` : "Empty: the repository's default branch."}>
                {(p) => <input {...p} className="mono" value={deployBranch} onChange={(e) => setDeployBranch(e.target.value)} placeholder="main" />}
              </Field>
            </div>
            <Field label="Deploys" error={fieldError(err, "trigger_mode")}>
              {(p) => (
                <select {...p} value={trigger} onChange={(e) => setTrigger(e.target.value)}>
                  {triggerModes.map((t) => (
                    <option key={t.id} value={t.id}>
                      {t.label}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <h3>Review</h3>
            <dl className="meta">
              <dt>Project</dt>
              <dd>{project || "—"}</dd>
              <dt>App</dt>
              <dd>
                {ns.name || "—"} <span className="mono muted">({ns.slug || "slug from the name"})</span>
              </dd>
              <dt>Repository</dt>
              <dd className="mono">
                {picked ? `${picked.full_name} via ${conn?.name}` : sourceURL || "—"}
              </dd>
            </dl>
          </fieldset>
        )}
        {hint && (
          <div className="state state-error" role="alert">
            {hint}
          </div>
        )}
        <ErrorBox error={isSlugConflict(err) ? null : formError(err, fields)} title="Could not register the app." />
        <div className="wizard-nav">
          <Button disabled={step === 0} onClick={() => go(step - 1)}>
            Back
          </Button>
          {step < steps.length - 1 ? (
            <Button kind="primary" type="submit">
              Next
            </Button>
          ) : (
            <Button kind="primary" type="submit" busy={register.isPending}>
              Register app
            </Button>
          )}
        </div>
      </form>
    </Card>
  );
}

/** RepoPicker searches a connection's repositories (debounced, paged) and picks one. */
export function RepoPicker({ connectionId, picked, onPick, error }: { connectionId: number; picked: Repo | null; onPick: (r: Repo) => void; error?: string }) {
  const [q, setQ] = useState("");
  const [page, setPage] = useState(1);
  const dq = useDebounced(q.trim(), 300);
  useEffect(() => setPage(1), [dq, connectionId]);
  const repos = useQuery({
    queryKey: ["scm-connections", connectionId, "repos", dq, page],
    queryFn: () => ok(api.GET("/api/v1/scm-connections/{id}/repos", { params: { path: { id: String(connectionId) }, query: { q: dq || undefined, page, per_page: 20 } as never } })),
    placeholderData: (prev) => prev,
    staleTime: 30_000,
  });
  const listId = useId();
  return (
    <div className="field">
      <Field label="Search repositories" error={error} hint={picked ? undefined : "Pick the repository that holds the app's astrolift.toml."}>
        {(p) => <input {...p} type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="owner/name" aria-controls={listId} />}
      </Field>
      {picked && (
        <div className="picked-repo" role="status">
          Picked <strong className="mono">{picked.full_name}</strong> (default branch <span className="mono">{picked.default_branch}</span>)
        </div>
      )}
      <QueryView q={repos} label="repositories" isEmpty={(d) => d.items.length === 0 && page === 1} empty={dq ? `No repository matches “${dq}”.` : "The connection sees no repositories."}>
        {(d) => (
          <>
            <ul className="repo-list" id={listId} aria-label="Repositories" aria-busy={repos.isFetching || undefined}>
              {d.items.map((r) => {
                const on = picked?.full_name === r.full_name;
                return (
                  <li key={r.full_name} className={on ? "picked" : undefined}>
                    <div>
                      <div className="repo-name mono">{r.full_name}</div>
                      <div className="small muted">
                        {r.private ? "private" : "public"} · default branch {r.default_branch}
                        {r.can_push ? "" : " · read only"}
                      </div>
                    </div>
                    <Button kind={on ? "primary" : "secondary"} aria-label={`${on ? "Picked" : "Pick"} ${r.full_name}`} onClick={() => onPick(r)}>
                      {on ? "Picked" : "Pick"}
                    </Button>
                  </li>
                );
              })}
            </ul>
            <div className="repo-pager">
              <Button disabled={page <= 1} onClick={() => setPage((p) => p - 1)}>
                Previous page
              </Button>
              <span className="small muted" aria-live="polite">
                Page {page}
                {repos.isFetching ? " (loading…)" : ""}
              </span>
              <Button disabled={!d.next_page} onClick={() => d.next_page && setPage(d.next_page)}>
                Next page
              </Button>
            </div>
          </>
        )}
      </QueryView>
    </div>
  );
}

const onboardSteps = ["pending", "provisioning", "ready"];

/** Onboarding follows a registered app's status live until it is ready or failed. */
export function Onboarding({ slug, onAnother }: { slug: string; onAnother: () => void }) {
  const qc = useQueryClient();
  const app = useQuery({
    ...appQuery(slug),
    refetchInterval: (q) => {
      const s = q.state.data?.status;
      return s === "ready" || s === "failed" ? false : 2000;
    },
  });
  const can = useCan(app.data);
  const again = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/apps/{slug}/onboard", { params: { path: { slug } } })),
    onSuccess: (a) => {
      qc.setQueryData(["apps", slug, "app"], a);
      void qc.invalidateQueries({ queryKey: ["apps", slug] });
    },
  });
  return (
    <Card title={app.data ? `${app.data.name} is registered` : `App ${slug}`}>
      <QueryView q={app} label="the app">
        {(a) => {
          const failed = a.status === "failed";
          const at = onboardSteps.indexOf(a.status);
          return (
            <div className="stack">
              <ol className="onboard-steps" aria-label="Onboarding">
                {onboardSteps.map((s, i) => {
                  const cls = failed && i === Math.max(1, at) ? "failed" : i < at || (a.status === "ready" && i === at) ? "reached" : i === at ? "current" : "";
                  return (
                    <li key={s} className={cls} aria-current={i === at ? "step" : undefined}>
                      {s}
                    </li>
                  );
                })}
              </ol>
              <p role="status" aria-live="polite">
                Status: <Badge status={a.status} />{" "}
                {a.status === "pending" && "Waiting for the onboarding to start…"}
                {a.status === "provisioning" && "Creating the app's namespaces and service accounts…"}
                {a.status === "ready" && "Onboarding is done: the app’s environments are provisioned. Its deployments follow the manifest in its repository."}
              </p>
              {failed && (
                <div className="state state-error" role="alert">
                  <strong>Onboarding failed.</strong> {a.status_error || "No reason was given."}
                </div>
              )}
              <ErrorBox error={again.error} />
              <dl className="meta">
                <dt>Project</dt>
                <dd>{a.project}</dd>
                <dt>Slug</dt>
                <dd className="mono">{a.slug}</dd>
                <dt>Repository</dt>
                <dd className="mono">{a.scm_repo || a.source_url}</dd>
                {a.scm_repo && (
                  <>
                    <dt>Push webhook</dt>
                    <dd>{a.scm_webhook ? "registered on the host" : <span className="muted">not registered (the repository is polled)</span>}</dd>
                  </>
                )}
                <dt>Deploy branch</dt>
                <dd className="mono">{a.deploy_branch}</dd>
                <dt>Manifest</dt>
                <dd className="mono">{a.manifest_path}</dd>
              </dl>
              <div className="row">
                {a.status === "ready" && (
                  <Link className="btn btn-primary" to={`/apps/${a.slug}`}>
                    Open the app
                  </Link>
                )}
                {failed && (
                  <Button kind="primary" busy={again.isPending} disabled={!can("app.update")} title={can("app.update") ? undefined : needs("app.update", "on this app")} onClick={() => again.mutate()}>
                    Onboard again
                  </Button>
                )}
                {a.status !== "ready" && !failed && <Spinner label="Watching the onboarding…" />}
                <Button onClick={onAnother}>Register another app</Button>
              </div>
            </div>
          );
        }}
      </QueryView>
    </Card>
  );
}
