package git

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"strings"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// MaxFileSize is the largest file ReadFile returns whole. A bigger file comes
// back cut at MaxFileSize+1 bytes, so callers refuse it with
// len(content) > MaxFileSize.
const MaxFileSize = 1 << 20

// Commit is one commit of a Log.
type Commit struct {
	Hash    string
	Author  string // the author's name
	Email   string // the author's email
	Message string
	When    time.Time // the author date
}

// ReadFile returns the blob id and the content of path at commit, from the
// cache: no network, so Fetch the commit first (else ErrCommitNotFound). A
// path that is not a file in the commit (missing, a directory, a submodule)
// is ErrFileNotFound. content holds at most MaxFileSize+1 bytes: more than
// MaxFileSize means the file is too big and was cut. path is relative to the
// repository's root; a leading "/" or "./" is ignored.
func (c *Cache) ReadFile(url, commit, filePath string) (blobID string, content []byte, err error) {
	p := cleanPath(filePath)
	entry := c.entry(url)
	entry.mu.Lock()
	defer entry.mu.Unlock()
	repo, err := c.lookup(entry, url)
	if err != nil {
		return "", nil, err
	}
	h, err := parseHash(commit)
	if err != nil {
		return "", nil, fmt.Errorf("repository %s: %w", redact(url), err)
	}
	tree, err := commitTree(repo, h)
	if err != nil {
		return "", nil, fmt.Errorf("repository %s: commit %s: %w", redact(url), commit, err)
	}
	e, err := tree.FindEntry(p)
	if err != nil || !e.Mode.IsFile() {
		return "", nil, fmt.Errorf("repository %s: commit %s: %q: %w", redact(url), commit, p, ErrFileNotFound)
	}
	blob, err := object.GetBlob(repo.Storer, e.Hash)
	if err != nil {
		return "", nil, fmt.Errorf("repository %s: commit %s: %q: blob %s: %w", redact(url), commit, p, e.Hash, err)
	}
	r, err := blob.Reader()
	if err != nil {
		return "", nil, fmt.Errorf("repository %s: commit %s: %q: %w", redact(url), commit, p, err)
	}
	defer func() { _ = r.Close() }()
	content, err = io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return "", nil, fmt.Errorf("repository %s: commit %s: %q: %w", redact(url), commit, p, err)
	}
	return e.Hash.String(), content, nil
}

// Log returns up to n commits of branch that changed path (a file or a
// directory), newest first, like `git log --first-parent -n N -- path`:
// it follows first parents only, so a change merged from another branch
// shows as its merge commit. A commit changes path when the path's blob or
// tree id (or its absence) differs from its first parent's; a root commit
// changes the paths it has.
//
// Cost: unlike Fetch, Log always goes to the network. It fetches branch
// with depth 5n; if the walk reaches the shallow end before finding n
// commits it deepens fourfold and walks again, up to the full history. For a
// path that rarely changes in a long history that means several fetches and
// eventually the whole branch history in the cache (the cache keeps it:
// later Logs cost one small fetch). Meant for a UI's "history" view, not the
// poller.
func (c *Cache) Log(ctx context.Context, url, branch, filePath string, n int, auth transport.AuthMethod) ([]Commit, error) {
	if n <= 0 {
		return nil, nil
	}
	p := cleanPath(filePath)
	entry := c.entry(url)
	entry.mu.Lock()
	defer entry.mu.Unlock()
	repo, err := c.open(entry, url)
	if err != nil {
		return nil, err
	}
	depth := n * 5
	for {
		if err := c.fetch(ctx, repo, url, branch, depth, auth); err != nil {
			return nil, err
		}
		commits, complete, err := walkLog(repo, branch, p, n)
		if err != nil {
			return nil, fmt.Errorf("repository %s: branch %q: log %q: %w", redact(url), branch, p, err)
		}
		if complete || len(commits) >= n {
			return commits, nil
		}
		if depth == math.MaxInt32 {
			return nil, fmt.Errorf("repository %s: branch %q: log %q: history still incomplete after a full fetch", redact(url), branch, p)
		}
		depth = int(min(int64(depth)*4, math.MaxInt32)) // the server's "infinite" depth, as git --unshallow
	}
}

// walkLog walks branch's first parents from its cached tip, collecting up to
// n commits that changed p. complete is false when the walk stopped at a
// commit whose parent is not in the cache (the shallow end).
func walkLog(repo *gogit.Repository, branch, p string, n int) (commits []Commit, complete bool, err error) {
	ref, err := repo.Storer.Reference(plumbing.NewBranchReferenceName(branch))
	if err != nil {
		return nil, false, err
	}
	cur, err := object.GetCommit(repo.Storer, ref.Hash())
	if err != nil {
		return nil, false, err
	}
	curID, err := pathID(cur, p)
	if err != nil {
		return nil, false, err
	}
	for len(commits) < n {
		var parent *object.Commit
		parentID := plumbing.ZeroHash
		if len(cur.ParentHashes) > 0 {
			parent, err = object.GetCommit(repo.Storer, cur.ParentHashes[0])
			if errors.Is(err, plumbing.ErrObjectNotFound) {
				return commits, false, nil // shallow end: cur's change is unknown
			}
			if err != nil {
				return nil, false, err
			}
			if parentID, err = pathID(parent, p); err != nil {
				return nil, false, err
			}
		}
		if curID != parentID {
			commits = append(commits, Commit{
				Hash:    cur.Hash.String(),
				Author:  cur.Author.Name,
				Email:   cur.Author.Email,
				Message: cur.Message,
				When:    cur.Author.When,
			})
		}
		if parent == nil {
			return commits, true, nil
		}
		cur, curID = parent, parentID
	}
	return commits, true, nil
}

// pathID is the id of p's blob or tree in commit, or the zero hash.
func pathID(commit *object.Commit, p string) (plumbing.Hash, error) {
	tree, err := commit.Tree()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if p == "" {
		return tree.Hash, nil
	}
	e, err := tree.FindEntry(p)
	if err != nil {
		return plumbing.ZeroHash, nil // absent
	}
	return e.Hash, nil
}

// commitTree returns the tree of commit h, or ErrCommitNotFound.
func commitTree(repo *gogit.Repository, h plumbing.Hash) (*object.Tree, error) {
	commit, err := object.GetCommit(repo.Storer, h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, fmt.Errorf("not in the cache (Fetch first): %w", ErrCommitNotFound)
	}
	if err != nil {
		return nil, err
	}
	return commit.Tree()
}

func cleanPath(p string) string {
	p = path.Clean("/" + p)
	return strings.TrimPrefix(p, "/")
}
