import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { NewAppPage } from "./NewAppPage";
import { apiError, renderAt, sessionHandlers, stubApi, type Handler } from "../org-shared/testutil";


const project = { id: 1, slug: "shop", name: "Shop", description: "", team: "payments", created_at: "2026-12-01T10:00:00Z" };
const conn = { id: 7, kind: "gitea", name: "gitea-local", base_url: "http://127.0.0.1:3000", has_credentials: true, webhook_path: "/api/v1/hooks/gitea/7", created_at: "2026-12-01T10:00:00Z", account: "bot", can_write: true, tested_at: "2026-12-01T10:00:00Z" };
const repo = { full_name: "acme/storefront", kind: "gitea", clone_url: "http://127.0.0.1:3000/acme/storefront.git", ssh_url: "", web_url: "http://127.0.0.1:3000/acme/storefront", default_branch: "trunk", private: true, can_push: true };
const app = (over: object = {}) => ({
  id: 3, slug: "storefront", name: "storefront", description: "", project: "shop", source_url: repo.clone_url, source_kind: "gitea", scm_repo: "acme/storefront", scm_webhook: true,
  deploy_branch: "trunk", manifest_path: "astrolift.toml", trigger_mode: "push", poll_interval_seconds: 0, namespace: "", status: "pending",
  registry_repository: "", registry_status: "", created_at: "2026-12-03T10:00:00Z", updated_at: "2026-12-03T10:00:00Z", ...over,
});

function handlers(extra: Handler[] = [], connections = [conn]): Handler[] {
  return [
    ...extra,
    ...sessionHandlers("org.owner"),
    ["GET", "/api/v1/projects", () => ({ body: { items: [project] } })],
    ["GET", "/api/v1/scm-connections", () => ({ body: { items: connections } })],
    ["GET", "/api/v1/scm-connections/7/repos", (c) => ({ body: { items: c.query.get("page") === "2" ? [] : [repo, { ...repo, full_name: "acme/other", clone_url: "http://127.0.0.1:3000/acme/other.git", default_branch: "main" }], next_page: c.query.get("page") === "2" ? undefined : 2 } })],
  ];
}

async function toSource(user: ReturnType<typeof userEvent.setup>, name = "") {
  await user.selectOptions(await screen.findByLabelText("Project"), "shop");
  await user.click(screen.getByRole("button", { name: "Next" }));
  if (name) await user.type(screen.getByLabelText("Display name"), name);
  await user.click(screen.getByRole("button", { name: "Next" }));
}

