package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/validate/content"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"

	"github.com/astrolift/astrolift/reconciler"
)

// config is what serve, dev and migrate read from flags and ASTROLIFT_* env.
type config struct {
	Listen      string
	DatabaseURL string
	DataDir     string
	Kubeconfig  string
	InCluster   bool
	LogFormat   string
	LogLevel    string
	// PollInterval is the git poller's default interval.
	PollInterval time.Duration
	// DriftInterval is how often each deployed environment is compared
	// with its cluster.
	DriftInterval time.Duration
	// DeployLeaseTTL is how long a running deployment's lease lasts without
	// renewal: after a replica dies, another resumes its deployment then.
	DeployLeaseTTL time.Duration
	// ServiceAccountAnnotations go on every app's workload-identity
	// ServiceAccount (cloud IAM), from onboarding and from every deploy.
	ServiceAccountAnnotations map[string]string
	// Registry is the platform registry HOST[/PATH] ("" for none);
	// RegistryInsecure talks plain HTTP to it. parseFlags validates it
	// into registry.
	Registry         string
	RegistryInsecure bool
	registry         *reconciler.Registry
	// ExternalURL is where git hosts reach this server; webhooks
	// registered on connection-backed repositories post there.
	ExternalURL string
	// WebhookAllowPrivate lets outbound webhooks reach private and loopback
	// addresses (link-local and cloud metadata addresses never).
	WebhookAllowPrivate bool
	// DNSResolver is the "host:port" of the DNS server custom domains'
	// TXT challenges are resolved through ("": the system resolver).
	DNSResolver string
	// CertIssuer is the cert-manager ClusterIssuer of custom domains'
	// certificates (used where the cluster has cert-manager).
	CertIssuer string
	// ScreenshotBrowser is the Chromium that captures apps' thumbnails:
	// "" looks one up on PATH, "off" disables screenshots.
	ScreenshotBrowser string
	// ScreenshotAllowPrivate lets the captured pages (and their requests)
	// reach private and loopback addresses (link-local and cloud metadata
	// addresses never).
	ScreenshotAllowPrivate bool
	// UIDevURL is a Vite dev server (npm run dev in ui/) the dashboard is
	// proxied to instead of the embedded build ("": embedded).
	UIDevURL string
	// dev: astrolift dev creates the master key file when missing.
	dev bool
}

// envName maps a flag to its environment variable: database-url → ASTROLIFT_DATABASE_URL.
func envName(flagName string) string {
	return "ASTROLIFT_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func envString(name, def string) string {
	if v, ok := os.LookupEnv(envName(name)); ok {
		return v
	}
	return def
}

func envBool(name string, def bool) (bool, error) {
	v, ok := os.LookupEnv(envName(name))
	if !ok {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: not a boolean", envName(name), v)
	}
	return b, nil
}

