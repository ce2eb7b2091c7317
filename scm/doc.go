// Package scm is the platform's view of git hosts' APIs: one Provider
// interface, implemented by one package per host (scm/github, scm/gitlab,
// scm/gitea, scm/bitbucket), in the style of Woodpecker CI's forges. The
// API uses it to list repositories for registration, to push dashboard
// edits back as pull requests and to register push webhooks.
//
// Subpackages that are not hosts:
//
//   - scm/git: go-git clone/fetch/ls-remote/read-file for the poller.
//   - scm/webhook: inbound push webhook parsing and signature checks.
//   - scm/connect: builds the Provider of a connection's kind.
//   - scm/scmtest: the conformance suite every Provider passes.
//
// Providers know nothing of apps or the store: callers pass repositories by
// full name ("owner/name"; GitLab: "group/subgroup/name"; Bitbucket:
// "workspace/slug") and plaintext credentials they keep sealed at rest.
// Errors wrap one of ErrUnauthorized, ErrForbidden, ErrNotFound,
// ErrConflict or ErrRateLimited (a *RateLimitError with the wait the host
// asked for) and name the repository, branch or pull request they concern.
package scm
