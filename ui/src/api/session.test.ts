import { describe, expect, it } from "vitest";
import { permissionsAt } from "./session";
import type { Me, Role } from "./types";

const roles: Role[] = [
  { name: "org.viewer", scope_level: "ORG", description: "", permissions: ["org.read", "app.read"] },
  { name: "team.deployer", scope_level: "TEAM", description: "", permissions: ["app.read", "app.deploy"] },
  { name: "app.admin", scope_level: "APP", description: "", permissions: ["app.update", "app.exec"] },
];
const user = { id: 1, email: "a@b", name: "A", created_at: "" } as Me["user"];
const me = (bindings: Partial<Me["bindings"][number]>[]): Me => ({ user, bindings: bindings.map((b, i) => ({ id: i, role: "", scope: "", scope_level: "ORG", granted_at: "", user, ...b })) });

describe("permissionsAt", () => {
  it("grants org roles everywhere and team/app roles only on their scope", () => {
    const m = me([{ role: "org.viewer", scope_level: "ORG" }, { role: "team.deployer", scope_level: "TEAM", scope: "web" }, { role: "app.admin", scope_level: "APP", scope: "shop" }]);
    expect([...permissionsAt(m, roles, {})].sort()).toEqual(["app.read", "org.read"]);
    const shop = permissionsAt(m, roles, { app: "shop", project: "p", team: "web" });
    expect(["app.deploy", "app.update", "app.exec"].every((p) => shop.has(p))).toBe(true);
    const other = permissionsAt(m, roles, { app: "blog", project: "p2", team: "ops" });
    expect(other.has("app.deploy")).toBe(false);
  });
  it("ignores an expired binding", () => {
    const m = me([{ role: "team.deployer", scope_level: "TEAM", scope: "web", expires_at: "2000-01-01T00:00:00Z" }]);
    expect(permissionsAt(m, roles, { team: "web" }).size).toBe(0);
  });
});
