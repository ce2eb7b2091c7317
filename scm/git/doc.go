// Package git reads remote git repositories with go-git, for the poller
// and the registration of apps. It knows nothing of apps or the store:
// callers pass URLs, branches, paths and Credentials.
//
//   - DefaultBranch and Head list a remote's advertised references: one
//     round trip (one GET of info/refs over HTTP), no fetch. Head is the
//     poller's hot path; HTTP(S) goes through one keep-alive client.
//   - Cache keeps one bare repository per URL on disk. Cache.Fetch brings a
//     branch's tip in with a depth-1 fetch, and does nothing (no network)
//     when the commit is already there, so the apps of a monorepo share one
//     fetch per new head. Cache.ReadFile reads a file at a commit from the
//     cache; Cache.Log lists the commits that changed a path.
//   - Credentials turns plaintext secrets (token, user and password, SSH
//     key) into a go-git transport.AuthMethod for a URL.
//
// Errors wrap the repository, branch or path they concern and one of
// ErrAuth, ErrRepositoryNotFound, ErrBranchNotFound, ErrCommitNotFound,
// ErrFileNotFound, ErrUnreachable or ErrNoDefaultBranch; test them with
// errors.Is. URLs in errors have their passwords redacted.
package git
