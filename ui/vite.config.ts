/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The dashboard is served by astrolift from dist/ (embedded with go:embed).
// `npm run dev` serves it with hot reload; run astrolift with
// --ui-dev-url http://127.0.0.1:5173, or open Vite directly: it proxies the
// API to ASTROLIFT_URL (default http://127.0.0.1:8080).
const api = process.env.ASTROLIFT_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  server: {
    host: "127.0.0.1",
    port: 5173,
    proxy: { "/api": { target: api, changeOrigin: false, ws: true } },
  },
  build: {
    outDir: "dist",
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
  },
});
