// Package scmtest is the conformance suite every scm.Provider passes: the
// same tests run against the real Gitea server and against the fake GitHub,
// GitLab and Bitbucket servers (httptest, answering with the payloads of
// each host's API documentation). A provider's test builds a Fixture and
// calls Run.
package scmtest
