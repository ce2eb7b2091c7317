import { defineConfig } from "vitest/config";

// The end-to-end journey: playwright-core drives Debian's Chromium against a
// running astrolift (ASTROLIFT_URL). cmd/astrolift's TestDashboardJourney
// starts the server, the control plane and Gitea, then runs this.
export default defineConfig({
  test: {
    include: ["e2e/**/*.e2e.ts"],
    environment: "node",
    testTimeout: 240_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    reporters: ["verbose"],
  },
});
