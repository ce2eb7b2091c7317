// The dashboard's building blocks: every page uses these for buttons,
// cards, tables, forms, dialogs and the loading / empty / error / forbidden
// states, so those look and behave the same everywhere.
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import type { UseQueryResult } from "@tanstack/react-query";
import { ApiError } from "../api/client";

export function PageHeader({ title, subtitle, actions }: { title: ReactNode; subtitle?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle && <p className="muted">{subtitle}</p>}
      </div>
      {actions && <div className="actions">{actions}</div>}
    </header>
  );
}

export function Card({ title, actions, children, className }: { title?: ReactNode; actions?: ReactNode; children: ReactNode; className?: string }) {
  return (
    <section className={"card " + (className ?? "")} aria-label={typeof title === "string" ? title : undefined}>
      {(title || actions) && (
        <div className="card-head">
          {title && <h2>{title}</h2>}
          {actions && <div className="actions">{actions}</div>}
        </div>
      )}
      {children}
    </section>
  );
}

type Tone = "ok" | "warn" | "bad" | "info" | "muted";

/** toneOf maps the API's status words to a colour. */
export function toneOf(status: string | undefined): Tone {
  switch ((status ?? "").toLowerCase()) {
    case "ready": case "active": case "succeeded": case "in_sync": case "running": case "validated": case "healthy": case "available": case "delivered": case "open": case "merged": case "ok": case "issued": case "complete": case "completed":
      return "ok";
    case "pending": case "provisioning": case "queued": case "waiting_approval": case "awaiting_approval": case "in_progress": case "deploying": case "has_drafts": case "repo_ahead": case "progressing": case "paused": case "retrying": case "deprovisioning": case "unknown":
      return "warn";
    case "failed": case "error": case "diverged": case "aborted": case "degraded": case "drifted": case "invalid": case "crashloop": case "closed":
      return "bad";
    case "":
      return "muted";
    default:
      return "info";
  }
}

export function Badge({ status, children, tone }: { status?: string; children?: ReactNode; tone?: Tone }) {
  const t = tone ?? toneOf(status);
  return <span className={`badge badge-${t}`}>{children ?? (status ?? "").replaceAll("_", " ")}</span>;
}

export function Button({ kind = "secondary", busy, children, ...rest }: React.ButtonHTMLAttributes<HTMLButtonElement> & { kind?: "primary" | "secondary" | "danger" | "ghost"; busy?: boolean }) {
  return (
    <button type="button" {...rest} className={`btn btn-${kind} ${rest.className ?? ""}`} disabled={rest.disabled || busy} aria-busy={busy || undefined}>
      {busy ? <span className="spinner" aria-hidden /> : null}
      {children}
    </button>
  );
}

export function Spinner({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden /> {label}
    </div>
  );
}

export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : null;
  if (e?.forbidden) {
    return (
      <div className="state state-forbidden" role="alert">
        <strong>Not allowed.</strong> {e.message}
      </div>
    );
  }
  return (
    <div className="state state-error" role="alert">
      <strong>{title ?? "Something went wrong."}</strong> {error instanceof Error ? error.message : String(error)}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state state-empty">{children}</div>;
}

/**
 * QueryView renders a query's loading, error and forbidden states, the
 * empty state when isEmpty says so, and children with the data otherwise.
 */
export function QueryView<T>({ q, empty, isEmpty, children, label }: { q: UseQueryResult<T>; empty?: ReactNode; isEmpty?: (d: T) => boolean; children: (d: T) => ReactNode; label?: string }) {
  if (q.isPending) return <Spinner label={label ? `Loading ${label}…` : undefined} />;
  if (q.isError) return <ErrorBox error={q.error} title={label ? `Could not load ${label}.` : undefined} />;
  if (isEmpty?.(q.data)) return <Empty>{empty ?? "Nothing here yet."}</Empty>;
  return <>{children(q.data)}</>;
}

/** fieldError is the API error's message when it names this field. */
export function fieldError(error: unknown, ...fields: string[]): string | undefined {
  if (error instanceof ApiError && error.field && fields.some((f) => error.field === f || error.field!.startsWith(f + ".") || error.field!.startsWith(f + "["))) return error.message;
  return undefined;
}

/** formError is the API error's message when no field of the form shows it. */
export function formError(error: unknown, fields: string[]): unknown {
  if (!error) return null;
  if (error instanceof ApiError && error.field && fields.some((f) => fieldError(error, f))) return null;
  return error;
}

