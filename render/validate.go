package render

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // CronJob time zones validate without the host's zoneinfo

	"github.com/robfig/cron/v3"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

var (
	envKeyRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	imageRE  = regexp.MustCompile(`^[a-z0-9]+([._:/-]+[a-zA-Z0-9]+)*(@sha256:[a-f0-9]{64})?$`)
)

// dns1123Label returns "" when s is a DNS-1123 label, else why it is not.
func dns1123Label(s string) string {
	if msgs := validation.IsDNS1123Label(s); len(msgs) > 0 {
		return fmt.Sprintf("%q is not a valid name: %s", s, msgs[0])
	}
	return ""
}

// validate checks the semantics of a decoded manifest; decode has already
// checked keys and types.
func validate(r *reporter, m *Manifest) {
	if r.overlay == "" && m.Schema != SchemaVersion {
		if m.Schema == 0 {
			r.errs = append(r.errs, &Error{File: r.file, Line: 1, Column: 1, Path: "schema",
				Message: fmt.Sprintf("missing; the first line should be `schema = %d`", SchemaVersion)})
		} else {
			r.errorf("schema", true, "unsupported schema %d; this Astrolift reads schema %d", m.Schema, SchemaVersion)
		}
	}
	if m.Build.Image != "" && !imageRE.MatchString(m.Build.Image) {
		r.errorf("build.image", true, "%q is not an image reference (registry/repository[:tag|@sha256:digest], lower case)", m.Build.Image)
	}
	oneOf(r, "deploy.trigger", m.Deploy.Trigger, "push", "manual", "ci")
	oneOf(r, "deploy.strategy", m.Deploy.Strategy, "rolling", "recreate")
	if m.Deploy.ReleaseCommand != nil {
		command(r, "deploy.release_command", m.Deploy.ReleaseCommand)
	}
	duration(r, "deploy.timeout", m.Deploy.Timeout, 24*time.Hour)
	envTable(r, "env", m.Env, true)
	seen := map[string]bool{}
	for i, b := range m.Secrets.Bundles {
		p := indexPath("secrets.bundles", i)
		if msg := dns1123Label(b); msg != "" {
			r.errorf(p, true, "bundle %s", msg)
		} else if seen[b] {
			r.errorf(p, true, "bundle %q is listed twice", b)
		}
		seen[b] = true
	}
	if len(m.Workloads) == 0 {
		r.errorf("workloads", false, "no workloads; add one, for example [workloads.web] with a container")
	}
	for _, name := range sortedKeys(m.Workloads) {
		workload(r, m, "workloads."+name, name, m.Workloads[name])
	}
	for _, name := range sortedKeys(m.Dependencies) {
		p := "dependencies." + name
		if msg := dns1123Label(name); msg != "" {
			r.errorf(p, false, "dependency %s", msg)
		}
		if d := m.Dependencies[name]; d.URL != "" {
			if u, err := url.Parse(d.URL); err != nil || u.Scheme == "" || u.Host == "" {
				r.errorf(p+".url", true, "%q is not an absolute URL", d.URL)
			}
		}
	}
}

