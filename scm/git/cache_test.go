package git_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/astrolift/astrolift/internal/gitserver"
	"github.com/astrolift/astrolift/scm/git"
)

func TestCacheFetchReadFile(t *testing.T) {
	ctx := context.Background()
	s := gitserver.New(t)
	url := s.CreateRepo(t, "app.git", "main", map[string]string{"deploy/astrolift.toml": "image = \"a:1\"\n", "README": "hi"})
	c := &git.Cache{Dir: t.TempDir()}

	head, err := git.Head(ctx, url, "main", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ReadFile(url, head, "deploy/astrolift.toml"); !errors.Is(err, git.ErrCommitNotFound) {
		t.Errorf("ReadFile before Fetch: err = %v, want ErrCommitNotFound", err)
	}
	if err := c.Fetch(ctx, url, "main", head, nil); err != nil {
		t.Fatal(err)
	}
	if c.Fetches() != 1 {
		t.Errorf("Fetches = %d, want 1", c.Fetches())
	}
	blob, content, err := c.ReadFile(url, head, "deploy/astrolift.toml")
	if err != nil || string(content) != "image = \"a:1\"\n" {
		t.Fatalf("ReadFile = %q, %v", content, err)
	}
	if want := s.RevParse(t, "app.git", head+":deploy/astrolift.toml"); blob != want {
		t.Errorf("blob id = %s, want %s", blob, want)
	}
	if _, c2, err := c.ReadFile(url, head, "/deploy/./astrolift.toml"); err != nil || string(c2) != string(content) {
		t.Errorf("ReadFile with a leading slash = %q, %v", c2, err)
	}

	// The same commit again: no network at all.
	before := s.Requests()
	if err := c.Fetch(ctx, url, "main", head, nil); err != nil {
		t.Fatal(err)
	}
	if s.Requests() != before || c.Fetches() != 1 {
		t.Errorf("second Fetch of a cached commit: %d requests, Fetches = %d; want 0 and 1", s.Requests()-before, c.Fetches())
	}

	for _, missing := range []string{"nope.toml", "deploy", "deploy/astrolift.toml/x", ""} {
		if _, _, err := c.ReadFile(url, head, missing); !errors.Is(err, git.ErrFileNotFound) {
			t.Errorf("ReadFile(%q): err = %v, want ErrFileNotFound", missing, err)
		}
	}

	// A new commit: one fetch, and both commits are readable.
	next := s.Commit(t, "app.git", "main", map[string]string{"deploy/astrolift.toml": "image = \"a:2\"\n"}, "bump")
	if err := c.Fetch(ctx, url, "main", next, nil); err != nil {
		t.Fatal(err)
	}
	if c.Fetches() != 2 {
		t.Errorf("Fetches after a new commit = %d, want 2", c.Fetches())
	}
	if _, content, err := c.ReadFile(url, next, "deploy/astrolift.toml"); err != nil || string(content) != "image = \"a:2\"\n" {
		t.Errorf("ReadFile(next) = %q, %v", content, err)
	}
	if _, content, err := c.ReadFile(url, head, "deploy/astrolift.toml"); err != nil || string(content) != "image = \"a:1\"\n" {
		t.Errorf("ReadFile(first) after the second fetch = %q, %v", content, err)
	}

	// A commit that is no longer the tip cannot be fetched at depth 1.
	stale := next
	latest := s.Commit(t, "app.git", "main", map[string]string{"x": "x"}, "x")
	c2 := &git.Cache{Dir: t.TempDir()}
	if err := c2.Fetch(ctx, url, "main", stale, nil); !errors.Is(err, git.ErrCommitNotFound) {
		t.Errorf("Fetch of a stale commit: err = %v, want ErrCommitNotFound", err)
	}
	if _, _, err := c2.ReadFile(url, latest, "x"); err != nil {
		t.Errorf("the tip was fetched anyway: %v", err)
	}
	if err := c2.Fetch(ctx, url, "gone", "", nil); !errors.Is(err, git.ErrBranchNotFound) {
		t.Errorf("Fetch of a missing branch: err = %v, want ErrBranchNotFound", err)
	}

	if err := c2.Fetch(ctx, "http://127.0.0.1:1/x.git", "main", "", nil); !errors.Is(err, git.ErrUnreachable) {
		t.Errorf("Fetch from a closed port: err = %v, want ErrUnreachable", err)
	}
	s.RequireAuth("bot", "pw")
	if err := c2.Fetch(ctx, url, "main", latest, nil); err != nil {
		t.Errorf("Fetch of a cached commit needs no credentials: %v", err)
	}
	if err := c2.Fetch(ctx, url, "main", "", nil); !errors.Is(err, git.ErrAuth) {
		t.Errorf("Fetch without credentials: err = %v, want ErrAuth", err)
	}
	auth, _ := (&git.Credentials{Username: "bot", Password: "pw"}).AuthMethod(url)
	if err := c2.Fetch(ctx, url, "main", "", auth); err != nil {
		t.Errorf("Fetch with credentials: %v", err)
	}

	// The cache survives a restart: a new Cache on the same Dir needs no fetch.
	c3 := &git.Cache{Dir: c.Dir}
	before = s.Requests()
	if err := c3.Fetch(ctx, url, "main", next, nil); err != nil || s.Requests() != before || c3.Fetches() != 0 {
		t.Errorf("Fetch on a reopened cache: %v, %d requests, %d fetches", err, s.Requests()-before, c3.Fetches())
	}
}

func TestCacheBigFile(t *testing.T) {
	ctx := context.Background()
	s := gitserver.New(t)
	url := s.CreateRepo(t, "big.git", "main", map[string]string{"big": strings.Repeat("x", git.MaxFileSize+100), "edge": strings.Repeat("y", git.MaxFileSize)})
	c := &git.Cache{Dir: t.TempDir()}
	if err := c.Fetch(ctx, url, "main", "", nil); err != nil {
		t.Fatal(err)
	}
	head := s.RevParse(t, "big.git", "main")
	if _, content, err := c.ReadFile(url, head, "big"); err != nil || len(content) != git.MaxFileSize+1 {
		t.Errorf("big file: %d bytes, %v; want MaxFileSize+1", len(content), err)
	}
	if _, content, err := c.ReadFile(url, head, "edge"); err != nil || len(content) != git.MaxFileSize {
		t.Errorf("file of exactly MaxFileSize: %d bytes, %v", len(content), err)
	}
}

// Three apps of one monorepo see a new head at once: one network fetch.
func TestCacheMonorepoOneFetch(t *testing.T) {
	ctx := context.Background()
	s := gitserver.New(t)
	apps := []string{"apps/api/astrolift.toml", "apps/web/astrolift.toml", "apps/worker/astrolift.toml"}
	files := map[string]string{}
	for i, p := range apps {
		files[p] = fmt.Sprintf("app = %d\n", i)
	}
	url := s.CreateRepo(t, "mono.git", "main", files)
	c := &git.Cache{Dir: t.TempDir()}

	for round := 1; round <= 3; round++ {
		if round > 1 {
			for i, p := range apps {
				files[p] = fmt.Sprintf("app = %d\nround = %d\n", i, round)
			}
			s.Commit(t, "mono.git", "main", files, fmt.Sprintf("round %d", round))
		}
		head, err := git.Head(ctx, url, "main", nil)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		got := make([]string, len(apps))
		errs := make([]error, len(apps))
		for i, p := range apps {
			wg.Go(func() {
				if errs[i] = c.Fetch(ctx, url, "main", head, nil); errs[i] != nil {
					return
				}
				_, content, err := c.ReadFile(url, head, p)
				got[i], errs[i] = string(content), err
			})
		}
		wg.Wait()
		for i := range apps {
			if errs[i] != nil || got[i] != files[apps[i]] {
				t.Errorf("round %d, %s: %q, %v; want %q", round, apps[i], got[i], errs[i], files[apps[i]])
			}
		}
		if c.Fetches() != int64(round) {
			t.Errorf("after round %d: Fetches = %d, want %d (one per new head)", round, c.Fetches(), round)
		}
	}
}

// Different repositories fetch in parallel without interfering.
func TestCacheManyRepos(t *testing.T) {
	ctx := context.Background()
	s := gitserver.New(t)
	c := &git.Cache{Dir: t.TempDir()}
	var wg sync.WaitGroup
	for i := range 4 {
		name := fmt.Sprintf("r%d.git", i)
		url := s.CreateRepo(t, name, "main", map[string]string{"f": name})
		head := s.RevParse(t, name, "main")
		wg.Go(func() {
			if err := c.Fetch(ctx, url, "main", head, nil); err != nil {
				t.Error(err)
				return
			}
			if _, content, err := c.ReadFile(url, head, "f"); err != nil || string(content) != name {
				t.Errorf("%s: %q, %v", name, content, err)
			}
		})
	}
	wg.Wait()
	if c.Fetches() != 4 {
		t.Errorf("Fetches = %d, want 4", c.Fetches())
	}
}

func TestCacheLog(t *testing.T) {
	ctx := context.Background()
	s := gitserver.New(t)
	url := s.CreateRepo(t, "app.git", "main", map[string]string{"app/astrolift.toml": "v = 0\n", "other": "0", "README": "only in the first commit"})
	var touching []string // newest last
	touching = append(touching, s.RevParse(t, "app.git", "main"))
	for i := 1; i <= 12; i++ {
		files := map[string]string{"other": fmt.Sprint(i)}
		msg := fmt.Sprintf("other %d", i)
		if i%4 == 0 {
			files["app/astrolift.toml"] = fmt.Sprintf("v = %d\n", i)
			msg = fmt.Sprintf("app %d", i)
		}
		c := s.Commit(t, "app.git", "main", files, msg)
		if i%4 == 0 {
			touching = append(touching, c)
		}
	}
	// touching: initial, 4, 8, 12. Many commits that do not touch the file
	// in between, so depth 5n is not enough for n = 4 and Log must deepen.
	c := &git.Cache{Dir: t.TempDir()}
	if err := c.Fetch(ctx, url, "main", "", nil); err != nil { // a shallow cache first
		t.Fatal(err)
	}
	// README changed only in the root commit, 12 commits down: depth 5
	// is not enough, Log deepens (and fetches more than once).
	before := c.Fetches()
	log, err := c.Log(ctx, url, "main", "README", 1, nil)
	if err != nil || len(log) != 1 || log[0].Hash != touching[0] {
		t.Errorf("Log(README) = %v, %v; want the root commit %s", log, err, touching[0])
	}
	if n := c.Fetches() - before; n < 2 {
		t.Errorf("Log(README) made %d fetches; it should have deepened", n)
	}
	for _, tc := range []struct {
		path string
		n    int
		want []string
	}{
		{"app/astrolift.toml", 2, []string{touching[3], touching[2]}},
		{"app/astrolift.toml", 4, []string{touching[3], touching[2], touching[1], touching[0]}},
		{"app/astrolift.toml", 10, []string{touching[3], touching[2], touching[1], touching[0]}},
		{"app", 1, []string{touching[3]}},
		{"missing", 3, nil},
	} {
		log, err := c.Log(ctx, url, "main", tc.path, tc.n, nil)
		if err != nil {
			t.Fatalf("Log(%q, %d): %v", tc.path, tc.n, err)
		}
		var got []string
		for _, commit := range log {
			got = append(got, commit.Hash)
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("Log(%q, %d) = %v, want %v", tc.path, tc.n, got, tc.want)
		}
	}
	log, err = c.Log(ctx, url, "main", "app/astrolift.toml", 1, nil)
	if err != nil || len(log) != 1 {
		t.Fatalf("Log = %v, %v", log, err)
	}
	if got := log[0]; got.Message != "app 12\n" || got.Author != gitserver.AuthorName || got.Email != gitserver.AuthorEmail || got.When.IsZero() {
		t.Errorf("Log[0] = %+v", got)
	}
	if _, err := c.Log(ctx, url, "gone", "x", 1, nil); !errors.Is(err, git.ErrBranchNotFound) {
		t.Errorf("Log of a missing branch: err = %v, want ErrBranchNotFound", err)
	}
}
