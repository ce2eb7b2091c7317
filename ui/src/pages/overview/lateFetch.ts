// Imported first by the page tests: openapi-fetch keeps the fetch it found
// when the client was created (at import), so a later
// vi.stubGlobal("fetch", …) would not reach it. This installs a fetch that
// calls whatever globalThis.fetch is at the time of the request.
const original = globalThis.fetch;
const late: typeof fetch = (...args) => (globalThis.fetch === late ? original : globalThis.fetch)(...args);
globalThis.fetch = late;
export {};
