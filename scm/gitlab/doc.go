// Package gitlab is the scm.Provider for GitLab.com and self-managed GitLab,
// built on gitlab.com/gitlab-org/api/client-go (REST API v4).
//
// Repositories are GitLab projects addressed by their full path
// ("group/subgroup/name", path_with_namespace); the client sends it
// URL-encoded as the project id. Merge requests are numbered by their iid,
// the per-project number in the web URL (never the global id).
//
// Choices made:
//
//   - Credentials: Options.Token is a personal, project or group access
//     token sent as PRIVATE-TOKEN; when Token is empty, Options.Password is
//     used the same way (GitLab access tokens double as git passwords, so a
//     connection may keep one there). GitLab's API has no basic auth.
//   - Base URL: empty means https://gitlab.com; a self-managed root
//     ("https://gitlab.example.com", also under a relative URL root such as
//     ".../gitlab") or the same with "/api/v4" appended are both accepted.
//   - No hidden waits: client-go retries 429 answers (sleeping until
//     RateLimit-Reset) and paces requests from the RateLimit-Limit header.
//     Both are turned off here, so a rate-limited answer comes back at once
//     as an scm.ErrRateLimited *scm.RateLimitError carrying the wait GitLab
//     asked for (Retry-After, else RateLimit-Reset). Only GET/HEAD requests
//     answered with a 5xx are retried, at most twice (about 2.5 s in all);
//     a POST is never repeated, so a comment or commit cannot be doubled.
//   - Validate reads GET /user and the token's scopes from
//     GET /personal_access_tokens/self. CanWrite needs the "api" scope:
//     "write_repository" alone allows git pushes but not the REST calls that
//     commit files and open merge requests. Where the server cannot describe
//     the token (401/403/404: older servers, OAuth or job tokens) CanWrite
//     is assumed true and no scopes are reported; the first write then tells.
//   - ListRepos lists the projects the account is a member of
//     (membership=true, ordered by path) a page at a time, following
//     X-Next-Page. GitLab's search also matches project names and
//     descriptions and matches queries shorter than 3 characters only
//     exactly, so a query of 3 or more characters is sent as search (with
//     search_namespaces) and the results are then filtered client-side to
//     those whose full path contains it (case-insensitive); shorter queries
//     filter client-side only. A filtered page may therefore hold fewer
//     repositories than PerPage, even none, while NextPage is still set.
//   - Repo.CanPush is the larger of the project and group access levels
//     (permissions.project_access / group_access) being Developer (30) or
//     more; Repo.Private is visibility other than public (internal projects
//     need an account to clone).
//   - CreateBranch: GitLab refuses an existing branch with 400 "Branch
//     already exists"; that, and any 400/422 saying "already exists", is an
//     scm.ErrConflict. A duplicate open merge request is GitLab's 409.
//   - CommitFile checks the file at the branch (HEAD repository/files) and
//     commits one "update" or "create" action with base64 content (so any
//     bytes survive) through POST repository/commits. When neither file nor
//     branch is found, the branch lookup's 404 names the branch.
//   - GetPullRequest maps opened and locked (a merge in progress) to open,
//     merged to merged, closed to closed. MergeCommit is merge_commit_sha,
//     else squash_commit_sha, else (a fast-forward merge) the merge
//     request's head sha.
//   - CreateHook registers a push-only project hook with the secret as its
//     token (delivered as X-Gitlab-Token) and SSL verification on.
//
// Every error wraps scm.StatusError, so errors.Is works with the scm
// sentinels, and names the project, branch, file, merge request or hook.
package gitlab
