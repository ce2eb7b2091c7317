package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/go-logr/logr"
	"net"
	"os"
	"path/filepath"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sync"

	"k8s.io/client-go/rest"

	"github.com/astrolift/astrolift/api"
	"github.com/astrolift/astrolift/internal/kube"
	"github.com/astrolift/astrolift/internal/secretbox"
	"github.com/astrolift/astrolift/internal/ssrf"
	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/reconciler/podexec"
	"github.com/astrolift/astrolift/reconciler/screenshot"
	"github.com/astrolift/astrolift/scm/connect"
	"github.com/astrolift/astrolift/scm/git"
	"github.com/astrolift/astrolift/store"
	"github.com/astrolift/astrolift/ui"
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
	s, err := openStore(ctx, c, log)
	if err != nil {
		return err
	}
	defer s.Close()
	return serve(ctx, c, s, restCfg, log, nil)
}

// openStore opens (and migrates) the configured database.
func openStore(ctx context.Context, c config, log *slog.Logger) (*store.Store, error) {
	s, err := store.Open(ctx, c.databaseURL(), store.Options{})
	if err != nil {
		return nil, err
	}
	log.Info("database ready", "driver", s.Driver())
	return s, nil
}

// serve serves the API on c.Listen until ctx ends. ready, if not nil, is
// called with the bound address once listening.
func serve(ctx context.Context, c config, s *store.Store, restCfg *rest.Config, log *slog.Logger, ready func(addr string)) error {
	// controller-runtime (the live-state caches) logs through our logger.
	ctrllog.SetLogger(logr.FromSlogHandler(log.With("component", "controller-runtime").Handler()))
	cache := &git.Cache{Dir: filepath.Join(c.DataDir, "git-cache")}
	var box *secretbox.Box
	if key, err := secretbox.LoadKey(c.DataDir, c.dev); err != nil {
		log.Warn("no master key: webhooks, SCM credentials and secret bundles are unavailable", "error", err)
	} else if box, err = secretbox.New(key); err != nil {
		return err
	}
	var opener reconciler.Opener
	if box != nil {
		opener = box
	}
	auth := reconciler.ConnectionAuth(s, opener)
	host, _ := os.Hostname()
	poller := &reconciler.Poller{Store: s, Cache: cache, Auth: auth, Interval: c.PollInterval, Log: log,
		Holder: fmt.Sprintf("%s-%d", host, os.Getpid())}
	opts := api.Options{Store: s, Logger: log, Version: version, Repos: publicRepos{},
		Source: &reconciler.GitSource{Cache: cache, Auth: auth}, Poller: poller, SCM: connect.New}
	if box != nil {
		opts.Secrets = box
	}
	secrets := &reconciler.Secrets{Store: s}
	if box != nil {
		id, err := reconciler.PlatformIdentity(ctx, s, box)
		if err != nil {
			return err
		}
		secrets.Identity = id
		opts.Recipient = id.Recipient()
		log.Info("platform identity ready", "recipient", id.Recipient().String())
	}
	clusters := &reconciler.Clusters{Store: s, Box: opener}
	runner := &reconciler.DeployRunner{Store: s, Holder: poller.Holder, Log: log, LeaseTTL: c.DeployLeaseTTL,
		Deployer: &reconciler.Deployer{Store: s, Cluster: clusters.For, ServiceAccountAnnotations: c.ServiceAccountAnnotations, Secrets: secrets,
			CertIssuer: c.CertIssuer}}
	drifts := &reconciler.DriftChecker{Store: s, Cluster: clusters.For, Holder: poller.Holder, Interval: c.DriftInterval, Log: log, Box: opener}
	if box != nil {
		runner.Deployer.Box = box
	}
	// Screenshots of the apps' primary public URLs, when a browser is
	// installed: after each successful deployment and daily.
	shots := &screenshot.Shooter{Store: s, Holder: poller.Holder, Log: log,
		Policy: ssrf.Policy{AllowPrivate: c.ScreenshotAllowPrivate || c.dev}}
	if path, off := screenshot.Browser(c.ScreenshotBrowser); path != "" {
		shots.BrowserPath = path
		log.Info("screenshots on", "browser", path)
	} else {
		log.Info("screenshots are off", "reason", off)
	}
	runner.Deployer.Succeeded = func(envID int64) {
		drifts.Trigger(envID)
		shots.Trigger(envID)
	}
	opts.Drift = drifts
	opts.Exec = &podexec.Executor{Config: func(ctx context.Context, env *store.Environment) (*rest.Config, error) {
		cc, err := clusters.For(ctx, env)
		if err != nil {
			return nil, err
		}
		return cc.Config, nil
	}}
	poller.Queued = runner.Wake
	opts.Deployments = runner
	loopsCtx, stopLoops := context.WithCancel(ctx)
	var loops sync.WaitGroup
	// Onboarding and the deployer apply the same ServiceAccount with the same
	// field manager: both get the same annotations, or a deploy removes them.
	onboarder := &reconciler.Onboarder{Store: s, Cluster: clusters.For, Log: log,
		ServiceAccountAnnotations: c.ServiceAccountAnnotations, Registry: c.registry}
	if c.registry != nil {
		log.Info("registry configured", "registry", c.registry.Host, "insecure", c.registry.Insecure)
	}
	live := &reconciler.LiveWatcher{Store: s, Cluster: clusters.For, SpecChanged: drifts.Trigger, Log: log}
	// Outbound webhooks: astrolift dev's receivers are usually on this machine.
	webhookPolicy := ssrf.Policy{AllowPrivate: c.WebhookAllowPrivate || c.dev}
	webhooks := &reconciler.WebhookDispatcher{Store: s, Box: opener, Policy: webhookPolicy, Log: log}
	opts.Webhooks, opts.WebhookPolicy = webhooks, webhookPolicy
	domains := &reconciler.DomainChecker{Store: s, Resolver: reconciler.NewTXTResolver(c.DNSResolver), Holder: poller.Holder, Log: log}
	opts.Domains = domains
	// Managed services run in the environments' clusters; astrolift dev's
	// local control plane has no volume provisioner, so data is ephemeral
	// there.
	managed := &reconciler.ManagedServices{Store: s, Cluster: clusters.For, Holder: poller.Holder, Log: log,
		Providers: []reconciler.ManagedProvider{&reconciler.InCluster{Ephemeral: c.dev}}}
	if box != nil {
		managed.Box = box
	}
	opts.ManagedServiceKinds = reconciler.InClusterKinds
	for _, run := range []func(context.Context) error{poller.Run, runner.Run, onboarder.Run, drifts.Run, live.Run, webhooks.Run, managed.Run, domains.Run, shots.Run} {
		loops.Add(1)
		go func() { defer loops.Done(); _ = run(loopsCtx) }()
	}
	defer func() { stopLoops(); loops.Wait() }()
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
	opts.ExternalURL = c.ExternalURL
	if opts.ExternalURL == "" && c.dev {
		opts.ExternalURL = "http://" + ln.Addr().String()
	}
	if opts.UI, err = dashboard(c, log); err != nil {
		return err
	}
	return api.Serve(ctx, ln, api.New(opts).Handler(), log)
}

// publicRepos reads repositories without credentials (SCM connections bring
// credentials in a later issue).
type publicRepos struct{}

func (publicRepos) DefaultBranch(ctx context.Context, url string) (string, error) {
	return git.DefaultBranch(ctx, url, nil)
}

// dashboard is the UI handler: the embedded build, or a proxy to a Vite dev
// server with --ui-dev-url.
func dashboard(c config, log *slog.Logger) (http.Handler, error) {
	if c.UIDevURL == "" {
		files := ui.Files()
		if !ui.Built(files) {
			log.Warn("this binary has no dashboard built in: run make build")
		}
		return ui.Handler(files), nil
	}
	u, err := url.Parse(c.UIDevURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("--ui-dev-url %q: want http://host:port", c.UIDevURL)
	}
	log.Info("dashboard proxied to the Vite dev server", "url", u.String())
	return ui.DevProxy(u), nil
}
