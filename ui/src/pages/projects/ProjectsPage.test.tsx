import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ProjectsPage } from "./ProjectsPage";
import { apiError, renderAt, sessionHandlers, stubApi } from "../org-shared/testutil";


const shop = { id: 1, slug: "shop", name: "Shop", description: "The storefront and its API", team: "payments", created_at: "2026-12-01T10:00:00Z" };
const teams = { items: [{ id: 1, slug: "payments", name: "Payments", created_at: "2026-12-01T10:00:00Z" }] };

describe("the projects page", () => {
  it("creates a project with a slug made from the name, in a team", async () => {
    const calls = stubApi([
      ...sessionHandlers("org.owner"),
      ["GET", "/api/v1/projects", () => ({ body: { items: [shop] } })],
      ["GET", "/api/v1/teams", () => ({ body: teams })],
      ["POST", "/api/v1/projects", () => ({ status: 201, body: { ...shop, id: 2, slug: "back-office", name: "Back Office" } })],
    ]);
    const user = userEvent.setup();
    renderAt("/projects", "/projects", <ProjectsPage />);
    const row = (await screen.findByText("Shop")).closest("tr")!;
    expect(row).toHaveTextContent("payments");
    expect(row).toHaveTextContent("The storefront and its API");
    const create = screen.getByRole("button", { name: "New project" });
    await waitFor(() => expect(create).toBeEnabled());
    await user.click(create);
    const dialog = await screen.findByRole("dialog", { name: "New project" });
    await user.click(within(dialog).getByLabelText("Name"));
    await user.paste("Back Office");
    expect(within(dialog).getByLabelText("Slug")).toHaveValue("back-office");
    await waitFor(() => expect(within(within(dialog).getByLabelText("Team")).getByRole("option", { name: "Payments (payments)" })).toBeInTheDocument());
    await user.selectOptions(within(dialog).getByLabelText("Team"), "payments");
    await user.click(within(dialog).getByRole("button", { name: "Create project" }));
    await waitFor(() => expect(calls.find((c) => c.method === "POST")?.body).toEqual({ name: "Back Office", slug: "back-office", description: "", team: "payments" }));
    await waitFor(() => expect(screen.queryByRole("dialog", { name: "New project" })).not.toBeInTheDocument());
  });

  it("shows a taken slug (the API's 409, which names no field) next to the slug", async () => {
    stubApi([
      ...sessionHandlers("org.owner"),
      ["GET", "/api/v1/projects", () => ({ body: { items: [shop] } })],
      ["GET", "/api/v1/teams", () => ({ body: teams })],
      ["POST", "/api/v1/projects", () => apiError(409, "conflict", 'project "shop": slug taken: conflict')],
    ]);
    const user = userEvent.setup();
    renderAt("/projects?new=1", "/projects", <ProjectsPage />);
    const dialog = await screen.findByRole("dialog", { name: "New project" });
    await user.click(within(dialog).getByLabelText("Name"));
    await user.paste("Shop");
    await user.click(within(dialog).getByRole("button", { name: "Create project" }));
    const slug = within(dialog).getByLabelText("Slug");
    await waitFor(() => expect(slug).toHaveAttribute("aria-invalid", "true"));
    expect(slug).toHaveAccessibleDescription(expect.stringContaining('project "shop": slug taken'));
  });

  it("shows the API's refusal to delete a project that holds apps", async () => {
    stubApi([
      ...sessionHandlers("org.owner"),
      ["GET", "/api/v1/projects", () => ({ body: { items: [shop] } })],
      ["DELETE", "/api/v1/projects/shop", () => apiError(409, "conflict", "project shop still holds 2 apps")],
    ]);
    const user = userEvent.setup();
    renderAt("/projects", "/projects", <ProjectsPage />);
    const del = await screen.findByRole("button", { name: "Delete project Shop" });
    await waitFor(() => expect(del).toBeEnabled());
    await user.click(del);
    const dialog = await screen.findByRole("dialog", { name: "Delete project Shop?" });
    await user.click(within(dialog).getByRole("button", { name: "Delete project" }));
    expect(await within(dialog).findByRole("alert")).toHaveTextContent("project shop still holds 2 apps");
  });

  it("disables the actions without projects.write, saying why", async () => {
    stubApi([...sessionHandlers("org.viewer"), ["GET", "/api/v1/projects", () => ({ body: { items: [shop] } })]]);
    renderAt("/projects", "/projects", <ProjectsPage />);
    const edit = await screen.findByRole("button", { name: "Edit project Shop" });
    await waitFor(() => expect(edit).toHaveAttribute("title", "You need the projects.write permission on team payments or the organization."));
    expect(edit).toBeDisabled();
    expect(screen.getByRole("button", { name: "New project" })).toBeDisabled();
  });
});
