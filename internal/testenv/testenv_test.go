package testenv_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"

	"github.com/astrolift/astrolift/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(testenv.Main(m, testenv.Options{Controllers: true}, &env))
}

func podSpec() corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyAlways,
			Containers:    []corev1.Container{{Name: "web", Image: "registry.example.com/web:1"}},
		},
	}
}

func waitFor(t *testing.T, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 2*time.Minute, true, cond)
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func TestNodeIsReady(t *testing.T) {
	node, err := env.Clientset.CoreV1().Nodes().Get(context.Background(), env.NodeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ready := false
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
			ready = true
		}
	}
	if !ready {
		t.Fatalf("Node/%s not Ready: %+v", env.NodeName, node.Status.Conditions)
	}
}

func TestDeploymentBecomesAvailable(t *testing.T) {
	ns := env.Namespace(t)
	ctx := context.Background()
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: podSpec(),
		},
	}
	if _, err := env.Clientset.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var got *appsv1.Deployment
	waitFor(t, "Deployment/"+ns+"/web Available", func(ctx context.Context) (bool, error) {
		var err error
		got, err = env.Clientset.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, c := range got.Status.Conditions {
			if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue {
				return got.Status.AvailableReplicas == 2, nil
			}
		}
		return false, nil
	})
	t.Logf("Deployment/%s/web Available with %d/2 replicas through kwok after %s", ns, got.Status.AvailableReplicas, time.Since(start).Round(time.Millisecond))
	pods, err := env.Clientset.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if p.Spec.NodeName != env.NodeName || p.Status.Phase != corev1.PodRunning {
			t.Errorf("Pod/%s: node %q phase %s, want %s Running", p.Name, p.Spec.NodeName, p.Status.Phase, env.NodeName)
		}
	}
}

func TestJobCompletes(t *testing.T) {
	ns := env.Namespace(t)
	ctx := context.Background()
	tmpl := podSpec()
	tmpl.Spec.RestartPolicy = corev1.RestartPolicyNever
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "migrate", Namespace: ns},
		Spec:       batchv1.JobSpec{Template: tmpl},
	}
	if _, err := env.Clientset.BatchV1().Jobs(ns).Create(ctx, job, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Job/"+ns+"/migrate Complete", func(ctx context.Context) (bool, error) {
		got, err := env.Clientset.BatchV1().Jobs(ns).Get(ctx, "migrate", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, c := range got.Status.Conditions {
			if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
				return false, fmt.Errorf("job failed: %s", c.Message)
			}
			if c.Type == batchv1.JobComplete && c.Status == corev1.ConditionTrue {
				return got.Status.Succeeded == 1, nil
			}
		}
		return false, nil
	})
}

func TestCronJobSpawnsJobs(t *testing.T) {
	ns := env.Namespace(t)
	ctx := context.Background()
	tmpl := podSpec()
	tmpl.Spec.RestartPolicy = corev1.RestartPolicyNever
	cj := &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: ns},
		Spec: batchv1.CronJobSpec{
			Schedule:    "* * * * *",
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: tmpl}},
		},
	}
	if _, err := env.Clientset.BatchV1().CronJobs(ns).Create(ctx, cj, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The cronjob controller fires on the next minute boundary.
	waitFor(t, "CronJob/"+ns+"/nightly to spawn a Job", func(ctx context.Context) (bool, error) {
		jobs, err := env.Clientset.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, j := range jobs.Items {
			for _, o := range j.OwnerReferences {
				if o.Kind == "CronJob" && o.Name == "nightly" {
					return true, nil
				}
			}
		}
		return false, nil
	})
}
