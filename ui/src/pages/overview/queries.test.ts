import { describe, expect, it } from "vitest";
import { untilObserved } from "./queries";

describe("untilObserved", () => {
  it("re-reads every 5 s while a workload is only listed from the manifest, and stops once all are observed", () => {
    expect(untilObserved([{ observed_at: "2026-12-03T12:00:00Z" }, { observed_at: null }])).toBe(5000);
    expect(untilObserved([{ observed_at: "2026-12-03T12:00:00Z" }])).toBe(false);
    expect(untilObserved(undefined)).toBe(false);
  });
});
