import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { WebhooksPage, parseEventTypes } from "./WebhooksPage";
import { apiError, renderAt, sessionHandlers, stubApi } from "../org-shared/testutil";


const hook = { id: 4, url: "https://hooks.example.com/astrolift", event_types: ["deployment.*", "app.registered"], created_by: "admin@example.com", created_at: "2026-12-03T10:00:00Z", last_delivery_at: null, last_status: 0, failed_count: 0 };

describe("the webhooks page", () => {
  it("shows the signing secret once, right after creating the webhook", async () => {
    const list: (typeof hook)[] = [];
    const calls = stubApi([
      ...sessionHandlers("org.owner"),
      ["GET", "/api/v1/webhooks", () => ({ body: { items: list } })],
      ["POST", "/api/v1/webhooks", () => (list.push(hook), { status: 201, body: { ...hook, secret: "whsec_s3cr3t" } })],
    ]);
    const user = userEvent.setup();
    renderAt("/webhooks", "/webhooks", <WebhooksPage />);
    expect(await screen.findByText(/No organization-wide webhooks yet/)).toBeInTheDocument();
    const create = screen.getByRole("button", { name: "New webhook" });
    await waitFor(() => expect(create).toBeEnabled());
    await user.click(create);
    let dialog = await screen.findByRole("dialog", { name: "New webhook" });
    await user.click(within(dialog).getByLabelText("URL"));
    await user.paste(hook.url);
    await user.clear(within(dialog).getByLabelText("Event types"));
    await user.paste("deployment.*, app.registered");
    await user.click(within(dialog).getByRole("button", { name: "Create webhook" }));
    dialog = await screen.findByRole("dialog", { name: "Webhook created" });
    expect(within(dialog).getByLabelText("signing secret")).toHaveTextContent("whsec_s3cr3t");
    expect(dialog).toHaveTextContent("it is shown only once");
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ url: hook.url, event_types: ["deployment.*", "app.registered"] });
    await user.click(within(dialog).getByRole("button", { name: "Done" }));
    // The list never shows the secret again.
    expect(await screen.findByText(hook.url)).toBeInTheDocument();
    expect(screen.queryByText("whsec_s3cr3t")).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "New webhook" }));
    expect(within(await screen.findByRole("dialog", { name: "New webhook" })).queryByText("whsec_s3cr3t")).not.toBeInTheDocument();
  });

  it("shows a ping's outcome and the deliveries", async () => {
    stubApi([
      ...sessionHandlers("org.owner"),
      ["GET", "/api/v1/webhooks", () => ({ body: { items: [hook] } })],
      ["POST", "/api/v1/webhooks/4/ping", () => ({ status: 201, body: { id: 9, event_type: "ping", status: "failed", attempt: 1, status_code: 500, duration_ms: 12, error: "receiver answered 500", created_at: "2026-12-03T10:00:00Z", delivered_at: null, next_attempt_at: null, payload: { hello: "world" } } })],
      ["GET", "/api/v1/webhooks/4/deliveries", () => ({ body: { items: [{ id: 9, event_type: "ping", status: "delivered", attempt: 1, status_code: 204, duration_ms: 8, created_at: "2026-12-03T10:00:00Z", delivered_at: "2026-12-03T10:00:00Z", next_attempt_at: null, payload: { kind: "ping" } }] } })],
    ]);
    const user = userEvent.setup();
    renderAt("/webhooks", "/webhooks", <WebhooksPage />);
    const ping = await screen.findByRole("button", { name: `Ping ${hook.url}` });
    await waitFor(() => expect(ping).toBeEnabled());
    await user.click(ping);
    expect(await screen.findByText(/Ping: Failed: HTTP 500, receiver answered 500/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Deliveries" }));
    const table = await screen.findByRole("table", { name: "Recent deliveries" });
    expect(table).toHaveTextContent("HTTP 204");
    expect(table).toHaveTextContent("delivered");
    expect(screen.getByRole("button", { name: "Hide deliveries" })).toHaveAttribute("aria-expanded", "true");
  });

  it("shows the API's refusal of the URL next to it, and forbids viewers", async () => {
    stubApi([
      ...sessionHandlers("org.owner"),
      ["GET", "/api/v1/webhooks", () => ({ body: { items: [] } })],
      ["POST", "/api/v1/webhooks", () => apiError(400, "invalid", "url refused: 10.0.0.1 is a private address", "url")],
    ]);
    const user = userEvent.setup();
    renderAt("/webhooks", "/webhooks", <WebhooksPage />);
    const create = await screen.findByRole("button", { name: "New webhook" });
    await waitFor(() => expect(create).toBeEnabled());
    await user.click(create);
    const dialog = await screen.findByRole("dialog", { name: "New webhook" });
    await user.click(within(dialog).getByLabelText("URL"));
    await user.paste("http://10.0.0.1/x");
    await user.click(within(dialog).getByRole("button", { name: "Create webhook" }));
    expect(await within(dialog).findByText("url refused: 10.0.0.1 is a private address")).toHaveClass("field-error");
    expect(parseEventTypes(" a.b,  c.*  *")).toEqual(["a.b", "c.*", "*"]);
  });

  it("shows the forbidden state to someone without connections.write", async () => {
    stubApi([...sessionHandlers("org.viewer"), ["GET", "/api/v1/webhooks", () => apiError(403, "forbidden", "you need the connections.write permission")]]);
    renderAt("/webhooks", "/webhooks", <WebhooksPage />);
    expect(await screen.findByRole("alert")).toHaveTextContent("Not allowed. you need the connections.write permission");
    await waitFor(() => expect(screen.getByRole("button", { name: "New webhook" })).toHaveAttribute("title", "You need the connections.write permission in this organization."));
    expect(screen.getByRole("button", { name: "New webhook" })).toBeDisabled();
  });
});
