import { renderPage, stubApi, apiError, envs } from "../subres/testing";
import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { EnvironmentsPage } from "./EnvironmentsPage";

describe("EnvironmentsPage", () => {
  it("lists namespace, cluster, URL, paused state, approvals, replicas and self-heal", async () => {
    stubApi(() => undefined);
    renderPage("environments", <EnvironmentsPage />);
    const prod = (await screen.findByText("production")).closest("tr")!;
    expect(prod).toHaveTextContent("demo-production");
    expect(within(prod).getByRole("link", { name: "https://demo.example.test" })).toHaveAttribute("href", "https://demo.example.test");
    expect(prod).toHaveTextContent("active");
    expect(prod).toHaveTextContent("manifest's");
    expect(within(prod).getByRole("button", { name: "Pause production" })).toBeEnabled();
    const staging = screen.getByText("staging").closest("tr")!;
    expect(staging).toHaveTextContent("paused");
    expect(within(staging).getByRole("button", { name: "Resume staging" })).toBeInTheDocument();
    expect(staging).toHaveTextContent("on"); // self-heal
  });

  it("pauses and resumes with the action routes", async () => {
    const api = stubApi((c) => (c.method === "POST" ? { ...envs[0], paused: true } : undefined));
    renderPage("environments", <EnvironmentsPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Pause production" }));
    await waitFor(() => expect(api.last("POST", "/api/v1/apps/demo/environments/production/pause")).toBeDefined());
    await userEvent.click(screen.getByRole("button", { name: "Resume staging" }));
    await waitFor(() => expect(api.last("POST", "/api/v1/apps/demo/environments/staging/resume")).toBeDefined());
  });

  it("adds an environment and shows the API's field error next to the field", async () => {
    const api = stubApi((c) => {
      if (c.method !== "POST") return undefined;
      const b = c.json() as { name: string };
      if (b.name === "Bad_Name") return apiError(400, "invalid", 'environment name "Bad_Name": a lowercase RFC 1123 label must consist of…', "name");
      return { ...envs[0], id: 3, name: b.name, namespace: "demo-" + b.name };
    });
    renderPage("environments", <EnvironmentsPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Add environment" }));
    const dialog = screen.getByRole("dialog", { name: "Add environment" });
    await userEvent.type(within(dialog).getByLabelText("Name"), "Bad_Name");
    await userEvent.click(within(dialog).getByRole("button", { name: "Add environment" }));
    await waitFor(() => expect(within(dialog).getByLabelText("Name")).toHaveAccessibleDescription(/lowercase RFC 1123/));
    await userEvent.clear(within(dialog).getByLabelText("Name"));
    await userEvent.type(within(dialog).getByLabelText("Name"), "qa");
    await userEvent.type(within(dialog).getByLabelText("Replicas"), "3");
    await userEvent.click(within(dialog).getByRole("button", { name: "Add environment" }));
    await waitFor(() => expect(screen.queryByRole("dialog", { name: "Add environment" })).toBeNull());
    const body = api.calls.filter((c) => c.method === "POST").at(-1)!.json();
    expect(body).toMatchObject({ name: "qa", namespace: "", cluster: "local", replicas: 3, required_approvals: 0, self_heal: false });
  });

  it("edits an environment with PATCH; an empty replicas clears the override", async () => {
    const api = stubApi((c) => (c.method === "PATCH" ? envs[1] : undefined));
    renderPage("environments", <EnvironmentsPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Edit staging" }));
    const dialog = screen.getByRole("dialog", { name: "Edit staging" });
    expect(within(dialog).getByLabelText("Replicas")).toHaveValue(2);
    await userEvent.clear(within(dialog).getByLabelText("Replicas"));
    await userEvent.clear(within(dialog).getByLabelText("Required approvals"));
    await userEvent.type(within(dialog).getByLabelText("Required approvals"), "2");
    await userEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(api.last("PATCH", "/api/v1/apps/demo/environments/staging")).toBeDefined());
    expect(api.last("PATCH", "/api/v1/apps/demo/environments/staging")!.json()).toMatchObject({ name: "staging", namespace: "demo-staging", replicas: null, required_approvals: 2, self_heal: true, paused: true });
  });

  it("disables every change without app.update", async () => {
    stubApi(() => undefined, ["org.read", "app.read"]);
    renderPage("environments", <EnvironmentsPage />);
    await screen.findByText("production");
    await waitFor(() => expect(screen.getByRole("button", { name: "Add environment" })).toBeDisabled());
    expect(screen.getByRole("button", { name: "Pause production" })).toBeDisabled();
    expect(screen.getByRole("button", { name: "Edit production" })).toHaveAttribute("title", expect.stringContaining("app.update"));
  });
});
