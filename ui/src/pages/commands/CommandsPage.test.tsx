import { renderPage, stubApi, apiError } from "../subres/testing";
import { describe, expect, it, vi } from "vitest";
import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { CommandsPage, commandURL, lastCommands } from "./CommandsPage";
import type { Command } from "../../api/types";

class FakeSocket {
  static OPEN = 1;
  static last: FakeSocket | null = null;
  readyState = 0;
  sent: string[] = [];
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.last = this;
  }
  open() {
    this.readyState = FakeSocket.OPEN;
  }
  frame(f: object) {
    act(() => this.onmessage?.({ data: JSON.stringify(f) }));
  }
  send(s: string) {
    this.sent.push(s);
  }
  close() {
    this.readyState = 3;
  }
  end(code = 1000) {
    this.readyState = 3;
    act(() => this.onclose?.({ code }));
  }
}

const workloads = {
  items: [
    { environment: "production", name: "web", kind: "Deployment", object: "deployment/web", status: "running", ready_replicas: 1, containers: [{ name: "web", image: "demo:1" }, { name: "sidecar", image: "proxy:1" }] },
    { environment: "production", name: "worker", kind: "Deployment", object: "deployment/worker", status: "running", ready_replicas: 1, containers: [{ name: "worker", image: "demo:1" }] },
  ],
};
const cmd = (id: number, command: string): Command => ({ id, command, environment: "production", workload: "web", container: "web", pod: "web-1", exit_code: 0, started_at: "2026-12-03T10:00:00Z" });

function handler(c: { path: string; method: string }) {
  if (c.path === "/api/v1/apps/demo/workloads") return workloads;
  if (c.path === "/api/v1/apps/demo/commands") return { items: [cmd(2, "bin/rails db:migrate"), cmd(1, "ls -la")] };
  return undefined;
}

describe("CommandsPage", () => {
  it("runs a command over a WebSocket: stdout, stderr and system lines get their classes; Stop sends stop", async () => {
    vi.stubGlobal("WebSocket", FakeSocket);
    stubApi(handler);
    renderPage("commands", <CommandsPage />);
    const wl = await screen.findByLabelText("Workload");
    await within(wl).findByRole("option", { name: /worker/ });
    await userEvent.selectOptions(wl, "web");
    await userEvent.selectOptions(screen.getByLabelText("Container"), "sidecar");
    await userEvent.type(screen.getByLabelText("Command"), "echo hi");
    await userEvent.click(screen.getByRole("button", { name: "Run" }));
    const sock = FakeSocket.last!;
    const url = new URL(sock.url);
    expect(url.protocol).toBe("ws:");
    expect(url.host).toBe(window.location.host);
    expect(url.pathname).toBe("/api/v1/apps/demo/commands/ws");
    expect(Object.fromEntries(url.searchParams)).toEqual({ command: "echo hi", workload: "web", container: "sidecar", environment: "production" });
    sock.open();
    sock.frame({ type: "system", event: "connected", message: "connected to web/sidecar in production (pod web-1)" });
    sock.frame({ type: "stdout", data: "hi\n" });
    sock.frame({ type: "stderr", data: "warning: careful\n" });
    const log = screen.getByRole("log", { name: "Command output" });
    expect(log).toHaveAttribute("aria-live", "polite");
    expect(within(log).getByText("connected to web/sidecar in production (pod web-1)")).toHaveClass("cmd-system");
    expect(within(log).getByText("hi")).toHaveClass("cmd-stdout");
    expect(within(log).getByText("warning: careful")).toHaveClass("cmd-stderr");
    await userEvent.click(screen.getByRole("button", { name: "Stop" }));
    expect(sock.sent).toEqual([JSON.stringify({ type: "stop" })]);
    sock.frame({ type: "system", event: "stopped", message: "stopped by the user" });
    sock.end();
    expect(within(log).getByText("stopped by the user")).toHaveClass("cmd-system");
    expect(await screen.findByRole("button", { name: "Run" })).toBeEnabled();
  });

  it("shows the API's error when the socket is refused before the upgrade", async () => {
    vi.stubGlobal("WebSocket", FakeSocket);
    stubApi((c) => {
      if (c.path === "/api/v1/apps/demo/commands/ws") return apiError(400, "invalid", 'no environment "nope"', "environment");
      return handler(c);
    });
    renderPage("commands", <CommandsPage />);
    await screen.findByText("ls -la");
    await userEvent.type(screen.getByLabelText("Command"), "date");
    await userEvent.click(screen.getByRole("button", { name: "Run" }));
    FakeSocket.last!.end(1006);
    const log = screen.getByRole("log", { name: "Command output" });
    const line = await within(log).findByText(/The command could not start: no environment "nope"/);
    expect(line).toHaveClass("cmd-system");
  });

  it("fills the input from a history chip", async () => {
    stubApi(handler);
    renderPage("commands", <CommandsPage />);
    await userEvent.click(await screen.findByRole("button", { name: "bin/rails db:migrate" }));
    expect(screen.getByLabelText("Command")).toHaveValue("bin/rails db:migrate");
  });

  it("disables Run without app.exec and shows the history's forbidden state", async () => {
    stubApi((c) => (c.path === "/api/v1/apps/demo/commands" ? apiError(403, "forbidden", "you need the app.exec permission on demo") : handler(c)), ["org.read", "app.read"]);
    renderPage("commands", <CommandsPage />);
    expect(await screen.findByText(/you need the app.exec permission on demo/)).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("Command"), "ls");
    await waitFor(() => expect(screen.getByRole("button", { name: "Run" })).toBeDisabled());
    expect(screen.getByRole("button", { name: "Run" })).toHaveAttribute("title", expect.stringContaining("app.exec"));
  });

  it("builds wss:// on https and keeps at most 20 distinct commands", () => {
    expect(commandURL({ protocol: "https:", host: "al.example" }, "demo", { command: "ls -a", workload: "", container: "", environment: "prod" })).toBe("wss://al.example/api/v1/apps/demo/commands/ws?command=ls+-a&environment=prod");
    const many = Array.from({ length: 30 }, (_, i) => cmd(i, `c${i % 25}`));
    const out = lastCommands(many);
    expect(out).toHaveLength(20);
    expect(new Set(out.map((c) => c.command)).size).toBe(20);
  });
});
