package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/astrolift/astrolift/api"
	"github.com/astrolift/astrolift/internal/secretbox"
	"github.com/astrolift/astrolift/internal/testenv"
	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/store"
)

// runDev is the embedded default: SQLite in the data directory, the local
// control plane from internal/testenv (controllers and kwok included) with
// its kubeconfig written to <data-dir>/kubeconfig, and serve on top.
// SIGINT/SIGTERM stop the server and then every control-plane process.
func runDev(ctx context.Context, args []string) (retErr error) {
	c, log, err := parseFlags("dev", args)
	if err != nil {
		return err
	}
	dataDir, err := filepath.Abs(c.DataDir)
	if err != nil {
		return err
	}
	c.DataDir = dataDir
	c.dev = true
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("data dir %s: %w", dataDir, err)
	}

	s, err := openStore(ctx, c, log)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := seedDev(ctx, s); err != nil {
		return err
	}

	log.Info("starting local control plane", "logs", filepath.Join(dataDir, "logs"))
	env, err := testenv.Start(ctx, testenv.Options{
		Controllers:           true,
		EtcdDataDir:           filepath.Join(dataDir, "etcd"),
		LogDir:                filepath.Join(dataDir, "logs"),
		ServiceClusterIPRange: "10.96.0.0/12",
	})
	if err != nil {
		return err
	}
	defer func() {
		log.Info("stopping local control plane")
		if err := env.Stop(); err != nil {
			retErr = errors.Join(retErr, err)
		}
	}()
	kubeconfig := filepath.Join(dataDir, "kubeconfig")
	if err := env.WriteKubeconfig(kubeconfig); err != nil {
		return err
	}
	log.Info("local control plane ready", "kubeconfig", kubeconfig, "node", env.NodeName)
	if err := registerLocalCluster(ctx, s, dataDir, env.Kubeconfig); err != nil {
		return err
	}
	demo, err := startDemoGit(dataDir, demoGitListen, log)
	if err != nil {
		return err
	}
	defer func() { _ = demo.Close() }()
	if err := seedDemoApp(ctx, s, demo.url); err != nil {
		return err
	}

	return serve(ctx, c, s, env.Config, log, func(addr string) {
		fmt.Fprintf(os.Stderr, "\nAstrolift is running at http://%s (readiness: http://%s/readyz)\n"+
			"kubectl --kubeconfig %s get nodes\n"+
			"Demo app %q: git clone %s, edit astrolift.toml, push, and watch it deploy\n\n", addr, addr, kubeconfig, demoSlug, demo.url)
	})
}

// demoGitListen is where astrolift dev serves the demo repository (any
// free port when taken).
const demoGitListen = "127.0.0.1:8081"

// seedDev creates the default organization and project once.
func seedDev(ctx context.Context, s *store.Store) error {
	org, err := s.GetOrganization(ctx, "default")
	if errors.Is(err, store.ErrNotFound) {
		org = &store.Organization{Slug: "default", Name: "Default organization"}
		err = s.CreateOrganization(ctx, org)
	}
	if err != nil {
		return fmt.Errorf("seed organization: %w", err)
	}
	if err := seedAdmin(ctx, s, org, os.Stderr); err != nil {
		return err
	}
	if _, err := s.GetProject(ctx, org.ID, "demo"); errors.Is(err, store.ErrNotFound) {
		err = s.CreateProject(ctx, &store.Project{OrgID: org.ID, Slug: "demo", Name: "Demo", Description: "Seeded by astrolift dev"})
		if err != nil {
			return fmt.Errorf("seed project: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("seed project: %w", err)
	}
	return nil
}

// devAdminEmail is the first admin that astrolift dev creates.
const devAdminEmail = "admin@astrolift.local"

// seedAdmin creates the first admin (org.owner) when the organization has no
// user yet, and prints the generated password once, to the terminal only
// (never to the log).
func seedAdmin(ctx context.Context, s *store.Store, org *store.Organization, w io.Writer) error {
	users, err := s.ListUsers(ctx, org.ID)
	if err != nil {
		return fmt.Errorf("seed admin: %w", err)
	}
	if len(users) > 0 {
		return nil
	}
	password := rand.Text()
	hash, err := api.HashPassword(password)
	if err != nil {
		return fmt.Errorf("seed admin: %w", err)
	}
	u := &store.User{OrgID: org.ID, Email: devAdminEmail, Name: "Admin", PasswordHash: hash}
	if err := s.CreateUser(ctx, u); err != nil {
		return fmt.Errorf("seed admin: %w", err)
	}
	b := &store.RoleBinding{OrgID: org.ID, UserID: u.ID, Role: "org.owner", ScopeLevel: store.ScopeOrg, ScopeID: org.ID}
	if err := s.CreateRoleBinding(ctx, b); err != nil {
		return fmt.Errorf("seed admin: %w", err)
	}
	fmt.Fprintf(w, "\nFirst admin created (shown once, keep it):\n  email:    %s\n  password: %s\n\n", u.Email, password)
	return nil
}

// registerLocalCluster records the local control plane as the cluster
// "local" of the default organization, its kubeconfig sealed with the
// master key (refreshed on every start: the control plane's certificates
// change).
func registerLocalCluster(ctx context.Context, s *store.Store, dataDir string, kubeconfig []byte) error {
	key, err := secretbox.LoadKey(dataDir, true)
	if err != nil {
		return err
	}
	box, err := secretbox.New(key)
	if err != nil {
		return err
	}
	org, err := s.GetOrganization(ctx, "default")
	if err != nil {
		return fmt.Errorf("register local cluster: %w", err)
	}
	sealed := box.Seal(reconciler.PurposeKubeconfig, kubeconfig)
	c, err := s.GetCluster(ctx, org.ID, "local")
	switch {
	case errors.Is(err, store.ErrNotFound):
		err = s.CreateCluster(ctx, &store.Cluster{OrgID: org.ID, Name: "local", Kind: store.ClusterKubeconfig, KubeconfigSealed: sealed})
	case err == nil:
		err = s.UpdateClusterCredentials(ctx, c.ID, c.APIURL, sealed)
	}
	if err != nil {
		return fmt.Errorf("register local cluster: %w", err)
	}
	return nil
}
