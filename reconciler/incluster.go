package reconciler

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/astrolift/astrolift/render"
)

// LabelManagedService names the managed service an object belongs to.
const LabelManagedService = "astrolift.dev/managed-service"

// InClusterKinds are the kinds the built-in in-cluster provider runs.
var InClusterKinds = []string{"mysql", "postgres", "redis", "s3"}

// ManagedVariants are the sizes of managed services; "" is small.
var ManagedVariants = []string{"small", "medium", "large"}

// InCluster runs managed services in the environment's namespace: a
// Secret with generated credentials (created once, read back afterwards),
// a headless Service and a one-replica StatefulSet of the official image
// (postgres:16, mysql:8, redis:7, minio/minio for s3), sized by the
// variant. It is ready when the StatefulSet's replica is.
type InCluster struct {
	// StorageClass of the data volumes ("" the cluster's default).
	StorageClass string
	// Ephemeral keeps data in an emptyDir instead of a PersistentVolumeClaim
	// (local control planes without a volume provisioner).
	Ephemeral bool
}

var _ ManagedProvider = (*InCluster)(nil)

// Supports reports whether kind is one of InClusterKinds.
func (p *InCluster) Supports(kind string) bool { return slices.Contains(InClusterKinds, kind) }

type variantSize struct{ cpu, memory, cpuLimit, memoryLimit, storage string }

var variantSizes = map[string]variantSize{
	"small":  {"100m", "256Mi", "500m", "512Mi", "1Gi"},
	"medium": {"500m", "1Gi", "1", "2Gi", "10Gi"},
	"large":  {"1", "4Gi", "2", "8Gi", "50Gi"},
}

// managedObjectName is the name of a service's objects in its namespace.
func managedObjectName(kind, name string) string {
	if name == "" {
		return "managed-" + kind
	}
	return "managed-" + kind + "-" + name
}

// kindSpec is how one kind runs.
type kindSpec struct {
	image, mount string
	port         int64
	args         []string
	// env of the container: literal values, or "secret:<key>" read from
	// the credentials Secret.
	env []envVar
}

type envVar struct{ name, value string }

func specOf(kind, db string) kindSpec {
	switch kind {
	case "postgres":
		return kindSpec{image: "postgres:16", port: 5432, mount: "/var/lib/postgresql/data", env: []envVar{
			{"POSTGRES_USER", "secret:username"}, {"POSTGRES_PASSWORD", "secret:password"}, {"POSTGRES_DB", db},
			{"PGDATA", "/var/lib/postgresql/data/pgdata"}}}
	case "mysql":
		return kindSpec{image: "mysql:8", port: 3306, mount: "/var/lib/mysql", env: []envVar{
			{"MYSQL_USER", "secret:username"}, {"MYSQL_PASSWORD", "secret:password"},
			{"MYSQL_ROOT_PASSWORD", "secret:root-password"}, {"MYSQL_DATABASE", db}}}
	case "redis":
		return kindSpec{image: "redis:7", port: 6379, mount: "/data", env: []envVar{{"REDIS_PASSWORD", "secret:password"}},
			args: []string{"redis-server", "--requirepass", "$(REDIS_PASSWORD)", "--appendonly", "yes"}}
	case "s3":
		return kindSpec{image: "minio/minio", port: 9000, mount: "/data", env: []envVar{
			{"MINIO_ROOT_USER", "secret:username"}, {"MINIO_ROOT_PASSWORD", "secret:password"}},
			args: []string{"server", "/data"}}
	}
	return kindSpec{}
}

