import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { json, renderAt, session, stubFetch, testApp, type Stub } from "./testing";

const stub: Stub = { routes: {}, calls: [] };
import { DeploymentPage } from "./DeploymentPage";
import { AppDeploymentsPage, DeploymentsPage } from "./DeploymentsPage";
import { actionState, splitObjects } from "./model";

beforeEach(() => {
  stub.calls = [];
  stubFetch(stub);
});
afterEach(cleanup);

const dep = (id: number, over: Record<string, unknown> = {}) => ({
  id,
  environment_id: 1,
  trigger: "push",
  status: "succeeded",
  commit_sha: "7bd475f03b91004b49ccaed0852f3f8c7e2a3ff3",
  created_at: "2026-12-03T12:05:52Z",
  started_at: "2026-12-03T12:05:52.29Z",
  finished_at: "2026-12-03T12:05:53.65Z",
  duration_seconds: 1.36,
  app: "shop",
  environment: "staging",
  created_by: "poller",
  duration: "1.366s",
  ...over,
});

const detail = (over: Record<string, unknown> = {}) =>
  dep(7, {
    status: "failed",
    error: "apply Deployment/shop-web: admission webhook denied the request",
    rendered: "apiVersion: v1\nkind: Service\nmetadata:\n  labels:\n    app: shop\n  name: shop-web\n  namespace: shop-staging\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: shop-env\nstringData:\n  LOG_LEVEL: '********'\n",
    lifecycle: [
      { from: "", to: "pending", detail: "push to main at 7bd475f", at: "2026-12-03T12:05:52Z" },
      { from: "pending", to: "rendering", detail: "rendering astrolift.toml", at: "2026-12-03T12:05:52Z" },
      { from: "rendering", to: "failed", detail: "apply Deployment/shop-web: admission webhook denied the request", at: "2026-12-03T12:05:53Z" },
    ],
    events: [{ id: 3, app: "shop", deployment_id: 7, kind: "deployment.failed", severity: "error", message: "deployment 7 failed", actor: "deployer", created_at: "2026-12-03T12:05:53Z" }],
    ...over,
  });

const envs = { items: [{ id: 1, name: "staging", cluster: "local", namespace: "shop-staging", paused: false, required_approvals: 1, self_heal: false, updated_at: "2026-12-03T12:00:00Z" }] };
const app = { ...testApp };

describe("actionState", () => {
  const all = () => true;
  it("gates each action by permission and state", () => {
    expect(actionState("approve", { status: "awaiting_approval", created_by: "a@x" }, all, "b@x").enabled).toBe(true);
    expect(actionState("approve", { status: "awaiting_approval", created_by: "a@x" }, all, "a@x").reason).toMatch(/someone else must approve/);
    expect(actionState("approve", { status: "succeeded", created_by: "a@x" }, all, "b@x").enabled).toBe(false);
    expect(actionState("abort", { status: "applying", created_by: "a@x" }, all, "b@x").enabled).toBe(true);
    expect(actionState("abort", { status: "failed", created_by: "a@x" }, all, "b@x").reason).toMatch(/already ended/);
    expect(actionState("redeploy", { status: "applying", created_by: "a@x" }, all, "b@x").enabled).toBe(false);
    expect(actionState("rollback", { status: "succeeded", created_by: "a@x" }, (p) => p !== "app.deploy", "b@x").reason).toMatch(/app\.deploy/);
  });
  it("splits rendered YAML into named objects", () => {
    expect(splitObjects("kind: Service\nmetadata:\n  labels:\n    name: x\n  name: web\n---\nkind: Secret\nmetadata:\n  name: env\n").map((o) => o.title)).toEqual(["Service/web", "Secret/env"]);
  });
});

