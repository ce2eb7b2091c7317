// Package git reads remote git repositories with go-git: for now, a
// repository's default branch by advertised refs (one round trip, no
// fetch), used when an app is registered without a deploy branch.
//
// The git source issue extends it: head lookups, shallow fetches into a
// shared bare cache, reading the manifest at a commit, and credentials.
package git