// Provision applies the credentials Secret, the Service and the
// StatefulSet and returns the envelope; ready once the replica is.
func (p *InCluster) Provision(ctx context.Context, t *ManagedTarget) (map[string]string, bool, error) {
	svc, ns := t.Service, t.Env.Namespace
	if !p.Supports(svc.Kind) {
		return nil, false, fmt.Errorf("%s: the in-cluster provider runs %s, not %s", describe(svc), strings.Join(InClusterKinds, ", "), svc.Kind)
	}
	size, ok := variantSizes[svc.Variant]
	if svc.Variant == "" {
		size, ok = variantSizes["small"], true
	}
	if !ok {
		return nil, false, fmt.Errorf("%s: variant %q: want one of %s", describe(svc), svc.Variant, strings.Join(ManagedVariants, ", "))
	}
	name := managedObjectName(svc.Kind, svc.Name)
	creds, err := p.credentials(ctx, t, name)
	if err != nil {
		return nil, false, err
	}
	db := strings.ReplaceAll(t.App, "-", "_")
	spec := specOf(svc.Kind, db)
	labels := p.labels(t, name)
	secret := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": name + "-credentials", "namespace": ns, "labels": labels},
		"type":     "Opaque", "data": encodeSecretData(creds)}}
	service := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"name": name, "namespace": ns, "labels": labels},
		"spec": map[string]any{"clusterIP": "None", "selector": map[string]any{LabelManagedService: name},
			"ports": []any{map[string]any{"name": svc.Kind, "port": spec.port, "targetPort": spec.port}}}}}
	sts := p.statefulSet(t, name, spec, size, labels)
	objs := []*unstructured.Unstructured{namespaceObject(t.App, t.Env), secret, service, sts}
	if _, err := t.Cluster.resourceManager().ApplyAllStaged(ctx, objs, applyOptions()); err != nil {
		return nil, false, fmt.Errorf("%s: apply in %s: %w", describe(svc), ns, err)
	}

	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "StatefulSet"})
	if err := t.Cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, live); err != nil {
		return nil, false, fmt.Errorf("%s/%s/%s: %w", "StatefulSet", ns, name, err)
	}
	readyReplicas, _, _ := unstructured.NestedInt64(live.Object, "status", "readyReplicas")
	observed, _, _ := unstructured.NestedInt64(live.Object, "status", "observedGeneration")
	ready := readyReplicas >= 1 && observed >= live.GetGeneration()
	return envelopeOf(svc.Kind, net.JoinHostPort(name+"."+ns+".svc", strconv.FormatInt(spec.port, 10)), db, creds), ready, nil
}

// credentials returns the service's credentials: those of its Secret when
// it exists (re-provisioning keeps them), else new ones.
func (p *InCluster) credentials(ctx context.Context, t *ManagedTarget, name string) (map[string]string, error) {
	ns := t.Env.Namespace
	live := &unstructured.Unstructured{}
	live.SetAPIVersion("v1")
	live.SetKind("Secret")
	err := t.Cluster.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name + "-credentials"}, live)
	if err != nil && !apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("%s/%s/%s-credentials: %w", "Secret", ns, name, err)
	}
	creds := map[string]string{}
	if err == nil {
		s := decodeSecretData(live)
		if s["password"] != "" {
			return s, nil
		}
	}
	creds["username"] = "app"
	if t.Service.Kind == "s3" {
		creds["username"] = "astrolift" + randomHex(8)
	}
	creds["password"] = randomHex(16)
	if t.Service.Kind == "mysql" {
		creds["root-password"] = randomHex(16)
	}
	return creds, nil
}

func (p *InCluster) labels(t *ManagedTarget, name string) map[string]any {
	return map[string]any{render.LabelManagedBy: render.ManagedBy, render.LabelApp: t.App,
		render.LabelEnvironment: t.Env.Name, LabelManagedService: name}
}

func (p *InCluster) statefulSet(t *ManagedTarget, name string, spec kindSpec, size variantSize, labels map[string]any) *unstructured.Unstructured {
	var env []any
	for _, e := range spec.env {
		if key, ok := strings.CutPrefix(e.value, "secret:"); ok {
			env = append(env, map[string]any{"name": e.name, "valueFrom": map[string]any{
				"secretKeyRef": map[string]any{"name": name + "-credentials", "key": key}}})
		} else {
			env = append(env, map[string]any{"name": e.name, "value": e.value})
		}
	}
	container := map[string]any{"name": t.Service.Kind, "image": spec.image, "env": env,
		"ports":        []any{map[string]any{"name": t.Service.Kind, "containerPort": spec.port}},
		"volumeMounts": []any{map[string]any{"name": "data", "mountPath": spec.mount}},
		"resources": map[string]any{
			"requests": map[string]any{"cpu": size.cpu, "memory": size.memory},
			"limits":   map[string]any{"cpu": size.cpuLimit, "memory": size.memoryLimit}}}
	if len(spec.args) > 0 {
		container["args"] = toAnySlice(spec.args)
	}
	podSpec := map[string]any{"containers": []any{container}}
	stsSpec := map[string]any{"serviceName": name, "replicas": int64(1),
		"selector": map[string]any{"matchLabels": map[string]any{LabelManagedService: name}},
		"template": map[string]any{"metadata": map[string]any{"labels": labels}, "spec": podSpec}}
	if p.Ephemeral {
		podSpec["volumes"] = []any{map[string]any{"name": "data", "emptyDir": map[string]any{}}}
	} else {
		pvc := map[string]any{"accessModes": []any{"ReadWriteOnce"},
			"resources": map[string]any{"requests": map[string]any{"storage": size.storage}}}
		if p.StorageClass != "" {
			pvc["storageClassName"] = p.StorageClass
		}
		stsSpec["volumeClaimTemplates"] = []any{map[string]any{"metadata": map[string]any{"name": "data", "labels": labels}, "spec": pvc}}
	}
	return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "apps/v1", "kind": "StatefulSet",
		"metadata": map[string]any{"name": name, "namespace": t.Env.Namespace, "labels": labels}, "spec": stsSpec}}
}

