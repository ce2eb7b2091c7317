// Package webhook verifies and parses inbound push webhooks from GitHub,
// GitLab, Gitea, Bitbucket Cloud and a generic HMAC sender.
//
// Verify checks each host's signature scheme in constant time and returns
// the push: the repository's clone URLs, the branch and the new head. It
// knows nothing of apps or the store; the API matches the push to apps and
// asks the poller for an immediate check. Replay protection (delivery ids
// seen before) is the caller's, with the Delivery id Verify returns.
//
//	GitHub     X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>, X-GitHub-Delivery
//	GitLab     X-Gitlab-Token: <secret>, X-Gitlab-Event-UUID
//	Gitea      X-Gitea-Signature: <hex HMAC-SHA256(secret, body)>, X-Gitea-Delivery
//	Bitbucket  X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, body)>, X-Request-UUID
//	generic    X-Astrolift-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>,
//	           X-Astrolift-Timestamp: <unix seconds> (at most 5 minutes old), X-Astrolift-Delivery
package webhook
