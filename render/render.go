package render

import (
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Labels and annotations Astrolift puts on what it renders.
const (
	LabelName        = "app.kubernetes.io/name"
	LabelManagedBy   = "app.kubernetes.io/managed-by"
	LabelApp         = "astrolift.dev/app"
	LabelEnvironment = "astrolift.dev/environment"
	LabelWorkload    = "astrolift.dev/workload"
	LabelComponent   = "astrolift.dev/component"

	// AnnotationEnvChecksum on every pod template changes whenever any env
	// value does, so that pods restart with the new values.
	AnnotationEnvChecksum = "astrolift.dev/env-checksum"
	// AnnotationHook marks the release Job, which the deployer runs to
	// completion before applying the rest.
	AnnotationHook = "astrolift.dev/hook"

	// ManagedBy is the value of app.kubernetes.io/managed-by.
	ManagedBy = "astrolift"
	// DefaultDomain is used for public hostnames when Input.Domain is empty;
	// browsers resolve *.localhost to the loopback address.
	DefaultDomain = "localhost"
	masked        = "********"
)

// Input is what Render needs besides the manifest: where it runs and the
// values that live outside the repository.
type Input struct {
	App         string // app slug, a DNS-1035 label
	Environment string // environment name; selects the [environments.<name>] overlay
	Namespace   string // default "<app>-<environment>"
	// Image is a tag ("v1.4.2"), a digest ("sha256:…") or a full reference
	// ("registry.example.com/shop:v1"); tags and digests apply to
	// build.image. Containers with their own image keep it.
	Image string
	// Domain is the platform's base domain: the primary public workload is
	// served at "<app>-<environment>.<Domain>", others at
	// "<app>-<environment>-<workload>.<Domain>". Default DefaultDomain.
	Domain string
	// CustomDomains are validated custom hostnames, routed to the primary
	// public workload (the one named "web", else the first public one).
	CustomDomains []string
	// CertIssuer, when set, is the cert-manager ClusterIssuer that issues
	// the custom domains' certificates: a cert-manager.io/v1 Certificate
	// per custom domain fills its TLS secret. Empty: no Certificates (the
	// cluster has no cert-manager, or something else fills the secrets).
	CertIssuer string
	// IngressClass sets spec.ingressClassName when not empty.
	IngressClass string
	// ServiceAccountAnnotations go on the workload identity (cloud IAM).
	ServiceAccountAnnotations map[string]string
	// Opened holds the plaintext of sealed env values, by env key, opened
	// by the caller with the platform identity.
	Opened map[string]string
	// Bundles and ManagedEnv are values from attached secret bundles and
	// managed-service envelopes. Manifest env wins over managed services,
	// which win over bundles.
	Bundles    map[string]string
	ManagedEnv map[string]string
	// Replicas is the environment's replica override: when set it replaces
	// the replica count of every Deployment and StatefulSet. Autoscaled
	// workloads keep their HPA, which owns the count.
	Replicas *int
}

// Render turns a manifest into the Kubernetes objects of one environment,
// in a stable order. It is pure and deterministic.
func Render(m *Manifest, in Input) ([]*unstructured.Unstructured, error) {
	return render(m, in, false)
}

// MaskSecrets replaces, in place, every value of the Secrets among objs
// (data and stringData) with the mask Preview shows: for showing objects
// that were rendered for real.
func MaskSecrets(objs []*unstructured.Unstructured) {
	for _, o := range objs {
		if o.GetKind() != "Secret" {
			continue
		}
		for _, field := range []string{"data", "stringData"} {
			if m, ok := o.Object[field].(map[string]any); ok {
				for k := range m {
					m[k] = masked
				}
			}
		}
	}
}

// Preview is Render with the env Secret's values masked, for showing to
// people. It does not need the sealed values opened.
func Preview(m *Manifest, in Input) ([]*unstructured.Unstructured, error) {
	return render(m, in, true)
}

type renderer struct {
	m        *Manifest
	in       Input
	ns       string
	secret   string
	checksum string
	objs     []*unstructured.Unstructured
}

func render(base *Manifest, in Input, preview bool) ([]*unstructured.Unstructured, error) {
	if msgs := validation.IsDNS1035Label(in.App); len(msgs) > 0 {
		return nil, fmt.Errorf("render: app slug %q: %s", in.App, msgs[0])
	}
	m := base.Environment(in.Environment)
	r := &renderer{m: m, in: in, ns: in.Namespace, secret: in.App + "-env"}
	if r.ns == "" {
		r.ns = in.App
		if in.Environment != "" {
			r.ns += "-" + in.Environment
		}
	}
	if r.in.Domain == "" {
		r.in.Domain = DefaultDomain
	}
	for _, name := range sortedKeys(m.Workloads) {
		if full := in.App + "-" + name; len(full) > validation.DNS1035LabelMaxLength {
			return nil, fmt.Errorf("render: workload %q: object name %q is longer than %d characters; shorten the workload name", name, full, validation.DNS1035LabelMaxLength)
		}
	}

	r.serviceAccount()
	if err := r.envSecret(preview); err != nil {
		return nil, err
	}
	public := r.primaryPublic()
	for _, name := range sortedKeys(m.Workloads) {
		w := m.Workloads[name]
		r.workload(name, w)
		r.service(name, w)
		r.autoscaler(name, w)
		if w.Public {
			r.ingress(name, w, name == public)
		}
	}
	r.releaseJob()
	slices.SortStableFunc(r.objs, func(a, b *unstructured.Unstructured) int {
		return cmp.Or(cmp.Compare(kindOrder(a.Object["kind"].(string)), kindOrder(b.Object["kind"].(string))),
			cmp.Compare(objName(a), objName(b)))
	})
	return r.objs, nil
}

func objName(o *unstructured.Unstructured) string {
	return o.Object["metadata"].(map[string]any)["name"].(string)
}

var kindOrder = func() func(string) int {
	order := []string{"ServiceAccount", "Secret", "Service", "Deployment", "StatefulSet", "CronJob", "HorizontalPodAutoscaler", "Ingress", "Certificate", "Job"}
	return func(kind string) int { return slices.Index(order, kind) }
}()

func (r *renderer) labels(workload string) map[string]any {
	l := map[string]any{
		LabelName:        r.in.App,
		LabelManagedBy:   ManagedBy,
		LabelApp:         r.in.App,
		LabelEnvironment: r.in.Environment,
	}
	if workload != "" {
		l[LabelWorkload] = workload
	}
	return l
}

func (r *renderer) add(apiVersion, kind, name string, labels map[string]any, spec map[string]any) map[string]any {
	obj := map[string]any{
		"apiVersion": apiVersion,
		"kind":       kind,
		"metadata":   map[string]any{"name": name, "namespace": r.ns, "labels": labels},
	}
	for k, v := range spec {
		obj[k] = v
	}
	r.objs = append(r.objs, &unstructured.Unstructured{Object: obj})
	return obj
}

func (r *renderer) serviceAccount() {
	obj := r.add("v1", "ServiceAccount", r.in.App, r.labels(""), nil)
	if len(r.in.ServiceAccountAnnotations) > 0 {
		obj["metadata"].(map[string]any)["annotations"] = stringMap(r.in.ServiceAccountAnnotations)
	}
}

// envSecret renders the one Secret holding the app's env and computes the
// checksum that goes on every pod template.
func (r *renderer) envSecret(preview bool) error {
	// The checksum covers sealed values as written (their ciphertext), so
	// Preview and Render agree and a plaintext is never hashed.
	env, src := map[string]string{}, map[string]string{}
	for _, layer := range []map[string]string{r.in.Bundles, r.in.ManagedEnv, r.m.Env} {
		for k, v := range layer {
			env[k], src[k] = v, v
		}
	}
	for k, v := range r.m.Env {
		if !IsSealed(v) {
			continue
		}
		opened, ok := r.in.Opened[k]
		if !ok && !preview {
			return fmt.Errorf("render: env %s: the sealed value was not opened", k)
		}
		env[k] = opened
	}
	h := sha256.New()
	data := make(map[string]any, len(env))
	for _, k := range sortedKeys(env) {
		fmt.Fprintf(h, "%s=%d:%s\n", k, len(src[k]), src[k])
		if preview {
			data[k] = masked
		} else {
			data[k] = base64.StdEncoding.EncodeToString([]byte(env[k]))
		}
	}
	r.checksum = hex.EncodeToString(h.Sum(nil))
	field := "data"
	if preview {
		field = "stringData"
	}
	r.add("v1", "Secret", r.secret, r.labels(""), map[string]any{"type": "Opaque", field: data})
	return nil
}

// primaryPublic names the workload that gets the app's main hostname and
// custom domains: "web" when it is public, else the first public one.
func (r *renderer) primaryPublic() string {
	if w, ok := r.m.Workloads["web"]; ok && w.Public {
		return "web"
	}
	for _, name := range sortedKeys(r.m.Workloads) {
		if r.m.Workloads[name].Public {
			return name
		}
	}
	return ""
}

func (r *renderer) image(c *Container) string {
	if c.Image != "" {
		return c.Image
	}
	repo, in := r.m.Build.Image, r.in.Image
	switch {
	case in == "":
		return repo
	case strings.HasPrefix(in, "sha256:"):
		return repo + "@" + in
	case strings.ContainsAny(in, "/:@"):
		return in
	default:
		return repo + ":" + in
	}
}

func (r *renderer) selector(workload string) map[string]any {
	return map[string]any{LabelApp: r.in.App, LabelWorkload: workload}
}

func (r *renderer) podTemplate(name string, w *Workload, restartPolicy string) map[string]any {
	containers := make([]any, len(w.Containers))
	for i := range w.Containers {
		containers[i] = r.container(&w.Containers[i], w, i == 0)
	}
	spec := map[string]any{
		"serviceAccountName": r.in.App,
		"containers":         containers,
	}
	if restartPolicy != "" {
		spec["restartPolicy"] = restartPolicy
	}
	return map[string]any{
		"metadata": map[string]any{
			"labels":      r.labels(name),
			"annotations": map[string]any{AnnotationEnvChecksum: r.checksum},
		},
		"spec": spec,
	}
}

func (r *renderer) container(c *Container, w *Workload, primary bool) map[string]any {
	out := map[string]any{
		"name":    c.Name,
		"image":   r.image(c),
		"envFrom": []any{map[string]any{"secretRef": map[string]any{"name": r.secret}}},
	}
	if c.Command != nil {
		out["command"] = stringList(c.Command)
	}
	if c.Args != nil {
		out["args"] = stringList(c.Args)
	}
	if len(c.Env) > 0 {
		env := make([]any, 0, len(c.Env))
		for _, k := range sortedKeys(c.Env) {
			env = append(env, map[string]any{"name": k, "value": c.Env[k]})
		}
		out["env"] = env
	}
	if c.Port != nil {
		out["ports"] = []any{map[string]any{"name": portName(c), "containerPort": int64(*c.Port), "protocol": "TCP"}}
	}
	res := c.Resources
	if res == nil {
		res = w.Resources
	}
	if res != nil {
		out["resources"] = resourceRequirements(res)
	}
	if h := c.Healthcheck; h != nil {
		probe := probe(h, c)
		out["readinessProbe"] = probe
		if h.Liveness {
			out["livenessProbe"] = probe
		}
	}
	if primary && w.Storage != nil {
		out["volumeMounts"] = []any{map[string]any{"name": "data", "mountPath": w.Storage.Mount}}
	}
	return out
}

// portName names a container's port after the container when that is a
// valid port name (at most 15 characters), else "port-<number>".
func portName(c *Container) string {
	if len(validation.IsValidPortName(c.Name)) == 0 {
		return c.Name
	}
	return "port-" + strconv.Itoa(*c.Port)
}

func resourceRequirements(res *Resources) map[string]any {
	out := map[string]any{}
	add := func(section, name, v string) {
		if v == "" {
			return
		}
		s, ok := out[section].(map[string]any)
		if !ok {
			s = map[string]any{}
			out[section] = s
		}
		s[name] = v
	}
	add("requests", "cpu", res.CPU)
	add("requests", "memory", res.Memory)
	add("limits", "cpu", res.CPULimit)
	add("limits", "memory", res.MemoryLimit)
	return out
}

func probe(h *Healthcheck, c *Container) map[string]any {
	p := map[string]any{}
	var port int64
	if h.Port != nil {
		port = int64(*h.Port)
	} else if c.Port != nil {
		port = int64(*c.Port)
	}
	switch {
	case h.HTTPPath != "":
		p["httpGet"] = map[string]any{"path": h.HTTPPath, "port": port}
	case h.TCP:
		p["tcpSocket"] = map[string]any{"port": port}
	default:
		p["exec"] = map[string]any{"command": stringList(h.Command)}
	}
	seconds := func(key, d string) {
		if d != "" {
			v, _ := time.ParseDuration(d) // validated
			p[key] = int64(v / time.Second)
		}
	}
	seconds("periodSeconds", h.Period)
	seconds("timeoutSeconds", h.Timeout)
	seconds("initialDelaySeconds", h.InitialDelay)
	if h.FailureThreshold != nil {
		p["failureThreshold"] = int64(*h.FailureThreshold)
	}
	return p
}

// replicas is a workload's replica count: the environment's override, else
// the manifest's; nil with autoscale, where the HPA owns the count.
func (r *renderer) replicas(w *Workload) *int {
	if w.Autoscale != nil {
		return nil
	}
	if r.in.Replicas != nil {
		return r.in.Replicas
	}
	return w.Replicas
}

func (r *renderer) workload(name string, w *Workload) {
	objName := r.in.App + "-" + name
	switch w.Kind {
	case KindDeployment:
		spec := map[string]any{
			"selector": map[string]any{"matchLabels": r.selector(name)},
			"template": r.podTemplate(name, w, ""),
			"strategy": map[string]any{"type": map[string]string{"rolling": "RollingUpdate", "recreate": "Recreate"}[r.m.Deploy.Strategy]},
		}
		if n := r.replicas(w); n != nil {
			spec["replicas"] = int64(*n)
		}
		r.add("apps/v1", "Deployment", objName, r.labels(name), map[string]any{"spec": spec})
	case KindStatefulSet:
		spec := map[string]any{
			"serviceName": objName,
			"selector":    map[string]any{"matchLabels": r.selector(name)},
			"template":    r.podTemplate(name, w, ""),
		}
		if n := r.replicas(w); n != nil {
			spec["replicas"] = int64(*n)
		}
		if s := w.Storage; s != nil {
			pvc := map[string]any{
				"accessModes": []any{"ReadWriteOnce"},
				"resources":   map[string]any{"requests": map[string]any{"storage": s.Size}},
			}
			if s.Class != "" {
				pvc["storageClassName"] = s.Class
			}
			spec["volumeClaimTemplates"] = []any{map[string]any{
				"apiVersion": "v1",
				"kind":       "PersistentVolumeClaim",
				"metadata":   map[string]any{"name": "data", "labels": r.labels(name)},
				"spec":       pvc,
			}}
		}
		r.add("apps/v1", "StatefulSet", objName, r.labels(name), map[string]any{"spec": spec})
	case KindCronJob:
		spec := map[string]any{
			"schedule":          w.Schedule,
			"concurrencyPolicy": map[string]string{"allow": "Allow", "forbid": "Forbid", "replace": "Replace"}[w.ConcurrencyPolicy],
			"jobTemplate": map[string]any{
				"metadata": map[string]any{"labels": r.labels(name)},
				"spec":     map[string]any{"template": r.podTemplate(name, w, "OnFailure")},
			},
		}
		if w.Timezone != "" {
			spec["timeZone"] = w.Timezone
		}
		r.add("batch/v1", "CronJob", objName, r.labels(name), map[string]any{"spec": spec})
	}
}

func (r *renderer) service(name string, w *Workload) {
	var ports []any
	for i := range w.Containers {
		if c := &w.Containers[i]; c.Port != nil {
			ports = append(ports, map[string]any{
				"name": portName(c), "port": int64(*c.Port), "targetPort": int64(*c.Port), "protocol": "TCP",
			})
		}
	}
	if len(ports) == 0 || w.Kind == KindCronJob {
		return
	}
	spec := map[string]any{"selector": r.selector(name), "ports": ports}
	if w.Kind == KindStatefulSet {
		spec["clusterIP"] = "None" // the StatefulSet's governing, headless Service
	}
	r.add("v1", "Service", r.in.App+"-"+name, r.labels(name), map[string]any{"spec": spec})
}

func (r *renderer) autoscaler(name string, w *Workload) {
	a := w.Autoscale
	if a == nil {
		return
	}
	kind := map[string]string{KindDeployment: "Deployment", KindStatefulSet: "StatefulSet"}[w.Kind]
	var metrics []any
	for _, m := range []struct {
		resource string
		percent  *int
	}{{"cpu", a.CPUPercent}, {"memory", a.MemoryPercent}} {
		if m.percent != nil {
			metrics = append(metrics, map[string]any{"type": "Resource", "resource": map[string]any{
				"name": m.resource, "target": map[string]any{"type": "Utilization", "averageUtilization": int64(*m.percent)},
			}})
		}
	}
	r.add("autoscaling/v2", "HorizontalPodAutoscaler", r.in.App+"-"+name, r.labels(name), map[string]any{"spec": map[string]any{
		"scaleTargetRef": map[string]any{"apiVersion": "apps/v1", "kind": kind, "name": r.in.App + "-" + name},
		"minReplicas":    int64(*a.Min),
		"maxReplicas":    int64(*a.Max),
		"metrics":        metrics,
	}})
}

// Hostnames returns the hosts a public workload is served on in this
// environment: its platform hostname, then the custom domains when it is the
// primary public workload.
func (r *renderer) hostnames(name string, primary bool) []string {
	host := r.in.App
	if r.in.Environment != "" {
		host += "-" + r.in.Environment
	}
	if !primary {
		host += "-" + name
	}
	hosts := []string{host + "." + r.in.Domain}
	if primary {
		hosts = append(hosts, r.in.CustomDomains...)
	}
	return hosts
}

func (r *renderer) ingress(name string, w *Workload, primary bool) {
	var port int64
	for i := range w.Containers {
		if c := &w.Containers[i]; c.Port != nil {
			port = int64(*c.Port)
			break
		}
	}
	var rules, tls []any
	for _, host := range r.hostnames(name, primary) {
		rules = append(rules, map[string]any{"host": host, "http": map[string]any{"paths": []any{
			map[string]any{"path": "/", "pathType": "Prefix", "backend": map[string]any{
				"service": map[string]any{"name": r.in.App + "-" + name, "port": map[string]any{"number": port}},
			}},
		}}})
		tls = append(tls, map[string]any{"hosts": []any{host}, "secretName": tlsSecretName(host)})
	}
	if primary && r.in.CertIssuer != "" {
		for _, host := range r.in.CustomDomains {
			r.add("cert-manager.io/v1", "Certificate", tlsSecretName(host), r.labels(name), map[string]any{"spec": map[string]any{
				"secretName": tlsSecretName(host),
				"dnsNames":   []any{host},
				"issuerRef":  map[string]any{"name": r.in.CertIssuer, "kind": "ClusterIssuer", "group": "cert-manager.io"},
			}})
		}
	}
	spec := map[string]any{"rules": rules, "tls": tls}
	if r.in.IngressClass != "" {
		spec["ingressClassName"] = r.in.IngressClass
	}
	r.add("networking.k8s.io/v1", "Ingress", r.in.App+"-"+name, r.labels(name), map[string]any{"spec": spec})
}

// tlsSecretName is the Secret holding a host's certificate.
func tlsSecretName(host string) string { return "tls-" + strings.ReplaceAll(host, ".", "-") }

// releaseJob renders deploy.release_command as a Job whose name is a hash
// of its content: Job templates are immutable, and a new image or command
// is a new release.
func (r *renderer) releaseJob() {
	argv := r.m.Deploy.ReleaseCommand
	if argv == nil {
		return
	}
	timeout, _ := time.ParseDuration(r.m.Deploy.Timeout) // validated, defaulted
	labels := func() map[string]any {
		l := r.labels("")
		l[LabelComponent] = "release"
		return l
	}
	spec := map[string]any{
		"backoffLimit":          int64(0),
		"activeDeadlineSeconds": int64(timeout / time.Second),
		"template": map[string]any{
			"metadata": map[string]any{"labels": labels(), "annotations": map[string]any{AnnotationEnvChecksum: r.checksum}},
			"spec": map[string]any{
				"serviceAccountName": r.in.App,
				"restartPolicy":      "Never",
				"containers": []any{map[string]any{
					"name":    "release",
					"image":   r.image(&Container{}),
					"command": stringList(argv),
					"envFrom": []any{map[string]any{"secretRef": map[string]any{"name": r.secret}}},
				}},
			},
		},
	}
	b, _ := json.Marshal(spec) // maps marshal with sorted keys: a stable hash
	sum := sha256.Sum256(b)
	obj := r.add("batch/v1", "Job", r.in.App+"-release-"+hex.EncodeToString(sum[:])[:10], labels(), map[string]any{"spec": spec})
	obj["metadata"].(map[string]any)["annotations"] = map[string]any{AnnotationHook: "pre-deploy"}
}

func stringList(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
