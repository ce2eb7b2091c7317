// Small wordings shared by the overview and workload pages.
import type { Workload } from "../../api/types";

export const shortSHA = (s?: string) => (s ? s.slice(0, 8) : "");

/** replicasText words a workload's ready / desired replicas (and its autoscaler). */
export function replicasText(w: Pick<Workload, "kind" | "ready_replicas" | "desired_replicas" | "autoscale">): string {
  if (w.kind === "cronjob") return "—";
  const desired = w.autoscale ? w.autoscale.desired_replicas : w.desired_replicas;
  let s = `${w.ready_replicas}/${desired ?? "?"}`;
  if (w.autoscale) s += ` (autoscaled ${w.autoscale.min}–${w.autoscale.max})`;
  return s;
}
