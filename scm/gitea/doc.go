// Package gitea is the scm.Provider for Gitea (and Forgejo, which keeps its
// API), built on code.gitea.io/sdk/gitea.
//
// Options.BaseURL is the server's root URL (https://gitea.example.com, or
// one with a sub-path); it is required, since there is no hosted Gitea. A
// token is sent as "Authorization: token …"; without one, Username and
// Password are basic auth.
//
// Choices:
//   - ListRepos uses /repos/search, which lists every repository the
//     account can see (its own, its organizations', collaborations and
//     public ones) with the account's permissions, and matches Query
//     against repository names.
//   - Gitea does not report a token's scopes, so Validate says CanWrite
//     when the account is active and not restricted; a repository's
//     Repo.CanPush is the account's push permission there.
//   - Each call builds a light SDK client bound to its context; the HTTP
//     client (and its connection pool) is shared.
//   - Webhooks are of type "gitea" with content type json, on push events.
package gitea
