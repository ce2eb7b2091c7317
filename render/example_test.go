package render_test

import (
	"fmt"

	"github.com/astrolift/astrolift/render"
)

func ExampleParse() {
	_, err := render.Parse("astrolift.toml", []byte(`schema = 1
[workloads.web]
replica = 2
[[workloads.web.containers]]
image = "nginx:1.27"
port = 80
[environments.staging]
workloads.web.replicas = -1
`))
	fmt.Println(err)
	// Output:
	// astrolift.toml:3:1: workloads.web.replica: unknown key "replica"; did you mean "replicas"?
	// astrolift.toml:8:26: environments.staging.workloads.web.replicas: must be 0 or more, got -1
}

func ExampleRender() {
	m, err := render.Parse("astrolift.toml", []byte(`schema = 1
[build]
image = "registry.example.com/acme/shop"
[workloads.web]
public = true
[[workloads.web.containers]]
port = 8080
[environments.staging]
workloads.web.replicas = 2
`))
	if err != nil {
		panic(err)
	}
	objs, err := render.Render(m, render.Input{App: "shop", Environment: "staging", Image: "v1.4.2", Domain: "apps.example.com"})
	if err != nil {
		panic(err)
	}
	for _, o := range objs {
		fmt.Printf("%s %s/%s\n", o.GetKind(), o.GetNamespace(), o.GetName())
	}
	// Output:
	// ServiceAccount shop-staging/shop
	// Secret shop-staging/shop-env
	// Service shop-staging/shop-web
	// Deployment shop-staging/shop-web
	// Ingress shop-staging/shop-web
}

func ExampleSetEnv() {
	raw := []byte(`schema = 1

[env]
LOG_LEVEL = "info"   # verbose in staging

[environments.staging]
env = { LOG_LEVEL = "debug" }
`)
	raw, _ = render.SetEnv(raw, "", "REGION", "eu-west-1")
	raw, _ = render.SetEnv(raw, "staging", "REGION", "eu-central-1")
	fmt.Print(string(raw))
	// Output:
	// schema = 1
	//
	// [env]
	// LOG_LEVEL = "info"   # verbose in staging
	// REGION = "eu-west-1"
	//
	// [environments.staging]
	// env = { LOG_LEVEL = "debug", REGION = "eu-central-1" }
}
