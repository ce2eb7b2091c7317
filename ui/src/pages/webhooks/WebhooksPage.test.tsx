import { renderPage, stubApi, apiError } from "../subres/testing";
import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { WebhooksPage, parseEventTypes } from "./WebhooksPage";
import type { Webhook } from "../../api/types";

const hook: Webhook = {
  id: 7, app: "demo", url: "https://hooks.example.test/in", event_types: ["deployment.*", "*"], created_by: "ada@example.test",
  created_at: "2026-12-03T10:00:00Z", last_delivery_at: "2026-12-03T11:00:00Z", last_status: 502, last_error: "bad gateway", failed_count: 3,
};

describe("WebhooksPage", () => {
  it("lists URL, events, last delivery with its error and the failed count", async () => {
    stubApi((c) => (c.path === "/api/v1/apps/demo/webhooks" ? { items: [hook] } : undefined));
    renderPage("webhooks", <WebhooksPage />);
    const row = (await screen.findByText("https://hooks.example.test/in")).closest("tr")!;
    expect(within(row).getByText("deployment.*")).toHaveClass("chip");
    expect(within(row).getByText("every event")).toBeInTheDocument();
    expect(row).toHaveTextContent("HTTP 502");
    expect(row).toHaveTextContent("bad gateway");
    expect(within(row).getByText("3")).toBeInTheDocument();
  });

  it("creates a webhook and shows its signing secret once", async () => {
    const api = stubApi((c) => {
      if (c.method === "POST" && c.path === "/api/v1/apps/demo/webhooks") {
        const b = c.json() as { url: string };
        if (b.url.startsWith("ftp")) return apiError(400, "invalid", "url refused: scheme ftp is not http or https", "url");
        return [201, { ...hook, id: 8, url: b.url, failed_count: 0, last_status: 0, last_delivery_at: null, secret: "whsec_0123456789abcdef" }];
      }
      return c.path === "/api/v1/apps/demo/webhooks" ? { items: [] } : undefined;
    });
    renderPage("webhooks", <WebhooksPage />);
    await screen.findByText("No webhooks yet.");
    await userEvent.click(screen.getByRole("button", { name: "New webhook" }));
    const dialog = screen.getByRole("dialog", { name: "New webhook" });
    await userEvent.type(within(dialog).getByLabelText("URL"), "ftp://x.example");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create webhook" }));
    await waitFor(() => expect(within(dialog).getByLabelText("URL")).toHaveAccessibleDescription(/scheme ftp/));
    await userEvent.clear(within(dialog).getByLabelText("URL"));
    await userEvent.type(within(dialog).getByLabelText("URL"), "https://new.example.test/h");
    await userEvent.clear(within(dialog).getByLabelText("Event types"));
    await userEvent.type(within(dialog).getByLabelText("Event types"), "deployment.succeeded, app.*");
    await userEvent.click(within(dialog).getByRole("button", { name: "Create webhook" }));
    const created = await screen.findByRole("dialog", { name: "Webhook created" });
    expect(within(created).getByLabelText("signing secret")).toHaveTextContent("whsec_0123456789abcdef");
    expect(created).toHaveTextContent("shown only once");
    expect(api.last("POST", "/api/v1/apps/demo/webhooks")!.json()).toEqual({ url: "https://new.example.test/h", event_types: ["deployment.succeeded", "app.*"] });
    await userEvent.click(within(created).getByRole("button", { name: "Done" }));
    expect(screen.queryByText("whsec_0123456789abcdef")).toBeNull();
  });

  it("pings and shows the outcome", async () => {
    stubApi((c) => {
      if (c.path === "/api/v1/apps/demo/webhooks/7/ping")
        return { id: 1, event_type: "ping", status: "failed", attempt: 1, status_code: 0, duration_ms: 12, error: "dial tcp: connection refused", created_at: "2026-12-03T11:00:00Z", payload: null };
      return c.path === "/api/v1/apps/demo/webhooks" ? { items: [hook] } : undefined;
    });
    renderPage("webhooks", <WebhooksPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Ping https://hooks.example.test/in" }));
    const out = await screen.findByText(/^Ping:/);
    expect(out).toHaveTextContent("failed");
    expect(out).toHaveTextContent("no response · 12 ms");
    expect(out).toHaveTextContent("connection refused");
  });

  it("expands the recent deliveries", async () => {
    stubApi((c) => {
      if (c.path === "/api/v1/apps/demo/webhooks/7/deliveries")
        return { items: [{ id: 4, event_id: 99, event_type: "deployment.succeeded", status: "delivered", attempt: 2, status_code: 200, duration_ms: 80, created_at: "2026-12-03T11:00:00Z", delivered_at: "2026-12-03T11:01:00Z", payload: {} }] };
      return c.path === "/api/v1/apps/demo/webhooks" ? { items: [hook] } : undefined;
    });
    renderPage("webhooks", <WebhooksPage />);
    const toggle = await screen.findByRole("button", { name: "Deliveries" });
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    await userEvent.click(toggle);
    const table = await screen.findByRole("table", { name: "Recent deliveries" });
    await within(table).findByText("deployment.succeeded");
    expect(table).toHaveTextContent("HTTP 200");
    expect(table).toHaveTextContent("delivered");
    expect(screen.getByRole("button", { name: "Hide deliveries" })).toHaveAttribute("aria-expanded", "true");
  });

  it("deletes after a confirmation", async () => {
    const api = stubApi((c) => {
      if (c.method === "DELETE") return [204, null];
      return c.path === "/api/v1/apps/demo/webhooks" ? { items: [hook] } : undefined;
    });
    renderPage("webhooks", <WebhooksPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Delete https://hooks.example.test/in" }));
    await userEvent.click(within(screen.getByRole("dialog", { name: "Delete webhook" })).getByRole("button", { name: "Delete" }));
    await waitFor(() => expect(api.last("DELETE", "/api/v1/apps/demo/webhooks/7")).toBeDefined());
  });

  it("shows the forbidden state to those without app.update", async () => {
    stubApi((c) => (c.path === "/api/v1/apps/demo/webhooks" ? apiError(403, "forbidden", "you need the app.update permission on demo") : undefined), ["org.read", "app.read"]);
    renderPage("webhooks", <WebhooksPage />);
    expect(await screen.findByText(/you need the app.update permission on demo/)).toBeInTheDocument();
    await waitFor(() => expect(screen.getByRole("button", { name: "New webhook" })).toBeDisabled());
  });

  it("splits event types", () => {
    expect(parseEventTypes(" deployment.*, app.created  *")).toEqual(["deployment.*", "app.created", "*"]);
  });
});
