package testenv

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Main starts a control plane, stores it in *env, runs the package's tests
// and stops it. Use it from TestMain:
//
//	os.Exit(testenv.Main(m, testenv.Options{Controllers: true}, &env))
//
// When the control plane cannot start (missing binaries included) it prints
// the reason and returns 1: the tests fail instead of skipping.
func Main(m *testing.M, opts Options, env **Env) int {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	e, err := Start(ctx, opts)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: cannot start the local control plane: %v\n", err)
		return 1
	}
	*env = e
	code := m.Run()
	if err := e.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: stop: %v\n", err)
	}
	return code
}

var invalidLabelChars = regexp.MustCompile(`[^a-z0-9-]+`)

// Namespace creates a namespace for one test, named after it, and deletes
// it when the test ends.
func (e *Env) Namespace(t testing.TB) string {
	t.Helper()
	name := invalidLabelChars.ReplaceAllString(strings.ToLower(t.Name()), "-")
	if len(name) > 40 {
		name = name[:40]
	}
	name = strings.Trim(name, "-")
	if name == "" {
		name = "test"
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: name + "-"}}
	ctx := context.Background()
	created, err := e.Clientset.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create namespace for %s: %v", t.Name(), err)
	}
	t.Cleanup(func() {
		err := e.Clientset.CoreV1().Namespaces().Delete(context.Background(), created.Name, metav1.DeleteOptions{})
		if err != nil {
			t.Errorf("delete Namespace/%s: %v", created.Name, err)
		}
	})
	return created.Name
}