describe("the registration wizard", () => {
  it("fills the clone URL, kind and deploy branch from a picked repository and registers it through the connection", async () => {
    const calls = stubApi(handlers([["POST", "/api/v1/apps", () => ({ status: 201, body: app() })], ["GET", "/api/v1/apps/storefront", () => ({ body: app({ status: "provisioning" }) })]]));
    const user = userEvent.setup();
    renderAt("/apps/new", "/apps/new", <NewAppPage />);
    await toSource(user, "Storefront");
    // With a connected host, the wizard offers its repositories first.
    expect(screen.getByRole("radio", { name: "A connected git host" })).toBeChecked();
    const list = await screen.findByRole("list", { name: "Repositories" });
    expect(within(list).getByText("acme/other")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Next page" })).toBeEnabled();
    expect(screen.getByRole("button", { name: "Previous page" })).toBeDisabled();
    await user.click(within(list).getByRole("button", { name: "Pick acme/storefront" }));
    expect(screen.getByLabelText("Clone URL")).toHaveValue("http://127.0.0.1:3000/acme/storefront.git");
    expect(screen.getByLabelText("Kind")).toHaveValue("gitea");
    expect(screen.getByRole("status", { name: "" })).toHaveTextContent("Picked acme/storefront (default branch trunk)");
    await user.click(screen.getByRole("button", { name: "Next" }));
    expect(screen.getByLabelText("Deploy branch")).toHaveValue("trunk");
    expect(screen.getByLabelText("Manifest path")).toHaveValue("astrolift.toml");
    await user.click(screen.getByRole("button", { name: "Register app" }));
    await screen.findByText("storefront is registered");
    const post = calls.find((c) => c.method === "POST" && c.path === "/api/v1/apps");
    expect(post?.body).toMatchObject({ project: "shop", name: "Storefront", slug: "storefront", scm_connection: "gitea-local", scm_repo: "acme/storefront", source_url: repo.clone_url, source_kind: "gitea", deploy_branch: "trunk", manifest_path: "astrolift.toml" });
  });

  it("searches the connection's repositories as the person types (debounced)", async () => {
    const calls = stubApi(handlers());
    const user = userEvent.setup();
    renderAt("/apps/new", "/apps/new", <NewAppPage />);
    await toSource(user, "Store");
    await screen.findByRole("list", { name: "Repositories" });
    await user.type(screen.getByLabelText("Search repositories"), "store");
    await waitFor(() => expect(calls.some((c) => c.path === "/api/v1/scm-connections/7/repos" && c.query.get("q") === "store")).toBe(true));
    // One request for the finished word, not one per keystroke.
    expect(calls.filter((c) => c.path === "/api/v1/scm-connections/7/repos" && (c.query.get("q") ?? "").length > 0 && c.query.get("q") !== "store")).toHaveLength(0);
  });

  it("makes the slug from the name and shows the API's slug error next to the slug field", async () => {
    const calls = stubApi(handlers([["POST", "/api/v1/apps", () => apiError(409, "conflict", 'slug "my-shop" is taken', "slug")]], []));
    const user = userEvent.setup();
    renderAt("/apps/new", "/apps/new", <NewAppPage />);
    await user.selectOptions(await screen.findByLabelText("Project"), "shop");
    await user.click(screen.getByRole("button", { name: "Next" }));
    await user.type(screen.getByLabelText("Display name"), "My Shop!");
    expect(screen.getByLabelText("Slug")).toHaveValue("my-shop");
    await user.click(screen.getByRole("button", { name: "Next" }));
    // No connection: the clone URL is asked for.
    expect(screen.getByRole("radio", { name: "A clone URL" })).toBeChecked();
    await user.click(screen.getByRole("button", { name: "Next" }));
    expect(screen.getByRole("alert")).toHaveTextContent("Enter the repository's clone URL.");
    await user.click(screen.getByLabelText("Clone URL"));
    await user.paste("http://127.0.0.1:8081/demo.git");
    await user.click(screen.getByRole("button", { name: "Next" }));
    await user.click(screen.getByRole("button", { name: "Register app" }));
    // The wizard goes back to the step with the slug and shows the error there.
    const slug = await screen.findByLabelText("Slug");
    expect(slug).toHaveAttribute("aria-invalid", "true");
    expect(slug).toHaveAccessibleDescription(expect.stringContaining('slug "my-shop" is taken'));
    expect(screen.getByText('slug "my-shop" is taken')).toHaveClass("field-error");
    expect(calls.find((c) => c.method === "POST")?.body).toMatchObject({ slug: "my-shop", source_url: "http://127.0.0.1:8081/demo.git", source_kind: "git", scm_connection: "", scm_repo: "" });
  });

  it("follows the onboarding: a failure shows the reason and Onboard again; ready links to the app", async () => {
    let status = "failed";
    const calls = stubApi(handlers([
      ["GET", "/api/v1/apps/storefront", () => ({ body: app({ status, status_error: status === "failed" ? "namespace storefront-production: forbidden" : undefined }) })],
      ["POST", "/api/v1/apps/storefront/onboard", () => ((status = "ready"), { body: app({ status: "pending" }) })],
    ]));
    const user = userEvent.setup();
    renderAt("/apps/new?app=storefront", "/apps/new", <NewAppPage />);
    expect(await screen.findByText("namespace storefront-production: forbidden")).toBeInTheDocument();
    const again = screen.getByRole("button", { name: "Onboard again" });
    await waitFor(() => expect(again).toBeEnabled());
    await user.click(again);
    expect(calls.some((c) => c.method === "POST" && c.path === "/api/v1/apps/storefront/onboard")).toBe(true);
    // Polled every 2 s until ready.
    expect(await screen.findByRole("link", { name: "Open the app" }, { timeout: 4000 })).toHaveAttribute("href", "/apps/storefront");
    expect(screen.queryByRole("button", { name: "Onboard again" })).not.toBeInTheDocument();
  });

  it("tells a person who may not register apps why", async () => {
    stubApi(handlers([], []).map((h) => (h[1] === "/api/v1/me" ? sessionHandlers("org.viewer")[0] : h)));
    renderAt("/apps/new", "/apps/new", <NewAppPage />);
    expect(await screen.findByRole("alert")).toHaveTextContent("You need the app.create permission");
  });
});