// Deprovision deletes the StatefulSet, its volumes, the Service and the
// credentials Secret; what is gone already is skipped.
func (p *InCluster) Deprovision(ctx context.Context, t *ManagedTarget) error {
	ns, name := t.Env.Namespace, managedObjectName(t.Service.Kind, t.Service.Name)
	for _, o := range []struct{ apiVersion, kind, name string }{
		{"apps/v1", "StatefulSet", name}, {"v1", "Service", name}, {"v1", "Secret", name + "-credentials"},
	} {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion(o.apiVersion)
		u.SetKind(o.kind)
		u.SetNamespace(ns)
		u.SetName(o.name)
		if err := t.Cluster.Client.Delete(ctx, u, client.PropagationPolicy("Background")); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("%s/%s/%s: delete: %w", o.kind, ns, o.name, err)
		}
	}
	pvc := &unstructured.Unstructured{}
	pvc.SetAPIVersion("v1")
	pvc.SetKind("PersistentVolumeClaim")
	if err := t.Cluster.Client.DeleteAllOf(ctx, pvc, client.InNamespace(ns), client.MatchingLabels{LabelManagedService: name}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("%s/%s/%s: delete: %w", "PersistentVolumeClaims", ns, name, err)
	}
	return nil
}

// envelopeOf is the connection envelope of a service of kind at hostPort.
func envelopeOf(kind, hostPort, db string, creds map[string]string) map[string]string {
	host, port, _ := net.SplitHostPort(hostPort)
	user, pass := creds["username"], creds["password"]
	switch kind {
	case "postgres":
		u := url.URL{Scheme: "postgres", User: url.UserPassword(user, pass), Host: hostPort, Path: "/" + db, RawQuery: "sslmode=disable"}
		return map[string]string{"DATABASE_URL": u.String(), "PGHOST": host, "PGPORT": port, "PGUSER": user, "PGPASSWORD": pass, "PGDATABASE": db}
	case "mysql":
		u := url.URL{Scheme: "mysql", User: url.UserPassword(user, pass), Host: hostPort, Path: "/" + db}
		return map[string]string{"DATABASE_URL": u.String()}
	case "redis":
		u := url.URL{Scheme: "redis", User: url.UserPassword("", pass), Host: hostPort, Path: "/0"}
		return map[string]string{"REDIS_URL": u.String()}
	case "s3":
		return map[string]string{"S3_ENDPOINT": "http://" + hostPort, "S3_ACCESS_KEY_ID": user, "S3_SECRET_ACCESS_KEY": pass,
			"S3_BUCKET": strings.ReplaceAll(db, "_", "-"), "S3_REGION": "us-east-1"}
	}
	return nil
}

// envPrefix is the env key prefix of a named service.
func envPrefix(name string) string {
	return strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "_"
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func encodeSecretData(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = base64.StdEncoding.EncodeToString([]byte(v))
	}
	return out
}

// decodeSecretData reads a live Secret's data.
func decodeSecretData(u *unstructured.Unstructured) map[string]string {
	data, _, _ := unstructured.NestedStringMap(u.Object, "data")
	out := make(map[string]string, len(data))
	for k, v := range data {
		if b, err := base64.StdEncoding.DecodeString(v); err == nil {
			out[k] = string(b)
		}
	}
	return out
}

func toAnySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
