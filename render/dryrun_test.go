package render

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"

	"github.com/astrolift/astrolift/internal/testenv"
)

// TestGoldenAcceptedByAPIServer server-side-applies every golden rendering
// to a real kube-apiserver with dryRun=All: the renderer must never emit an
// object that a cluster rejects.
func TestGoldenAcceptedByAPIServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	env, err := testenv.Start(ctx, testenv.Options{})
	if err != nil {
		t.Fatalf("start the local control plane: %v", err)
	}
	defer func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stop control plane: %v", err)
		}
	}()
	dyn, err := dynamic.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(env.Clientset.Discovery()))

	applied := 0
	for _, gc := range goldenCases(t) {
		for envName, in := range gc.inputs {
			objs, err := Render(gc.manifest, in)
			if err != nil {
				t.Fatalf("%s/%s: %v", gc.name, envName, err)
			}
			ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: objs[0].GetNamespace()}}
			if _, err := env.Clientset.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				t.Fatal(err)
			}
			for _, o := range objs {
				gvk := o.GroupVersionKind()
				mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
				if err != nil {
					t.Fatalf("%s/%s: %s: %v", gc.name, envName, gvk, err)
				}
				_, err = dyn.Resource(mapping.Resource).Namespace(o.GetNamespace()).Apply(ctx, o.GetName(), o,
					metav1.ApplyOptions{FieldManager: "astrolift", Force: true, DryRun: []string{metav1.DryRunAll}})
				if err != nil {
					t.Errorf("%s/%s: %s/%s/%s rejected: %v", gc.name, envName, o.GetKind(), o.GetNamespace(), o.GetName(), err)
					continue
				}
				applied++
			}
		}
	}
	t.Logf("%d objects accepted by kube-apiserver (server-side apply, dry run)", applied)
}
