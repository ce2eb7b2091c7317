package connect

import (
	"fmt"

	"github.com/astrolift/astrolift/scm"
	"github.com/astrolift/astrolift/scm/bitbucket"
	"github.com/astrolift/astrolift/scm/gitea"
	"github.com/astrolift/astrolift/scm/github"
	"github.com/astrolift/astrolift/scm/gitlab"
)

// Kinds are the connection kinds with an API provider ("generic"
// connections only receive webhooks).
var Kinds = []string{scm.GitHub, scm.GitLab, scm.Gitea, scm.Bitbucket}

// New returns the provider for kind.
func New(kind string, o scm.Options) (scm.Provider, error) {
	var (
		p   scm.Provider
		err error
	)
	switch kind {
	case scm.GitHub:
		p, err = github.New(o)
	case scm.GitLab:
		p, err = gitlab.New(o)
	case scm.Gitea:
		p, err = gitea.New(o)
	case scm.Bitbucket:
		p, err = bitbucket.New(o)
	default:
		return nil, fmt.Errorf("scm connection kind %q has no API provider (one of github, gitlab, gitea, bitbucket)", kind)
	}
	if err != nil {
		return nil, fmt.Errorf("%s provider: %w", kind, err)
	}
	return p, nil
}
