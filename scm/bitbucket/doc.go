// Package bitbucket implements scm.Provider for Bitbucket Cloud over its
// REST API 2.0, with net/http and encoding/json only (no SDK).
// Repositories are named "workspace/repo_slug".
//
// Credentials: Options.Token is sent as a Bearer token (OAuth access tokens,
// repository, project and workspace access tokens); otherwise
// Options.Username and Options.Password are sent as basic auth (an app
// password, or an Atlassian API token with the account's e-mail address as
// the user name). Options.BaseURL empty means https://api.bitbucket.org/2.0;
// any other base URL (a proxy, a test server) is accepted with or without
// its trailing "/2.0", and https://bitbucket.org is read as the API host.
//
// How each method maps onto the API, and the choices made:
//
//   - Validate reads GET /user: the login is username, else nickname, else
//     account_id (Atlassian accounts may no longer expose a username).
//     Scopes come from the X-OAuth-Scopes response header when Bitbucket
//     sends it (OAuth and access tokens); CanWrite is true when they hold
//     repository:write, pullrequest:write (which implies it),
//     repository:admin or their API-token forms (write:repository:bitbucket,
//     write:pullrequest:bitbucket, admin:repository:bitbucket). Without the
//     header (app passwords) the scopes are unknown and CanWrite is true;
//     a refusal surfaces on the first write as ErrForbidden.
//   - ListRepos pages GET /repositories?role=member&sort=full_name with
//     pagelen/page; a query becomes the BBQL filter full_name ~ "query"
//     (case-insensitive contains; '"' and '\' escaped). NextPage is the page
//     number in the response's next link (page+1 when next carries a cursor
//     instead). /repositories says nothing of the caller's permissions, so
//     CanPush comes from GET /user/permissions/repositories filtered with
//     repository.full_name="a" OR repository.full_name="b" ... for the
//     page's repositories, in chunks of 40 names to keep URLs short: one
//     listing request plus one permissions request per page of up to 40
//     repositories (3 for a page of 100). CanPush is true for the write and
//     admin permissions. GetRepo makes the same two requests for one
//     repository. Credentials that may not read permissions (403) list
//     repositories with CanPush false rather than failing.
//   - BranchHead reads refs/branches/{name}; branch names, refs and hook
//     ids are escaped as one path segment ("/" as %2F), which Bitbucket
//     resolves unambiguously, unlike a bare slash in src/{ref}/{path}.
//   - CreateBranch posts refs/branches. Bitbucket answers an existing name
//     with 400 and an error message, not 409: a 400/409 whose message (or
//     error.data.key) says the branch already exists is ErrConflict, and so
//     is any other 400 when a read of the branch then finds it.
//   - ReadFile reads src/{ref}/{path}, the raw content.
//   - CommitFile reads the branch head first (a missing branch is
//     ErrNotFound, since POST src would create it), then posts src as
//     multipart/form-data: one field named by the file's path holding its
//     content, message, branch, author ("Name <email>") and parents = the
//     head just read, so a branch that moved meanwhile is refused with 409
//     (ErrConflict) instead of being overwritten. The new commit's id is the
//     hash in the 201's Location header, else the branch head read after.
//   - Pull requests: OpenPullRequest posts pullrequests, GetPullRequest
//     reads pullrequests/{id}; OPEN is scm.PROpen, MERGED scm.PRMerged, and
//     DECLINED and SUPERSEDED (and any state Bitbucket may add) scm.PRClosed.
//     CommentPullRequest posts pullrequests/{id}/comments.
//   - CreateHook posts hooks for repo:push with the secret (Bitbucket signs
//     deliveries with X-Hub-Signature, see scm/webhook) and returns the
//     subscription's uuid, braces included; DeleteHook deletes it.
//
// Errors wrap scm.StatusError of the response, so errors.Is matches
// scm.ErrUnauthorized, ErrForbidden, ErrNotFound, ErrConflict and
// ErrRateLimited (Bitbucket answers 429; Retry-After is honoured when
// present), carry Bitbucket's own message ({"type":"error","error":
// {"message":...}}) and name the repository, branch, file, pull request or
// hook concerned. Credentials never appear in errors: they travel only in
// the Authorization header.
//
// Known limits: repository, project and workspace access tokens have no
// user behind them on some endpoints (/user, /user/permissions/...), so
// Validate and CanPush may fail or read false with such tokens; user-bound
// credentials (OAuth, app passwords, API tokens) work throughout.
package bitbucket
