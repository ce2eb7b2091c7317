package livestate

import (
	"fmt"
	"sort"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/astrolift/astrolift/render"
)

// Workload statuses, as the dashboard colours them.
const (
	Running      = "running"
	Provisioning = "provisioning"
	Failed       = "failed"
	Unknown      = "unknown"
)

// MaxRuns is how many runs of a CronJob are kept, newest first.
const MaxRuns = 10

// State is the live state of one environment's workloads.
type State struct {
	ObservedAt time.Time  `json:"observed_at"`
	Workloads  []Workload `json:"workloads"`
}

// Find returns the named workload, or nil.
func (s *State) Find(name string) *Workload {
	for i := range s.Workloads {
		if s.Workloads[i].Name == name {
			return &s.Workloads[i]
		}
	}
	return nil
}

// Workload is one workload as it runs.
type Workload struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`   // deployment | statefulset | cronjob
	Object  string `json:"object"` // Deployment/<namespace>/<name>
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
	// DesiredReplicas is spec.replicas (nil for cronjobs); ReadyReplicas
	// what is ready.
	DesiredReplicas *int32     `json:"desired_replicas,omitempty"`
	ReadyReplicas   int32      `json:"ready_replicas"`
	Autoscale       *Autoscale `json:"autoscale,omitempty"`
	// Resources of the first container: cpu, memory, cpu_limit, memory_limit.
	Resources    map[string]string `json:"resources,omitempty"`
	StorageClass string            `json:"storage_class,omitempty"`
	StorageSize  string            `json:"storage_size,omitempty"`
	Schedule     string            `json:"schedule,omitempty"`
	Suspended    bool              `json:"suspended,omitempty"`
	Containers   []Container       `json:"containers"`
	Runs         []Run             `json:"runs,omitempty"`
}

// Autoscale is a workload's HPA: its bounds and what it currently wants.
type Autoscale struct {
	Min             int32  `json:"min"`
	Max             int32  `json:"max"`
	CPUPercent      *int32 `json:"cpu_percent,omitempty"`
	CurrentReplicas int32  `json:"current_replicas"`
	DesiredReplicas int32  `json:"desired_replicas"`
}

// Container is one container of a workload's pod template.
type Container struct {
	Name    string   `json:"name"`
	Image   string   `json:"image"`
	Port    *int32   `json:"port,omitempty"`
	Command []string `json:"command,omitempty"`
	Args    []string `json:"args,omitempty"`
	// Healthcheck is the readiness probe: "GET /healthz" or "tcp 8080".
	Healthcheck string `json:"healthcheck,omitempty"`
	// Env holds the values pinned on the container itself; values from
	// Secrets are never read.
	Env map[string]string `json:"env,omitempty"`
}

// Run is one Job of a CronJob.
type Run struct {
	Name       string     `json:"name"`
	Status     string     `json:"status"` // running | succeeded | failed
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	ExitCode   *int32     `json:"exit_code,omitempty"`
}

// Objects are what the watch holds for one environment.
type Objects struct {
	Deployments  []appsv1.Deployment
	StatefulSets []appsv1.StatefulSet
	CronJobs     []batchv1.CronJob
	Jobs         []batchv1.Job
	Pods         []corev1.Pod
	HPAs         []autoscalingv2.HorizontalPodAutoscaler
}

// Compute turns the objects into the environment's live state, workloads
// sorted by name.
func Compute(o Objects, now time.Time) *State {
	s := &State{ObservedAt: now.UTC(), Workloads: []Workload{}}
	hpas := map[string]*autoscalingv2.HorizontalPodAutoscaler{}
	for i := range o.HPAs {
		hpas[o.HPAs[i].Spec.ScaleTargetRef.Kind+"/"+o.HPAs[i].Spec.ScaleTargetRef.Name] = &o.HPAs[i]
	}
	for i := range o.Deployments {
		d := &o.Deployments[i]
		w := workload(d, "deployment", "Deployment", &d.Spec.Template.Spec)
		w.DesiredReplicas, w.ReadyReplicas = d.Spec.Replicas, d.Status.ReadyReplicas
		w.Autoscale = autoscale(hpas["Deployment/"+d.Name])
		s.Workloads = append(s.Workloads, w)
	}
	for i := range o.StatefulSets {
		st := &o.StatefulSets[i]
		w := workload(st, "statefulset", "StatefulSet", &st.Spec.Template.Spec)
		w.DesiredReplicas, w.ReadyReplicas = st.Spec.Replicas, st.Status.ReadyReplicas
		w.Autoscale = autoscale(hpas["StatefulSet/"+st.Name])
		if len(st.Spec.VolumeClaimTemplates) > 0 {
			pvc := st.Spec.VolumeClaimTemplates[0].Spec
			if pvc.StorageClassName != nil {
				w.StorageClass = *pvc.StorageClassName
			}
			if q, ok := pvc.Resources.Requests[corev1.ResourceStorage]; ok {
				w.StorageSize = q.String()
			}
		}
		s.Workloads = append(s.Workloads, w)
	}
	for i := range o.CronJobs {
		cj := &o.CronJobs[i]
		w := workload(cj, "cronjob", "CronJob", &cj.Spec.JobTemplate.Spec.Template.Spec)
		w.Schedule = cj.Spec.Schedule
		w.Suspended = cj.Spec.Suspend != nil && *cj.Spec.Suspend
		w.Runs = runs(cj, o.Jobs, o.Pods)
		w.Status, w.Message = Running, "scheduled"
		switch {
		case w.Suspended:
			w.Status, w.Message = Unknown, "suspended"
		case len(w.Runs) > 0 && w.Runs[0].Status == Failed:
			w.Status, w.Message = Failed, "the last run failed"
		}
		s.Workloads = append(s.Workloads, w)
	}
	sort.Slice(s.Workloads, func(i, j int) bool { return s.Workloads[i].Name < s.Workloads[j].Name })
	return s
}

type object interface {
	runtime.Object
	GetName() string
	GetNamespace() string
	GetLabels() map[string]string
}

func workload(obj object, kind, apiKind string, pod *corev1.PodSpec) Workload {
	name := obj.GetLabels()[render.LabelWorkload]
	if name == "" {
		name = obj.GetName()
	}
	w := Workload{Name: name, Kind: kind, Object: apiKind + "/" + obj.GetNamespace() + "/" + obj.GetName()}
	w.Status, w.Message = kstatus(obj, apiKind)
	for _, c := range pod.Containers {
		w.Containers = append(w.Containers, container(c))
	}
	if len(pod.Containers) > 0 {
		r := pod.Containers[0].Resources
		res := map[string]string{}
		for key, q := range map[string]*corev1.ResourceList{"": &r.Requests, "_limit": &r.Limits} {
			if v, ok := (*q)[corev1.ResourceCPU]; ok {
				res["cpu"+key] = v.String()
			}
			if v, ok := (*q)[corev1.ResourceMemory]; ok {
				res["memory"+key] = v.String()
			}
		}
		if len(res) > 0 {
			w.Resources = res
		}
	}
	return w
}

// kstatus maps an object's kstatus to a workload status.
func kstatus(obj object, apiKind string) (string, string) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return Unknown, err.Error()
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetAPIVersion(map[string]string{"Deployment": "apps/v1", "StatefulSet": "apps/v1", "CronJob": "batch/v1"}[apiKind])
	u.SetKind(apiKind)
	res, err := status.Compute(u)
	if err != nil {
		return Unknown, err.Error()
	}
	switch res.Status {
	case status.CurrentStatus:
		return Running, res.Message
	case status.InProgressStatus:
		return Provisioning, res.Message
	case status.FailedStatus:
		return Failed, res.Message
	}
	return Unknown, res.Message
}

func container(c corev1.Container) Container {
	out := Container{Name: c.Name, Image: c.Image, Command: c.Command, Args: c.Args}
	if len(c.Ports) > 0 {
		p := c.Ports[0].ContainerPort
		out.Port = &p
	}
	if p := c.ReadinessProbe; p != nil {
		switch {
		case p.HTTPGet != nil:
			out.Healthcheck = "GET " + p.HTTPGet.Path
		case p.TCPSocket != nil:
			out.Healthcheck = "tcp " + p.TCPSocket.Port.String()
		case p.Exec != nil:
			out.Healthcheck = fmt.Sprintf("exec %v", p.Exec.Command)
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			continue
		}
		if out.Env == nil {
			out.Env = map[string]string{}
		}
		out.Env[e.Name] = e.Value
	}
	return out
}

func autoscale(h *autoscalingv2.HorizontalPodAutoscaler) *Autoscale {
	if h == nil {
		return nil
	}
	a := &Autoscale{Max: h.Spec.MaxReplicas, Min: 1, CurrentReplicas: h.Status.CurrentReplicas, DesiredReplicas: h.Status.DesiredReplicas}
	if h.Spec.MinReplicas != nil {
		a.Min = *h.Spec.MinReplicas
	}
	for _, m := range h.Spec.Metrics {
		if m.Resource != nil && m.Resource.Name == corev1.ResourceCPU && m.Resource.Target.AverageUtilization != nil {
			a.CPUPercent = m.Resource.Target.AverageUtilization
		}
	}
	return a
}

// runs are a CronJob's Jobs, newest first, at most MaxRuns, each with the
// exit code of its last terminated pod container.
func runs(cj *batchv1.CronJob, jobs []batchv1.Job, pods []corev1.Pod) []Run {
	var mine []*batchv1.Job
	for i := range jobs {
		for _, ref := range jobs[i].OwnerReferences {
			if ref.Kind == "CronJob" && ref.Name == cj.Name {
				mine = append(mine, &jobs[i])
			}
		}
	}
	sort.Slice(mine, func(i, j int) bool {
		if !mine[i].CreationTimestamp.Equal(&mine[j].CreationTimestamp) {
			return mine[j].CreationTimestamp.Before(&mine[i].CreationTimestamp)
		}
		return mine[i].Name > mine[j].Name
	})
	if len(mine) > MaxRuns {
		mine = mine[:MaxRuns]
	}
	out := []Run{}
	for _, j := range mine {
		r := Run{Name: j.Name, Status: Running}
		if j.Status.StartTime != nil {
			t := j.Status.StartTime.UTC()
			r.StartedAt = &t
		}
		for _, c := range j.Status.Conditions {
			if c.Status != corev1.ConditionTrue {
				continue
			}
			switch c.Type {
			case batchv1.JobComplete:
				r.Status = "succeeded"
			case batchv1.JobFailed:
				r.Status = Failed
			default:
				continue
			}
			t := c.LastTransitionTime.UTC()
			r.FinishedAt = &t
		}
		if j.Status.CompletionTime != nil {
			t := j.Status.CompletionTime.UTC()
			r.FinishedAt = &t
		}
		r.ExitCode = exitCode(j.Name, pods)
		out = append(out, r)
	}
	return out
}

// exitCode is the exit code of the newest terminated container among the
// Job's pods.
func exitCode(job string, pods []corev1.Pod) *int32 {
	var code *int32
	var at time.Time
	for _, p := range pods {
		if p.Labels["job-name"] != job && p.Labels["batch.kubernetes.io/job-name"] != job {
			continue
		}
		for _, cs := range p.Status.ContainerStatuses {
			t := cs.State.Terminated
			if t == nil {
				t = cs.LastTerminationState.Terminated
			}
			if t == nil {
				continue
			}
			if code == nil || t.FinishedAt.After(at) {
				c := t.ExitCode
				code, at = &c, t.FinishedAt.Time
			}
		}
	}
	return code
}
