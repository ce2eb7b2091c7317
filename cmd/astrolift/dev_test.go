package main_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/astrolift/astrolift/internal/testenv"
)

// TestDevEndToEnd runs the real binary as `make run` does: `astrolift dev`
// with a fresh data dir. It checks /readyz lists the database and cluster
// checks as ok, that the kubeconfig written to the data dir shows the kwok
// node Ready, that the demo app runs in both environments and a push to
// its repository redeploys it, and that SIGTERM stops every control-plane
// process.
func TestDevEndToEnd(t *testing.T) {
	if _, err := testenv.BinDir(true); err != nil {
		t.Fatal(err) // never skip: the binaries are part of `make test`
	}
	bin := filepath.Join(t.TempDir(), "astrolift")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)
	cmd := exec.Command(bin, "dev", "--data-dir", dataDir, "--listen", addr)
	cmd.Env = append(os.Environ(), "ASTROLIFT_LOG_FORMAT=json")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var logTail lockedBuilder
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logTail.WriteString(sc.Text() + "\n")
		}
	}()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
		}
	})

	// /readyz answers 200 with both checks ok.
	var ready struct {
		Status string `json:"status"`
		Checks []struct{ Name, Status, Detail string }
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == 200 {
				if err := json.Unmarshal(body, &ready); err != nil {
					t.Fatalf("readyz body %s: %v", body, err)
				}
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("astrolift dev not ready after 3m: %v", err)
		}
		time.Sleep(250 * time.Millisecond)
	}
	checks := map[string]string{}
	for _, c := range ready.Checks {
		checks[c.Name] = c.Status + " " + c.Detail
	}
	if checks["database"] != "ok sqlite" || !strings.HasPrefix(checks["cluster"], "ok v1.37") {
		t.Errorf("readyz checks = %v", checks)
	}

	// The kubeconfig in the data dir reaches the cluster; the kwok node is Ready.
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(dataDir, "kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := cs.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	readyNodes := 0
	for _, n := range nodes.Items {
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				readyNodes++
			}
		}
	}
	if readyNodes != 1 {
		t.Errorf("%d Ready nodes, want 1: %+v", readyNodes, nodes.Items)
	}

	// The demo app: seeded, deployed to staging and production by the
	// poller; a push to its repository deploys again.
	ctx := context.Background()
	waitDeploy := func(ns, name string, replicas int32) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for {
			d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
			if err == nil && d.Spec.Replicas != nil && *d.Spec.Replicas == replicas && d.Status.AvailableReplicas == replicas {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("demo: %s/%s not available with %d replicas after 2m (%v)\n%s", ns, name, replicas, err, logTail.String())
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	waitDeploy("shop-staging", "shop-web", 1) // the staging overlay
	waitDeploy("shop-production", "shop-web", 2)
	m := regexp.MustCompile(`git clone (\S+),`).FindStringSubmatch(logTail.String())
	if m == nil {
		t.Fatalf("the banner names no demo repository:\n%s", logTail.String())
	}
	work := filepath.Join(t.TempDir(), "shop")
	gitRun := func(args ...string) {
		t.Helper()
		c := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@x"}, args...)...)
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	gitRun("clone", "-q", m[1], work)
	manifest := filepath.Join(work, "astrolift.toml")
	raw, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifest, []byte(strings.Replace(string(raw), "replicas = 1\n", "replicas = 3\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	gitRun("-C", work, "commit", "-qam", "three workers")
	gitRun("-C", work, "push", "-q", "origin", "main")
	waitDeploy("shop-production", "shop-worker", 3)

	// SIGTERM: the process exits 0 and leaves no control-plane process behind.
	children := descendants(cmd.Process.Pid)
	if len(children) < 5 {
		t.Errorf("found %d child processes, want etcd, kube-apiserver, controller-manager, scheduler, kwok: %v", len(children), children)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-logDone
	err = cmd.Wait()
	stopped = true
	if err != nil {
		t.Errorf("astrolift dev exited with %v after SIGTERM\n%s", err, logTail.String())
	}
	for pid, name := range children {
		if alive(pid) {
			t.Errorf("process %d (%s) still running after astrolift dev stopped", pid, name)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// descendants lists the process tree below pid from /proc (pid → command).
func descendants(pid int) map[int]string {
	parent := map[int]int{}
	names := map[int]string{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may contain spaces.
		s := string(stat)
		closeParen := strings.LastIndexByte(s, ')')
		if closeParen < 0 {
			continue
		}
		fields := strings.Fields(s[closeParen+2:])
		if len(fields) < 2 {
			continue
		}
		pp, _ := strconv.Atoi(fields[1])
		parent[p] = pp
		names[p] = s[strings.IndexByte(s, '(')+1 : closeParen]
	}
	out := map[int]string{}
	for p := range parent {
		for q := parent[p]; q > 1; q = parent[q] {
			if q == pid {
				out[p] = names[p]
				break
			}
		}
	}
	return out
}

func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// A zombie (state Z) has exited and only waits to be reaped.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || !strings.HasPrefix(s[i+1:], " Z")
}

// lockedBuilder is a strings.Builder safe for one writer and readers.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) WriteString(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

// Write makes it a process's stdout and stderr.
func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
