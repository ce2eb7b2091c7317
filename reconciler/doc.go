// Package reconciler holds Astrolift's loops: the git poller, the deployer,
// the onboarding, managed-service, domain and webhook-delivery workflows,
// with leases so that one replica acts on an app at a time.
//
// So far it holds GitSource, which reads an app's manifest at the head of
// its deploy branch through scm/git: one ls-remote round trip for the head,
// a fetch into the shared bare cache only when that head is new, and the
// file read from the cache. The poller (next) calls the same code.
package reconciler