func workload(r *reporter, m *Manifest, p, name string, w *Workload) {
	if msg := dns1123Label(name); msg != "" {
		r.errorf(p, false, "workload %s", msg)
	}
	kind := w.Kind
	if kind == "" {
		kind = KindDeployment
	}
	oneOf(r, p+".kind", w.Kind, KindDeployment, KindStatefulSet, KindCronJob)
	cronjob := kind == KindCronJob
	if w.Replicas != nil && *w.Replicas < 0 {
		r.errorf(p+".replicas", true, "must be 0 or more, got %d", *w.Replicas)
	}
	notFor := func(key string, set bool, why string) {
		if set {
			r.errorf(p+"."+key, false, "not used by a %s workload%s", kind, why)
		}
	}
	if cronjob {
		notFor("replicas", w.Replicas != nil, "; a cronjob runs one job per schedule")
		notFor("public", w.Public, "; a cronjob serves no traffic")
		notFor("autoscale", w.Autoscale != nil, "")
		if w.Schedule == "" {
			r.errorf(p, false, "a cronjob needs a schedule, for example schedule = \"0 3 * * *\"")
		} else {
			schedule(r, p+".schedule", w.Schedule)
		}
		if w.Timezone != "" {
			if _, err := time.LoadLocation(w.Timezone); err != nil || w.Timezone == "Local" {
				r.errorf(p+".timezone", true, "unknown time zone %q (use an IANA name such as \"Europe/Berlin\")", w.Timezone)
			}
		}
		oneOf(r, p+".concurrency_policy", w.ConcurrencyPolicy, "allow", "forbid", "replace")
	} else {
		notFor("schedule", w.Schedule != "", "; only cronjobs have one")
		notFor("timezone", w.Timezone != "", "; only cronjobs have one")
		notFor("concurrency_policy", w.ConcurrencyPolicy != "", "; only cronjobs have one")
	}
	if w.Storage != nil {
		if kind != KindStatefulSet {
			r.errorf(p+".storage", false, "only a statefulset has storage; set kind = \"statefulset\"")
		}
		if w.Storage.Size == "" {
			r.errorf(p+".storage", true, "storage needs a size, for example size = \"10Gi\"")
		} else {
			quantity(r, p+".storage.size", w.Storage.Size)
		}
		if w.Storage.Mount == "" {
			r.errorf(p+".storage", true, "storage needs a mount path, for example mount = \"/data\"")
		} else if !path.IsAbs(w.Storage.Mount) {
			r.errorf(p+".storage.mount", true, "%q must be an absolute path", w.Storage.Mount)
		}
		if c := w.Storage.Class; c != "" {
			if msgs := validation.IsDNS1123Subdomain(c); len(msgs) > 0 {
				r.errorf(p+".storage.class", true, "%q is not a storage class name: %s", c, msgs[0])
			}
		}
	}
	if a := w.Autoscale; a != nil {
		if a.Max == nil {
			r.errorf(p+".autoscale", true, "autoscale needs max, for example { min = 1, max = 5 }")
		}
		if a.Min != nil && *a.Min < 1 {
			r.errorf(p+".autoscale.min", true, "must be 1 or more, got %d", *a.Min)
		}
		if a.Min != nil && a.Max != nil && *a.Min > *a.Max {
			r.errorf(r.pick(p+".autoscale.min", p+".autoscale.max"), true, "autoscale.min (%d) is greater than autoscale.max (%d)", *a.Min, *a.Max)
		}
		percent(r, p+".autoscale.cpu_percent", a.CPUPercent)
		percent(r, p+".autoscale.memory_percent", a.MemoryPercent)
	}
	resources(r, p+".resources", w.Resources)

	if len(w.Containers) == 0 {
		r.errorf(p, false, "a workload needs at least one container: add [[%s.containers]]", p)
	}
	names := map[string]int{}
	ports := map[int]string{}
	hasPort := false
	for i := range w.Containers {
		c := &w.Containers[i]
		cp := indexPath(p+".containers", i)
		if c.Name == "" && len(w.Containers) > 1 {
			r.errorf(cp, false, "container needs a name when a workload has several")
		} else if c.Name != "" {
			if msg := dns1123Label(c.Name); msg != "" {
				r.errorf(cp+".name", true, "container %s", msg)
			} else if j, dup := names[c.Name]; dup {
				r.errorf(cp+".name", true, "container name %q is already used by containers[%d]", c.Name, j)
			}
			names[c.Name] = i
		}
		if c.Image == "" && m.Build.Image == "" {
			r.errorf(cp, false, "container has no image and [build] image is not set")
		} else if c.Image != "" && !imageRE.MatchString(c.Image) {
			r.errorf(cp+".image", true, "%q is not an image reference", c.Image)
		}
		if c.Command != nil {
			command(r, cp+".command", c.Command)
		}
		if c.Port != nil {
			hasPort = true
			if cronjob {
				r.errorf(cp+".port", false, "a cronjob has no Service; remove port")
			} else if port(r, cp+".port", *c.Port) {
				if other, dup := ports[*c.Port]; dup {
					r.errorf(cp+".port", true, "port %d is already used by %s", *c.Port, other)
				}
				ports[*c.Port] = indexPath("containers", i)
			}
		}
		if c.Healthcheck != nil {
			if cronjob {
				r.errorf(cp+".healthcheck", false, "not used by a cronjob workload")
			} else {
				healthcheck(r, cp+".healthcheck", c)
			}
		}
		envTable(r, cp+".env", c.Env, false)
		resources(r, cp+".resources", c.Resources)
	}
	if w.Public && !hasPort {
		r.errorf(r.pick(p+".public", p), false, "a public workload needs a container with a port")
	}
}

func healthcheck(r *reporter, p string, c *Container) {
	h := c.Healthcheck
	set := 0
	for _, b := range []bool{h.HTTPPath != "", h.TCP, h.Command != nil} {
		if b {
			set++
		}
	}
	switch {
	case set == 0:
		r.errorf(p, true, "set one of http_path, tcp = true or command")
	case set > 1:
		r.errorf(p, true, "http_path, tcp and command are exclusive; set one")
	}
	if h.HTTPPath != "" && !strings.HasPrefix(h.HTTPPath, "/") {
		r.errorf(p+".http_path", true, "%q must start with /", h.HTTPPath)
	}
	if h.Command != nil {
		command(r, p+".command", h.Command)
	}
	if h.Port != nil {
		port(r, p+".port", *h.Port)
	} else if (h.HTTPPath != "" || h.TCP) && c.Port == nil {
		r.errorf(p, true, "an http or tcp healthcheck needs a port: set port on the container or the healthcheck")
	}
	duration(r, p+".period", h.Period, time.Hour)
	duration(r, p+".timeout", h.Timeout, time.Hour)
	duration(r, p+".initial_delay", h.InitialDelay, time.Hour)
	if h.FailureThreshold != nil && *h.FailureThreshold < 1 {
		r.errorf(p+".failure_threshold", true, "must be 1 or more, got %d", *h.FailureThreshold)
	}
}

