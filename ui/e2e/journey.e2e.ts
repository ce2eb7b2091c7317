// The user journey of issue 10, in a real browser against a real server:
// every step asserts what a person would see, and every page visited gets
// a screenshot (artifacts/) and an axe-core check. Run by
// cmd/astrolift's TestDashboardJourney, which starts astrolift serve, the
// local control plane and Gitea, and passes their addresses in the
// environment.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

  it("logs in", async () => {
    await page.goto("/apps");
    await page.waitForURL(/\/login/);
    await look("login");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("wrong password");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("alert").filter({ hasText: /password|credentials|invalid/i }).waitFor();
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(/\/apps$/);
    await page.getByRole("heading", { name: "Apps" }).waitFor();
    await page.getByText("Grace Hopper").waitFor();
    await look("apps-empty");
  });
});
