package livestate

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func ptr[T any](v T) *T { return &v }

var t0 = time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC)

func meta(name string, gen int64) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: "shop-" + name, Namespace: "shop-prod", Generation: gen,
		Labels: map[string]string{"astrolift.dev/workload": name}}
}

func TestCompute(t *testing.T) {
	web := appsv1.Deployment{ObjectMeta: meta("web", 2),
		Spec: appsv1.DeploymentSpec{Replicas: ptr(int32(2)), Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "web", Image: "shop:v1", Command: []string{"bin/server"},
			Ports:          []corev1.ContainerPort{{ContainerPort: 8080}},
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080)}}},
			Env:            []corev1.EnvVar{{Name: "PORT", Value: "8080"}, {Name: "KEY", ValueFrom: &corev1.EnvVarSource{}}},
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("512Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}},
		}}}}},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 2, UpdatedReplicas: 2, ReadyReplicas: 2, AvailableReplicas: 2,
			Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue}}}}
	worker := appsv1.Deployment{ObjectMeta: meta("worker", 3),
		Spec:   appsv1.DeploymentSpec{Replicas: ptr(int32(3)), Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "w", Image: "shop:v2"}}}}},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 3, Replicas: 3, UpdatedReplicas: 1, ReadyReplicas: 1}}
	cache := appsv1.StatefulSet{ObjectMeta: meta("cache", 1),
		Spec: appsv1.StatefulSetSpec{Replicas: ptr(int32(1)), Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "redis", Image: "redis:7"}}}},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: ptr("fast-ssd"),
				Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")}}}}}},
		Status: appsv1.StatefulSetStatus{ObservedGeneration: 1, Replicas: 1, ReadyReplicas: 1, CurrentReplicas: 1, UpdatedReplicas: 1}}
	nightly := batchv1.CronJob{ObjectMeta: meta("nightly", 1),
		Spec: batchv1.CronJobSpec{Schedule: "0 3 * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "report", Image: "shop:v1"}}}}}}}}
	var jobs []batchv1.Job
	var pods []corev1.Pod
	for i := range 12 { // 12 runs: the last 10 are kept, newest first; the newest failed with exit code 3
		name := "shop-nightly-" + string(rune('a'+i))
		j := batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop-prod", CreationTimestamp: metav1.NewTime(t0.Add(time.Duration(i) * time.Hour)),
			OwnerReferences: []metav1.OwnerReference{{Kind: "CronJob", Name: "shop-nightly"}}},
			Status: batchv1.JobStatus{StartTime: ptr(metav1.NewTime(t0.Add(time.Duration(i) * time.Hour)))}}
		code := int32(0)
		cond := batchv1.JobComplete
		if i == 11 {
			code, cond = 3, batchv1.JobFailed
		}
		j.Status.Conditions = []batchv1.JobCondition{{Type: cond, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(t0.Add(time.Duration(i)*time.Hour + time.Minute))}}
		jobs = append(jobs, j)
		pods = append(pods, corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name + "-x", Labels: map[string]string{"batch.kubernetes.io/job-name": name}},
			Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code}}}}}})
	}
	hpa := autoscalingv2.HorizontalPodAutoscaler{Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
		ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: "shop-web"}, MinReplicas: ptr(int32(2)), MaxReplicas: 10,
		Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{Name: corev1.ResourceCPU,
			Target: autoscalingv2.MetricTarget{AverageUtilization: ptr(int32(70))}}}}},
		Status: autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: 2, DesiredReplicas: 3}}

	s := Compute(Objects{Deployments: []appsv1.Deployment{worker, web}, StatefulSets: []appsv1.StatefulSet{cache},
		CronJobs: []batchv1.CronJob{nightly}, Jobs: jobs, Pods: pods, HPAs: []autoscalingv2.HorizontalPodAutoscaler{hpa}}, t0)

	var names, statuses []string
	for _, w := range s.Workloads {
		names, statuses = append(names, w.Name), append(statuses, w.Status)
	}
	if got := strings.Join(names, " "); got != "cache nightly web worker" {
		t.Errorf("workloads %s", got)
	}
	if got := strings.Join(statuses, " "); got != "running failed running provisioning" {
		t.Errorf("statuses %s", got)
	}
	w := s.Find("web")
	b, _ := json.Marshal(w)
	want := `{"name":"web","kind":"deployment","object":"Deployment/shop-prod/shop-web","status":"running","message":"Deployment is available. Replicas: 2","desired_replicas":2,"ready_replicas":2,` +
		`"autoscale":{"min":2,"max":10,"cpu_percent":70,"current_replicas":2,"desired_replicas":3},"resources":{"cpu":"500m","cpu_limit":"1","memory":"512Mi"},` +
		`"containers":[{"name":"web","image":"shop:v1","port":8080,"command":["bin/server"],"healthcheck":"GET /healthz","env":{"PORT":"8080"}}]}`
	if string(b) != want {
		t.Errorf("web\n got %s\nwant %s", b, want)
	}
	if c := s.Find("cache"); c.StorageClass != "fast-ssd" || c.StorageSize != "10Gi" {
		t.Errorf("cache storage %q %q", c.StorageClass, c.StorageSize)
	}
	n := s.Find("nightly")
	if len(n.Runs) != MaxRuns || n.Runs[0].Name != "shop-nightly-l" || n.Runs[0].Status != "failed" || n.Runs[0].ExitCode == nil || *n.Runs[0].ExitCode != 3 ||
		n.Runs[1].Status != "succeeded" || *n.Runs[1].ExitCode != 0 || n.Runs[9].Name != "shop-nightly-c" || n.Schedule != "0 3 * * *" {
		t.Errorf("nightly runs %+v", n.Runs)
	}
}
