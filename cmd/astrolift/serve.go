package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"k8s.io/client-go/rest"

	"github.com/astrolift/astrolift/api"
	"github.com/astrolift/astrolift/internal/kube"
	"github.com/astrolift/astrolift/store"
)

func runServe(ctx context.Context, args []string) error {
	c, log, err := parseFlags("serve", args)
	if err != nil {
		return err
	}
	restCfg, err := kube.Config(c.Kubeconfig, c.InCluster)
	if err != nil && !errors.Is(err, kube.ErrNotConfigured) {
		return err
	}
	return serve(ctx, c, restCfg, log, nil)
}

// serve opens the store (migrating it), and serves the API until ctx ends.
// ready, if not nil, is called with the bound address once listening.
func serve(ctx context.Context, c config, restCfg *rest.Config, log *slog.Logger, ready func(addr string)) error {
	s, err := store.Open(ctx, c.databaseURL(), store.Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	log.Info("database ready", "driver", s.Driver())

	opts := api.Options{DB: s, DBDriver: string(s.Driver()), Logger: log, Version: version}
	if restCfg != nil {
		checker, err := kube.NewChecker("default", restCfg)
		if err != nil {
			return err
		}
		opts.Cluster = checker
		log.Info("cluster configured", "host", restCfg.Host)
	} else {
		log.Warn("no cluster configured; pass --kubeconfig or --in-cluster")
	}

	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Listen, err)
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	return api.Serve(ctx, ln, api.New(opts).Handler(), log)
}

func runMigrate(ctx context.Context, args []string) error {
	c, _, err := parseFlags("migrate", args)
	if err != nil {
		return err
	}
	s, err := store.Open(ctx, c.databaseURL(), store.Options{SkipMigrate: true})
	if err != nil {
		return err
	}
	defer s.Close()
	applied, err := s.Migrate(ctx)
	if err != nil {
		return err
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("%s database at schema version %d (applied now: %v)\n", s.Driver(), v, applied)
	return nil
}
