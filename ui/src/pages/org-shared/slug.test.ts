import { describe, expect, it } from "vitest";
import { slugify } from "./slug";

describe("slugify", () => {
  it("makes the API's slug from a display name", () => {
    expect(slugify("My Shop API")).toBe("my-shop-api");
    expect(slugify("  Payments -- backend  ")).toBe("payments-backend");
    expect(slugify("app 2")).toBe("app-2");
    expect(slugify("Café Crème")).toBe("caf-cr-me");
  });
  it("starts with a letter: leading digits and separators are dropped", () => {
    expect(slugify("2nd app")).toBe("nd-app");
    expect(slugify("--42 things")).toBe("things");
    expect(slugify("123")).toBe("");
    expect(slugify("")).toBe("");
  });
  it("keeps at most maxLen characters, without a trailing hyphen", () => {
    const long = "a".repeat(39) + " bc";
    expect(slugify(long)).toBe("a".repeat(39));
    expect(slugify("abcdef ghi", 7)).toBe("abcdef");
    expect(slugify("x".repeat(50)).length).toBe(40);
  });
});
