// The user journey of issue 10, in a real browser against a real server:
// every step asserts what a person would see, and every page visited gets
// a screenshot (artifacts/) and an axe-core check. Run by
// cmd/astrolift's TestDashboardJourney, which starts astrolift serve, the
// local control plane and Gitea, and passes their addresses in the
// environment.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { axe, baseURL, describeViolations, launch, shot, type AxeViolation } from "./browser";

const email = process.env.ASTROLIFT_EMAIL ?? "";
const password = process.env.ASTROLIFT_PASSWORD ?? "";
const giteaURL = process.env.GITEA_URL ?? "";
const giteaToken = process.env.GITEA_TOKEN ?? "";
const repo = process.env.GITEA_REPO ?? "acme/storefront";
const app = repo.split("/")[1];

let browser: Browser;
let page: Page;
const violations: { page: string; v: AxeViolation[] }[] = [];
const shots: string[] = [];

/** look saves the page's screenshot and runs axe on it. */
async function look(name: string) {
  await page.waitForTimeout(300); // let transitions settle before the picture
  shots.push(await shot(page, name));
  const v = await axe(page);
  if (v.length) violations.push({ page: name, v });
}

async function gitea(method: string, path: string, body?: unknown) {
  const res = await fetch(giteaURL + "/api/v1" + path, {
    method,
    headers: { Authorization: "token " + giteaToken, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`gitea ${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? undefined : res.json().catch(() => undefined);
}

const long = { timeout: 180_000 };

describe("the dashboard journey", () => {
  beforeAll(async () => {
    browser = await launch();
    const ctx = await browser.newContext({ baseURL, viewport: { width: 1366, height: 900 } });
    await ctx.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseURL });
    page = await ctx.newPage();
    page.setDefaultTimeout(30_000);
    page.on("pageerror", (e) => console.error("page error:", e.message));
  });
  afterAll(async () => {
    await browser?.close();
  });
  // A journey: once a step fails, the later ones cannot mean anything.
  let broken = "";
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === "fail" && !broken) {
      broken = ctx.task.name;
      await shot(page, "failed-" + ctx.task.name.replace(/\W+/g, "-")).catch(() => {});
    }
  });
  beforeEach((ctx) => {
    if (broken) ctx.skip(`an earlier step failed: ${broken}`);
  });

  it("logs in", async () => {
    await page.goto("/apps");
    await page.waitForURL(/\/login/);
    await look("login");
    await page.getByLabel("Email", { exact: true }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill("wrong password");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("alert").filter({ hasText: /password|credentials|invalid/i }).waitFor();
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(/\/apps$/);
    await page.getByRole("heading", { name: "Apps" }).waitFor();
    await page.getByText("Grace Hopper").waitFor();
    await page.getByText("Live", { exact: true }).waitFor(); // the event stream is connected
    await look("apps-empty");
  });

  it("creates a project", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Projects" }).click();
    await page.getByRole("heading", { name: "Projects" }).waitFor();
    await page.getByRole("button", { name: "New project" }).click();
    const dialog = page.getByRole("dialog", { name: "New project" });
    await dialog.getByLabel("Name", { exact: true }).fill("Storefront");
    expect(await dialog.getByLabel("Slug", { exact: true }).inputValue()).toBe("storefront"); // made from the name
    await dialog.getByLabel("Description", { exact: true }).fill("The shop people buy from");
    await look("projects-new");
    await dialog.getByRole("button", { name: "Create project" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.getByRole("cell", { name: "The shop people buy from" }).waitFor();
    await look("projects");
  });

  it("connects Gitea", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Connections" }).click();
    await page.getByRole("heading", { name: "Connections" }).waitFor();
    await page.getByRole("button", { name: "Add connection" }).click();
    const dialog = page.getByRole("dialog", { name: /connection/i });
    await dialog.getByLabel("Kind", { exact: true }).selectOption("gitea");
    await dialog.getByLabel("Name", { exact: true }).fill("gitea");
    await dialog.getByLabel("Base URL", { exact: true }).fill(giteaURL);
    await dialog.getByLabel("Access token", { exact: true }).fill("not-a-token");
    await dialog.getByRole("button", { name: "Add connection" }).click();
    await dialog.getByText(/token/i).and(dialog.locator(".field-error")).waitFor(); // refused, next to the field
    await dialog.getByLabel("Access token", { exact: true }).fill(giteaToken);
    await dialog.getByRole("button", { name: "Add connection" }).click();
    await dialog.getByText(/shown only once/i).waitFor(); // the webhook secret, once
    await look("connections-secret-once");
    await dialog.getByRole("button", { name: "Done" }).click();
    await page.getByRole("cell", { name: "gitea", exact: true }).first().waitFor();
    await look("connections");
  });

  it("registers an app from a Gitea repository and sees it become ready", long, async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Apps" }).click();
    await page.getByRole("link", { name: "New app" }).click();
    await page.waitForURL(/\/apps\/new/);
    await page.getByLabel("Project", { exact: true }).selectOption("storefront");
    await look("new-app-project");
    await page.getByRole("button", { name: "Next", exact: true }).click();
    await page.getByLabel("Display name", { exact: true }).fill("Storefront");
    expect(await page.getByLabel("Slug", { exact: true }).inputValue()).toBe("storefront");
    await page.getByRole("button", { name: "Next", exact: true }).click();
    await page.getByLabel("A connected git host", { exact: true }).check();
    await page.getByLabel("Connection", { exact: true }).selectOption("gitea");
    await page.getByLabel("Search repositories", { exact: true }).fill("store");
    await page.getByRole("button", { name: `Pick ${repo}` }).click();
    expect(await page.getByLabel("Clone URL", { exact: true }).inputValue()).toContain(repo);
    await look("new-app-source");
    await page.getByRole("button", { name: "Next", exact: true }).click();
    expect(await page.getByLabel("Deploy branch", { exact: true }).inputValue()).toBe("main"); // the repository's default branch
    await page.getByRole("button", { name: "Register app" }).click();
    await page.getByRole("status").filter({ hasText: /Status:/ }).waitFor();
    await page.getByRole("link", { name: "Open the app" }).waitFor(long);
    await page.getByRole("status").filter({ hasText: "ready" }).waitFor();
    await look("new-app-ready");
    await page.getByRole("link", { name: "Open the app" }).click();
    await page.waitForURL(new RegExp(`/apps/${app}$`));
  });

  it("adds an environment", long, async () => {
    await page.getByRole("navigation", { name: "App" }).getByRole("link", { name: "Environments" }).click();
    await page.getByRole("heading", { name: "Environments" }).waitFor();
    await page.getByRole("cell", { name: /production/ }).first().waitFor(); // onboarding made it
    await page.getByRole("button", { name: "Add environment" }).click();
    const dialog = page.getByRole("dialog", { name: "Add environment" });
    await dialog.getByLabel("Name", { exact: true }).fill("production");
    await dialog.getByRole("button", { name: "Add environment" }).click();
    await dialog.locator(".field-error", { hasText: /taken/ }).waitFor(); // next to Name
    await dialog.getByLabel("Name", { exact: true }).fill("staging");
    await dialog.getByRole("button", { name: "Add environment" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.getByRole("cell", { name: /staging/ }).first().waitFor();
    await look("environments");

    // The Deploy dialog on the overview (the journey's deployments come
    // from git: the merge below).
    await page.getByRole("navigation", { name: "App" }).getByRole("link", { name: "Overview" }).click();
    await page.getByRole("button", { name: "Deploy", exact: true }).first().click();
    const deploy = page.getByRole("dialog", { name: "Deploy" });
    await deploy.getByLabel("Environment", { exact: true }).selectOption("production");
    await deploy.getByRole("button", { name: "Deploy to production" }).waitFor();
    await look("overview-deploy-dialog");
    await deploy.getByRole("button", { name: "Cancel" }).click();
    await deploy.waitFor({ state: "hidden" });
  });

  it("edits the manifest into a draft and pushes it to Gitea as a pull request", long, async () => {
    await page.goto(`/apps/${app}/config`);
    await page.locator(".badge", { hasText: "In sync" }).first().waitFor(long);
    await look("config-in-sync");
    const editor = page.getByRole("textbox", { name: /astrolift\.toml/ });
    await editor.click();
    await page.keyboard.press("ControlOrMeta+a");
    // The text as the editor holds it (innerText would double blank lines).
    const current: string = (await fetchJSON(`/api/v1/apps/${app}/config`)).source;
    expect(current).toContain("nginx:1.27");
    await page.keyboard.insertText(current.replace("nginx:1.27", "nginx:1.28"));
    await page.getByRole("button", { name: "Save draft" }).click();
    await page.locator(".badge", { hasText: "Unsaved drafts in DB" }).first().waitFor(); // the badge changes
    await look("config-draft");
    await page.getByRole("tab", { name: /diff/i }).click();
    await page.getByText("nginx:1.28").first().waitFor();
    await look("config-diff");
    await page.getByRole("tab", { name: /source|editor|manifest/i }).first().click();

    await page.getByRole("button", { name: "Push to repo" }).click();
    const opened = page.getByRole("status").filter({ hasText: "Pull request opened" });
    await opened.waitFor(long);
    const href = (await opened.getByRole("link").getAttribute("href")) ?? "";
    expect(href).toContain(`${repo}/pulls/`);
    await look("config-pushed");
    prNumber = Number(href.split("/").pop());
    expect(prNumber).toBeGreaterThan(0);
  });

  it("sees the merged pull request deploy live", long, async () => {
    await page.getByRole("navigation", { name: "App" }).getByRole("link", { name: "Deployments" }).click();
    await page.getByRole("heading", { name: "Deployments" }).waitFor();
    const rows = page.locator("tbody tr");
    await page.locator(".state-loading").first().waitFor({ state: "hidden" }).catch(() => {});
    const before = await page.locator("tbody tr", { hasText: "Git push" }).count();
    // A reviewer merges on Gitea; Gitea's webhook tells Astrolift, which
    // deploys it. The page is not reloaded: the rows arrive on the stream.
    await gitea("POST", `/repos/${repo}/pulls/${prNumber}/merge`, { Do: "merge" });
    await page.waitForFunction((n) => [...document.querySelectorAll("tbody tr")].filter((r) => r.textContent?.includes("Git push")).length > n, before, long);
    const newest = rows.filter({ hasText: "Git push" }).first();
    await newest.locator(".badge", { hasText: "succeeded" }).waitFor(long);
    await look("deployments-live");
    await page.goto(`/apps/${app}/config`);
    await page.locator(".badge", { hasText: "In sync" }).first().waitFor(long);
  });

  it("adds a secret and never sees its value again", async () => {
    await page.getByRole("navigation", { name: "App" }).getByRole("link", { name: "Secrets" }).click();
    await page.getByRole("heading", { name: "Secrets" }).waitFor();
    await page.getByRole("button", { name: "New secret" }).click();
    const dialog = page.getByRole("dialog", { name: "New secret" });
    await dialog.getByLabel("Key", { exact: true }).fill("STRIPE_KEY");
    await dialog.getByLabel("Value", { exact: true }).fill("sk_live_journey_4242");
    await dialog.getByRole("button", { name: "Seal and stage" }).click();
    await dialog.waitFor({ state: "hidden" });
    const row = page.locator("tbody tr", { hasText: "STRIPE_KEY" });
    await row.waitFor();
    expect(await row.innerText()).toContain("********");
    expect(await page.content()).not.toContain("sk_live_journey_4242");
    await look("secrets");
  });

  it("opens a workload", long, async () => {
    await page.getByRole("navigation", { name: "App" }).getByRole("link", { name: "Overview" }).click();
    await page.getByRole("link", { name: "web", exact: true }).first().click();
    await page.waitForURL(new RegExp(`/apps/${app}/workloads/web`));
    await page.getByRole("heading", { name: /Workload\s*web/ }).waitFor();
    await page.getByText(`${app}-production.localhost`).first().waitFor(); // its public hostname
    // The live state arrives on the stream once the cluster reports the rollout.
    await page.getByText("nginx:1.28").first().waitFor(long);
    await look("workload");
  });

  it("runs a command and sees its output", long, async () => {
    await page.getByRole("navigation", { name: "App" }).getByRole("link", { name: "Commands" }).click();
    await page.getByLabel("Command", { exact: true }).fill("echo hello-from-the-journey; echo oops >&2");
    await page.getByRole("button", { name: "Run", exact: true }).click();
    const log = page.getByRole("log", { name: "Command output" });
    await log.locator(".cmd-stdout", { hasText: "hello-from-the-journey" }).waitFor(long);
    await log.locator(".cmd-stderr", { hasText: "oops" }).waitFor();
    await log.locator(".cmd-system", { hasText: /exit/i }).first().waitFor();
    await look("commands");
  });

  it("shows every other page, each passing axe", long, async () => {
    const deployment = (await fetchJSON(`/api/v1/deployments?app=${app}&limit=1`)).items[0].id;
    const pages: [string, string, string | RegExp][] = [
      ["apps", "/apps", "Storefront"],
      ["deployments", "/deployments", "Git push"],
      ["deployment-detail", `/deployments/${deployment}`, "succeeded"],
      ["teams", "/teams", "Teams"],
      ["members", "/members", "Grace Hopper"],
      ["webhooks-org", "/webhooks", "Webhooks"],
      ["overview", `/apps/${app}`, "Topology"],
      ["config", `/apps/${app}/config`, "astrolift.toml"],
      ["drift", `/apps/${app}/drift`, "production"],
      ["managed-services", `/apps/${app}/managed-services`, "Managed services"],
      ["domains", `/apps/${app}/domains`, "Domains"],
      ["webhooks-app", `/apps/${app}/webhooks`, "Webhooks"],
      ["tokens", `/apps/${app}/tokens`, "Deploy tokens"],
      ["members-app", `/apps/${app}/members`, "Members"],
      ["not-found", "/no/such/page", "Page not found"],
    ];
    for (const [name, path, text] of pages) {
      await page.goto(path);
      await page.getByText(text).first().waitFor();
      await page.locator(".state-loading").first().waitFor({ state: "hidden" }).catch(() => {});
      await look(name);
    }
  });

  it("has no serious accessibility violations on any page", () => {
    const report = violations.map((x) => `${x.page}:\n${describeViolations(x.v)}`).join("\n\n");
    expect(report).toBe("");
    expect(shots.length).toBeGreaterThan(20);
  });
});

let prNumber = 0;

async function fetchJSON(path: string) {
  return page.evaluate(async (p) => (await fetch(p)).json(), path);
}
