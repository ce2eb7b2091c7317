package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/astrolift/astrolift/examples"
	"github.com/astrolift/astrolift/internal/gitserver"
	"github.com/astrolift/astrolift/store"
)

// demoSlug is the demo app astrolift dev registers.
const demoSlug = "shop"

// demoGit serves <data-dir>/repos over smart HTTP (fetch and push) for the
// demo app, on listen or, when that port is taken, on any free port.
type demoGit struct {
	url string // the demo repository's clone URL
	srv *http.Server
}

// startDemoGit creates the demo repository once (examples/shop committed
// on main, pushes accepted) and serves it.
func startDemoGit(dataDir, listen string, log *slog.Logger) (*demoGit, error) {
	root := filepath.Join(dataDir, "repos")
	repo := filepath.Join(root, demoSlug+".git")
	if _, err := os.Stat(repo); errors.Is(err, os.ErrNotExist) {
		if err := createDemoRepo(root, repo); err != nil {
			return nil, fmt.Errorf("demo repository %s: %w", repo, err)
		}
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		log.Warn("demo git server: port taken, using a free one", "listen", listen, "error", err)
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("demo git server: %w", err)
		}
	}
	backend := gitserver.Backend(root, os.Stderr)
	srv := &http.Server{Handler: backend, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("demo git server", "error", err)
		}
	}()
	return &demoGit{url: "http://" + ln.Addr().String() + "/" + demoSlug + ".git", srv: srv}, nil
}

func (g *demoGit) Close() error { return g.srv.Close() }

// createDemoRepo commits examples/shop into a new bare repository.
func createDemoRepo(root, repo string) error {
	work, err := os.MkdirTemp("", "astrolift-demo-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(work) }()
	err = fs.WalkDir(examples.Shop, "shop", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := examples.Shop.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("shop", filepath.FromSlash(path))
		dst := filepath.Join(work, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	ident := []string{"-c", "user.name=Astrolift demo", "-c", "user.email=demo@astrolift.local"}
	for _, args := range [][]string{
		{"-C", work, "init", "-q", "-b", "main"},
		{"-C", work, "add", "-A"},
		append(append([]string{"-C", work}, ident...), "commit", "-q", "-m", "Demo shop"),
		{"clone", "-q", "--bare", work, repo},
		{"-C", repo, "config", "http.receivepack", "true"},
	} {
		if out, err := exec.Command("git", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("git %v: %w: %s", args, err, out)
		}
	}
	return nil
}

// seedDemoApp registers the demo app once: project demo, push trigger,
// polled every 5 s, environments staging and production on the cluster
// local. The poller then syncs its manifest and deploys it. On later starts
// it only points the app at the repository's current URL.
func seedDemoApp(ctx context.Context, s *store.Store, url string) error {
	org, err := s.GetOrganization(ctx, "default")
	if err != nil {
		return fmt.Errorf("seed demo app: %w", err)
	}
	a, err := s.GetApp(ctx, demoSlug)
	if err == nil {
		if a.SourceURL != url {
			return s.SetAppSource(ctx, a.ID, url)
		}
		return nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("seed demo app: %w", err)
	}
	proj, err := s.GetProject(ctx, org.ID, "demo")
	if err != nil {
		return fmt.Errorf("seed demo app: %w", err)
	}
	cl, err := s.GetCluster(ctx, org.ID, "local")
	if err != nil {
		return fmt.Errorf("seed demo app: %w", err)
	}
	a = &store.App{OrgID: org.ID, ProjectID: proj.ID, Slug: demoSlug, Name: "Demo shop",
		Description: "Seeded by astrolift dev from examples/shop", SourceURL: url, TriggerMode: "push", PollInterval: 5 * time.Second}
	if err := s.CreateApp(ctx, a); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil // the slug is reserved by a deleted demo app: leave it deleted
		}
		return fmt.Errorf("seed demo app: %w", err)
	}
	for i, name := range []string{"staging", "production"} {
		e := &store.Environment{AppID: a.ID, Name: name, Namespace: demoSlug + "-" + name, ClusterID: cl.ID, Position: i}
		if err := s.CreateEnvironment(ctx, e); err != nil {
			return fmt.Errorf("seed demo app: %w", err)
		}
	}
	return nil
}
