import { describe, expect, it } from "vitest";
import { ApiError, csrfToken, toApiError } from "./client";

describe("csrfToken", () => {
  it("reads the astrolift_csrf cookie among others", () => {
    expect(csrfToken("a=1; astrolift_csrf=abc%3D; b=2")).toBe("abc=");
    expect(csrfToken("a=1")).toBe("");
  });
});

describe("toApiError", () => {
  it("keeps the API's code, message and field", async () => {
    const res = new Response(JSON.stringify({ error: { code: "invalid", message: "slug: must be lower case", field: "slug" } }), { status: 400 });
    const e = await toApiError(res);
    expect(e).toBeInstanceOf(ApiError);
    expect([e.status, e.code, e.message, e.field]).toEqual([400, "invalid", "slug: must be lower case", "slug"]);
    expect(e.forbidden).toBe(false);
  });
  it("says when to retry a rate-limited call", async () => {
    const res = new Response(JSON.stringify({ error: { code: "rate_limited", message: "the git host is rate limiting" } }), { status: 429, headers: { "Retry-After": "9" } });
    const e = await toApiError(res);
    expect(e.message).toBe("the git host is rate limiting (retry in 9 s)");
    expect(e.retryAfter).toBe(9);
  });
  it("falls back to the status for a body that is not JSON", async () => {
    const e = await toApiError(new Response("upstream gone", { status: 502, statusText: "Bad Gateway" }));
    expect([e.code, e.message]).toEqual(["http_502", "502 Bad Gateway"]);
  });
  it("tells forbidden from a CSRF refusal", () => {
    expect(new ApiError(403, "forbidden", "you need app.deploy").forbidden).toBe(true);
    expect(new ApiError(403, "csrf", "missing token").forbidden).toBe(false);
  });
});
