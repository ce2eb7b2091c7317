package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
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
	poll, err := time.ParseDuration(envString("poll-interval", "30s"))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", envName("poll-interval"), err)
	}
	fs.DurationVar(&c.PollInterval, "poll-interval", poll, "how often the git poller checks each repository ($ASTROLIFT_POLL_INTERVAL)")
	driftEvery, err := time.ParseDuration(envString("drift-interval", "1m"))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", envName("drift-interval"), err)
	}
	leaseTTL, err := time.ParseDuration(envString("deploy-lease-ttl", "1m"))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", envName("deploy-lease-ttl"), err)
	}
	fs.DurationVar(&c.DeployLeaseTTL, "deploy-lease-ttl", leaseTTL, "how long a dead replica's deployment waits before another replica resumes it ($ASTROLIFT_DEPLOY_LEASE_TTL)")
	fs.DurationVar(&c.DriftInterval, "drift-interval", driftEvery, "how often each deployed environment is compared with its cluster ($ASTROLIFT_DRIFT_INTERVAL)")
	return fs, nil
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
