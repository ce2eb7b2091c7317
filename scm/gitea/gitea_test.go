package gitea_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/astrolift/astrolift/internal/giteatest"
	"github.com/astrolift/astrolift/scm"
	"github.com/astrolift/astrolift/scm/gitea"
	"github.com/astrolift/astrolift/scm/scmtest"
)

var srv *giteatest.Server

func TestMain(m *testing.M) { os.Exit(giteatest.Main(m, &srv)) }

func provider(t *testing.T, base, token string) scm.Provider {
	t.Helper()
	p, err := gitea.New(scm.Options{BaseURL: base, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConformance runs the provider suite against the real Gitea server.
func TestConformance(t *testing.T) {
	const manifest = "[app]\nname = \"shop\"\n"
	srv.CreateRepo(t, "acme", "shop", map[string]string{"astrolift.toml": manifest})
	srv.CreateRepo(t, "acme", "billing", nil)
	srv.CreateRepo(t, srv.Admin, "notes", nil)

	// Gitea has no rate limit of its own; a proxy in front of it (as
	// installations put there) answers 429 with Retry-After.
	limited := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"message":"rate limit exceeded"}`))
	}))
	t.Cleanup(limited.Close)

	scmtest.Run(t, scmtest.Fixture{
		Kind:     scm.Gitea,
		Provider: provider(t, srv.URL+"/", srv.Token), // a trailing slash is accepted
		Login:    srv.Admin,
		Repo:     "acme/shop", DefaultBranch: "main", File: "astrolift.toml", FileContent: manifest,
		Others:         []string{"acme/billing", srv.Admin + "/notes"},
		BadCredentials: provider(t, srv.URL, "0000000000000000000000000000000000000000"),
		RateLimited:    provider(t, limited.URL, srv.Token),
		RetryAfter:     7 * time.Second,
		Merge:          func(t *testing.T, n int64) { srv.MergePR(t, "acme/shop", n) },
		Close:          func(t *testing.T, n int64) { srv.ClosePR(t, "acme/shop", n) },
	})
}

func TestNewNeedsABaseURL(t *testing.T) {
	for _, base := range []string{"", "gitea.example.com", "ftp://gitea.example.com"} {
		if _, err := gitea.New(scm.Options{BaseURL: base}); err == nil {
			t.Errorf("New(%q): no error", base)
		}
	}
	if _, err := gitea.New(scm.Options{BaseURL: "https://example.com/gitea/api/v1"}); err != nil {
		t.Errorf("New with an /api/v1 suffix: %v", err)
	}
}
