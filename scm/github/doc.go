// Package github is the scm.Provider for GitHub (github.com, GHE.com) and
// GitHub Enterprise Server, on the REST API v3 through go-github.
//
// # Connecting
//
// New sends Options.Token as "Authorization: Bearer" (classic and
// fine-grained personal access tokens, GitHub App user tokens); without a
// token it sends Username and Password as basic auth, which GitHub takes
// with a token as the password. It wraps a copy of Options.Client(), so a
// client shared between connections keeps its own transport. BaseURL
// empty (or https://github.com, https://api.github.com) is github.com;
// an Enterprise Server is given by its web root (https://ghe.example.com)
// or its API root (https://ghe.example.com/api/v3/), which go-github's
// WithEnterpriseURLs both turn into .../api/v3/; a GHE.com tenant
// (https://acme.ghe.com) is sent to its API host, api.acme.ghe.com.
//
// Validate reads GET /user. Classic tokens list their scopes in
// X-OAuth-Scopes, and may write with "repo" (or "public_repo", for public
// repositories); fine-grained and app tokens send no such header, have
// per-repository permissions (Repo.CanPush, from permissions.push) and
// count as able to write. GitHub App installation tokens are not
// supported: /user and /user/repos refuse them, and they belong to no
// login (they would list GET /installation/repositories instead).
//
// # Listing and searching
//
// ListRepos lists GET /user/repos with affiliation owner, collaborator and
// organization_member, sorted by full name, passing the page through and
// taking NextPage from the Link header. GitHub has no name filter there,
// and its search API does not fit the Query contract: "user:login" misses
// organization and collaborator repositories (and "org:" qualifiers would
// need every organization, and still miss collaborations), "in:name"
// matches words of the name rather than any substring of "owner/name",
// the search index lags behind new repositories, and search has its own
// 30-a-minute rate limit. So a query reads /user/repos 100 at a time and
// keeps the repositories whose full name contains it (case-insensitively),
// then pages the matches itself: page n holds matches (n-1)*PerPage to
// n*PerPage-1 of the same sorted list, so pages neither overlap nor skip
// while the list does not change. It stops reading once it has the page
// and one more match (which says a next page exists), so early pages cost
// one or a few requests; a query's last page reads the whole list.
//
// # Branches, files and pull requests
//
// BranchHead reads GET git/ref/heads/{branch} (go-github reads the
// branches endpoint without its error handling). CreateBranch posts
// git/refs; GitHub answers an existing branch with 422 "Reference already
// exists" (ErrConflict) and an unknown commit with 422 "Object does not
// exist" (ErrNotFound). ReadFile reads the contents API at the ref; a
// directory, symlink or submodule is an ErrNotFound, and a file over 1 MB
// (listed without its content, encoding "none") is read as a raw blob.
// CommitFile makes one commit per file with the contents API (PUT
// contents), which needs the replaced file's blob sha: it reads the file
// on the branch first, and on a 404 checks the branch exists (ErrNotFound
// naming it) before creating the file. If the file changes between the
// read and the write GitHub answers 409 (ErrConflict). Author and
// committer are both FileCommit.Author when it is set, else GitHub's
// default (the token's user).
//
// OpenPullRequest answers an open pull request for the same head and base
// (422 "A pull request already exists") with ErrConflict. GetPullRequest
// maps state and merged onto open, merged and closed; MergeCommit is
// merge_commit_sha only once merged (for an open pull request GitHub puts
// its test merge there). CommentPullRequest posts an issue comment: pull
// requests are issues and share their numbers. CreateHook registers an
// active "web" hook for push events, content type json, TLS verified, with
// the secret (GitHub signs X-Hub-Signature-256, see scm/webhook); its id is
// the decimal hook id.
//
// # Errors
//
// Errors name the repository, branch, file, pull request (repo#n) or hook,
// and wrap scm.StatusError of GitHub's answer, so errors.Is finds
// ErrUnauthorized, ErrForbidden, ErrNotFound and ErrConflict (also for
// 422s that say "already exists"). Rate limits are *scm.RateLimitError:
// the primary limit (403 or 429 with X-RateLimit-Remaining: 0) waits until
// X-RateLimit-Reset, the secondary limit (403 or 429 pointing at the
// secondary-rate-limit documentation, or any 403 with Retry-After) waits
// Retry-After. go-github
// remembers both per Provider and refuses further requests itself until
// they pass, without asking the host; those refusals are the same
// *scm.RateLimitError with the wait that is left.
//
// The tests run scmtest's conformance suite against a fake Enterprise
// Server (fake_test.go) that serves /api/v3/ with the documentation's
// example payloads (testdata/*.json), overwriting only the fields that
// vary.
package github
