// Package gitserver serves bare git repositories over git's smart HTTP
// protocol for tests: an httptest.Server in front of git-http-backend (run
// through net/http/cgi), so clients talk to the real git server code.
//
// A test creates repositories with CreateRepo, adds commits with Commit
// (written straight into the bare repository with the git CLI, so they cost
// no HTTP request), and points the code under test at URL(name). Requests
// counts the HTTP requests the server has answered, so tests can assert
// round trips; RequireAuth makes the server demand HTTP basic
// authentication. Pushing over HTTP is enabled (http.receivepack).
//
// Commits are deterministic: a fixed author and committer, and a clock that
// starts at 2026-01-01T00:00:00Z and advances one minute per commit, so the
// same sequence of calls yields the same commit ids.
//
// The package needs the git CLI and /usr/lib/git-core/git-http-backend
// (BackendPath); New skips the test when either is missing.
package gitserver
