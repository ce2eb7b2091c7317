package render

import (
	"fmt"
	"strings"
	"testing"
)

// tenWorkloads is a manifest with 10 workloads: 6 public web services with
// autoscale and healthchecks, 2 workers, a cronjob and a statefulset.
func tenWorkloads() []byte {
	var b strings.Builder
	b.WriteString("schema = 1\n[build]\nimage = \"registry.example.com/acme/big\"\n[deploy]\nrelease_command = [\"bin/migrate\"]\n")
	b.WriteString("[env]\nLOG_LEVEL = \"info\"\nREGION = \"eu-west-1\"\nFEATURES = \"a,b,c\"\n")
	for i := range 6 {
		fmt.Fprintf(&b, `[workloads.web%d]
public = true
autoscale = { min = 2, max = 10, cpu_percent = 70 }
resources = { cpu = "250m", memory = "256Mi", memory_limit = "512Mi" }
  [[workloads.web%d.containers]]
  name = "web"
  command = ["bin/server"]
  port = %d
  healthcheck = { http_path = "/healthz", period = "5s" }
  env = { PORT = "%d" }
  [[workloads.web%d.containers]]
  name = "proxy"
  image = "envoyproxy/envoy:v1.31"
  port = %d
`, i, i, 8080+i, 8080+i, i, 9000+i)
	}
	for i := range 2 {
		fmt.Fprintf(&b, "[workloads.worker%d]\nreplicas = 3\n  [[workloads.worker%d.containers]]\n  command = [\"bin/worker\"]\n", i, i)
	}
	b.WriteString("[workloads.nightly]\nkind = \"cronjob\"\nschedule = \"0 3 * * *\"\ntimezone = \"UTC\"\n  [[workloads.nightly.containers]]\n  command = [\"bin/report\"]\n")
	b.WriteString("[workloads.cache]\nkind = \"statefulset\"\nstorage = { size = \"10Gi\", mount = \"/data\" }\n  [[workloads.cache.containers]]\n  image = \"redis:7\"\n  port = 6379\n")
	b.WriteString("[environments.staging]\nenv = { LOG_LEVEL = \"debug\" }\nworkloads.web0.autoscale = { min = 1, max = 2 }\n")
	return []byte(b.String())
}

var benchInput = Input{App: "big", Environment: "staging", Image: "v1.2.3", Domain: "apps.example.com", CustomDomains: []string{"big.example.com"}}

// BenchmarkRender renders a parsed 10-workload manifest (42 objects).
// Target: at least 5,000 renders/s on one core (go test -bench Render -cpu 1).
func BenchmarkRender(b *testing.B) {
	m, err := Parse("astrolift.toml", tenWorkloads())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(m, benchInput); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse parses and validates the same manifest, overlays included.
func BenchmarkParse(b *testing.B) {
	raw := tenWorkloads()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("astrolift.toml", raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderYAML is Render plus the YAML the config editor shows.
func BenchmarkRenderYAML(b *testing.B) {
	m, err := Parse("astrolift.toml", tenWorkloads())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		objs, err := Render(m, benchInput)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := YAML(objs); err != nil {
			b.Fatal(err)
		}
	}
}
