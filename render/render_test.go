package render

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// goldenCase is one directory of testdata with an astrolift.toml, an
// optional input.json and one <environment>.yaml per rendered environment.
type goldenCase struct {
	name     string
	dir      string
	manifest *Manifest
	inputs   map[string]Input // by environment
}

type caseInput struct {
	App           string            `json:"app"`
	Image         string            `json:"image"`
	Domain        string            `json:"domain"`
	CustomDomains []string          `json:"custom_domains"`
	IngressClass  string            `json:"ingress_class"`
	Bundles       map[string]string `json:"bundles"`
	ManagedEnv    map[string]string `json:"managed_env"`
	Environments  []string          `json:"environments"`
}

func testIdentity(t testing.TB) age.Identity {
	t.Helper()
	f, err := os.Open("testdata/test-identity.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		t.Fatal(err)
	}
	return ids[0]
}

func goldenCases(t testing.TB) []goldenCase {
	t.Helper()
	dirs, err := filepath.Glob("testdata/*/astrolift.toml")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	id := testIdentity(t)
	var cases []goldenCase
	for _, file := range dirs {
		dir := filepath.Dir(file)
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Parse("astrolift.toml", raw)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		ci := caseInput{App: "shop", Image: "v1.4.2", Domain: "apps.example.com"}
		if b, err := os.ReadFile(filepath.Join(dir, "input.json")); err == nil {
			if err := json.Unmarshal(b, &ci); err != nil {
				t.Fatalf("%s/input.json: %v", dir, err)
			}
		}
		envs := ci.Environments
		if envs == nil {
			envs = append(m.Environments(), "production")
		}
		gc := goldenCase{name: filepath.Base(dir), dir: dir, manifest: m, inputs: map[string]Input{}}
		for _, env := range envs {
			opened := map[string]string{}
			for k, v := range m.Environment(env).Env {
				if IsSealed(v) {
					plain, err := Open(id, v)
					if err != nil {
						t.Fatalf("%s: open %s: %v", dir, k, err)
					}
					opened[k] = string(plain)
				}
			}
			gc.inputs[env] = Input{
				App: ci.App, Environment: env, Image: ci.Image, Domain: ci.Domain,
				CustomDomains: ci.CustomDomains, IngressClass: ci.IngressClass,
				Bundles: ci.Bundles, ManagedEnv: ci.ManagedEnv, Opened: opened,
			}
		}
		cases = append(cases, gc)
	}
	return cases
}

func TestRenderGolden(t *testing.T) {
	for _, gc := range goldenCases(t) {
		for env, in := range gc.inputs {
			t.Run(gc.name+"/"+env, func(t *testing.T) {
				objs, err := Render(gc.manifest, in)
				if err != nil {
					t.Fatal(err)
				}
				got, err := YAML(objs)
				if err != nil {
					t.Fatal(err)
				}
				golden := filepath.Join(gc.dir, env+".yaml")
				if *update {
					if err := os.WriteFile(golden, got, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test ./render -update)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from the rendering (run go test ./render -update and review the diff):\n%s", golden, lineDiff(string(want), string(got)))
				}
				// Deterministic: a second render gives the same bytes.
				again, _ := Render(gc.manifest, in)
				if b, _ := YAML(again); !bytes.Equal(b, got) {
					t.Error("rendering twice gave different YAML")
				}
			})
		}
	}
}

// lineDiff shows the first lines that differ, enough to see what changed.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 20; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n  - " + wl + "\n  + " + gl + "\n")
			shown++
		}
	}
	return b.String()
}

