import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { TeamsPage } from "./TeamsPage";
import { apiError, renderAt, sessionHandlers, stubApi } from "../org-shared/testutil";


const payments = { id: 1, slug: "payments", name: "Payments", created_at: "2026-12-01T10:00:00Z" };

describe("the teams page", () => {
  it("lists teams with their projects and renames one (the slug stays)", async () => {
    const calls = stubApi([
      ...sessionHandlers("org.owner"),
      ["GET", "/api/v1/teams", () => ({ body: { items: [payments] } })],
      ["GET", "/api/v1/projects", () => ({ body: { items: [{ id: 1, slug: "shop", name: "Shop", description: "", team: "payments", created_at: "2026-12-01T10:00:00Z" }] } })],
      ["PATCH", "/api/v1/teams/payments", () => ({ body: { ...payments, name: "Payments & Billing" } })],
    ]);
    const user = userEvent.setup();
    renderAt("/teams", "/teams", <TeamsPage />);
    const row = (await screen.findByText("Payments")).closest("tr")!;
    await waitFor(() => expect(row).toHaveTextContent("Shop"));
    const rename = within(row).getByRole("button", { name: "Rename team Payments" });
    await waitFor(() => expect(rename).toBeEnabled());
    await user.click(rename);
    const dialog = await screen.findByRole("dialog", { name: "Rename team Payments" });
    expect(within(dialog).getByLabelText("Slug")).toHaveAttribute("readonly");
    await user.clear(within(dialog).getByLabelText("Name"));
    await user.click(within(dialog).getByLabelText("Name"));
    await user.paste("Payments & Billing");
    await user.click(within(dialog).getByRole("button", { name: "Rename" }));
    await waitFor(() => expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({ name: "Payments & Billing", slug: "" }));
  });

  it("shows the API's refusal to delete a team that owns projects", async () => {
    stubApi([
      ...sessionHandlers("org.owner"),
      ["GET", "/api/v1/teams", () => ({ body: { items: [payments] } })],
      ["GET", "/api/v1/projects", () => ({ body: { items: [] } })],
      ["DELETE", "/api/v1/teams/payments", () => apiError(409, "conflict", "team payments still owns projects")],
    ]);
    const user = userEvent.setup();
    renderAt("/teams", "/teams", <TeamsPage />);
    const del = await screen.findByRole("button", { name: "Delete team Payments" });
    await waitFor(() => expect(del).toBeEnabled());
    await user.click(del);
    const dialog = await screen.findByRole("dialog", { name: "Delete team Payments?" });
    await user.click(within(dialog).getByRole("button", { name: "Delete team" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("team payments still owns projects");
  });

  it("disables the actions without teams.write, saying why", async () => {
    stubApi([...sessionHandlers("org.member"), ["GET", "/api/v1/teams", () => ({ body: { items: [payments] } })], ["GET", "/api/v1/projects", () => ({ body: { items: [] } })]]);
    renderAt("/teams", "/teams", <TeamsPage />);
    const rename = await screen.findByRole("button", { name: "Rename team Payments" });
    await waitFor(() => expect(rename).toHaveAttribute("title", "You need the teams.write permission in this organization."));
    expect(rename).toBeDisabled();
    expect(screen.getByRole("button", { name: "New team" })).toBeDisabled();
  });
});
