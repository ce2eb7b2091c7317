package podexec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"
	"k8s.io/streaming/pkg/httpstream"

	"github.com/astrolift/astrolift/render"
	"github.com/astrolift/astrolift/store"
)

// ErrNoPod means the workload has no running, ready pod to exec into.
var ErrNoPod = errors.New("no running and ready pod")

// Executor execs into the pods of environments' clusters.
type Executor struct {
	// Config returns the REST config of the environment's cluster
	// (reconciler.Clusters.For(ctx, env).Config).
	Config func(ctx context.Context, env *store.Environment) (*rest.Config, error)
}

// Target picks the pod and container a command runs in: a Running and
// Ready pod of the app's workload (labels astrolift.dev/app and
// astrolift.dev/workload) in the environment's namespace, the oldest first,
// and the named container, or the primary one (named after the workload,
// else the first) when container is empty.
func (x *Executor) Target(ctx context.Context, env *store.Environment, app, workload, container string) (pod, ctr string, err error) {
	cs, _, err := x.clients(ctx, env)
	if err != nil {
		return "", "", err
	}
	sel := labels.SelectorFromSet(labels.Set{render.LabelApp: app, render.LabelWorkload: workload}).String()
	pods, err := cs.CoreV1().Pods(env.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return "", "", fmt.Errorf("list pods of workload %s in namespace %s: %w", workload, env.Namespace, err)
	}
	items := pods.Items
	sort.Slice(items, func(i, j int) bool {
		if !items[i].CreationTimestamp.Equal(&items[j].CreationTimestamp) {
			return items[i].CreationTimestamp.Before(&items[j].CreationTimestamp)
		}
		return items[i].Name < items[j].Name
	})
	for i := range items {
		p := &items[i]
		if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning || !podReady(p) {
			continue
		}
		c, err := pickContainer(p, workload, container)
		if err != nil {
			return "", "", err
		}
		return p.Name, c, nil
	}
	return "", "", fmt.Errorf("workload %s in namespace %s: %w", workload, env.Namespace, ErrNoPod)
}

func pickContainer(p *corev1.Pod, workload, container string) (string, error) {
	if container == "" {
		for _, c := range p.Spec.Containers {
			if c.Name == workload {
				return c.Name, nil
			}
		}
		if len(p.Spec.Containers) == 0 {
			return "", fmt.Errorf("pod %s has no containers", p.Name)
		}
		return p.Spec.Containers[0].Name, nil
	}
	for _, c := range p.Spec.Containers {
		if c.Name == container {
			return c.Name, nil
		}
	}
	return "", fmt.Errorf("pod %s has no container %q", p.Name, container)
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// Exec runs cmd in the pod's container without a TTY, copying stdin (may
// be nil) to it and its output to stdout and stderr until it exits or ctx
// ends (which closes the stream; the remote process ends with it). The exit
// code is the remote process's; err is non-nil only when the command could
// not run to an exit status (connection, pod, cancellation).
func (x *Executor) Exec(ctx context.Context, env *store.Environment, pod, container string, cmd []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	cs, cfg, err := x.clients(ctx, env)
	if err != nil {
		return -1, err
	}
	req := cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(env.Namespace).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{
			Container: container,
			Command:   cmd,
			Stdin:     stdin != nil,
			Stdout:    true,
			Stderr:    true,
		}, scheme.ParameterCodec)
	ws, err := remotecommand.NewWebSocketExecutor(cfg, "GET", req.URL().String())
	if err != nil {
		return -1, fmt.Errorf("exec in pod %s/%s: %w", env.Namespace, pod, err)
	}
	spdy, err := remotecommand.NewSPDYExecutor(cfg, "POST", req.URL())
	if err != nil {
		return -1, fmt.Errorf("exec in pod %s/%s: %w", env.Namespace, pod, err)
	}
	ex, err := remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return -1, fmt.Errorf("exec in pod %s/%s: %w", env.Namespace, pod, err)
	}
	// When ctx ends, StreamWithContext returns while client-go's copy
	// goroutines may still be writing: the gate drops their writes once
	// Exec has returned, so callers own their writers again.
	gate := &gate{}
	defer gate.close()
	opts := remotecommand.StreamOptions{Stdin: stdin}
	if stdout != nil {
		opts.Stdout = &gated{gate: gate, w: stdout}
	}
	if stderr != nil {
		opts.Stderr = &gated{gate: gate, w: stderr}
	}
	err = ex.StreamWithContext(ctx, opts)
	if err == nil {
		return 0, nil
	}
	if ctx.Err() != nil {
		return -1, fmt.Errorf("exec in pod %s/%s: %w", env.Namespace, pod, ctx.Err())
	}
	if code, ok := exitCode(err); ok {
		return code, nil
	}
	return -1, fmt.Errorf("exec in pod %s/%s container %s: %w", env.Namespace, pod, container, err)
}

// kwokExit matches the failure kwok's kubelet server reports for a local
// command that exited non-zero ("... cmd wait: <cmd>: exit status 3"): it
// wraps os/exec's error, which the streaming server does not recognize as
// an exit code, so the status carries the code only in its message.
var kwokExit = regexp.MustCompile(`cmd wait: .*: exit status (\d+)$`)

// exitCode is the remote exit status an exec error reports: a kubelet's
// NonZeroExitCode status (utilexec.ExitError), else kwok's message.
// gate is shared by an exec's output writers; once closed they drop
// writes.
type gate struct {
	mu     sync.Mutex
	closed bool
}

func (g *gate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// gated writes to w until its gate closes (one write at a time).
type gated struct {
	gate *gate
	w    io.Writer
}

func (g *gated) Write(p []byte) (int, error) {
	g.gate.mu.Lock()
	defer g.gate.mu.Unlock()
	if g.gate.closed {
		return len(p), nil
	}
	return g.w.Write(p)
}

func exitCode(err error) (int, bool) {
	var exit utilexec.ExitError
	if errors.As(err, &exit) && exit.Exited() {
		return exit.ExitStatus(), true
	}
	if m := kwokExit.FindStringSubmatch(err.Error()); m != nil {
		if code, convErr := strconv.Atoi(m[1]); convErr == nil {
			return code, true
		}
	}
	return 0, false
}

func (x *Executor) clients(ctx context.Context, env *store.Environment) (*kubernetes.Clientset, *rest.Config, error) {
	if x.Config == nil {
		return nil, nil, fmt.Errorf("environment %s: no cluster configuration", env.Name)
	}
	cfg, err := x.Config(ctx, env)
	if err != nil {
		return nil, nil, fmt.Errorf("environment %s: %w", env.Name, err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("environment %s: %w", env.Name, err)
	}
	return cs, cfg, nil
}
