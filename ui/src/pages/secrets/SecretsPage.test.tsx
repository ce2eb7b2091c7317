import { renderPage, stubApi, apiError } from "../subres/testing";
import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { SecretsPage } from "./SecretsPage";

const list = {
  recipient: "age1platformrecipient",
  items: [
    { key: "DATABASE_URL", source: "literal", environment: "", sealed: true, staged: false, value: "********" },
    { key: "API_KEY", source: "literal", environment: "staging", sealed: true, staged: true, value: "********" },
    { key: "STRIPE_KEY", source: "bundle", bundle: "payments", environment: "", sealed: true, staged: false, value: "********" },
    { key: "REDIS_URL", source: "managed_service", managed_service: "redis", environment: "production", sealed: true, staged: false, value: "********" },
  ],
};


describe("SecretsPage", () => {
  it("lists every source with values masked and the staged state", async () => {
    stubApi((c) => (c.path === "/api/v1/apps/demo/secrets" ? list : undefined));
    renderPage("secrets", <SecretsPage />);
    const row = (await screen.findByText("DATABASE_URL")).closest("tr")!;
    expect(within(row).getByLabelText("DATABASE_URL value, masked")).toHaveTextContent("********");
    expect(within(row).getByText("all (base)")).toBeInTheDocument();
    const staged = screen.getByText("API_KEY").closest("tr")!;
    expect(within(staged).getByText("staged")).toBeInTheDocument();
    expect(within(staged).getByText("staging")).toBeInTheDocument();
    expect(screen.getByText("STRIPE_KEY").closest("tr")).toHaveTextContent("bundle payments");
    expect(screen.getByText("REDIS_URL").closest("tr")).toHaveTextContent("managed service redis");
    // only manifest literals can be deleted
    expect(screen.getByRole("button", { name: "Delete DATABASE_URL" })).toBeEnabled();
    expect(screen.queryByRole("button", { name: /Delete STRIPE_KEY/ })).toBeNull();
    // no plaintext anywhere
    expect(document.body.textContent).not.toMatch(/postgres:\/\//);
  });

  it("filters by environment with ?environment", async () => {
    const api = stubApi((c) => (c.path === "/api/v1/apps/demo/secrets" ? list : undefined));
    renderPage("secrets", <SecretsPage />);
    await screen.findByText("DATABASE_URL");
    await userEvent.selectOptions(screen.getByLabelText("Environment"), "staging");
    await waitFor(() => expect(api.last("GET", "/api/v1/apps/demo/secrets")?.query.get("environment")).toBe("staging"));
  });

  it("sets a secret from a password input and says it is staged, linking to config", async () => {
    const api = stubApi((c) => {
      if (c.path === "/api/v1/apps/demo/secrets" && c.method === "POST") {
        const b = c.json() as { key: string };
        if (b.key === "1BAD") return apiError(400, "invalid", 'key "1BAD" is not an environment variable name', "key");
        return list;
      }
      return c.path === "/api/v1/apps/demo/secrets" ? list : undefined;
    });
    renderPage("secrets", <SecretsPage />);
    await screen.findByText("DATABASE_URL");
    await userEvent.click(screen.getByRole("button", { name: "New secret" }));
    const dialog = screen.getByRole("dialog", { name: "New secret" });
    const value = within(dialog).getByLabelText("Value");
    expect(value).toHaveAttribute("type", "password");
    await userEvent.type(within(dialog).getByLabelText("Key"), "1BAD");
    await userEvent.type(value, "s3cret");
    await userEvent.click(within(dialog).getByRole("button", { name: "Seal and stage" }));
    expect(await within(dialog).findByLabelText("Key")).toHaveAccessibleDescription(/is not an environment variable name/);
    await userEvent.clear(within(dialog).getByLabelText("Key"));
    await userEvent.type(within(dialog).getByLabelText("Key"), "TOKEN");
    await userEvent.selectOptions(within(dialog).getByLabelText("Environment"), "production");
    await userEvent.click(within(dialog).getByRole("button", { name: "Seal and stage" }));
    const note = await screen.findByText(/Secret TOKEN was sealed and set for production/);
    expect(note.closest("[role=status]")).toHaveTextContent("staged in the draft");
    expect(screen.getByRole("link", { name: /push it from the config page/ })).toHaveAttribute("href", "/apps/demo/config");
    expect(api.last("POST", "/api/v1/apps/demo/secrets")!.json()).toEqual({ key: "TOKEN", value: "s3cret", environment: "production" });
  });

  it("shows the bad line of a .env import next to the textarea", async () => {
    const api = stubApi((c) => {
      if (c.path === "/api/v1/apps/demo/secrets/import") return apiError(400, "invalid", '.env line 2: want KEY=value, got "oops"; nothing was imported', "line 2");
      return c.path === "/api/v1/apps/demo/secrets" ? list : undefined;
    });
    renderPage("secrets", <SecretsPage />);
    await screen.findByText("DATABASE_URL");
    await userEvent.click(screen.getByRole("button", { name: "Bulk import .env" }));
    const dialog = screen.getByRole("dialog", { name: "Bulk import .env" });
    await userEvent.type(within(dialog).getByLabelText(".env contents"), "A=1{enter}oops");
    await userEvent.click(within(dialog).getByRole("button", { name: "Seal and stage all" }));
    const ta = within(dialog).getByLabelText(".env contents");
    await waitFor(() => expect(ta).toHaveAccessibleDescription(/line 2: want KEY=value/));
    expect(ta).toHaveAttribute("aria-invalid", "true");
    const call = api.last("POST", "/api/v1/apps/demo/secrets/import")!;
    expect(call.body).toBe("A=1\noops");
  });

  it("deletes a secret of an environment after a confirmation", async () => {
    const api = stubApi((c) => {
      if (c.method === "DELETE") return list;
      return c.path === "/api/v1/apps/demo/secrets" ? list : undefined;
    });
    renderPage("secrets", <SecretsPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Delete API_KEY (staging)" }));
    const dialog = screen.getByRole("dialog", { name: "Delete secret" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Delete" }));
    await screen.findByText(/Secret API_KEY \(staging\) was removed/);
    const call = api.last("DELETE", "/api/v1/apps/demo/secrets/API_KEY")!;
    expect(call.query.get("environment")).toBe("staging");
  });

  it("disables writing without app.secrets.write and explains why", async () => {
    stubApi((c) => (c.path === "/api/v1/apps/demo/secrets" ? list : undefined), ["org.read", "app.read"]);
    renderPage("secrets", <SecretsPage />);
    await screen.findByText("DATABASE_URL");
    await waitFor(() => expect(screen.getByRole("button", { name: "New secret" })).toBeDisabled());
    expect(screen.getByRole("button", { name: "New secret" })).toHaveAttribute("title", expect.stringContaining("app.secrets.write"));
    expect(screen.getByRole("button", { name: "Bulk import .env" })).toBeDisabled();
    expect(screen.getByRole("button", { name: "Delete DATABASE_URL" })).toBeDisabled();
  });

  it("shows the forbidden state", async () => {
    stubApi((c) => (c.path === "/api/v1/apps/demo/secrets" ? apiError(403, "forbidden", "you need the app.read permission on demo") : undefined));
    renderPage("secrets", <SecretsPage />);
    expect(await screen.findByText(/you need the app.read permission on demo/)).toBeInTheDocument();
    expect(screen.getByRole("alert")).toHaveTextContent("Not allowed.");
  });
});