export function Field({ label, error, hint, children, id }: { label: string; error?: string; hint?: ReactNode; id?: string; children: (p: { id: string; "aria-invalid"?: boolean; "aria-describedby"?: string }) => ReactNode }) {
  const gen = useId();
  const fid = id ?? gen;
  const describedBy = [error ? fid + "-err" : "", hint ? fid + "-hint" : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div className={"field" + (error ? " field-invalid" : "")}>
      <label htmlFor={fid}>{label}</label>
      {children({ id: fid, "aria-invalid": error ? true : undefined, "aria-describedby": describedBy })}
      {hint && <div id={fid + "-hint"} className="hint">{hint}</div>}
      {error && (
        <div id={fid + "-err"} className="field-error" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

/** Dialog is a modal <dialog>: focus moves into it, Escape closes it. */
export function Dialog({ open, title, onClose, children, footer, wide }: { open: boolean; title: string; onClose: () => void; children: ReactNode; footer?: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      if (typeof d.showModal === "function") d.showModal();
      else d.setAttribute("open", "");
    } else if (!open && d.open) {
      if (typeof d.close === "function") d.close();
      else d.removeAttribute("open");
    }
  }, [open]);
  return (
    <dialog ref={ref} className={"dialog" + (wide ? " dialog-wide" : "")} aria-labelledby={titleId} onClose={onClose} onCancel={(e) => { e.preventDefault(); onClose(); }}>
      {open && (
        <div className="dialog-body">
          <div className="dialog-head">
            <h2 id={titleId}>{title}</h2>
            <button type="button" className="btn btn-ghost" aria-label="Close" onClick={onClose}>
              ×
            </button>
          </div>
          {children}
          {footer && <div className="dialog-foot">{footer}</div>}
        </div>
      )}
    </dialog>
  );
}

/** Confirm asks before a destructive action; the action's error is shown in the dialog. */
export function Confirm({ open, title, body, confirmLabel, onConfirm, onClose, busy, error, danger = true }: { open: boolean; title: string; body: ReactNode; confirmLabel: string; onConfirm: () => void; onClose: () => void; busy?: boolean; error?: unknown; danger?: boolean }) {
  return (
    <Dialog
      open={open}
      title={title}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button kind={danger ? "danger" : "primary"} busy={busy} onClick={onConfirm}>
            {confirmLabel}
          </Button>
        </>
      }
    >
      <div>{body}</div>
      <ErrorBox error={error} />
    </Dialog>
  );
}

export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  return (
    <Button
      kind="ghost"
      aria-label={`${label} to clipboard`}
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
        } catch {
          const ta = document.createElement("textarea");
          ta.value = text;
          document.body.appendChild(ta);
          ta.select();
          document.execCommand("copy");
          ta.remove();
        }
        setDone(true);
        setTimeout(() => setDone(false), 1500);
      }}
    >
      {done ? "Copied" : label}
    </Button>
  );
}

/** Secret text shown once (tokens, webhook secrets) with a copy button. */
export function OnceSecret({ value, what }: { value: string; what: string }) {
  return (
    <div className="once-secret">
      <p>
        Copy the {what} now: it is shown only once.
      </p>
      <div className="row">
        <code className="secret-value" aria-label={what}>{value}</code>
        <CopyButton text={value} />
      </div>
    </div>
  );
}

export function Time({ at }: { at?: string | null }) {
  if (!at) return <span className="muted">—</span>;
  const d = new Date(at);
  return (
    <time dateTime={at} title={d.toLocaleString()}>
      {relative(d)}
    </time>
  );
}

export function relative(d: Date, now = new Date()): string {
  const s = Math.round((now.getTime() - d.getTime()) / 1000);
  const abs = Math.abs(s);
  const fmt = (n: number, u: string) => `${n} ${u}${n === 1 ? "" : "s"}`;
  let out: string;
  if (abs < 45) out = "just now";
  else if (abs < 3600) out = fmt(Math.round(abs / 60), "minute");
  else if (abs < 86400) out = fmt(Math.round(abs / 3600), "hour");
  else out = fmt(Math.round(abs / 86400), "day");
  if (out === "just now") return out;
  return s >= 0 ? out + " ago" : "in " + out;
}

/** Tabs with the ARIA tab pattern (arrow keys move between tabs). */
export function Tabs<T extends string>({ tabs, value, onChange, label }: { tabs: { id: T; label: string }[]; value: T; onChange: (t: T) => void; label: string }) {
  return (
    <div role="tablist" aria-label={label} className="tabs">
      {tabs.map((t, i) => (
        <button
          key={t.id}
          type="button"
          role="tab"
          id={`tab-${t.id}`}
          aria-selected={value === t.id}
          tabIndex={value === t.id ? 0 : -1}
          className={"tab" + (value === t.id ? " tab-active" : "")}
          onClick={() => onChange(t.id)}
          onKeyDown={(e) => {
            if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
              const next = tabs[(i + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
              onChange(next.id);
              (e.currentTarget.parentElement?.querySelector(`#tab-${next.id}`) as HTMLElement | null)?.focus();
            }
          }}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}
