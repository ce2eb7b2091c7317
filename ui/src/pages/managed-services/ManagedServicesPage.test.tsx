import { renderPage, stubApi, apiError } from "../subres/testing";
import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ManagedServicesPage, pollWhileMoving } from "./ManagedServicesPage";
import type { ManagedService } from "../../api/types";

const svc = (over: Partial<ManagedService>): ManagedService => ({
  id: 1, environment: "production", kind: "redis", name: "", variant: "small", status: "active", envelope: [],
  created_by: "ada@example.test", created_at: "2026-12-03T10:00:00Z", updated_at: "2026-12-03T10:00:00Z", ...over,
});
const items = [
  svc({ id: 1, envelope: [{ key: "REDIS_URL", value: "********" }, { key: "REDIS_PASSWORD", value: "********" }] }),
  svc({ id: 2, kind: "postgres", name: "analytics", variant: "medium", status: "failed", status_error: "volume could not be bound" }),
  svc({ id: 3, environment: "staging", kind: "s3", status: "provisioning" }),
];

describe("ManagedServicesPage", () => {
  it("groups services by environment with status, error and masked envelope keys", async () => {
    stubApi((c) => (c.path === "/api/v1/apps/demo/managed-services" ? { items } : undefined));
    renderPage("managed-services", <ManagedServicesPage />);
    const prod = await screen.findByRole("region", { name: "production" });
    expect(within(prod).getByLabelText("REDIS_URL value, masked")).toHaveTextContent("********");
    expect(within(prod).getByLabelText("REDIS_PASSWORD value, masked")).toHaveTextContent("********");
    const failed = within(prod).getByText("PostgreSQL").closest("tr")!;
    expect(failed).toHaveTextContent("failed");
    expect(failed).toHaveTextContent("volume could not be bound");
    expect(failed).toHaveTextContent("analytics");
    const staging = screen.getByRole("region", { name: "staging" });
    expect(staging).toHaveTextContent("provisioning");
    expect(staging).toHaveTextContent("once active");
  });

  it("polls every 5 s only while a service moves", () => {
    expect(pollWhileMoving(items)).toBe(5000);
    expect(pollWhileMoving([svc({ status: "deprovisioning" })])).toBe(5000);
    expect(pollWhileMoving([svc({ status: "active" }), svc({ status: "failed" })])).toBe(false);
    expect(pollWhileMoving(undefined)).toBe(false);
  });

  it("provisions with environment, kind, name and variant; field errors next to the field", async () => {
    const api = stubApi((c) => {
      if (c.method === "POST") {
        const b = c.json() as { name: string };
        if (b.name === "Bad Name") return apiError(400, "invalid", 'name "Bad Name": lower-case letters, digits and -', "name");
        return svc({ id: 9, status: "pending" });
      }
      return c.path === "/api/v1/apps/demo/managed-services" ? { items: [] } : undefined;
    });
    renderPage("managed-services", <ManagedServicesPage />);
    await screen.findAllByText(/No managed services in/);
    await userEvent.click(screen.getByRole("button", { name: "Provision" }));
    const dialog = screen.getByRole("dialog", { name: "Provision a managed service" });
    await userEvent.selectOptions(within(dialog).getByLabelText("Environment"), "staging");
    await userEvent.selectOptions(within(dialog).getByLabelText("Kind"), "redis");
    await userEvent.selectOptions(within(dialog).getByLabelText("Variant"), "large");
    await userEvent.type(within(dialog).getByLabelText("Name"), "Bad Name");
    await userEvent.click(within(dialog).getByRole("button", { name: "Provision" }));
    await waitFor(() => expect(within(dialog).getByLabelText("Name")).toHaveAccessibleDescription(/lower-case letters/));
    await userEvent.clear(within(dialog).getByLabelText("Name"));
    await userEvent.type(within(dialog).getByLabelText("Name"), "cache");
    await userEvent.click(within(dialog).getByRole("button", { name: "Provision" }));
    await waitFor(() => expect(screen.queryByRole("dialog", { name: "Provision a managed service" })).toBeNull());
    expect(api.last("POST", "/api/v1/apps/demo/managed-services")!.json()).toEqual({ environment: "staging", kind: "redis", name: "cache", variant: "large" });
  });

  it("deprovisions after a confirmation", async () => {
    const api = stubApi((c) => {
      if (c.method === "DELETE") return { ...items[0], status: "deprovisioning" };
      return c.path === "/api/v1/apps/demo/managed-services" ? { items } : undefined;
    });
    renderPage("managed-services", <ManagedServicesPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Deprovision redis in production" }));
    const dialog = screen.getByRole("dialog", { name: "Deprovision managed service" });
    expect(dialog).toHaveTextContent("with its data");
    await userEvent.click(within(dialog).getByRole("button", { name: "Deprovision" }));
    await waitFor(() => expect(api.last("DELETE", "/api/v1/apps/demo/managed-services/1")).toBeDefined());
  });

  it("disables provisioning without app.update", async () => {
    stubApi((c) => (c.path === "/api/v1/apps/demo/managed-services" ? { items } : undefined), ["org.read", "app.read"]);
    renderPage("managed-services", <ManagedServicesPage />);
    await screen.findByRole("region", { name: "production" });
    await waitFor(() => expect(screen.getByRole("button", { name: "Provision" })).toBeDisabled());
    expect(screen.getByRole("button", { name: "Deprovision redis in production" })).toBeDisabled();
  });
});
