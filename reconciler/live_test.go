package reconciler_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/reconciler/livestate"
	"github.com/astrolift/astrolift/store"
)

const withCron = twoWorkloads + `
[workloads.nightly]
kind = "cronjob"
schedule = "0 3 * * *"
  [[workloads.nightly.containers]]
  command = ["bin/report"]
`

// The watch keeps each workload's live state: after a deployment, web runs
// 2 of 2 with its container details and the cronjob is scheduled; a
// kubectl scale shows up as a spec change (a drift check is asked for)
// and in the stored state.
func TestLiveState(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, e := f.appEnv("livy", "production")
	ns := e.Namespace
	cluster := localCluster(t)
	dep := &store.Deployment{AppID: a.ID, EnvironmentID: e.ID, Trigger: "manual", Status: "pending", Image: "v1", ManifestRaw: withCron}
	must(t, f.s.CreateDeployment(ctx, dep, "test"))
	must(t, (&reconciler.Deployer{Store: f.s, Cluster: cluster}).Run(ctx, dep.ID))

	specChanged := make(chan int64, 100)
	w := &reconciler.LiveWatcher{Store: f.s, Cluster: cluster, Interval: 100 * time.Millisecond, Debounce: 50 * time.Millisecond,
		SpecChanged: func(id int64) { specChanged <- id }}
	done := make(chan struct{})
	go func() { _ = w.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	state := func() *livestate.State {
		o, err := f.s.Observe(ctx, e.ID, "live")
		must(t, err)
		s := &livestate.State{}
		if o.JSON != "" {
			must(t, json.Unmarshal([]byte(o.JSON), s))
		}
		return s
	}
	waitFor := func(what string, ok func(*livestate.State) bool) *livestate.State {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			s := state()
			if ok(s) {
				return s
			}
			if time.Now().After(deadline) {
				b, _ := json.MarshalIndent(s, "", " ")
				t.Fatalf("%s: live state never got there:\n%s", what, b)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	s := waitFor("deployed", func(s *livestate.State) bool {
		web := s.Find("web")
		return len(s.Workloads) == 3 && web != nil && web.Status == livestate.Running && web.ReadyReplicas == 2
	})
	web := s.Find("web")
	if *web.DesiredReplicas != 2 || web.Kind != "deployment" || len(web.Containers) != 1 || web.Containers[0].Image != "registry.example.com/acme/shop:v1" ||
		*web.Containers[0].Port != 8080 || web.Containers[0].Healthcheck != "GET /healthz" {
		t.Errorf("web %+v", web)
	}
	if n := s.Find("nightly"); n.Kind != "cronjob" || n.Status != livestate.Running || n.Schedule != "0 3 * * *" {
		t.Errorf("nightly %+v", n)
	}
	// The first look at each workload is an event, so pages listing it as
	// only declared refresh from the stream.
	evs, err := f.s.ListEvents(ctx, store.EventFilter{AppID: a.ID, Kind: "workload.running"})
	must(t, err)
	var msgs []string
	for _, ev := range evs {
		msgs = append(msgs, ev.Message)
	}
	if !slices.ContainsFunc(msgs, func(m string) bool { return strings.HasPrefix(m, "workload web in production: observed running") }) {
		t.Errorf("no first-observation event for web; got %q", msgs)
	}

	// kubectl create job --from=cronjob/livy-nightly: the run shows on the
	// cronjob with its status and exit code once kwok completes it.
	cj, err := env.Clientset.BatchV1().CronJobs(ns).Get(ctx, "livy-nightly", metav1.GetOptions{})
	must(t, err)
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "livy-nightly-manual", Namespace: ns, Labels: cj.Spec.JobTemplate.Labels,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "CronJob", Name: cj.Name, UID: cj.UID}}},
		Spec: cj.Spec.JobTemplate.Spec,
	}
	_, err = env.Clientset.BatchV1().Jobs(ns).Create(ctx, job, metav1.CreateOptions{})
	must(t, err)
	s = waitFor("cronjob run", func(s *livestate.State) bool {
		n := s.Find("nightly")
		return n != nil && len(n.Runs) == 1 && n.Runs[0].Status == "succeeded" && n.Runs[0].ExitCode != nil
	})
	if run := s.Find("nightly").Runs[0]; run.Name != "livy-nightly-manual" || *run.ExitCode != 0 || run.FinishedAt == nil {
		t.Errorf("nightly run %+v", run)
	}

	// kubectl scale deploy/livy-web --replicas=3
	deployments := env.Clientset.AppsV1().Deployments(ns)
	d, err := deployments.Get(ctx, "livy-web", metav1.GetOptions{})
	must(t, err)
	d.Spec.Replicas = ptr(int32(3))
	_, err = deployments.Update(ctx, d, metav1.UpdateOptions{FieldManager: "kubectl-scale"})
	must(t, err)
	select {
	case id := <-specChanged:
		if id != e.ID {
			t.Errorf("spec change reported for environment %d, want %d", id, e.ID)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the scale was not reported as a spec change")
	}
	waitFor("scaled", func(s *livestate.State) bool {
		web := s.Find("web")
		return web != nil && *web.DesiredReplicas == 3 && web.ReadyReplicas == 3 && web.Status == livestate.Running
	})
}
