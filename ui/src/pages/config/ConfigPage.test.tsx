import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Text } from "@codemirror/state";
import type { ConfigResponse } from "../../api/types";
import { fakeLayout, json, renderAt, session, stubFetch, type Stub } from "../deployments/testing";

const stub: Stub = { routes: {}, calls: [] };
import { ConfigPage } from "./ConfigPage";
import { SyncBadge } from "./parts";
import { diagnosticsFor } from "./editors";

const source = `schema = 1

[app]
description = "Demo"

[workloads.web]
kind = "deployment"
replica = 2
`;

function config(over: Partial<ConfigResponse> = {}): ConfigResponse {
  return {
    source,
    source_kind: "snapshot",
    sync_state: "in_sync",
    snapshot: { commit: "7bd475f03b91004b49ccaed0852f3f8c7e2a3ff3", blob_id: "8948bf2c", synced_at: "2026-12-03T12:00:00Z" },
    draft: null,
    repo: { head_commit: "7bd475f03b91004b49ccaed0852f3f8c7e2a3ff3", blob_id: "8948bf2c", checked_at: "2026-12-03T12:00:00Z" },
    errors: [],
    previews: [
      { environment: "staging", namespace: "shop-staging", yaml: "apiVersion: v1\nkind: Secret\nmetadata:\n  name: shop-env\nstringData:\n  LOG_LEVEL: '********'\n" },
      { environment: "production", namespace: "shop-production", yaml: "apiVersion: v1\nkind: Service\n" },
    ],
    push: { available: true },
    ...over,
  };
}

const draft = { base_blob_id: "8948bf2c", blob_id: "aaaa", staged_by: "dev@acme.test", staged_at: "2026-12-03T12:00:00Z" };

beforeEach(() => {
  stub.calls = [];
  stubFetch(stub);
  fakeLayout();
});
afterEach(cleanup);

describe("sync badge", () => {
  it("words each sync state", () => {
    const words = (state: string) => {
      const { container, unmount } = render(<SyncBadge state={state} />);
      const t = container.textContent;
      unmount();
      return t;
    };
    expect(words("in_sync")).toBe("In sync");
    expect(words("drafts")).toBe("Unsaved drafts in DB");
    expect(words("repo_ahead")).toBe("Repo ahead");
    expect(words("diverged")).toBe("Diverged");
  });
});

describe("render errors", () => {
  it("become diagnostics at the API's line:col", () => {
    const doc = Text.of(source.split("\n"));
    const [d] = diagnosticsFor(doc, [{ file: "astrolift.toml", line: 8, column: 1, path: "workloads.web.replica", message: "unknown key" }]);
    expect(doc.lineAt(d.from).number).toBe(8);
    expect(doc.sliceString(d.from, d.to)).toBe("replica = 2");
    expect(d.severity).toBe("error");
    expect(d.message).toBe("workloads.web.replica: unknown key");
    const [c] = diagnosticsFor(doc, [{ file: "astrolift.toml", line: 4, column: 15, message: "bad" }]);
    expect(doc.sliceString(c.from, c.to)).toBe('"Demo"');
  });

  it("are marked in the editor and listed under it", async () => {
    stub.routes = {
      ...session("dev@acme.test", ["app.read", "app.config.write"]),
      "GET /api/v1/apps/shop/config": config({ source_kind: "draft", draft, sync_state: "drafts", errors: [{ file: "astrolift.toml", line: 8, column: 1, path: "workloads.web.replica", message: "unknown key" }], previews: [] }),
    };
    const { container } = renderAt("/apps/shop/config", [{ path: "config", element: <ConfigPage /> }]);
    expect(await screen.findByRole("button", { name: "astrolift.toml:8:1: workloads.web.replica: unknown key" })).toBeInTheDocument();
    expect(screen.getByText("Unsaved drafts in DB")).toBeInTheDocument();
    expect(screen.getByRole("textbox", { name: "astrolift.toml (TOML)" })).toBeInTheDocument();
    await waitFor(() => expect(container.querySelector(".cm-lintRange-error")).not.toBeNull());
    expect(container.querySelector(".cm-lintRange-error")!.textContent).toBe("replica = 2");
    expect(screen.getByText(/does not parse, so nothing renders/)).toBeInTheDocument();
  });
});

