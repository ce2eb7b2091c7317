package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// KwokNodeAnnotation marks a Node that kwok simulates.
const KwokNodeAnnotation = "kwok.x-k8s.io/node"

// startControllers runs kube-controller-manager, kube-scheduler and kwok
// against the API server and registers one simulated node.
func (e *Env) startControllers(ctx context.Context, binDir string, exec bool) error {
	kubeconfig := filepath.Join(e.tempDir, "kubeconfig")
	if err := e.WriteKubeconfig(kubeconfig); err != nil {
		return fmt.Errorf("testenv: %w", err)
	}
	cmds := []struct {
		name string
		args []string
	}{
		{"kube-controller-manager", []string{
			"--kubeconfig=" + kubeconfig,
			"--authentication-kubeconfig=" + kubeconfig,
			"--authorization-kubeconfig=" + kubeconfig,
			// Token secrets need the API server's signing key, which
			// envtest keeps to itself; pods get projected tokens anyway.
			"--controllers=*,-serviceaccount-token",
			"--leader-elect=false",
			"--secure-port=0",
			"--use-service-account-credentials=false",
			// Short intervals so simulated nodes and pods settle quickly.
			"--node-monitor-period=1s",
			"--concurrent-deployment-syncs=10",
		}},
		{"kube-scheduler", []string{
			"--kubeconfig=" + kubeconfig,
			"--authentication-kubeconfig=" + kubeconfig,
			"--authorization-kubeconfig=" + kubeconfig,
			"--leader-elect=false",
			"--secure-port=0",
		}},
		{"kwok", []string{
			"--kubeconfig=" + kubeconfig,
			"--config=" + filepath.Join(binDir, StagesFile),
			"--manage-all-nodes=false",
			"--manage-nodes-with-annotation-selector=" + KwokNodeAnnotation + "=fake",
			"--node-lease-duration-seconds=40",
		}},
	}
	if exec {
		args, err := e.kwokExecArgs()
		if err != nil {
			return err
		}
		last := &cmds[len(cmds)-1]
		last.args = append(last.args, args...)
	}
	for _, c := range cmds {
		p, err := startProcess(filepath.Join(binDir, c.name), c.args, filepath.Join(e.LogDir, c.name+".log"))
		if err != nil {
			return fmt.Errorf("testenv: %w", err)
		}
		e.procs = append(e.procs, p)
	}

	e.NodeName = "kwok-node-0"
	if err := e.createNode(ctx); err != nil {
		return err
	}
	return e.waitSettled(ctx)
}

// createNode registers the simulated node. It has no taint, so every pod
// can be scheduled onto it without a toleration.
func (e *Env) createNode(ctx context.Context) error {
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        e.NodeName,
			Annotations: map[string]string{KwokNodeAnnotation: "fake", "node.alpha.kubernetes.io/ttl": "0"},
			Labels: map[string]string{
				"type":                   "kwok",
				"kubernetes.io/hostname": e.NodeName,
				"kubernetes.io/os":       "linux",
				"kubernetes.io/arch":     "amd64",
				"kubernetes.io/role":     "agent",
			},
		},
		Status: corev1.NodeStatus{
			Allocatable: nodeResources(),
			Capacity:    nodeResources(),
		},
	}
	_, err := e.Clientset.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("testenv: create Node/%s: %w", e.NodeName, err)
	}
	return nil
}

func nodeResources() corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("64"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("1000"),
	}
}

// waitSettled waits until kwok reports the node Ready and the
// service-account controller has created the default ServiceAccount, so
// that pods can be admitted and scheduled.
func (e *Env) waitSettled(ctx context.Context) error {
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		for _, p := range e.procs {
			if exited, err := p.exited(); exited {
				if err == nil {
					err = errors.New("exit status 0")
				}
				return false, fmt.Errorf("%s exited: %w (log %s)", p.name, err, p.logPath)
			}
		}
		node, err := e.Clientset.CoreV1().Nodes().Get(ctx, e.NodeName, metav1.GetOptions{})
		if err != nil {
			return false, nil //nolint:nilerr // keep polling until the timeout
		}
		if !nodeReady(node) {
			return false, nil
		}
		_, err = e.Clientset.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
	if err != nil {
		return fmt.Errorf("testenv: wait for Node/%s Ready and the default ServiceAccount (logs in %s): %w", e.NodeName, e.LogDir, err)
	}
	return nil
}

func nodeReady(node *corev1.Node) bool {
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// kwokExecConfig lets every container of every pod exec locally.
const kwokExecConfig = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterExec
metadata:
  name: astrolift-testenv-local
spec:
  execs:
  - local: {}
`

// kwokExecArgs writes the ClusterExec configuration and returns the kwok
// flags that serve the kubelet API (exec included) on a free loopback port,
// which the node stages publish as the node's InternalIP and kubelet port.
func (e *Env) kwokExecArgs() ([]string, error) {
	path := filepath.Join(e.tempDir, "kwok-exec.yaml")
	if err := os.WriteFile(path, []byte(kwokExecConfig), 0o600); err != nil {
		return nil, fmt.Errorf("testenv: write %s: %w", path, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("testenv: pick the kwok server port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return nil, fmt.Errorf("testenv: pick the kwok server port: %w", err)
	}
	return []string{
		"--config=" + path,
		"--node-ip=127.0.0.1",
		"--node-port=" + strconv.Itoa(port),
		"--server-address=127.0.0.1:" + strconv.Itoa(port),
	}, nil
}
