// Package ui is the dashboard: a React single-page app (TypeScript, built by
// Vite from this folder) embedded into the astrolift binary.
//
// The source lives in src/ (pages in src/pages, the API client and its
// generated types in src/api); `make ui` runs `npm ci && npm run build`,
// writing dist/, which embed.go embeds. Handler serves dist/ with a
// fallback to index.html for client-side routes and long-cache headers for
// the hashed files under assets/. A binary built before the UI was built
// serves a page saying so.
//
// The types in src/api/schema.d.ts are generated from src/api/openapi.json,
// a copy of the API's OpenAPI document that TestOpenAPICopyIsCurrent keeps
// current (`make ui-types` rewrites both).
//
// Tests: `npm test` (Vitest, jsdom) for components and the data layer;
// the end-to-end journey (e2e/, playwright-core driving Debian's Chromium)
// runs from cmd/astrolift's TestDashboardJourney against a real server,
// control plane and Gitea.
package ui
