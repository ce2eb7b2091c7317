package git_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"

	"github.com/astrolift/astrolift/internal/gitserver"
	"github.com/astrolift/astrolift/scm/git"
)

// BenchmarkHead polls an unchanged repository on the local smart-HTTP
// server. ns/op includes the server's side (a git-http-backend process per
// request); "requests/op" is the HTTP requests the server saw per Head.
func BenchmarkHead(b *testing.B) {
	ctx := context.Background()
	s := gitserver.New(b)
	url := s.CreateRepo(b, "app.git", "main", map[string]string{"astrolift.toml": "a = 1\n"})
	if _, err := git.Head(ctx, url, "main", nil); err != nil {
		b.Fatal(err)
	}
	before := s.Requests()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := git.Head(ctx, url, "main", nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(s.Requests()-before)/float64(b.N), "requests/op")
}

// BenchmarkFetchUnchanged is a poll round where the head is already cached:
// no network.
func BenchmarkFetchUnchanged(b *testing.B) {
	ctx := context.Background()
	s := gitserver.New(b)
	url := s.CreateRepo(b, "app.git", "main", map[string]string{"astrolift.toml": "a = 1\n"})
	head := s.RevParse(b, "app.git", "main")
	c := &git.Cache{Dir: b.TempDir()}
	if err := c.Fetch(ctx, url, "main", head, nil); err != nil {
		b.Fatal(err)
	}
	before := s.Requests()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := c.Fetch(ctx, url, "main", head, nil); err != nil {
			b.Fatal(err)
		}
	}
	if s.Requests() != before || c.Fetches() != 1 {
		b.Fatalf("cached Fetch went to the network: %d requests, %d fetches", s.Requests()-before, c.Fetches())
	}
}

// BenchmarkReadFile reads a manifest from the cache.
func BenchmarkReadFile(b *testing.B) {
	ctx := context.Background()
	s := gitserver.New(b)
	url := s.CreateRepo(b, "app.git", "main", map[string]string{"deploy/astrolift.toml": "a = 1\n"})
	head := s.RevParse(b, "app.git", "main")
	c := &git.Cache{Dir: b.TempDir()}
	if err := c.Fetch(ctx, url, "main", head, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := c.ReadFile(url, head, "deploy/astrolift.toml"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHeadClient measures the client's side of Head alone: the server
// replays a recorded reference advertisement of git-http-backend, so no git
// process runs. With 1000 tags, the advertisement is ~60 KB.
func BenchmarkHeadClient(b *testing.B) {
	for _, tags := range []int{0, 1000} {
		b.Run(fmt.Sprintf("tags=%d", tags), func(b *testing.B) {
			ctx := context.Background()
			s := gitserver.New(b)
			url := s.CreateRepo(b, "app.git", "main", map[string]string{"astrolift.toml": "a = 1\n"})
			if tags > 0 {
				head := s.RevParse(b, "app.git", "main")
				var refs strings.Builder
				for i := range tags {
					fmt.Fprintf(&refs, "create refs/tags/v1.%d %s\n", i, head)
				}
				cmd := exec.Command("git", "--git-dir", s.Path("app.git"), "update-ref", "--stdin")
				cmd.Stdin = strings.NewReader(refs.String())
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("update-ref: %v\n%s", err, out)
				}
			}
			res, err := http.Get(url + "/info/refs?service=git-upload-pack")
			if err != nil {
				b.Fatal(err)
			}
			adv, err := io.ReadAll(res.Body)
			_ = res.Body.Close()
			if err != nil || res.StatusCode != 200 {
				b.Fatalf("info/refs: %d %v", res.StatusCode, err)
			}
			ct := res.Header.Get("Content-Type")
			replay := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", ct)
				_, _ = w.Write(adv)
			}))
			defer replay.Close()
			want := s.RevParse(b, "app.git", "main")
			b.ReportAllocs()
			b.ReportMetric(float64(len(adv)), "adv-bytes")
			b.ResetTimer()
			for b.Loop() {
				if got, err := git.Head(ctx, replay.URL+"/app.git", "main", nil); err != nil || got != want {
					b.Fatalf("Head = %s, %v", got, err)
				}
			}
		})
	}
}
