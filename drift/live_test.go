package drift

import (
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func object(t *testing.T, js string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON([]byte(js)); err != nil { // numbers as int64, as from the API
		t.Fatal(err)
	}
	return u
}

// A kubectl edit of replicas and of a container image shows as two fields,
// each with the live and desired value and kubectl as the one who changed
// them; server-set metadata and status are not drift.
func TestFieldDriftNamesFieldsAndManagers(t *testing.T) {
	live := object(t, `{"apiVersion":"apps/v1","kind":"Deployment",
		"metadata":{"name":"shop-web","namespace":"shop-prod","resourceVersion":"9","generation":3,"labels":{"app":"shop"},
			"managedFields":[
				{"manager":"astrolift","operation":"Apply","apiVersion":"apps/v1","fieldsType":"FieldsV1",
				 "fieldsV1":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:name":{},"f:command":{}}}}}}}},
				{"manager":"kubectl-edit","operation":"Update","apiVersion":"apps/v1","time":"2026-12-03T06:00:00Z","fieldsType":"FieldsV1",
				 "fieldsV1":{"f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{"f:image":{}}}}}}}},
				{"manager":"kube-controller-manager","operation":"Update","apiVersion":"apps/v1","subresource":"status","fieldsType":"FieldsV1",
				 "fieldsV1":{"f:status":{"f:replicas":{}}}}]},
		"spec":{"replicas":5,"template":{"spec":{"containers":[{"name":"web","image":"shop:hacked","command":["a","b"]}]}}},
		"status":{"replicas":5}}`)
	merged := object(t, `{"apiVersion":"apps/v1","kind":"Deployment",
		"metadata":{"name":"shop-web","namespace":"shop-prod","resourceVersion":"9","generation":4,"labels":{"app":"shop"}},
		"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"web","image":"shop:v1","command":["a","b"]}]}}},
		"status":{"replicas":5}}`)
	owned := live.DeepCopy()
	fields, err := fieldDrift(live, merged, owned, "astrolift", false)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][3]any{}
	for _, f := range fields {
		var who []string
		for _, m := range f.ChangedBy {
			who = append(who, m.Name+"/"+m.Operation)
		}
		got[f.Path] = [3]any{f.Live, f.Desired, who}
	}
	want := map[string][3]any{
		"/spec/replicas":                         {int64(5), int64(2), []string{"kubectl-edit/Update"}},
		"/spec/template/spec/containers/0/image": {"shop:hacked", "shop:v1", []string{"kubectl-edit/Update"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("drift\n got %#v\nwant %#v", got, want)
	}
	if fields[0].ChangedBy[0].Time == nil {
		t.Error("the manager's time is missing")
	}
}

// Secrets: paths only, never values.
func TestFieldDriftSecretHasNoValues(t *testing.T) {
	live := object(t, `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"A":"KioqKg=="}}`)
	merged := object(t, `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"A":"KioqKio="}}`)
	fields, err := fieldDrift(live, merged, live, "astrolift", true)
	if err != nil {
		t.Fatal(err)
	}
	if len(fields) != 1 || fields[0].Path != "/data/A" || fields[0].Live != nil || fields[0].Desired != nil {
		t.Errorf("secret drift = %+v, want /data/A without values", fields)
	}
}

// Atomic fields are owned as a whole: a manager owning "f:command" owns
// /command/1; list items match by key, index or value.
func TestOwnsPath(t *testing.T) {
	obj := map[string]any{"spec": map[string]any{
		"command":    []any{"a", "b"},
		"ports":      []any{map[string]any{"containerPort": int64(8080), "protocol": "TCP"}},
		"finalizers": []any{"x"},
	}}
	set := map[string]any{"f:spec": map[string]any{
		"f:command":    map[string]any{},
		"f:ports":      map[string]any{`k:{"containerPort":8080,"protocol":"TCP"}`: map[string]any{"f:protocol": map[string]any{}}},
		"f:finalizers": map[string]any{`v:"x"`: map[string]any{}},
	}}
	for ptr, want := range map[string]bool{
		"/spec/command/1":        true,
		"/spec/ports/0/protocol": true,
		"/spec/ports/0/name":     false,
		"/spec/finalizers/0":     true,
		"/spec/replicas":         false,
		"/spec/ports/3/protocol": false,
	} {
		if got := ownsPath(obj, set, ptr); got != want {
			t.Errorf("ownsPath(%s) = %v, want %v", ptr, got, want)
		}
	}
}
