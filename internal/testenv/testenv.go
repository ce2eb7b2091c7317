package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Binaries the control plane needs, all built by `make k8s-bins`.
var (
	coreBinaries       = []string{"etcd", "kube-apiserver"}
	controllerBinaries = []string{"kube-controller-manager", "kube-scheduler", "kwok"}
)

// StagesFile is the kwok stage configuration written next to the binaries.
const StagesFile = "kwok-stages.yaml"

// Options says which parts of the control plane to start.
type Options struct {
	// Controllers starts kube-controller-manager, kube-scheduler and kwok
	// with one simulated node. Without them the API server stores objects
	// but nothing acts on them.
	Controllers bool
	// EtcdDataDir keeps etcd's data in this directory across restarts.
	// Empty means a temporary directory removed on Stop.
	EtcdDataDir string
	// ServiceClusterIPRange overrides the API server's service CIDR. envtest's
	// default is a /24 (about 250 Services); pass e.g. "10.96.0.0/12" for more.
	ServiceClusterIPRange string
	// LogDir receives one log file per process. Empty means a temporary
	// directory removed on Stop.
	LogDir string
	// BinDir overrides where the binaries are looked up.
	BinDir string
	// Exec makes pod exec work on the simulated node (with Controllers):
	// kwok serves the kubelet API on a loopback port, advertised as the
	// node's InternalIP and kubelet port, a ClusterExec runs every exec
	// locally on this host, and the API server reaches kwok by InternalIP
	// without verifying its self-signed certificate.
	Exec bool
}

// Env is a running control plane.
type Env struct {
	// Config authenticates as an admin (group system:masters).
	Config *rest.Config
	// Kubeconfig is Config as a kubeconfig file's contents.
	Kubeconfig []byte
	// Clientset is a typed client for Config.
	Clientset kubernetes.Interface
	// NodeName is the simulated node, when Options.Controllers is set.
	NodeName string
	// LogDir holds the processes' logs.
	LogDir string

	env     *envtest.Environment
	procs   []*process
	tempDir string
}

// BinDir returns the directory holding the control-plane binaries:
// $KUBEBUILDER_ASSETS if set, else bin/k8s in the repository that contains
// the working directory. It fails, naming `make k8s-bins`, if any binary that
// the given options need is missing.
func BinDir(controllers bool) (string, error) {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		root, err := RepoRoot()
		if err != nil {
			return "", fmt.Errorf("locate control-plane binaries: %w (set KUBEBUILDER_ASSETS or run `make k8s-bins` in the repository)", err)
		}
		dir = filepath.Join(root, "bin", "k8s")
	}
	need := append([]string(nil), coreBinaries...)
	if controllers {
		need = append(need, controllerBinaries...)
		need = append(need, StagesFile)
	}
	var missing []string
	for _, name := range need {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("control-plane binaries missing in %s: %s; run `make k8s-bins` to build them",
			dir, strings.Join(missing, ", "))
	}
	return dir, nil
}

// RepoRoot walks up from the working directory to the directory holding the
// astrolift go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(data), "module github.com/astrolift/astrolift\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no astrolift go.mod above the working directory")
		}
		dir = parent
	}
}

// Start starts etcd and the API server and, with Options.Controllers, the
// controllers and the simulated node. It returns once the API server answers
// and, with controllers, the node is Ready and the service-account controller
// has created the default ServiceAccount.
func Start(ctx context.Context, opts Options) (_ *Env, retErr error) {
	binDir := opts.BinDir
	if binDir == "" {
		var err error
		if binDir, err = BinDir(opts.Controllers); err != nil {
			return nil, err
		}
	}
	tempDir, err := os.MkdirTemp("", "astrolift-testenv-")
	if err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	e := &Env{tempDir: tempDir, LogDir: opts.LogDir}
	defer func() {
		if retErr != nil {
			_ = e.Stop()
		}
	}()
	if e.LogDir == "" {
		e.LogDir = filepath.Join(tempDir, "logs")
	}
	if err := os.MkdirAll(e.LogDir, 0o755); err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}

	e.env = &envtest.Environment{
		BinaryAssetsDirectory:    binDir,
		ControlPlaneStartTimeout: 2 * time.Minute,
		ControlPlaneStopTimeout:  30 * time.Second,
	}
	etcdLog, err := os.Create(filepath.Join(e.LogDir, "etcd.log"))
	if err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	apiLog, err := os.Create(filepath.Join(e.LogDir, "kube-apiserver.log"))
	if err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	etcd := &envtest.Etcd{Out: etcdLog, Err: etcdLog}
	if opts.EtcdDataDir != "" {
		if err := os.MkdirAll(opts.EtcdDataDir, 0o700); err != nil {
			return nil, fmt.Errorf("testenv: etcd data dir: %w", err)
		}
		etcd.DataDir = opts.EtcdDataDir
	}
	api := &envtest.APIServer{Out: apiLog, Err: apiLog}
	if opts.ServiceClusterIPRange != "" {
		api.Configure().Set("service-cluster-ip-range", opts.ServiceClusterIPRange)
	}
	if opts.Exec {
		api.Configure().Set("kubelet-preferred-address-types", "InternalIP")
	}
	e.env.ControlPlane.Etcd = etcd
	e.env.ControlPlane.APIServer = api

	if _, err := e.env.Start(); err != nil {
		return nil, fmt.Errorf("testenv: start etcd and kube-apiserver (logs in %s): %w", e.LogDir, err)
	}
	admin, err := e.env.AddUser(envtest.User{Name: "astrolift-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, fmt.Errorf("testenv: add admin user: %w", err)
	}
	e.Config = admin.Config()
	if e.Kubeconfig, err = admin.KubeConfig(); err != nil {
		return nil, fmt.Errorf("testenv: admin kubeconfig: %w", err)
	}
	if e.Clientset, err = kubernetes.NewForConfig(e.Config); err != nil {
		return nil, fmt.Errorf("testenv: client: %w", err)
	}
	if !opts.Controllers {
		return e, nil
	}
	if err := e.startControllers(ctx, binDir, opts.Exec); err != nil {
		return nil, err
	}
	return e, nil
}

// WriteKubeconfig writes the admin kubeconfig to path with mode 0600.
func (e *Env) WriteKubeconfig(path string) error {
	if err := os.WriteFile(path, e.Kubeconfig, 0o600); err != nil {
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	return nil
}

// Stop stops every process Start started, the controllers first, and
// removes temporary files. It is safe to call more than once.
func (e *Env) Stop() error {
	var errs []error
	for i := len(e.procs) - 1; i >= 0; i-- {
		if err := e.procs[i].stop(10 * time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	e.procs = nil
	if e.env != nil {
		if err := e.env.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("testenv: stop etcd and kube-apiserver: %w", err))
		}
		e.env = nil
	}
	if e.tempDir != "" {
		if err := os.RemoveAll(e.tempDir); err != nil {
			errs = append(errs, err)
		}
		e.tempDir = ""
	}
	return errors.Join(errs...)
}
