import { renderPage, stubApi, apiError } from "../subres/testing";
import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { TokensPage } from "./TokensPage";
import type { DeployToken } from "../../api/types";

const tok: DeployToken = {
  id: 3, name: "github-actions", last4: "9xQz", scopes: ["deploy", "read"], created_by: "ada@example.test",
  created_at: "2026-12-01T10:00:00Z", expires_at: "2099-12-01T10:00:00Z", last_used_at: null,
};

describe("TokensPage", () => {
  it("lists name, scopes, last 4, last used and expiry, never a secret", async () => {
    stubApi((c) => (c.path === "/api/v1/apps/demo/tokens" ? { items: [tok, { ...tok, id: 4, name: "old", expires_at: "2001-01-01T00:00:00Z", last_used_at: "2026-12-03T11:00:00Z" }] } : undefined));
    renderPage("tokens", <TokensPage />);
    const row = (await screen.findByText("github-actions")).closest("tr")!;
    expect(within(row).getByLabelText("token ending in 9xQz")).toHaveTextContent("aldt_…9xQz");
    expect(within(row).getByText("deploy")).toHaveClass("chip");
    expect(within(row).getByText("never")).toBeInTheDocument();
    expect(screen.getByText("old").closest("tr")).toHaveTextContent("expired");
  });

  it("creates a token and shows its plaintext once in a copy dialog", async () => {
    const api = stubApi((c) => {
      if (c.method === "POST") {
        const b = c.json() as { scopes: string };
        if (b.scopes === "") return apiError(400, "invalid", "at least one scope is needed (deploy, read)", "scopes");
        return [201, { ...tok, id: 5, name: "ci", scopes: ["deploy"], token: "aldt_supersecretvalue1234" }];
      }
      return c.path === "/api/v1/apps/demo/tokens" ? { items: [] } : undefined;
    });
    renderPage("tokens", <TokensPage />);
    await screen.findByText("No deploy tokens yet.");
    await userEvent.click(screen.getByRole("button", { name: "New token" }));
    const dialog = screen.getByRole("dialog", { name: "New deploy token" });
    await userEvent.type(within(dialog).getByLabelText("Name"), "ci");
    await userEvent.click(within(dialog).getByLabelText(/^deploy/));
    await userEvent.click(within(dialog).getByLabelText(/^read/));
    await userEvent.click(within(dialog).getByRole("button", { name: "Create token" }));
    expect(await within(dialog).findByRole("group", { name: "Scopes" })).toHaveAccessibleDescription("at least one scope is needed (deploy, read)");
    await userEvent.click(within(dialog).getByLabelText(/^deploy/));
    await userEvent.click(within(dialog).getByRole("button", { name: "Create token" }));
    const shown = await screen.findByRole("dialog", { name: "Token ci created" });
    expect(within(shown).getByLabelText("deploy token")).toHaveTextContent("aldt_supersecretvalue1234");
    expect(within(shown).getByRole("button", { name: "Copy to clipboard" })).toBeInTheDocument();
    expect(api.last("POST", "/api/v1/apps/demo/tokens")!.json()).toEqual({ name: "ci", scopes: "deploy", expires_in_days: 365 });
    await userEvent.click(within(shown).getByRole("button", { name: "Done" }));
    expect(screen.queryByText("aldt_supersecretvalue1234")).toBeNull();
  });

  it("rotates after a confirmation and shows the new secret once", async () => {
    const api = stubApi((c) => {
      if (c.path === "/api/v1/apps/demo/tokens/3/rotate") return [201, { ...tok, previous_valid_until: "2099-01-01T00:00:00Z", token: "aldt_rotatednewsecret" }];
      return c.path === "/api/v1/apps/demo/tokens" ? { items: [tok] } : undefined;
    });
    renderPage("tokens", <TokensPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Rotate github-actions" }));
    const confirm = screen.getByRole("dialog", { name: "Rotate deploy token" });
    expect(confirm).toHaveTextContent("keeps working for 24 hours");
    await userEvent.click(within(confirm).getByRole("button", { name: "Rotate" }));
    const shown = await screen.findByRole("dialog", { name: "Token github-actions rotated" });
    expect(within(shown).getByLabelText("deploy token")).toHaveTextContent("aldt_rotatednewsecret");
    expect(shown).toHaveTextContent("old secret keeps working for 24 hours");
    expect(api.last("POST", "/api/v1/apps/demo/tokens/3/rotate")).toBeDefined();
  });

  it("revokes after a confirmation", async () => {
    const api = stubApi((c) => {
      if (c.method === "DELETE") return [204, null];
      return c.path === "/api/v1/apps/demo/tokens" ? { items: [tok] } : undefined;
    });
    renderPage("tokens", <TokensPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Revoke github-actions" }));
    await userEvent.click(within(screen.getByRole("dialog", { name: "Revoke deploy token" })).getByRole("button", { name: "Revoke" }));
    await waitFor(() => expect(api.last("DELETE", "/api/v1/apps/demo/tokens/3")).toBeDefined());
    await waitFor(() => expect(screen.queryByRole("dialog", { name: "Revoke deploy token" })).toBeNull());
  });

  it("shows forbidden and disables creating without app.update", async () => {
    stubApi((c) => (c.path === "/api/v1/apps/demo/tokens" ? apiError(403, "forbidden", "you need the app.update permission on demo") : undefined), ["org.read", "app.read"]);
    renderPage("tokens", <TokensPage />);
    expect(await screen.findByText(/you need the app.update permission on demo/)).toBeInTheDocument();
    await waitFor(() => expect(screen.getByRole("button", { name: "New token" })).toBeDisabled());
  });
});
