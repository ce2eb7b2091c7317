package git

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// Cache keeps one bare repository per remote URL under Dir, filled by
// shallow fetches, so that reading a file at a commit needs no network.
// Every app of a monorepo shares its repository's cache entry.
//
// A Cache is safe for concurrent use: operations on one URL are serialized
// by a per-URL mutex (a fetch, a read and a log never overlap on the same
// repository), different URLs proceed in parallel. Two Caches, or two
// processes, must not share a Dir.
type Cache struct {
	// Dir holds the repositories, one directory per URL named by the first
	// 16 bytes of the URL's SHA-256 in hex (see RepoDir).
	Dir string

	fetches atomic.Int64
	mu      sync.Mutex
	repos   map[string]*cached
}

// cached is one URL's repository, opened once and kept.
type cached struct {
	mu   sync.Mutex // held for any use of repo
	repo *gogit.Repository
}

// Fetches returns the number of network fetches the cache has attempted,
// failed ones included (by Fetch and Log); Fetch calls that found their
// commit already cached make none.
func (c *Cache) Fetches() int64 { return c.fetches.Load() }

// RepoDir is the directory of url's bare repository.
func (c *Cache) RepoDir(url string) string {
	sum := sha256.Sum256([]byte(url))
	return filepath.Join(c.Dir, hex.EncodeToString(sum[:16]))
}

// Fetch makes commit of branch available to ReadFile: if the cache already
// has commit it returns at once, without any network call; otherwise it
// fetches refs/heads/<branch> with depth 1 (two HTTP requests: the
// reference advertisement and the pack) and checks that commit arrived.
// An empty commit fetches whatever the branch's tip is.
//
// If the branch moved on between Head and Fetch, the new tip arrives but
// commit does not: the error is ErrCommitNotFound, and the caller retries
// with the new head. A missing branch is ErrBranchNotFound.
func (c *Cache) Fetch(ctx context.Context, url, branch, commit string, auth transport.AuthMethod) error {
	entry := c.entry(url)
	entry.mu.Lock()
	defer entry.mu.Unlock()
	repo, err := c.open(entry, url)
	if err != nil {
		return err
	}
	var want plumbing.Hash
	if commit != "" {
		if want, err = parseHash(commit); err != nil {
			return fmt.Errorf("repository %s: branch %q: %w", redact(url), branch, err)
		}
		if hasCommit(repo, want) {
			return nil
		}
	}
	if err := c.fetch(ctx, repo, url, branch, 1, auth); err != nil {
		return err
	}
	if commit != "" && !hasCommit(repo, want) {
		return fmt.Errorf("repository %s: branch %q: commit %s is not the branch's tip (did it move?): %w",
			redact(url), branch, commit, ErrCommitNotFound)
	}
	return nil
}

// fetch fetches refs/heads/<branch> into repo with depth (0: full history).
// The caller holds the entry's mutex.
func (c *Cache) fetch(ctx context.Context, repo *gogit.Repository, url, branch string, depth int, auth transport.AuthMethod) error {
	ref := plumbing.NewBranchReferenceName(branch)
	remote := gogit.NewRemote(repo.Storer, &config.RemoteConfig{Name: "origin", URLs: []string{url}})
	c.fetches.Add(1)
	err := remote.FetchContext(ctx, &gogit.FetchOptions{
		RefSpecs: []config.RefSpec{config.RefSpec("+" + ref + ":" + ref)},
		Depth:    depth,
		Auth:     auth,
		Tags:     gogit.NoTags,
		Force:    true,
	})
	switch {
	case err == nil, errors.Is(err, gogit.NoErrAlreadyUpToDate):
		return nil
	case errors.Is(err, gogit.NoMatchingRefSpecError{}), errors.Is(err, transport.ErrEmptyRemoteRepository):
		return fmt.Errorf("repository %s: branch %q: %w: %w", redact(url), branch, ErrBranchNotFound, err)
	}
	return fmt.Errorf("repository %s: branch %q: fetch: %w", redact(url), branch, classify(err))
}

// entry returns url's cache entry, creating it.
func (c *Cache) entry(url string) *cached {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.repos == nil {
		c.repos = make(map[string]*cached)
	}
	e := c.repos[url]
	if e == nil {
		e = &cached{}
		c.repos[url] = e
	}
	return e
}

// open returns the entry's repository, opening or creating it on disk.
// The caller holds the entry's mutex.
func (c *Cache) open(e *cached, url string) (*gogit.Repository, error) {
	if e.repo != nil {
		return e.repo, nil
	}
	if c.Dir == "" {
		return nil, fmt.Errorf("repository %s: cache has no Dir", redact(url))
	}
	dir := c.RepoDir(url)
	repo, err := gogit.PlainOpen(dir)
	if errors.Is(err, gogit.ErrRepositoryNotExists) {
		repo, err = gogit.PlainInit(dir, true)
	}
	if err != nil {
		return nil, fmt.Errorf("repository %s: cache %s: %w", redact(url), dir, err)
	}
	e.repo = repo
	return repo, nil
}

// lookup returns url's repository if it is cached, without creating it.
// The caller holds the entry's mutex.
func (c *Cache) lookup(e *cached, url string) (*gogit.Repository, error) {
	if e.repo != nil {
		return e.repo, nil
	}
	repo, err := gogit.PlainOpen(c.RepoDir(url))
	if errors.Is(err, gogit.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("repository %s: not in the cache (Fetch first): %w", redact(url), ErrCommitNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("repository %s: cache: %w", redact(url), err)
	}
	e.repo = repo
	return repo, nil
}

func hasCommit(repo *gogit.Repository, h plumbing.Hash) bool {
	_, err := repo.Storer.EncodedObject(plumbing.CommitObject, h)
	return err == nil
}

func parseHash(s string) (plumbing.Hash, error) {
	if !plumbing.IsHash(s) {
		return plumbing.ZeroHash, fmt.Errorf("commit %q: not a full SHA-1 hex id", s)
	}
	return plumbing.NewHash(s), nil
}
