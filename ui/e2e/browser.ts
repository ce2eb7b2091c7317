// Browser helpers for the end-to-end suite: Debian's Chromium driven by
// playwright-core (no downloaded browsers), screenshots saved as artifacts
// and an axe-core accessibility check on each page.
import { chromium, type Browser, type Page } from "playwright-core";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

export const baseURL = process.env.ASTROLIFT_URL ?? "http://127.0.0.1:8080";
export const artifacts = process.env.ASTROLIFT_E2E_ARTIFACTS ?? path.resolve(import.meta.dirname, "artifacts");

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    // No sandbox as root; no background traffic on a closed network.
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** shot saves a full-page screenshot as <artifacts>/<name>.png and returns its path. */
export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(artifacts, { recursive: true });
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; html: string }[];
}

const require = createRequire(import.meta.url);

/** axe runs axe-core on the page and returns its serious and critical violations. */
export async function axe(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
  const violations = (await page.evaluate(async () => {
    // @ts-expect-error axe is the global the script defines
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations;
  })) as AxeViolation[];
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** describeViolations words violations for a failure message. */
export function describeViolations(vs: AxeViolation[]): string {
  return vs.map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(" ") + " " + n.html.slice(0, 120)).join("\n  ")}`).join("\n");
}
