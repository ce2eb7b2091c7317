import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { act, cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { vi } from "vitest";
import { mergeEvent } from "../../api/live";
import { apiError, app, jsonResponse, overview, renderAt, stubAPI, stubResizeObserver } from "./testkit";

beforeEach(() => stubResizeObserver());
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("OverviewPage", () => {
  it("shows the hero, the four status cards, deployments, events and workloads from the API", async () => {
    stubAPI({});
    renderAt("/apps/shop");
    expect(await screen.findByRole("heading", { level: 1, name: "Demo shop" })).toBeInTheDocument();
    expect(screen.getByText("Seeded by astrolift dev from examples/shop")).toBeInTheDocument();

    // status cards
    const prov = await screen.findByRole("region", { name: "Provisioning" });
    expect(within(prov).getByText("ready")).toBeInTheDocument();
    expect(within(prov).queryByRole("button", { name: "Onboard again" })).toBeNull();
    const wl = screen.getByRole("region", { name: "Workloads" });
    expect(wl).toHaveTextContent("3 workloads");
    expect(wl).toHaveTextContent("3 replicas declared in the manifest");
    const src = screen.getByRole("region", { name: "Source" });
    expect(src).toHaveTextContent("https://git.example.com/demo/shop.git");
    expect(src).toHaveTextContent("astrolift.toml");
    expect(src).toHaveTextContent("main");
    expect(src).toHaveTextContent("1c6481e3");
    const trig = screen.getByRole("region", { name: "Trigger" });
    expect(trig).toHaveTextContent("push");
    expect(await within(trig).findByText("shop-staging, shop-production")).toBeInTheDocument(); // per-environment namespaces

    // recent deployments link to their pages, with the environment's name
    const deps = screen.getByRole("region", { name: "Recent deployments" });
    const rows = within(deps).getAllByRole("row").slice(1);
    expect(rows).toHaveLength(2);
    expect(within(rows[0]).getByRole("link", { name: "#2" })).toHaveAttribute("href", "/deployments/2");
    expect(await within(rows[0]).findByText("production")).toBeInTheDocument();
    expect(within(rows[1]).getByText("failed")).toBeInTheDocument();

    // recent events
    const ev = screen.getByRole("region", { name: "Recent events" });
    expect(await within(ev).findByRole("link", { name: "deployment 2: succeeded: 8 objects ready" })).toHaveAttribute("href", "/deployments/2");

    // workloads table
    const table = await screen.findByRole("region", { name: "Workloads by environment" });
    const worker = within(table).getByRole("link", { name: "worker" }).closest("tr")!;
    expect(worker).toHaveTextContent("failed");
    expect(worker).toHaveTextContent("Deployment does not have minimum availability.");
    expect(worker).toHaveTextContent("0/1");
    expect(within(worker).getByRole("link", { name: "worker" })).toHaveAttribute("href", "/apps/shop/workloads/worker?environment=staging");
    const prodWeb = within(table).getAllByRole("row").find((r) => r.textContent?.includes("production"))!;
    expect(prodWeb).toHaveTextContent("1/3 (autoscaled 2–5)");
    expect(prodWeb).toHaveTextContent("nginx:1.27");
  });

  it("offers Open, Source and Config links and a screenshot that hides itself when there is none", async () => {
    stubAPI({});
    renderAt("/apps/shop");
    const open = await screen.findByRole("link", { name: /Open/ }, { timeout: 4000 });
    expect(open).toHaveAttribute("href", "https://shop-staging.localhost");
    expect(open).toHaveAttribute("target", "_blank");
    expect(screen.getByRole("link", { name: /Source/ })).toHaveAttribute("href", "https://git.example.com/demo/shop");
    const hero = screen.getByRole("region", { name: "Demo shop" });
    expect(within(hero).getByRole("link", { name: "Config" })).toHaveAttribute("href", "/apps/shop/config");
    const img = screen.getByRole("img", { name: "Screenshot of Demo shop" });
    expect(img.getAttribute("src")).toMatch(/^\/api\/v1\/apps\/shop\/screenshot/);
    fireEvent.error(img);
    expect(screen.queryByRole("img", { name: "Screenshot of Demo shop" })).toBeNull();
  });

  it("disables Open without a public URL and Source without a web address, saying why", async () => {
    stubAPI({
      "GET /api/v1/apps/shop": { ...app, source_url: "git@git.example.com:demo/shop.git" },
      "GET /api/v1/apps/shop/overview": { ...overview, app: { ...app, source_url: "git@git.example.com:demo/shop.git" } },
      "GET /api/v1/apps/shop/topology": { environment: "staging", nodes: [{ id: "workload:worker", kind: "workload", name: "worker", status: "running" }], edges: [] },
    });
    renderAt("/apps/shop");
    const open = await screen.findByRole("button", { name: "Open" });
    expect(open).toBeDisabled();
    expect(open).toHaveAttribute("title", expect.stringContaining("No public URL"));
    const source = screen.getByRole("button", { name: "Source" });
    expect(source).toBeDisabled();
    expect(source).toHaveAttribute("title", expect.stringContaining("git@git.example.com:demo/shop.git"));
  });

  it("prefers an environment's public URL for Open", async () => {
    stubAPI({ "GET /api/v1/apps/shop/environments": { items: [{ id: 2, name: "production", cluster: "local", namespace: "shop-production", public_url: "https://shop.example.com", paused: false, required_approvals: 0, replicas: null, self_heal: false, updated_at: "2026-12-03T12:03:57Z" }] } });
    renderAt("/apps/shop");
    await waitFor(() => expect(screen.getByRole("link", { name: /Open/ })).toHaveAttribute("href", "https://shop.example.com"));
  });

  it("disables Deploy and Delete for a viewer, with the reason", async () => {
    stubAPI({}, "org.viewer");
    renderAt("/apps/shop");
    await screen.findByRole("region", { name: "Provisioning" });
    await waitFor(() => expect(screen.getByRole("button", { name: "Deploy" })).toHaveAttribute("title", "You need the app.deploy permission to deploy this app."));
    expect(screen.getByRole("button", { name: "Deploy" })).toBeDisabled();
    const del = screen.getByRole("button", { name: "Delete" });
    expect(del).toBeDisabled();
    expect(del).toHaveAttribute("title", "You need the app.delete permission to delete this app.");
  });

  it("deploys to the picked environment, shows the API's field error next to the field, then opens the deployment", async () => {
    const user = userEvent.setup();
    let attempt = 0;
    const { calls } = stubAPI({
      "POST /api/v1/apps/shop/deploy": () =>
        ++attempt === 1
          ? apiError(400, "invalid", 'image_digest "sha256:zz" must be sha256: followed by 64 lower-case hex digits', "image_digest")
          : jsonResponse(201, { id: 7, environment_id: 2, trigger: "manual", status: "pending", created_at: "2026-12-03T12:10:00Z", app: "shop", environment: "production", created_by: "admin@astrolift.local" }),
    });
    const { router } = renderAt("/apps/shop");
    const deploy = await screen.findByRole("button", { name: "Deploy" });
    await waitFor(() => expect(deploy).toBeEnabled());
    await user.click(deploy);
    const dialog = await screen.findByRole("dialog", { name: "Deploy" });
    await user.selectOptions(within(dialog).getByLabelText("Environment"), "production");
    expect(within(dialog).getByText(/needs 1 approval/)).toBeInTheDocument();
    await user.type(within(dialog).getByLabelText("Image (optional)"), "sha256:zz");
    await user.click(within(dialog).getByRole("button", { name: "Deploy to production" }));
    const image = within(dialog).getByLabelText("Image (optional)");
    await waitFor(() => expect(image).toHaveAccessibleDescription(expect.stringContaining("must be sha256: followed by 64 lower-case hex digits")));
    expect(image).toHaveAttribute("aria-invalid", "true");
    await user.clear(image);
    await user.click(within(dialog).getByRole("button", { name: "Deploy to production" }));
    await screen.findByText("deployment page 7");
    expect(router.state.location.pathname).toBe("/deployments/7");
    const posts = calls.filter((c) => c.method === "POST");
    expect(posts.map((c) => c.body)).toEqual([
      { environment: "production", image: "sha256:zz" },
      { environment: "production", image: "" },
    ]);
  });

  it("deletes the app after confirming and goes back to the apps list", async () => {
    const user = userEvent.setup();
    const { calls } = stubAPI({ "DELETE /api/v1/apps/shop": () => new Response(null, { status: 204 }) });
    const { router } = renderAt("/apps/shop");
    await user.click(await screen.findByRole("button", { name: "Delete" }));
    const dialog = await screen.findByRole("dialog", { name: "Delete Demo shop?" });
    expect(dialog).toHaveTextContent("stays reserved for the grace window");
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    await user.click(within(dialog).getByRole("button", { name: "Delete app" }));
    await screen.findByText("apps list");
    expect(router.state.location.pathname).toBe("/apps");
    expect(calls.filter((c) => c.method === "DELETE").map((c) => c.url)).toEqual(["/api/v1/apps/shop"]);
  });

  it("shows a failed app's error and onboards it again", async () => {
    const user = userEvent.setup();
    const failed = { ...overview, provisioning: { status: "failed", error: "clone: repository not found" } };
    const { calls } = stubAPI({
      "GET /api/v1/apps/shop/overview": failed,
      "POST /api/v1/apps/shop/onboard": { ...app, status: "pending" },
    });
    renderAt("/apps/shop");
    const prov = await screen.findByRole("region", { name: "Provisioning" });
    expect(prov).toHaveTextContent("clone: repository not found");
    await user.click(within(prov).getByRole("button", { name: "Onboard again" }));
    await waitFor(() => expect(calls.some((c) => c.method === "POST" && c.url === "/api/v1/apps/shop/onboard")).toBe(true));
  });

  it("shows the API's error message, and the forbidden state", async () => {
    stubAPI({ "GET /api/v1/apps/shop/overview": apiError(500, "internal", "database is locked"), "GET /api/v1/apps/shop/workloads": apiError(403, "forbidden", "you need the app.read permission here") });
    renderAt("/apps/shop");
    expect(await screen.findByText("Could not load the overview.")).toBeInTheDocument();
    expect(screen.getByText("Could not load the overview.").parentElement).toHaveTextContent("database is locked");
    expect(await screen.findByText("Not allowed.")).toBeInTheDocument();
    expect(screen.getByText(/you need the app.read permission here/)).toBeInTheDocument();
  });

  it("draws the topology with an aria-label, switches environments, and opens a workload with Enter", async () => {
    const { calls } = stubAPI({});
    const { router } = renderAt("/apps/shop");
    const flow = await screen.findByLabelText(/Topology of the staging environment/);
    const web = await within(flow).findByLabelText(/^Workload web, running/);
    expect(within(flow).getByLabelText(/^Ingress shop-web, running, public at shop-staging.localhost/)).toBeInTheDocument();
    expect(within(flow).getByLabelText(/^Workload worker, failed/)).toBeInTheDocument();
    expect(within(flow).getByText("payments-api")).toBeInTheDocument();
    expect(web).toHaveAttribute("tabindex", "0");

    fireEvent.change(screen.getByLabelText("Environment"), { target: { value: "production" } });
    const prod = await screen.findByLabelText(/Topology of the production environment/);
    expect(await within(prod).findByLabelText(/^Ingress shop-web, running, public at shop-production.localhost/)).toBeInTheDocument();
    expect(calls.some((c) => c.url === "/api/v1/apps/shop/topology?environment=production")).toBe(true);

    const prodWeb = within(prod).getByLabelText(/^Workload web, running/);
    prodWeb.focus();
    fireEvent.keyDown(prodWeb, { key: "Enter" });
    await waitFor(() => expect(router.state.location.pathname).toBe("/apps/shop/workloads/web"));
    expect(router.state.location.search).toBe("?environment=production");
  });

  it("prepends live events to the recent events", async () => {
    stubAPI({});
    const { qc } = renderAt("/apps/shop");
    const ev = await screen.findByRole("region", { name: "Recent events" });
    await within(ev).findByText("ready");
    act(() => mergeEvent(qc, { id: 14, app: "shop", kind: "deployment.created", severity: "info", message: "manual deployment 3 to staging", actor: "admin@astrolift.local", created_at: new Date().toISOString() }));
    await waitFor(() => expect(within(ev).getAllByRole("listitem")[0]).toHaveTextContent("manual deployment 3 to staging"));
    expect(within(ev).getAllByRole("listitem")).toHaveLength(3);
  });
});
