// The API client keeps the fetch it was created with, so tests that stub
// fetch with vi.stubGlobal need the client to hold a fetch that looks up
// the current global one on every call. Imported before anything that
// imports the client (testing.tsx imports it first).
const original = globalThis.fetch;
const delegate: typeof fetch = (...args) => {
  const f = globalThis.fetch === delegate ? original : globalThis.fetch;
  return f(...args);
};
globalThis.fetch = delegate;
export {};
