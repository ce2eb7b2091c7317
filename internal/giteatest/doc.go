// Package giteatest runs a real Gitea server for tests: the binary that
// `make gitea` builds into bin/gitea from the Go module pinned in
// hack/tools/gitea, with a SQLite database in a temporary directory, an
// admin account and an all-scopes token. Nothing is downloaded at test
// time.
//
// Gitea refuses to run as root unless its config says
// I_AM_BEING_UNSAFE_RUNNING_AS_ROOT; the binary is built without bindata,
// so [server] STATIC_ROOT_PATH points at the module's source directory for
// its options/ files (licences, readme templates, gitignores). The API and
// git over HTTP need nothing else. Webhooks may post to loopback addresses
// ([webhook] ALLOWED_HOST_LIST = *), so tests can receive them.
package giteatest