func TestPreviewMasksSecrets(t *testing.T) {
	for _, gc := range goldenCases(t) {
		for env, in := range gc.inputs {
			rendered, err := Render(gc.manifest, in)
			if err != nil {
				t.Fatal(err)
			}
			in.Opened = nil // the preview needs no identity
			preview, err := Preview(gc.manifest, in)
			if err != nil {
				t.Fatalf("%s/%s: %v", gc.name, env, err)
			}
			out, _ := YAML(preview)
			secrets := []string{}
			for _, layer := range []map[string]string{in.Bundles, in.ManagedEnv, gc.inputs[env].Opened} {
				for _, v := range layer {
					secrets = append(secrets, v, base64.StdEncoding.EncodeToString([]byte(v)))
				}
			}
			for _, v := range secrets {
				if bytes.Contains(out, []byte(v)) {
					t.Errorf("%s/%s: preview shows a secret value", gc.name, env)
				}
			}
			for _, o := range preview {
				if o.GetKind() == "Secret" && o.Object["data"] != nil {
					t.Errorf("%s/%s: preview Secret has data", gc.name, env)
				}
			}
			// Everything but the Secret is identical, checksums included.
			if len(preview) != len(rendered) {
				t.Fatalf("%s/%s: preview has %d objects, render %d", gc.name, env, len(preview), len(rendered))
			}
			for i := range preview {
				if preview[i].GetKind() == "Secret" {
					continue
				}
				a, _ := json.Marshal(preview[i].Object)
				b, _ := json.Marshal(rendered[i].Object)
				if !bytes.Equal(a, b) {
					t.Errorf("%s/%s: preview %s/%s differs from render", gc.name, env, preview[i].GetKind(), preview[i].GetName())
				}
			}
		}
	}
}

func TestRenderNeedsOpenedSecrets(t *testing.T) {
	gc := goldenCases(t)[0]
	for env, in := range gc.inputs {
		if len(in.Opened) == 0 {
			continue
		}
		in.Opened = nil
		_, err := Render(gc.manifest, in)
		if err == nil || !strings.Contains(err.Error(), "sealed value was not opened") {
			t.Errorf("%s: want an error about the unopened sealed value, got %v", env, err)
		}
	}
}

func TestRenderLabelsAndNamespace(t *testing.T) {
	m := mustParse(t, "schema = 1\n[workloads.web]\n[[workloads.web.containers]]\nimage = \"nginx:1\"\nport = 80\n")
	objs, err := Render(m, Input{App: "blog", Environment: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, o := range objs {
		kinds = append(kinds, o.GetKind()+"/"+o.GetName())
		if o.GetNamespace() != "blog-prod" {
			t.Errorf("%s/%s: namespace %q, want blog-prod", o.GetKind(), o.GetName(), o.GetNamespace())
		}
		l := o.GetLabels()
		for k, want := range map[string]string{LabelName: "blog", LabelManagedBy: "astrolift", LabelApp: "blog", LabelEnvironment: "prod"} {
			if l[k] != want {
				t.Errorf("%s/%s: label %s = %q, want %q", o.GetKind(), o.GetName(), k, l[k], want)
			}
		}
	}
	want := []string{"ServiceAccount/blog", "Secret/blog-env", "Service/blog-web", "Deployment/blog-web"}
	if !slices.Equal(kinds, want) {
		t.Errorf("objects %v, want %v", kinds, want)
	}
	if _, err := Render(m, Input{App: "1blog"}); err == nil {
		t.Error("an app slug starting with a digit must be refused")
	}
	long := strings.Repeat("a", 60)
	if _, err := Render(m, Input{App: long}); err == nil || !strings.Contains(err.Error(), "longer than 63") {
		t.Errorf("want an error about the object name length, got %v", err)
	}
}

func mustParse(t testing.TB, src string) *Manifest {
	t.Helper()
	m, err := Parse("astrolift.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// An environment's replica override replaces the manifest's count on
// Deployments and StatefulSets, and leaves autoscaled workloads to their HPA.
func TestRenderReplicaOverride(t *testing.T) {
	m := mustParse(t, `schema = 1
[workloads.web]
replicas = 2
[[workloads.web.containers]]
image = "nginx:1"
[workloads.api]
autoscale = { min = 2, max = 4 }
[[workloads.api.containers]]
image = "nginx:1"
[workloads.db]
kind = "statefulset"
[[workloads.db.containers]]
image = "postgres:17"
`)
	five := 5
	objs, err := Render(m, Input{App: "shop", Environment: "prod", Replicas: &five})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for _, o := range objs {
		if o.GetKind() != "Deployment" && o.GetKind() != "StatefulSet" {
			continue
		}
		n, found, _ := unstructured.NestedInt64(o.Object, "spec", "replicas")
		if found {
			got[o.GetName()] = n
		} else {
			got[o.GetName()] = "unset"
		}
	}
	want := map[string]any{"shop-web": int64(5), "shop-api": "unset", "shop-db": int64(5)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("replicas %v, want %v", got, want)
	}
}