describe("deployment page", () => {
  it("disables every action without the permissions, saying why", async () => {
    stub.routes = {
      ...session("viewer@acme.test", ["app.read", "org.read"]),
      "GET /api/v1/deployments/7": detail({ status: "awaiting_approval", error: undefined }),
      "GET /api/v1/apps/shop": app,
      "GET /api/v1/apps/shop/environments": envs,
    };
    renderAt("/deployments/7", [{ path: "/deployments/:id", element: <DeploymentPage /> }]);
    await screen.findByRole("heading", { name: /Deployment #7/ });
    await waitFor(() => expect(screen.getByRole("button", { name: "Approve" })).toHaveAttribute("title", "You need the deployment.approve permission to approve."));
    expect(screen.getByRole("button", { name: "Approve" })).toBeDisabled();
    for (const [name, perm] of [["Abort", "abort"], ["Rollback", "roll back"], ["Redeploy", "redeploy"]]) {
      const b = screen.getByRole("button", { name });
      expect(b).toBeDisabled();
      expect(b).toHaveAttribute("title", `You need the app.deploy permission to ${perm}.`);
    }
    expect(screen.getByText(/staging needs 1 approval; none yet/)).toBeInTheDocument();
  });

  it("shows a failed deployment: error, expandable failed step, masked objects, events; approve is not for the requester", async () => {
    stub.routes = {
      ...session("poller", ["app.read", "app.deploy", "deployment.approve"]),
      "GET /api/v1/deployments/7": detail(),
      "GET /api/v1/apps/shop": app,
      "GET /api/v1/apps/shop/environments": envs,
      "POST /api/v1/deployments/7/rollback": json({ error: { code: "conflict", message: "no succeeded deployment before 7 in this environment to roll back to" } }, 409),
    };
    const { container } = renderAt("/deployments/7", [{ path: "/deployments/:id", element: <DeploymentPage /> }]);
    await screen.findByRole("heading", { name: /Deployment #7/ });
    expect(screen.getAllByText("failed").length).toBeGreaterThan(0);
    expect(screen.getByRole("alert")).toHaveTextContent("The deployment failed. apply Deployment/shop-web: admission webhook denied the request");
    const failed = container.querySelector(".lifecycle details")!;
    expect(failed).not.toHaveAttribute("open");
    expect(within(failed as HTMLElement).getByText(/admission webhook denied/)).toBeInTheDocument();
    expect(screen.getByText("Service/shop-web")).toBeInTheDocument();
    expect(screen.getByText("Secret/shop-env").closest("details")).toHaveTextContent("LOG_LEVEL: '********'");
    expect(screen.getByText("deployment 7 failed")).toBeInTheDocument();
    // Ended: abort is disabled; rollback and redeploy are offered.
    await waitFor(() => expect(screen.getByRole("button", { name: "Redeploy" })).toBeEnabled());
    expect(screen.getByRole("button", { name: "Abort" })).toBeDisabled();
    expect(screen.getByRole("button", { name: "Approve" })).toBeDisabled();
    await userEvent.click(screen.getByRole("button", { name: "Rollback" }));
    await userEvent.click(await screen.findByRole("button", { name: "Roll back" }));
    expect(await screen.findByText(/no succeeded deployment before 7/)).toBeInTheDocument();
  });

  it("lets another user approve a deployment awaiting approval", async () => {
    stub.routes = {
      ...session("lead@acme.test", ["app.read", "deployment.approve"]),
      "GET /api/v1/deployments/7": detail({ status: "awaiting_approval", error: undefined, created_by: "dev@acme.test" }),
      "GET /api/v1/apps/shop": app,
      "GET /api/v1/apps/shop/environments": envs,
      "POST /api/v1/deployments/7/approve": dep(7, { status: "pending" }),
    };
    renderAt("/deployments/7", [{ path: "/deployments/:id", element: <DeploymentPage /> }]);
    const approve = await screen.findByRole("button", { name: "Approve" });
    await waitFor(() => expect(approve).toBeEnabled());
    await userEvent.click(approve);
    expect(await screen.findByText("Approved.")).toBeInTheDocument();
    expect(stub.calls.some((c) => c.method === "POST" && c.path === "/api/v1/deployments/7/approve")).toBe(true);
  });
});

describe("deployment lists", () => {
  it("filters by app and status from the URL and loads more with the cursor", async () => {
    stub.routes = {
      ...session("viewer@acme.test", ["org.read", "app.read"]),
      "GET /api/v1/apps": { items: [app] },
      "GET /api/v1/deployments": (_req: Request, url: URL) =>
        url.searchParams.get("cursor") === "next1" ? { items: [dep(1, { status: "failed", error: "boom" })] } : { items: [dep(3), dep(2, { environment: "production", trigger: "manual", created_by: "dev@acme.test" })], next_cursor: "next1" },
    };
    renderAt("/deployments?status=succeeded&app=shop", [{ path: "/deployments", element: <DeploymentsPage /> }]);
    expect(await screen.findByRole("link", { name: "#3" })).toHaveAttribute("href", "/deployments/3");
    expect(screen.getByLabelText("Status")).toHaveValue("succeeded");
    const first = stub.calls.find((c) => c.path === "/api/v1/deployments")!;
    expect(new URLSearchParams(first.search).get("status")).toBe("succeeded");
    expect(new URLSearchParams(first.search).get("app")).toBe("shop");
    expect(screen.getByText("Manual")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Load more" }));
    expect(await screen.findByRole("link", { name: "#1" })).toBeInTheDocument();
    expect(screen.getByText("boom")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
    await userEvent.selectOptions(screen.getByLabelText("Status"), "failed");
    await waitFor(() => expect(stub.calls.some((c) => c.path === "/api/v1/deployments" && new URLSearchParams(c.search).get("status") === "failed")).toBe(true));
  });

  it("lists one app's deployments without the app filter, and says when there are none", async () => {
    stub.routes = {
      ...session("viewer@acme.test", ["org.read", "app.read"]),
      "GET /api/v1/deployments": { items: [] },
    };
    renderAt("/apps/shop/deployments", [{ path: "deployments", element: <AppDeploymentsPage /> }]);
    expect(await screen.findByText(/This app has no deployments yet/)).toBeInTheDocument();
    expect(screen.queryByLabelText("App")).not.toBeInTheDocument();
    expect(new URLSearchParams(stub.calls.find((c) => c.path === "/api/v1/deployments")!.search).get("app")).toBe("shop");
  });

  it("shows the API's error", async () => {
    stub.routes = { ...session("x@acme.test", []), "GET /api/v1/deployments": json({ error: { code: "forbidden", message: "you need the org.read permission here" } }, 403) };
    renderAt("/deployments", [{ path: "/deployments", element: <DeploymentsPage /> }]);
    expect(await screen.findByRole("alert")).toHaveTextContent("Not allowed. you need the org.read permission here");
  });
});
