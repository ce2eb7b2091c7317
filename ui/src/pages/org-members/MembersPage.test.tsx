import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MembersPage } from "./MembersPage";
import { renderAt, sessionHandlers, stubApi, type Handler } from "../org-shared/testutil";


const alice = { id: 2, email: "alice@example.com", name: "Alice", created_at: "2026-12-01T10:00:00Z" };
const bob = { id: 3, email: "bob@example.com", name: "", created_at: "2026-12-01T10:00:00Z" };
const bindings = [
  { id: 10, user: alice, role: "team.maintainer", scope_level: "TEAM", scope: "payments", granted_at: "2026-12-02T10:00:00Z", expires_at: "2030-01-01T00:00:00Z" },
  { id: 11, user: bob, role: "app.viewer", scope_level: "APP", scope: "shop-api", granted_at: "2026-12-02T10:00:00Z" },
];

function handlers(role = "org.owner", extra: Handler[] = []): Handler[] {
  return [
    ...extra,
    ...sessionHandlers(role),
    ["GET", "/api/v1/members", () => ({ body: { items: bindings } })],
    ["GET", "/api/v1/users", () => ({ body: { items: [alice, bob] } })],
    ["GET", "/api/v1/teams", () => ({ body: { items: [{ id: 1, slug: "payments", name: "Payments", created_at: "2026-12-01T10:00:00Z" }, { id: 2, slug: "web", name: "Web", created_at: "2026-12-01T10:00:00Z" }] } })],
    ["GET", "/api/v1/projects", () => ({ body: { items: [{ id: 1, slug: "shop", name: "Shop", description: "", team: "payments", created_at: "2026-12-01T10:00:00Z" }] } })],
    ["GET", "/api/v1/apps", () => ({ body: { items: [{ id: 5, slug: "shop-api", name: "Shop API", project: "shop", status: "ready" }] } })],
  ];
}

const optionTexts = (select: HTMLElement) => within(select).getAllByRole("option").map((o) => o.textContent);

describe("the members page", () => {
  it("lists the role bindings with their scope and expiry", async () => {
    stubApi(handlers());
    renderAt("/members", "/members", <MembersPage />);
    const row = (await screen.findByText("team.maintainer")).closest("tr")!;
    expect(row).toHaveTextContent("Alice");
    expect(row).toHaveTextContent("alice@example.com");
    expect(row).toHaveTextContent("Team");
    expect(row).toHaveTextContent("payments");
    const appRow = screen.getByText("app.viewer").closest("tr")!;
    expect(within(appRow).getByRole("link", { name: "shop-api" })).toHaveAttribute("href", "/apps/shop-api");
    expect(appRow).toHaveTextContent("never");
    await waitFor(() => expect(screen.getByRole("button", { name: "Revoke app.viewer from bob@example.com" })).toBeEnabled());
  });

  it("has a scope picker that follows the scope level, and roles of that level", async () => {
    const calls = stubApi(handlers("org.owner", [["POST", "/api/v1/members", () => ({ status: 201, body: bindings[0] })]]));
    const user = userEvent.setup();
    renderAt("/members", "/members", <MembersPage />);
    const grant = await screen.findByRole("button", { name: "Grant role" });
    await waitFor(() => expect(grant).toBeEnabled());
    await user.click(grant);
    const dialog = await screen.findByRole("dialog", { name: "Grant role" });
    // Organization: no scope to pick, organization roles.
    expect(within(dialog).getByRole("radio", { name: "Organization" })).toBeChecked();
    expect(within(dialog).queryByRole("combobox", { name: "Team" })).not.toBeInTheDocument();
    expect(within(dialog).queryByRole("combobox", { name: "App" })).not.toBeInTheDocument();
    expect(optionTexts(within(dialog).getByLabelText("Role"))).toEqual(["org.owner", "org.member", "org.viewer"]);
    // Team: the teams, team roles.
    await user.click(within(dialog).getByRole("radio", { name: "Team" }));
    const team = within(dialog).getByRole("combobox", { name: "Team" });
    await waitFor(() => expect(optionTexts(team)).toEqual(["Choose a team", "Payments (payments)", "Web (web)"]));
    expect(optionTexts(within(dialog).getByLabelText("Role"))).toEqual(["team.maintainer", "team.member"]);
    // App: the apps, app roles.
    await user.click(within(dialog).getByRole("radio", { name: "App" }));
    expect(within(dialog).queryByRole("combobox", { name: "Team" })).not.toBeInTheDocument();
    expect(optionTexts(within(dialog).getByRole("combobox", { name: "App" }))).toEqual(["Choose an app", "Shop API (shop-api)"]);
    expect(optionTexts(within(dialog).getByLabelText("Role"))).toEqual(["app.admin", "app.developer", "app.viewer"]);
    // Back to Team, fill in and grant: the request is the API's grantRequest.
    await user.click(within(dialog).getByRole("radio", { name: "Team" }));
    await user.selectOptions(within(dialog).getByLabelText("User"), "alice@example.com");
    await user.selectOptions(within(dialog).getByRole("combobox", { name: "Team" }), "web");
    await user.selectOptions(within(dialog).getByLabelText("Role"), "team.member");
    await user.click(within(dialog).getByRole("button", { name: "Grant role" }));
    await waitFor(() => expect(calls.find((c) => c.method === "POST")?.body).toEqual({ email: "alice@example.com", role: "team.member", scope: "web", expires_at: null }));
  });

  it("shows the API's field error next to the user", async () => {
    stubApi(handlers("org.owner", [["POST", "/api/v1/members", () => ({ status: 400, body: { error: { code: "invalid", message: 'no user "x@example.com" in this organization', field: "email" } } })]]));
    const user = userEvent.setup();
    renderAt("/members", "/members", <MembersPage />);
    const grant = await screen.findByRole("button", { name: "Grant role" });
    await waitFor(() => expect(grant).toBeEnabled());
    await user.click(grant);
    const dialog = await screen.findByRole("dialog", { name: "Grant role" });
    await user.selectOptions(await within(dialog).findByLabelText("User"), "bob@example.com");
    await user.click(within(dialog).getByRole("button", { name: "Grant role" }));
    expect(await within(dialog).findByText('no user "x@example.com" in this organization')).toHaveClass("field-error");
    expect(within(dialog).getByLabelText("User")).toHaveAttribute("aria-invalid", "true");
  });

  it("disables granting and revoking for a viewer, with the reason", async () => {
    stubApi(handlers("org.viewer"));
    renderAt("/members", "/members", <MembersPage />);
    await screen.findByText("team.maintainer");
    const grant = screen.getByRole("button", { name: "Grant role" });
    await waitFor(() => expect(grant).toHaveAttribute("title", "You need the members.manage permission at some scope."));
    expect(grant).toBeDisabled();
    expect(screen.getByRole("button", { name: "Revoke team.maintainer from alice@example.com" })).toBeDisabled();
  });
});
