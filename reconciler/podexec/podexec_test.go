package podexec_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"

	"github.com/astrolift/astrolift/internal/testenv"
	"github.com/astrolift/astrolift/reconciler/podexec"
	"github.com/astrolift/astrolift/render"
	"github.com/astrolift/astrolift/store"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(testenv.Main(m, testenv.Options{Controllers: true, Exec: true}, &env))
}

// runningPod creates a pod of workload "web" of app "shop" with containers
// web and sidecar and waits until kwok reports it Running and Ready.
func runningPod(t *testing.T, ns, name string) {
	t.Helper()
	ctx := context.Background()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{render.LabelApp: "shop", render.LabelWorkload: "web"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "sidecar", Image: "example.com/sidecar:1"},
			{Name: "web", Image: "example.com/web:1"},
		}},
	}
	if _, err := env.Clientset.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create Pod/%s: %v", name, err)
	}
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		p, err := env.Clientset.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				return p.Status.Phase == corev1.PodRunning, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("Pod/%s never Running and Ready: %v", name, err)
	}
}

func executor() *podexec.Executor {
	return &podexec.Executor{Config: func(context.Context, *store.Environment) (*rest.Config, error) { return env.Config, nil }}
}

func TestExecSeparatesStreamsAndReportsExitCode(t *testing.T) {
	ns := env.Namespace(t)
	runningPod(t, ns, "web-1")
	x := executor()
	e := &store.Environment{Name: "production", Namespace: ns}
	ctx := context.Background()

	pod, ctr, err := x.Target(ctx, e, "shop", "web", "")
	if err != nil {
		t.Fatal(err)
	}
	if pod != "web-1" || ctr != "web" {
		t.Fatalf("target = %s/%s, want web-1/web (the container named after the workload)", pod, ctr)
	}
	if _, _, err := x.Target(ctx, e, "shop", "web", "nope"); err == nil || !strings.Contains(err.Error(), `no container "nope"`) {
		t.Fatalf("unknown container: err = %v", err)
	}
	if _, _, err := x.Target(ctx, e, "shop", "worker", ""); !errors.Is(err, podexec.ErrNoPod) {
		t.Fatalf("workload without pods: err = %v, want ErrNoPod", err)
	}

	var stdout, stderr bytes.Buffer
	code, err := x.Exec(ctx, e, pod, ctr, []string{"sh", "-c", "echo out; echo err >&2; exit 3"}, nil, &stdout, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if code != 3 || stdout.String() != "out\n" || stderr.String() != "err\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 3, \"out\\n\", \"err\\n\"", code, stdout.String(), stderr.String())
	}

	stdout.Reset()
	code, err = x.Exec(ctx, e, pod, "sidecar", []string{"sh", "-c", "echo ok"}, nil, &stdout, &stderr)
	if err != nil || code != 0 || stdout.String() != "ok\n" {
		t.Fatalf("exit %d err %v stdout %q; want 0, nil, \"ok\\n\"", code, err, stdout.String())
	}
}

func TestExecCancelEndsPromptly(t *testing.T) {
	ns := env.Namespace(t)
	runningPod(t, ns, "web-1")
	x := executor()
	e := &store.Environment{Name: "production", Namespace: ns}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(time.Second, cancel)
	start := time.Now()
	var stdout, stderr bytes.Buffer
	_, err := x.Exec(ctx, e, "web-1", "web", []string{"sh", "-c", "echo started; sleep 30"}, nil, &stdout, &stderr)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("cancelled exec took %s", d)
	}
	if stdout.String() != "started\n" {
		t.Fatalf("stdout %q", stdout.String())
	}
}
