// Pieces of the config page: the sync badge, the merge conflicts of a
// refused push and the retry countdown of a rate-limited one.
import { useEffect, useState } from "react";
import type { Conflict } from "../../api/client";
import { Badge } from "../../components/ui";

type Tone = "ok" | "warn" | "bad" | "info";

/** syncWording is what the sync badge says for the API's sync_state, and why. */
export function syncWording(state: string): { label: string; tone: Tone; hint: string } {
  switch (state) {
    case "in_sync":
      return { label: "In sync", tone: "ok", hint: "The snapshot Astrolift deploys from matches the repository's head, and there is no draft." };
    case "drafts":
      return { label: "Unsaved drafts in DB", tone: "warn", hint: "A draft is saved in Astrolift but not in the repository yet: push it, or commit it yourself." };
    case "repo_ahead":
      return { label: "Repo ahead", tone: "warn", hint: "The repository has a newer manifest than the snapshot: sync from the repository to take it." };
    case "diverged":
      return { label: "Diverged", tone: "bad", hint: "The repository's manifest changed since the draft was made: pushing merges the draft onto it line by line, or answers with the conflicting lines." };
    default:
      return { label: state.replaceAll("_", " ") || "unknown", tone: "info", hint: "" };
  }
}

export function SyncBadge({ state }: { state: string }) {
  const w = syncWording(state);
  return (
    <span title={w.hint}>
      <Badge tone={w.tone}>{w.label}</Badge>
    </span>
  );
}

function range(start: number, n: number): string {
  if (n === 0) return `before line ${start}`;
  if (n === 1) return `line ${start}`;
  return `lines ${start}–${start + n - 1}`;
}

function Lines({ start, lines, label }: { start: number; lines: string[]; label: string }) {
  if (lines.length === 0) return <p className="muted small">(no lines: {label.toLowerCase()} removed them)</p>;
  return (
    <pre className="conflict-lines" aria-label={label}>
      {lines.map((l, i) => (
        <span key={i} className="conflict-line">
          <span className="ln" aria-hidden>
            {start + i}
          </span>
          {l === "" ? " " : l}
        </span>
      ))}
    </pre>
  );
}

/** ConflictList shows each conflict of a refused push: the draft's lines beside the repository's. */
export function ConflictList({ conflicts }: { conflicts: Conflict[] }) {
  return (
    <div className="conflicts">
      {conflicts.map((c, i) => (
        <section key={i} className="conflict" aria-label={`Conflict ${i + 1}`}>
          <h3>
            Conflict {i + 1}: draft {range(c.ours_line, c.ours.length)} vs repository {range(c.theirs_line, c.theirs.length)}
          </h3>
          <div className="conflict-sides">
            <div>
              <div className="small muted">In your draft</div>
              <Lines start={c.ours_line} lines={c.ours} label="Draft lines" />
            </div>
            <div>
              <div className="small muted">In the repository</div>
              <Lines start={c.theirs_line} lines={c.theirs} label="Repository lines" />
            </div>
          </div>
          {c.base.length > 0 && (
            <details>
              <summary className="small">What both changed ({range(c.base_line, c.base.length)} before)</summary>
              <Lines start={c.base_line} lines={c.base} label="Original lines" />
            </details>
          )}
        </section>
      ))}
    </div>
  );
}

/** useCountdown counts seconds down to 0 from each new start value. */
export function useCountdown(start: number | undefined, key: unknown): number {
  const [left, setLeft] = useState(start ?? 0);
  useEffect(() => {
    setLeft(start ?? 0);
    if (!start) return;
    const t = setInterval(() => setLeft((s) => (s <= 1 ? (clearInterval(t), 0) : s - 1)), 1000);
    return () => clearInterval(t);
  }, [start, key]);
  return left;
}
