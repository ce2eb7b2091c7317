import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ConnectionsPage } from "./ConnectionsPage";
import { apiError, renderAt, sessionHandlers, stubApi } from "../org-shared/testutil";


const conn = { id: 7, kind: "gitea", name: "gitea-local", base_url: "http://127.0.0.1:3000", has_credentials: true, webhook_path: "/api/v1/hooks/gitea/7", created_at: "2026-12-01T10:00:00Z", account: "bot", can_write: false, tested_at: "2026-12-01T10:00:00Z" };

async function openAdd(user: ReturnType<typeof userEvent.setup>) {
  const add = await screen.findByRole("button", { name: "Add connection" });
  await waitFor(() => expect(add).toBeEnabled());
  await user.click(add);
  return screen.findByRole("dialog", { name: "Add connection" });
}

describe("the connections page", () => {
  it("lists connections with what the last test found, and tests again", async () => {
    stubApi([
      ...sessionHandlers("org.owner"),
      ["GET", "/api/v1/scm-connections", () => ({ body: { items: [conn] } })],
      ["POST", "/api/v1/scm-connections/7/test", () => ({ body: { ...conn, test_error: "401 Unauthorized: token revoked", scopes: [] } })],
    ]);
    const user = userEvent.setup();
    renderAt("/connections", "/connections", <ConnectionsPage />);
    const row = (await screen.findByText("gitea-local")).closest("tr")!;
    expect(row).toHaveTextContent("Gitea");
    expect(row).toHaveTextContent("http://127.0.0.1:3000");
    expect(row).toHaveTextContent("bot");
    expect(row).toHaveTextContent("read only");
    const test = within(row).getByRole("button", { name: "Test again: connection gitea-local" });
    await waitFor(() => expect(test).toBeEnabled());
    await user.click(test);
    expect(await within(row).findByText("Test failed: 401 Unauthorized: token revoked")).toBeInTheDocument();
  });

  it("shows the host's refusal of the token next to the token field", async () => {
    stubApi([
      ...sessionHandlers("org.owner"),
      ["GET", "/api/v1/scm-connections", () => ({ body: { items: [] } })],
      ["POST", "/api/v1/scm-connections", () => apiError(422, "scm_unauthorized", "the host refused the connection, nothing was stored: bad credentials", "token")],
    ]);
    const user = userEvent.setup();
    renderAt("/connections", "/connections", <ConnectionsPage />);
    const dialog = await openAdd(user);
    await user.selectOptions(within(dialog).getByLabelText("Kind"), "gitea");
    await user.click(within(dialog).getByLabelText("Base URL"));
    await user.paste("http://127.0.0.1:3000");
    await user.click(within(dialog).getByLabelText("Access token"));
    await user.paste("nope");
    await user.click(within(dialog).getByRole("button", { name: "Add connection" }));
    const token = within(dialog).getByLabelText("Access token");
    await waitFor(() => expect(token).toHaveAttribute("aria-invalid", "true"));
    expect(token).toHaveAccessibleDescription(expect.stringContaining("bad credentials"));
    expect(within(dialog).getByLabelText("Base URL")).not.toHaveAttribute("aria-invalid");
  });

  it("adds a connection and shows its webhook secret once", async () => {
    const calls = stubApi([
      ...sessionHandlers("org.owner"),
      ["GET", "/api/v1/scm-connections", () => ({ body: { items: [] } })],
      ["POST", "/api/v1/scm-connections", () => ({ status: 201, body: { ...conn, can_write: true, webhook_secret: "hooksecret123" } })],
    ]);
    const user = userEvent.setup();
    renderAt("/connections", "/connections", <ConnectionsPage />);
    const dialog = await openAdd(user);
    await user.selectOptions(within(dialog).getByLabelText("Kind"), "gitea");
    await user.click(within(dialog).getByLabelText("Base URL"));
    await user.paste("http://127.0.0.1:3000");
    await user.click(within(dialog).getByLabelText("Access token"));
    await user.paste("t0ken");
    await user.click(within(dialog).getByRole("button", { name: "Add connection" }));
    const done = await screen.findByRole("dialog", { name: "Connection gitea-local added" });
    expect(within(done).getByLabelText("webhook secret")).toHaveTextContent("hooksecret123");
    expect(done).toHaveTextContent("The host knows the token as bot, with write access.");
    expect(calls.find((c) => c.method === "POST")?.body).toMatchObject({ kind: "gitea", name: "gitea-127-0-0-1-3000", base_url: "http://127.0.0.1:3000", token: "t0ken" });
  });
});