describe("push to repo", () => {
  it("is disabled with the API's reason when unavailable", async () => {
    stub.routes = {
      ...session("dev@acme.test", ["app.read", "app.config.write"]),
      "GET /api/v1/apps/shop/config": config({ source_kind: "draft", draft, sync_state: "drafts", push: { available: false, reason: "the app reads its repository without an SCM connection; commit drafts yourself" } }),
    };
    renderAt("/apps/shop/config", [{ path: "config", element: <ConfigPage /> }]);
    const push = await screen.findByRole("button", { name: "Push to repo" });
    expect(push).toBeDisabled();
    expect(push).toHaveAccessibleDescription(/without an SCM connection; commit drafts yourself/);
    expect(screen.getByText("Push to repo is not available: the app reads its repository without an SCM connection; commit drafts yourself.")).toBeVisible();
  });

  it("shows each conflicting region of a 409 merge_conflict: the draft's lines and the repository's", async () => {
    stub.routes = {
      ...session("dev@acme.test", ["app.read", "app.config.write"]),
      "GET /api/v1/apps/shop/config": config({ source_kind: "draft", draft, sync_state: "diverged" }),
      "POST /api/v1/apps/shop/config/push": json(
        {
          error: {
            code: "merge_conflict",
            field: "source",
            message: "astrolift.toml changed in the repository since the draft was made (now at 1234567890ab) and 1 region(s) conflict with the draft (draft lines 7-8 vs repository line 7); nothing was pushed",
            conflicts: [{ base_line: 7, ours_line: 7, theirs_line: 7, base: ['kind = "deployment"', "replicas = 1"], ours: ['kind = "deployment"', "replicas = 2"], theirs: ['kind = "statefulset"'] }],
          },
        },
        409,
      ),
    };
    renderAt("/apps/shop/config", [{ path: "config", element: <ConfigPage /> }]);
    const push = await screen.findByRole("button", { name: "Push to repo" });
    await waitFor(() => expect(push).toBeEnabled());
    await userEvent.click(push);
    const conflict = await screen.findByRole("region", { name: "Conflict 1" });
    expect(within(conflict).getByText("Conflict 1: draft lines 7–8 vs repository line 7")).toBeInTheDocument();
    const ours = within(conflict).getByLabelText("Draft lines");
    expect(ours).toHaveTextContent('7kind = "deployment"');
    expect(ours).toHaveTextContent("8replicas = 2");
    expect(within(conflict).getByLabelText("Repository lines")).toHaveTextContent('7kind = "statefulset"');
    expect(screen.getByText(/Nothing was pushed: the draft conflicts with the repository/)).toBeInTheDocument();
    expect(stub.calls.some((c) => c.method === "POST" && c.path === "/api/v1/apps/shop/config/push")).toBe(true);
  });

  it("shows the pull request after a push and says when rate limited", async () => {
    let n = 0;
    stub.routes = {
      ...session("dev@acme.test", ["app.read", "app.config.write"]),
      "GET /api/v1/apps/shop/config": config({ source_kind: "draft", draft, sync_state: "drafts" }),
      "POST /api/v1/apps/shop/config/push": () =>
        n++ === 0
          ? json({ error: { code: "rate_limited", message: "the git host is rate limiting" } }, 429, { "Retry-After": "30" })
          : { pull_request: { number: 12, url: "https://git.example/shop/pulls/12", state: "open", base: "main", head: "astrolift/shop/abc1234" }, repository: "acme/shop", branch: "astrolift/shop/abc1234", commit: "c0ffee", merged: false, updated: false, config: config({ source_kind: "draft", sync_state: "drafts", draft: { ...draft, pr_url: "https://git.example/shop/pulls/12", pr_number: 12, pr_state: "open" } }) },
    };
    renderAt("/apps/shop/config", [{ path: "config", element: <ConfigPage /> }]);
    const push = await screen.findByRole("button", { name: "Push to repo" });
    await waitFor(() => expect(push).toBeEnabled());
    await userEvent.click(push);
    expect(await screen.findByText(/Push again in 30 s/)).toBeInTheDocument();
    expect(push).toBeDisabled();
    expect(screen.getByText("The git host is rate limiting; try again in 30 s.")).toBeInTheDocument();
  });

  it("links the open pull request of the draft", async () => {
    stub.routes = {
      ...session("dev@acme.test", ["app.read", "app.config.write"]),
      "GET /api/v1/apps/shop/config": config({ source_kind: "draft", sync_state: "drafts", draft: { ...draft, pr_url: "https://git.example/shop/pulls/12", pr_number: 12, pr_state: "open" } }),
    };
    renderAt("/apps/shop/config", [{ path: "config", element: <ConfigPage /> }]);
    expect(await screen.findByText(/The draft waits in an open pull request/)).toBeInTheDocument();
    expect(screen.getAllByRole("link", { name: "#12" })[0]).toHaveAttribute("href", "https://git.example/shop/pulls/12");
  });
});

describe("permissions", () => {
  it("without app.config.write the editor is read-only and the buttons say why", async () => {
    stub.routes = {
      ...session("viewer@acme.test", ["app.read"]),
      "GET /api/v1/apps/shop/config": config({ source_kind: "draft", draft, sync_state: "drafts" }),
    };
    renderAt("/apps/shop/config", [{ path: "config", element: <ConfigPage /> }]);
    await screen.findByText(/Read-only: You need the app.config.write permission/);
    for (const name of ["Save draft", "Discard draft", "Sync from repo", "Push to repo"]) {
      const b = screen.getByRole("button", { name });
      expect(b).toBeDisabled();
      expect(b.title).toMatch(/app\.config\.write/);
    }
    expect(screen.getByRole("textbox", { name: "astrolift.toml (TOML)" })).toHaveAttribute("contenteditable", "false");
  });
});
