package api_test

import (
	"os"
	"testing"

	"github.com/astrolift/astrolift/internal/giteatest"
)

// gitea is a real Gitea server shared by the package's tests (SCM
// connections, repository listing, push to repo, webhook registration).
var gitea *giteatest.Server

func TestMain(m *testing.M) { os.Exit(giteatest.Main(m, &gitea)) }
