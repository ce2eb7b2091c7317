import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderAt, session, stubFetch, type Stub } from "../deployments/testing";

const stub: Stub = { routes: {}, calls: [] };
import { DriftPage } from "./DriftPage";

beforeEach(() => {
  stub.calls = [];
  stubFetch(stub);
});
afterEach(cleanup);

const env = (name: string) => ({ id: name === "staging" ? 1 : 2, name, cluster: "local", namespace: `shop-${name}`, paused: false, required_approvals: 0, self_heal: false, updated_at: "2026-12-03T12:00:00Z" });

const routes = (perms: string[]) => ({
  ...session("dev@acme.test", perms),
  "GET /api/v1/apps/shop/environments": { items: [env("staging"), env("production")] },
  "GET /api/v1/apps/shop/environments/staging/drift": {
    environment: "staging",
    status: "drifted",
    self_heal: false,
    deployment_id: 1,
    checked_at: "2026-12-03T12:07:00Z",
    objects: [
      { kind: "Deployment", namespace: "shop-staging", name: "shop-web", fields: [{ path: "/spec/replicas", op: "replace", live: 5, desired: 1, changed_by: [{ name: "kubectl", operation: "Update", time: "2026-12-03T12:06:30Z" }] }] },
      { kind: "Secret", namespace: "shop-staging", name: "shop-env", fields: [{ path: "/data/LOG_LEVEL", op: "replace", changed_by: [{ name: "kubectl", operation: "Update" }] }] },
      { kind: "CronJob", namespace: "shop-staging", name: "shop-nightly", missing: true },
    ],
  },
  "GET /api/v1/apps/shop/environments/production/drift": { environment: "production", status: "unknown", self_heal: true, deployment_id: 0, checked_at: "0001-01-01T00:00:00Z", objects: [] },
  "POST /api/v1/apps/shop/deploy": { id: 9, environment_id: 1, trigger: "manual", status: "pending", created_at: "2026-12-03T12:08:00Z", app: "shop", environment: "staging", created_by: "dev@acme.test" },
});

describe("drift page", () => {
  it("shows each environment's drifted fields, live vs desired, who changed them; Secret values stay hidden", async () => {
    stub.routes = routes(["app.read", "app.deploy"]);
    renderAt("/apps/shop/drift", [{ path: "drift", element: <DriftPage /> }]);
    const web = await screen.findByRole("region", { name: "Deployment/shop-staging/shop-web" });
    const row = within(web).getByText("/spec/replicas").closest("tr")!;
    expect(row).toHaveTextContent("/spec/replicas");
    expect(within(row).getAllByRole("cell").map((c) => c.textContent)).toEqual(["/spec/replicaschanged", "5", "1", expect.stringContaining("kubectl (Update)")]);
    const secret = screen.getByRole("region", { name: "Secret/shop-staging/shop-env" });
    expect(within(secret).getAllByText("(hidden: Secret)")).toHaveLength(2);
    expect(screen.getByText("missing from the cluster")).toBeInTheDocument();
    expect(screen.getByText(/Not checked yet: nothing has been deployed to production/)).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "deployment #1" })).toHaveAttribute("href", "/deployments/1");
  });

  it("reconciles by queueing a manual deployment of the environment", async () => {
    stub.routes = routes(["app.read", "app.deploy"]);
    renderAt("/apps/shop/drift", [{ path: "drift", element: <DriftPage /> }]);
    await screen.findByRole("region", { name: "Deployment/shop-staging/shop-web" });
    const staging = screen.getByRole("region", { name: "Environment staging" });
    const btn = within(staging).getByRole("button", { name: "Reconcile now" });
    await waitFor(() => expect(btn).toBeEnabled());
    await userEvent.click(btn);
    await userEvent.click(await screen.findByRole("button", { name: "Queue deployment" }));
    expect(await within(staging).findByRole("link", { name: "#9" })).toHaveAttribute("href", "/deployments/9");
    const call = stub.calls.find((c) => c.method === "POST" && c.path === "/api/v1/apps/shop/deploy")!;
    expect(JSON.parse(call.body)).toEqual({ environment: "staging" });
  });

  it("disables Reconcile now without app.deploy, saying why", async () => {
    stub.routes = routes(["app.read"]);
    renderAt("/apps/shop/drift", [{ path: "drift", element: <DriftPage /> }]);
    await screen.findByRole("region", { name: "Deployment/shop-staging/shop-web" });
    for (const b of screen.getAllByRole("button", { name: "Reconcile now" })) {
      expect(b).toBeDisabled();
      expect(b).toHaveAttribute("title", "You need the app.deploy permission to reconcile.");
    }
  });
});
