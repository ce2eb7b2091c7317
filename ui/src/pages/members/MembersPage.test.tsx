import { renderPage, stubApi, apiError } from "../subres/testing";
import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MembersPage, expiryISO } from "./MembersPage";

const bob = { id: 2, email: "bob@example.test", name: "Bob", created_at: "2026-12-01T10:00:00Z" };
const cyd = { id: 3, email: "cyd@example.test", name: "", created_at: "2026-12-01T10:00:00Z" };
const members = {
  roles: [
    { name: "app.admin", scope_level: "APP", description: "everything on one app, including its members", permissions: ["app.read", "app.update", "members.manage"] },
    { name: "app.viewer", scope_level: "APP", description: "reads one app", permissions: ["app.read"] },
  ],
  bindings: [{ id: 11, user: bob, role: "app.viewer", scope: "demo", scope_level: "APP", granted_at: "2026-12-02T10:00:00Z", expires_at: "2099-01-01T00:00:00Z" }],
};

describe("MembersPage", () => {
  it("lists the app's bindings and the grantable roles", async () => {
    stubApi((c) => (c.path === "/api/v1/apps/demo/members" ? members : undefined));
    renderPage("members", <MembersPage />);
    const row = (await screen.findByText("bob@example.test")).closest("tr")!;
    expect(row).toHaveTextContent("Bob");
    expect(row).toHaveTextContent("app.viewer");
    const roles = screen.getByRole("region", { name: "Roles that can be granted here" });
    expect(roles).toHaveTextContent("app.admin");
    expect(roles).toHaveTextContent("everything on one app, including its members");
  });

  it("grants an APP role to a picked user with an expiry; errors next to the field", async () => {
    const api = stubApi((c) => {
      if (c.path === "/api/v1/users") return { items: [bob, cyd] };
      if (c.method === "POST" && c.path === "/api/v1/members") {
        const b = c.json() as { expires_at: string | null };
        if (b.expires_at && b.expires_at < "2026") return apiError(400, "invalid", "expires_at is in the past", "expires_at");
        return [201, { id: 12, user: cyd, role: "app.admin", scope: "demo", scope_level: "APP", granted_at: "2026-12-03T10:00:00Z" }];
      }
      return c.path === "/api/v1/apps/demo/members" ? members : undefined;
    });
    renderPage("members", <MembersPage />);
    await screen.findByText("bob@example.test");
    await userEvent.click(screen.getByRole("button", { name: "Grant role" }));
    const dialog = screen.getByRole("dialog", { name: "Grant a role on this app" });
    await within(dialog).findByRole("option", { name: "cyd@example.test" });
    await userEvent.selectOptions(within(dialog).getByLabelText("User"), "cyd@example.test");
    await userEvent.selectOptions(within(dialog).getByLabelText("Role"), "app.admin");
    await userEvent.type(within(dialog).getByLabelText("Expires (optional)"), "2020-01-01T10:00");
    await userEvent.click(within(dialog).getByRole("button", { name: "Grant" }));
    await waitFor(() => expect(within(dialog).getByLabelText("Expires (optional)")).toHaveAccessibleDescription(/expires_at is in the past/));
    await userEvent.clear(within(dialog).getByLabelText("Expires (optional)"));
    await userEvent.click(within(dialog).getByRole("button", { name: "Grant" }));
    await waitFor(() => expect(screen.queryByRole("dialog", { name: "Grant a role on this app" })).toBeNull());
    expect(api.last("POST", "/api/v1/members")!.json()).toEqual({ email: "cyd@example.test", role: "app.admin", scope: "demo", expires_at: null });
  });

  it("revokes a binding after a confirmation", async () => {
    const api = stubApi((c) => {
      if (c.method === "DELETE") return [204, null];
      return c.path === "/api/v1/apps/demo/members" ? members : undefined;
    });
    renderPage("members", <MembersPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Revoke app.viewer from bob@example.test" }));
    await userEvent.click(within(screen.getByRole("dialog", { name: "Revoke role" })).getByRole("button", { name: "Revoke" }));
    await waitFor(() => expect(api.last("DELETE", "/api/v1/members/11")).toBeDefined());
  });

  it("disables granting and revoking without members.manage", async () => {
    stubApi((c) => (c.path === "/api/v1/apps/demo/members" ? members : undefined), ["org.read", "app.read"]);
    renderPage("members", <MembersPage />);
    await screen.findByText("bob@example.test");
    await waitFor(() => expect(screen.getByRole("button", { name: "Grant role" })).toBeDisabled());
    expect(screen.getByRole("button", { name: "Grant role" })).toHaveAttribute("title", expect.stringContaining("members.manage"));
    expect(screen.getByRole("button", { name: "Revoke app.viewer from bob@example.test" })).toBeDisabled();
  });

  it("turns the expiry into an RFC 3339 time", () => {
    expect(expiryISO("")).toBeNull();
    expect(expiryISO("2030-05-01T12:00")).toBe(new Date("2030-05-01T12:00").toISOString());
  });
});
