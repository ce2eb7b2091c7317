// Deployments as the API gives them, and what may be done to one.
import type { Deployment, DeploymentDetail } from "../../api/types";

/**
 * A deployment of GET /api/v1/deployments[/:id]: deploymentDetailDTO embeds
 * deploymentDTO (id, status, trigger, commit, image, times), which the
 * generated schema leaves out of deploymentDetailDTO, so both are joined.
 */
export type DeploymentRow = DeploymentDetail & Deployment;

export const statuses = ["pending", "awaiting_approval", "rendering", "applying", "verifying", "succeeded", "failed", "aborted"] as const;
export const ended = new Set(["succeeded", "failed", "aborted"]);

export const triggerWords: Record<string, string> = {
  manual: "Manual",
  push: "Git push",
  ci: "CI",
  rollback: "Rollback",
  promotion: "Promotion",
};

export type Action = "approve" | "abort" | "rollback" | "redeploy";

/**
 * actionState says whether an action is offered on a deployment and, when
 * it cannot be used, why (shown as the disabled button's title).
 */
export function actionState(action: Action, d: Pick<DeploymentRow, "status" | "created_by">, can: (perm: string) => boolean, me: string | undefined): { enabled: boolean; reason: string } {
  const no = (reason: string) => ({ enabled: false, reason });
  switch (action) {
    case "approve":
      if (!can("deployment.approve")) return no("You need the deployment.approve permission to approve.");
      if (d.status !== "awaiting_approval") return no(`Only a deployment awaiting approval can be approved; this one is ${d.status.replaceAll("_", " ")}.`);
      if (me && d.created_by === me) return no("You requested this deployment; someone else must approve it.");
      return { enabled: true, reason: "Approve this deployment" };
    case "abort":
      if (!can("app.deploy")) return no("You need the app.deploy permission to abort.");
      if (ended.has(d.status)) return no(`The deployment already ended (${d.status}).`);
      return { enabled: true, reason: "Stop this deployment at its next step" };
    case "rollback":
      if (!can("app.deploy")) return no("You need the app.deploy permission to roll back.");
      if (!ended.has(d.status)) return no("The deployment is still running; abort it first or wait for it to end.");
      return { enabled: true, reason: "Re-apply the last succeeded deployment before this one, exactly as it ran" };
    case "redeploy":
      if (!can("app.deploy")) return no("You need the app.deploy permission to redeploy.");
      if (!ended.has(d.status)) return no("The deployment is still running; wait for it to end.");
      return { enabled: true, reason: "Deploy the same commit and image again" };
  }
}

/** duration words a deployment's run time: the API's duration, or finished − started. */
export function durationOf(d: Pick<DeploymentRow, "duration" | "duration_seconds">): string {
  if (d.duration_seconds != null) {
    const s = d.duration_seconds;
    if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
    return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  }
  return d.duration ?? "";
}

/** splitObjects cuts a multi-document YAML into its objects, each named Kind/name. */
export function splitObjects(yaml: string): { title: string; text: string }[] {
  return yaml
    .split(/^---[ \t]*$/m)
    .map((t) => t.replace(/^\n+|\s+$/g, ""))
    .filter((t) => t.trim() !== "")
    .map((text) => {
      const kind = /^kind:\s*(\S+)/m.exec(text)?.[1] ?? "Object";
      const name = /^metadata:[ \t]*\n(?:  .*\n)*?  name:[ \t]*(\S+)/m.exec(text + "\n")?.[1] ?? "";
      return { title: name ? `${kind}/${name}` : kind, text: text + "\n" };
    });
}
