import { renderPage, stubApi, apiError } from "../subres/testing";
import { describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { DomainsPage } from "./DomainsPage";
import type { Domain } from "../../api/types";

const dom = (over: Partial<Domain>): Domain => ({
  id: 1, hostname: "shop.example.com", environment: "production", state: "pending", record_name: "_astrolift-challenge.shop.example.com",
  record_value: "astrolift-verify=abc123", attempts: 2, last_checked_at: "2026-12-03T11:00:00Z", next_check_at: "2026-12-03T13:00:00Z",
  error: "lookup _astrolift-challenge.shop.example.com: no such host", created_by: "ada@example.test", created_at: "2026-12-03T10:00:00Z", ...over,
});

describe("DomainsPage", () => {
  it("shows state, the TXT record with copy buttons, the last check's error and the certificate", async () => {
    stubApi((c) => (c.path === "/api/v1/apps/demo/domains" ? { items: [dom({}), dom({ id: 2, hostname: "www.example.com", state: "validated", error: undefined })] } : undefined));
    renderPage("domains", <DomainsPage />);
    const row = (await screen.findByText("shop.example.com")).closest("tr")!;
    expect(row).toHaveTextContent("pending");
    const txt = row.nextElementSibling as HTMLElement; // the TXT record's row under the domain
    expect(txt).toHaveTextContent("TXT name_astrolift-challenge.shop.example.com");
    expect(txt).toHaveTextContent("TXT valueastrolift-verify=abc123");
    expect(within(txt).getByRole("button", { name: "Copy name to clipboard" })).toBeInTheDocument();
    expect(within(txt).getByRole("button", { name: "Copy value to clipboard" })).toBeInTheDocument();
    expect(row).toHaveTextContent("no such host");
    expect(row).toHaveTextContent("2 attempts");
    expect(row).toHaveTextContent("after validation");
    expect(screen.getByText("www.example.com").closest("tr")).toHaveTextContent("requested at the environment's next deployment");
  });

  it("copies the TXT value", async () => {
    stubApi((c) => (c.path === "/api/v1/apps/demo/domains" ? { items: [dom({})] } : undefined));
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    renderPage("domains", <DomainsPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Copy value to clipboard" }));
    expect(writeText).toHaveBeenCalledWith("astrolift-verify=abc123");
  });

  it("rechecks and shows the new outcome", async () => {
    let checked = false;
    const api = stubApi((c) => {
      if (c.path === "/api/v1/apps/demo/domains/1/recheck") {
        checked = true;
        return dom({ attempts: 3, error: "TXT record not found" });
      }
      return c.path === "/api/v1/apps/demo/domains" ? { items: [checked ? dom({ attempts: 3, error: "TXT record not found" }) : dom({})] } : undefined;
    });
    renderPage("domains", <DomainsPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Recheck shop.example.com" }));
    expect(await screen.findByText("TXT record not found")).toBeInTheDocument();
    expect(api.last("POST", "/api/v1/apps/demo/domains/1/recheck")).toBeDefined();
  });

  it("adds a domain: hostname error next to the field, then the TXT record to create", async () => {
    const api = stubApi((c) => {
      if (c.method === "POST") {
        const b = c.json() as { hostname: string };
        if (b.hostname === "localhost") return apiError(400, "invalid", 'hostname "localhost" needs at least two labels (shop.example.com)', "hostname");
        return dom({ id: 5, hostname: b.hostname, record_name: "_astrolift-challenge." + b.hostname, record_value: "astrolift-verify=zzz", attempts: 0, last_checked_at: null, error: undefined });
      }
      return c.path === "/api/v1/apps/demo/domains" ? { items: [] } : undefined;
    });
    renderPage("domains", <DomainsPage />);
    await screen.findByText("No custom domains yet.");
    await userEvent.click(screen.getByRole("button", { name: "Add domain" }));
    let dialog = screen.getByRole("dialog", { name: "Add domain" });
    await userEvent.type(within(dialog).getByLabelText("Hostname"), "localhost");
    await userEvent.click(within(dialog).getByRole("button", { name: "Add domain" }));
    await waitFor(() => expect(within(dialog).getByLabelText("Hostname")).toHaveAccessibleDescription(/needs at least two labels/));
    await userEvent.clear(within(dialog).getByLabelText("Hostname"));
    await userEvent.type(within(dialog).getByLabelText("Hostname"), "api.example.org");
    await userEvent.selectOptions(within(dialog).getByLabelText("Environment"), "staging");
    await userEvent.click(within(dialog).getByRole("button", { name: "Add domain" }));
    dialog = await screen.findByRole("dialog", { name: "Prove api.example.org" });
    expect(dialog).toHaveTextContent("_astrolift-challenge.api.example.org");
    expect(dialog).toHaveTextContent("astrolift-verify=zzz");
    expect(api.last("POST", "/api/v1/apps/demo/domains")!.json()).toEqual({ hostname: "api.example.org", environment: "staging" });
  });

  it("removes after a confirmation", async () => {
    const api = stubApi((c) => {
      if (c.method === "DELETE") return [204, null];
      return c.path === "/api/v1/apps/demo/domains" ? { items: [dom({})] } : undefined;
    });
    renderPage("domains", <DomainsPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Remove shop.example.com" }));
    await userEvent.click(within(screen.getByRole("dialog", { name: "Remove domain" })).getByRole("button", { name: "Remove" }));
    await waitFor(() => expect(api.last("DELETE", "/api/v1/apps/demo/domains/1")).toBeDefined());
  });

  it("disables actions without app.update", async () => {
    stubApi((c) => (c.path === "/api/v1/apps/demo/domains" ? { items: [dom({})] } : undefined), ["org.read", "app.read"]);
    renderPage("domains", <DomainsPage />);
    await screen.findByText("shop.example.com");
    await waitFor(() => expect(screen.getByRole("button", { name: "Add domain" })).toBeDisabled());
    expect(screen.getByRole("button", { name: "Recheck shop.example.com" })).toBeDisabled();
    expect(screen.getByRole("button", { name: "Remove shop.example.com" })).toBeDisabled();
  });
});