func resources(r *reporter, p string, res *Resources) {
	if res == nil {
		return
	}
	cpu := quantity(r, p+".cpu", res.CPU)
	mem := quantity(r, p+".memory", res.Memory)
	cpuLimit := quantity(r, p+".cpu_limit", res.CPULimit)
	memLimit := quantity(r, p+".memory_limit", res.MemoryLimit)
	if cpu != nil && cpuLimit != nil && cpuLimit.Cmp(*cpu) < 0 {
		r.errorf(r.pick(p+".cpu_limit", p+".cpu"), true, "cpu_limit %s is below the cpu request %s", res.CPULimit, res.CPU)
	}
	if mem != nil && memLimit != nil && memLimit.Cmp(*mem) < 0 {
		r.errorf(r.pick(p+".memory_limit", p+".memory"), true, "memory_limit %s is below the memory request %s", res.MemoryLimit, res.Memory)
	}
}

// quantity parses a Kubernetes quantity; "" is unset.
func quantity(r *reporter, p, s string) *resource.Quantity {
	if s == "" {
		return nil
	}
	q, err := resource.ParseQuantity(s)
	if err != nil {
		r.errorf(p, true, "%q is not a Kubernetes quantity (for example \"500m\", \"1\", \"512Mi\", \"10Gi\")", s)
		return nil
	}
	if q.Sign() <= 0 {
		r.errorf(p, true, "must be greater than zero, got %q", s)
		return nil
	}
	return &q
}

func duration(r *reporter, p, s string, maxD time.Duration) {
	if s == "" {
		return
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		r.errorf(p, true, "%q is not a duration (for example \"10s\", \"5m\")", s)
	case d <= 0:
		r.errorf(p, true, "must be greater than zero, got %q", s)
	case d > maxD:
		r.errorf(p, true, "%q is longer than the limit %s", s, maxD)
	case d%time.Second != 0:
		r.errorf(p, true, "%q must be whole seconds", s)
	}
}

func port(r *reporter, p string, n int) bool {
	if n < 1 || n > 65535 {
		r.errorf(p, true, "port must be between 1 and 65535, got %d", n)
		return false
	}
	return true
}

func percent(r *reporter, p string, n *int) {
	if n != nil && (*n < 1 || *n > 1000) {
		r.errorf(p, true, "must be between 1 and 1000, got %d", *n)
	}
}

func command(r *reporter, p string, argv []string) {
	if len(argv) == 0 || argv[0] == "" {
		r.errorf(p, true, "command must name a program, for example [\"bin/server\"]")
	}
}

func oneOf(r *reporter, p, v string, allowed ...string) {
	if v != "" && !slices.Contains(allowed, v) {
		r.errorf(p, true, "%q is not one of %s%s", v, strings.Join(allowed, ", "), didYouMean(v, allowed))
	}
}

func schedule(r *reporter, p, s string) {
	if strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ=") {
		r.errorf(p, true, "put the time zone in timezone, not in the schedule")
		return
	}
	if strings.HasPrefix(s, "@every") {
		r.errorf(p, true, "@every is not supported by Kubernetes CronJobs; use a cron expression")
		return
	}
	if _, err := cron.ParseStandard(s); err != nil {
		r.errorf(p, true, "%q is not a cron schedule: %v", s, err)
	}
}

func envTable(r *reporter, p string, env map[string]string, sealedOK bool) {
	for _, k := range sortedKeys(env) {
		kp := joinPath(p, k)
		if !envKeyRE.MatchString(k) {
			r.errorf(kp, false, "%q is not a valid variable name (letters, digits and _, not starting with a digit)", k)
			continue
		}
		v := env[k]
		if !strings.HasPrefix(v, sealedPrefix) {
			continue
		}
		if !sealedOK {
			r.errorf(kp, true, "sealed values belong in [env] or [environments.<name>.env], not in a container's env")
		} else if err := checkSealed(v); err != nil {
			r.errorf(kp, true, "%v", err)
		}
	}
}

// setDefaults fills in the documented defaults of a valid manifest.
func (m *Manifest) setDefaults() {
	if m.Deploy.Trigger == "" {
		m.Deploy.Trigger = "push"
	}
	if m.Deploy.Strategy == "" {
		m.Deploy.Strategy = "rolling"
	}
	if m.Deploy.Timeout == "" {
		m.Deploy.Timeout = "5m"
	}
	for name, w := range m.Workloads {
		if w.Kind == "" {
			w.Kind = KindDeployment
		}
		if w.Kind == KindCronJob && w.ConcurrencyPolicy == "" {
			w.ConcurrencyPolicy = "forbid"
		}
		if w.Kind != KindCronJob && w.Replicas == nil && w.Autoscale == nil {
			one := 1
			w.Replicas = &one
		}
		if a := w.Autoscale; a != nil {
			if a.Min == nil {
				one := 1
				a.Min = &one
			}
			if a.CPUPercent == nil && a.MemoryPercent == nil {
				eighty := 80
				a.CPUPercent = &eighty
			}
		}
		if len(w.Containers) == 1 && w.Containers[0].Name == "" {
			w.Containers[0].Name = name
		}
	}
}
