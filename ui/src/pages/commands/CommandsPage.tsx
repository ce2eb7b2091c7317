// Run a one-off command (sh -c) in a running pod of one of the app's
// workloads and watch its output live over a WebSocket; the last commands
// come back as chips that fill the input.
import { useEffect, useRef, useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok, toApiError } from "../../api/client";
import { useCan } from "../../api/session";
import type { Command } from "../../api/types";
import { useApp } from "../../layout/AppLayout";
import { Button, Card, Field, PageHeader, QueryView } from "../../components/ui";
import { EnvSelect, envQuery, gate, useEnvironments } from "../subres/common";
import "./commands.css";

export interface Line {
  kind: "stdout" | "stderr" | "system";
  text: string;
  event?: string;
}

interface Frame {
  type: "stdout" | "stderr" | "system";
  data?: string;
  event?: string;
  exit_code?: number;
  message?: string;
}

interface Target {
  command: string;
  workload: string;
  container: string;
  environment: string;
}

function commandPath(slug: string, p: Target): string {
  const q = new URLSearchParams();
  q.set("command", p.command);
  if (p.workload) q.set("workload", p.workload);
  if (p.container) q.set("container", p.container);
  if (p.environment) q.set("environment", p.environment);
  return `/api/v1/apps/${encodeURIComponent(slug)}/commands/ws?${q}`;
}

