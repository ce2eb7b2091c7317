//go:build tools

// Package tools records the Gitea server that `make gitea` builds into
// bin/gitea for the SCM provider tests (the real Gitea the design names).
package tools

import (
	_ "code.gitea.io/gitea"
)
