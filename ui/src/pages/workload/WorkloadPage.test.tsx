import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { apiError, nightly, renderAt, stubAPI, stubResizeObserver, webDetail } from "../overview/testkit";

beforeEach(() => stubResizeObserver());
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("WorkloadPage", () => {
  it("shows the workload in the environment of the address: general facts, hostnames, containers with env keys but never values", async () => {
    stubAPI({ "GET /api/v1/apps/shop/workloads/web": webDetail });
    renderAt("/apps/shop/workloads/web?environment=staging");
    const general = await screen.findByRole("region", { name: "General" });
    expect(general).toHaveTextContent("deployment");
    expect(general).toHaveTextContent("staging (runs in staging, production)");
    expect(general).toHaveTextContent("Deployment is available. Replicas: 1");
    expect(general).toHaveTextContent("1 ready of 1 desired");
    expect(general).toHaveTextContent("Autoscalingoff");
    expect(within(general).getByText("cpu 250m")).toBeInTheDocument();
    expect(within(general).getByText("memory 256Mi")).toBeInTheDocument();
    expect(general).toHaveTextContent("Deployment/shop-staging/shop-web");
    expect(await within(general).findByRole("link", { name: /shop-staging.localhost/ })).toHaveAttribute("href", "https://shop-staging.localhost");

    const c = screen.getByRole("region", { name: "Container web" });
    expect(c).toHaveTextContent("nginx:1.27");
    expect(c).toHaveTextContent("8080");
    expect(c).toHaveTextContent("GET /healthz");
    expect(within(c).getByText("LOG_LEVEL")).toBeInTheDocument();
    expect(within(c).getByText("PORT")).toBeInTheDocument();
    expect(screen.queryByText(/very-secret-debug/)).toBeNull();
    expect(screen.queryByRole("region", { name: "Recent runs" })).toBeNull();
  });

  it("switches environments: the address picks one, the switcher changes it", async () => {
    stubAPI({ "GET /api/v1/apps/shop/workloads/web": webDetail });
    const { router } = renderAt("/apps/shop/workloads/web?environment=production");
    const general = await screen.findByRole("region", { name: "General" });
    const select = screen.getByLabelText("Environment");
    expect(select).toHaveValue("production");
    expect(general).toHaveTextContent("1 ready of 3 desired");
    expect(general).toHaveTextContent("2–5 replicas at 70% CPU; now 2, wants 3");
    expect(await within(general).findByRole("link", { name: /shop-production.localhost/ })).toBeInTheDocument();
    fireEvent.change(select, { target: { value: "staging" } });
    await waitFor(() => expect(router.state.location.search).toBe("?environment=staging"));
    expect(screen.getByRole("region", { name: "General" })).toHaveTextContent("1 ready of 1 desired");
  });

  it("lists a cron job's recent runs", async () => {
    const runs = [
      { name: "shop-nightly-29012345", status: "failed", started_at: "2026-12-03T03:00:00Z", finished_at: "2026-12-03T03:01:05Z", exit_code: 2 },
      { name: "shop-nightly-29011111", status: "succeeded", started_at: "2026-12-02T03:00:00Z", finished_at: "2026-12-02T03:00:20Z", exit_code: 0 },
      { name: "shop-nightly-29019999", status: "running", started_at: "2026-12-03T12:00:00Z" },
    ];
    stubAPI({ "GET /api/v1/apps/shop/workloads/nightly": { name: "nightly", environments: [nightly(runs)] } });
    renderAt("/apps/shop/workloads/nightly");
    const general = await screen.findByRole("region", { name: "General" });
    expect(general).toHaveTextContent("0 3 * * *");
    await waitFor(() => expect(general).toHaveTextContent("not public"));
    expect(screen.queryByLabelText("Environment")).toBeNull(); // runs in one environment only
    expect(screen.getByRole("region", { name: "Container report" })).toHaveTextContent("bin/report --since 24h");
    const table = screen.getByRole("region", { name: "Recent runs" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toHaveTextContent("shop-nightly-29012345");
    expect(rows[0]).toHaveTextContent("failed");
    expect(rows[0]).toHaveTextContent("1 min 5 s");
    expect(rows[0]).toHaveTextContent(/2$/);
    expect(rows[1]).toHaveTextContent("succeeded");
    expect(rows[1]).toHaveTextContent("20 s");
    expect(rows[2]).toHaveTextContent("running");
  });

  it("shows a cron job that never ran, and the API's not-found message", async () => {
    stubAPI({
      "GET /api/v1/apps/shop/workloads/nightly": { name: "nightly", environments: [nightly(undefined)] },
      "GET /api/v1/apps/shop/workloads/nope": apiError(404, "not_found", "workload nope: not found in app shop"),
    });
    const { router } = renderAt("/apps/shop/workloads/nightly");
    expect(await screen.findByText("The cron job has not run yet.")).toBeInTheDocument();
    await router.navigate("/apps/shop/workloads/nope");
    expect(await screen.findByRole("alert")).toHaveTextContent("Could not load workload nope. workload nope: not found in app shop");
  });
});