/** commandURL is the WebSocket address of a command (same origin: the session cookie authenticates it). */
export function commandURL(loc: { protocol: string; host: string }, slug: string, p: Target): string {
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}${commandPath(slug, p)}`;
}

/** lastCommands is the history without repeats, newest first, at most 20. */
export function lastCommands(items: Command[]): Command[] {
  const seen = new Set<string>();
  return items.filter((c) => !seen.has(c.command) && seen.add(c.command)).slice(0, 20);
}

export function CommandsPage() {
  const app = useApp();
  const slug = app.slug;
  const can = useCan(app);
  const qc = useQueryClient();
  const envs = useEnvironments(slug);
  const [environment, setEnvironment] = useState("");
  const env = environment || envs.data?.items[0]?.name || "";
  const workloads = useQuery({
    queryKey: ["apps", slug, "workloads", env],
    queryFn: () => ok(api.GET("/api/v1/apps/{slug}/workloads", { params: { path: { slug }, query: envQuery(env) } })),
    enabled: !!env,
  });
  const history = useQuery({
    queryKey: ["apps", slug, "commands"],
    queryFn: () => ok(api.GET("/api/v1/apps/{slug}/commands", { params: { path: { slug } } })),
  });
  const [workload, setWorkload] = useState("");
  const [container, setContainer] = useState("");
  const [command, setCommand] = useState("");
  const [lines, setLines] = useState<Line[]>([]);
  const [running, setRunning] = useState(false);
  const ws = useRef<WebSocket | null>(null);
  const out = useRef<HTMLDivElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const allowed = can("app.exec");

  const items = (workloads.data?.items ?? []).filter((w) => w.environment === env || !w.environment);
  const chosen = items.find((w) => w.name === workload);

  useEffect(() => () => ws.current?.close(), []);
  useEffect(() => {
    const el = out.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lines]);

  const add = (l: Line) => setLines((ls) => [...ls, l]);

  const run = () => {
    if (!command.trim() || running) return;
    const params = { command, workload, container, environment: env };
    setLines([{ kind: "system", text: `$ ${command}`, event: "command" }]);
    setRunning(true);
    let frames = 0;
    let sock: WebSocket;
    try {
      sock = new WebSocket(commandURL(window.location, slug, params));
    } catch (e) {
      add({ kind: "system", text: `Could not connect: ${e instanceof Error ? e.message : String(e)}`, event: "error" });
      setRunning(false);
      return;
    }
    ws.current = sock;
    sock.onmessage = (m) => {
      frames++;
      let f: Frame;
      try {
        f = JSON.parse(String(m.data));
      } catch {
        return;
      }
      if (f.type === "stdout" || f.type === "stderr") add({ kind: f.type, text: f.data ?? "" });
      else add({ kind: "system", text: f.message ?? f.event ?? "", event: f.event });
    };
    sock.onclose = (e) => {
      if (ws.current === sock) ws.current = null;
      setRunning(false);
      void qc.invalidateQueries({ queryKey: ["apps", slug, "commands"] });
      if (frames > 0) return;
      // Refused before the upgrade: a plain GET of the same address answers
      // with the API's error (a WebSocket cannot read it).
      void explainRefusal(slug, params, e.code).then((text) => add({ kind: "system", text, event: "error" }));
    };
  };

  const stop = () => {
    const s = ws.current;
    if (s && s.readyState === WebSocket.OPEN) {
      s.send(JSON.stringify({ type: "stop" }));
      add({ kind: "system", text: "Stopping…", event: "stopping" });
    }
  };

  return (
    <>
      <PageHeader title="Commands" subtitle="Run a one-off command with sh -c in a running pod of a workload, like a migration or a console task. Every command is recorded." />
      <Card>
        <form
          className="cmd-form"
          onSubmit={(e) => {
            e.preventDefault();
            run();
          }}
        >
          <div className="cmd-pickers">
            <Field label="Environment">
              {(p) => (
                <EnvSelect
                  {...p}
                  envs={envs.data?.items}
                  value={env}
                  onChange={(v) => {
                    setEnvironment(v);
                    setWorkload("");
                    setContainer("");
                  }}
                />
              )}
            </Field>
            <Field label="Workload" hint={workloads.isError ? <span className="subres-error">{(workloads.error as Error).message}</span> : undefined}>
              {(p) => (
                <select
                  {...p}
                  value={workload}
                  onChange={(e) => {
                    setWorkload(e.target.value);
                    setContainer("");
                  }}
                >
                  <option value="">{workloads.isPending && env ? "Loading…" : "Primary (default)"}</option>
                  {items.map((w) => (
                    <option key={w.name} value={w.name}>
                      {w.name} ({w.kind.toLowerCase()}, {w.status})
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field label="Container">
              {(p) => (
                <select {...p} value={container} onChange={(e) => setContainer(e.target.value)} disabled={!chosen}>
                  <option value="">Primary (default)</option>
                  {(chosen?.containers ?? []).map((c) => (
                    <option key={c.name} value={c.name}>
                      {c.name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </div>
          <div className="cmd-line">
            <Field label="Command">
              {(p) => <input {...p} ref={input} className="cmd-input" value={command} onChange={(e) => setCommand(e.target.value)} placeholder="bin/rails db:migrate" spellCheck={false} autoComplete="off" />}
            </Field>
            <div className="cmd-buttons">
              {running ? (
                <Button kind="danger" onClick={stop}>
                  Stop
                </Button>
              ) : (
                <Button kind="primary" type="submit" {...gate(allowed, "app.exec")} disabled={!allowed || !command.trim()}>
                  Run
                </Button>
              )}
            </div>
          </div>
        </form>
        <div className="cmd-history" aria-label="Last commands">
          <QueryView q={history} label="the last commands" isEmpty={(d) => d.items.length === 0} empty="No commands yet.">
            {(d) => (
              <div className="subres-chips">
                {lastCommands(d.items).map((c) => (
                  <button
                    key={c.id}
                    type="button"
                    className="chip cmd-chip"
                    title={`${c.environment} · ${c.workload}/${c.container}${c.exit_code != null ? ` · exit ${c.exit_code}` : c.error ? ` · ${c.error}` : ""}`}
                    onClick={() => {
                      setCommand(c.command);
                      input.current?.focus();
                    }}
                  >
                    {c.command}
                  </button>
                ))}
              </div>
            )}
          </QueryView>
        </div>
        <div ref={out} className="cmd-output" role="log" aria-live="polite" aria-label="Command output" tabIndex={0}>
          {lines.length === 0 ? (
            <span className="cmd-system">Output appears here.</span>
          ) : (
            lines.map((l, i) => (
              <span key={i} className={`cmd-${l.kind}${l.event ? ` cmd-event-${l.event}` : ""}`}>
                {l.text}
              </span>
            ))
          )}
          {running && <span className="cmd-cursor" aria-hidden />}
        </div>
      </Card>
    </>
  );
}

/** explainRefusal words why the server closed a command's socket before any frame. */
async function explainRefusal(slug: string, p: Target, code: number): Promise<string> {
  try {
    const res = await fetch(commandPath(slug, p), { credentials: "same-origin" });
    if (!res.ok) {
      const err = await toApiError(res);
      if (err.code !== "upgrade_required") return `The command could not start: ${err.message}`;
    }
  } catch {
    /* fall through to the generic words */
  }
  // The server reports a missing pod or container on the socket itself, so
  // reaching here means the connection failed before it opened.
  return `The command could not start: the connection to the server failed (WebSocket close code ${code}). Check your network and try again.`;
}
