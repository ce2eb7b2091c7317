package git_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/astrolift/astrolift/internal/gitserver"
	"github.com/astrolift/astrolift/scm/git"
)

func TestHead(t *testing.T) {
	ctx := context.Background()
	s := gitserver.New(t)
	url := s.CreateRepo(t, "app.git", "main", map[string]string{"astrolift.toml": "a = 1\n"})
	first := s.RevParse(t, "app.git", "main")

	before := s.Requests()
	got, err := git.Head(ctx, url, "main", nil)
	if err != nil || got != first {
		t.Fatalf("Head = %q, %v; want %s", got, err, first)
	}
	if n := s.Requests() - before; n != 1 {
		t.Errorf("Head made %d HTTP requests, want 1", n)
	}

	// The shared HTTP client keeps the connection alive between polls.
	conns := s.Connections()
	for range 5 {
		if _, err := git.Head(ctx, url, "main", nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.Connections() - conns; n != 0 {
		t.Errorf("5 more Heads opened %d new connections, want 0 (keep-alive)", n)
	}

	second := s.Commit(t, "app.git", "main", map[string]string{"astrolift.toml": "a = 2\n"}, "bump")
	if got, err := git.Head(ctx, url, "main", nil); err != nil || got != second {
		t.Errorf("after Commit Head = %q, %v; want %s", got, err, second)
	}

	_, err = git.Head(ctx, url, "nope", nil)
	if !errors.Is(err, git.ErrBranchNotFound) {
		t.Errorf("missing branch: err = %v, want ErrBranchNotFound", err)
	}

	// file:// works the same way.
	if got, err := git.Head(ctx, "file://"+s.Path("app.git"), "main", nil); err != nil || got != second {
		t.Errorf("file:// Head = %q, %v; want %s", got, err, second)
	}
}

func TestHeadErrors(t *testing.T) {
	ctx := context.Background()
	s := gitserver.New(t)
	url := s.CreateRepo(t, "private.git", "main", map[string]string{"a": "a"})
	want := s.RevParse(t, "private.git", "main")
	s.RequireAuth("bot", "s3cret")

	for name, creds := range map[string]*git.Credentials{
		"none":           nil,
		"wrong password": {Username: "bot", Password: "wrong"},
		"wrong token":    {Token: "s3cret"}, // right secret, but user x-access-token
	} {
		auth, err := creds.AuthMethod(url)
		if err != nil {
			t.Fatalf("%s: AuthMethod: %v", name, err)
		}
		if _, err := git.Head(ctx, url, "main", auth); !errors.Is(err, git.ErrAuth) {
			t.Errorf("%s: err = %v, want ErrAuth", name, err)
		}
	}
	for name, creds := range map[string]*git.Credentials{
		"basic": {Username: "bot", Password: "s3cret"},
		"token": {Username: "bot", Token: "s3cret"},
	} {
		auth, err := creds.AuthMethod(url)
		if err != nil {
			t.Fatalf("%s: AuthMethod: %v", name, err)
		}
		before := s.Requests()
		if got, err := git.Head(ctx, url, "main", auth); err != nil || got != want {
			t.Errorf("%s: Head = %q, %v; want %s", name, got, err, want)
		}
		if n := s.Requests() - before; n != 1 {
			t.Errorf("%s: authenticated Head made %d requests, want 1 (credentials sent up front)", name, n)
		}
	}

	auth, _ := (&git.Credentials{Username: "bot", Password: "s3cret"}).AuthMethod(url)
	_, err := git.Head(ctx, s.URL("missing.git"), "main", auth)
	if !errors.Is(err, git.ErrRepositoryNotFound) {
		t.Errorf("missing repository: err = %v, want ErrRepositoryNotFound", err)
	}

	short, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err = git.Head(short, "http://127.0.0.1:1/x.git", "main", nil)
	if !errors.Is(err, git.ErrUnreachable) {
		t.Errorf("closed port: err = %v, want ErrUnreachable", err)
	}
	_, err = git.Head(short, "http://no-such-host.invalid/x.git", "main", nil)
	if !errors.Is(err, git.ErrUnreachable) {
		t.Errorf("unknown host: err = %v, want ErrUnreachable", err)
	}
}