// newFlagSet declares the common flags with env-var defaults.
func newFlagSet(cmd string, c *config, dataDirDefault string) (*flag.FlagSet, error) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	inCluster, err := envBool("in-cluster", false)
	if err != nil {
		return nil, err
	}
	fs.StringVar(&c.Listen, "listen", envString("listen", "127.0.0.1:8080"), "HTTP listen address ($ASTROLIFT_LISTEN)")
	fs.StringVar(&c.DataDir, "data-dir", envString("data-dir", dataDirDefault), "data directory: SQLite file, keys, local control plane ($ASTROLIFT_DATA_DIR)")
	fs.StringVar(&c.DatabaseURL, "database-url", envString("database-url", ""), "postgres://… or a SQLite path; default <data-dir>/astrolift.db ($ASTROLIFT_DATABASE_URL)")
	fs.StringVar(&c.Kubeconfig, "kubeconfig", envString("kubeconfig", ""), "kubeconfig of the default cluster ($ASTROLIFT_KUBECONFIG)")
	fs.BoolVar(&c.InCluster, "in-cluster", inCluster, "use the pod's service account as the default cluster ($ASTROLIFT_IN_CLUSTER)")
	fs.StringVar(&c.LogFormat, "log-format", envString("log-format", "text"), "log format: text or json ($ASTROLIFT_LOG_FORMAT)")
	fs.StringVar(&c.LogLevel, "log-level", envString("log-level", "info"), "log level: debug, info, warn, error ($ASTROLIFT_LOG_LEVEL)")
	for _, d := range []struct {
		dst         *time.Duration
		name, def   string
		description string
	}{
		{&c.PollInterval, "poll-interval", "30s", "how often the git poller checks each repository"},
		{&c.DriftInterval, "drift-interval", "3m", "how often each deployed environment is compared with its cluster"},
		{&c.DeployLeaseTTL, "deploy-lease-ttl", "1m", "how long a dead replica's deployment waits before another replica resumes it"},
	} {
		def, err := time.ParseDuration(envString(d.name, d.def))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", envName(d.name), err)
		}
		fs.DurationVar(d.dst, d.name, def, d.description+" ($"+envName(d.name)+")")
	}
	ann, err := parseAnnotations(envString("service-account-annotations", ""))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", envName("service-account-annotations"), err)
	}
	c.ServiceAccountAnnotations = ann
	fs.Var((*annotationsFlag)(&c.ServiceAccountAnnotations), "service-account-annotations",
		"k=v,k2=v2: annotations of every app's ServiceAccount, for cloud IAM ($ASTROLIFT_SERVICE_ACCOUNT_ANNOTATIONS)")
	registryInsecure, err := envBool("registry-insecure", false)
	if err != nil {
		return nil, err
	}
	fs.StringVar(&c.Registry, "registry", envString("registry", ""), "HOST[/PATH] of the container registry: an app's images go to <registry>/<org>/<app> ($ASTROLIFT_REGISTRY)")
	fs.BoolVar(&c.RegistryInsecure, "registry-insecure", registryInsecure, "talk plain HTTP to the registry, for a local one ($ASTROLIFT_REGISTRY_INSECURE)")
	webhookAllowPrivate, err := envBool("webhook-allow-private", false)
	if err != nil {
		return nil, err
	}
	fs.BoolVar(&c.WebhookAllowPrivate, "webhook-allow-private", webhookAllowPrivate,
		"let outbound webhooks reach private (10/8, 172.16/12, 192.168/16, fc00::/7) and loopback addresses; link-local and cloud metadata stay refused; astrolift dev allows them ($ASTROLIFT_WEBHOOK_ALLOW_PRIVATE)")
	screenshotAllowPrivate, err := envBool("screenshot-allow-private", false)
	if err != nil {
		return nil, err
	}
	fs.StringVar(&c.ScreenshotBrowser, "screenshot-browser", envString("screenshot-browser", ""),
		"Chromium that captures each ready app's primary public URL for the dashboard's thumbnail (default: chromium, chromium-browser or google-chrome on PATH; \"off\": no screenshots) ($ASTROLIFT_SCREENSHOT_BROWSER)")
	fs.BoolVar(&c.ScreenshotAllowPrivate, "screenshot-allow-private", screenshotAllowPrivate,
		"let screenshots open pages on private (10/8, 172.16/12, 192.168/16, fc00::/7) and loopback addresses; link-local and cloud metadata stay refused; astrolift dev allows them ($ASTROLIFT_SCREENSHOT_ALLOW_PRIVATE)")
	fs.StringVar(&c.DNSResolver, "dns-resolver", envString("dns-resolver", ""),
		"host:port of the DNS server that custom domains' TXT challenges are resolved through (default: the system resolver) ($ASTROLIFT_DNS_RESOLVER)")
	fs.StringVar(&c.UIDevURL, "ui-dev-url", envString("ui-dev-url", ""),
		"serve the dashboard from this Vite dev server (http://127.0.0.1:5173) instead of the embedded build")
	fs.StringVar(&c.CertIssuer, "cert-issuer", envString("cert-issuer", "letsencrypt"),
		"cert-manager ClusterIssuer of custom domains' certificates: where a cluster has cert-manager's Certificate CRD, each validated custom domain gets a Certificate from it (empty: never) ($ASTROLIFT_CERT_ISSUER)")
	fs.StringVar(&c.ExternalURL, "external-url", envString("external-url", ""),
		"URL git hosts reach this server at; push webhooks registered on connection-backed repositories post to it (default for astrolift dev: http://<listen>; serve registers none without it) ($ASTROLIFT_EXTERNAL_URL)")
	return fs, nil
}

// annotationsFlag is a k=v,k2=v2 flag; each use replaces the whole set.
type annotationsFlag map[string]string

func (a *annotationsFlag) String() string {
	if a == nil {
		return ""
	}
	keys := make([]string, 0, len(*a))
	for k := range *a {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		keys[i] = k + "=" + (*a)[k]
	}
	return strings.Join(keys, ",")
}

func (a *annotationsFlag) Set(s string) error {
	m, err := parseAnnotations(s)
	if err != nil {
		return err
	}
	*a = m
	return nil
}

// parseAnnotations reads k=v,k2=v2 (values cannot hold commas). Keys must be
// valid Kubernetes annotation keys ([prefix/]name, case-insensitive; the
// rule of apimachinery's ValidateAnnotations).
func parseAnnotations(s string) (map[string]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	m := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok {
			return nil, fmt.Errorf("%q: want key=value", kv)
		}
		if msgs := content.IsLabelKey(strings.ToLower(k)); len(msgs) > 0 {
			return nil, fmt.Errorf("key %q: %s", k, strings.Join(msgs, "; "))
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("key %q given twice", k)
		}
		m[k] = v
	}
	if err := apivalidation.ValidateAnnotationsSize(m); err != nil {
		return nil, err
	}
	return m, nil
}

// parseFlags parses a subcommand's flags and builds its logger.
func parseFlags(cmd string, args []string) (config, *slog.Logger, error) {
	var c config
	fs, err := newFlagSet(cmd, &c, "data")
	if err != nil {
		return c, nil, err
	}
	if err := fs.Parse(args); err != nil {
		return c, nil, err
	}
	if c.DNSResolver != "" {
		if _, port, err := net.SplitHostPort(c.DNSResolver); err != nil || port == "" {
			return c, nil, fmt.Errorf("--dns-resolver %q: want host:port (1.1.1.1:53)", c.DNSResolver)
		}
	}
	if c.Registry != "" {
		if c.registry, err = reconciler.ParseRegistry(c.Registry, c.RegistryInsecure); err != nil {
			return c, nil, fmt.Errorf("--registry %q: %w", c.Registry, err)
		}
	}
	log, err := c.logger(os.Stderr)
	return c, log, err
}

// databaseURL defaults to a SQLite file in the data directory.
func (c *config) databaseURL() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return "sqlite://" + filepath.Join(c.DataDir, "astrolift.db")
}

// logger builds the structured logger.
func (c *config) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.LogFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", c.LogFormat)
}

func versionString() string {
	commit := ""
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				commit = " " + s.Value[:12]
			}
		}
	}
	return fmt.Sprintf("astrolift %s%s (%s %s/%s)", version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
