package render

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// base is a valid manifest that the error cases extend.
const base = `schema = 1
[build]
image = "registry.example.com/acme/shop"
[workloads.web]
public = true
  [[workloads.web.containers]]
  port = 8080
`

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // every error, in order, as "line:col: path: message"
	}{
		{"syntax error", "schema = 1\n[workloads.web\n", []string{
			"2:15: expected ']' to close table name"}},
		{"duplicate key", "schema = 1\nschema = 1\n", []string{
			"2:1: schema: key schema is already defined"}},
		{"missing schema", "[workloads.web]\n[[workloads.web.containers]]\nimage = \"nginx:1\"\n", []string{
			"1:1: schema: missing; the first line should be `schema = 1`"}},
		{"unsupported schema", "schema = 2\n" + base[11:], []string{
			"1:10: schema: unsupported schema 2; this Astrolift reads schema 1"}},
		{"unknown keys with hints, all at once", base + "replica = 2\n  [workloads.web.autoscale]\n  mx = 3\n[deplyo]\n", []string{
			"8:1: workloads.web.containers[0].replica: unknown key \"replica\"",
			"9:18: workloads.web.autoscale: autoscale needs max, for example { min = 1, max = 5 }",
			"10:3: workloads.web.autoscale.mx: unknown key \"mx\"; did you mean \"max\"?",
			"11:2: deplyo: unknown key \"deplyo\"; did you mean \"deploy\"?"}},
		{"wrong types", "schema = 1\n[workloads.web]\nreplicas = \"2\"\npublic = \"yes\"\n[[workloads.web.containers]]\nimage = \"nginx:1\"\nport = 80.5\nenv = { PORT = 8080 }\n", []string{
			"3:12: workloads.web.replicas: expected an integer, got a string",
			"4:10: workloads.web.public: expected true or false, got a string",
			"7:8: workloads.web.containers[0].port: expected an integer, got a float",
			"8:16: workloads.web.containers[0].env.PORT: expected a string, got an integer (quote it: \"8080\")"}},
		{"type errors silence follow-ups in their table only", "schema = 1\n[workloads.job]\nkind = 5\nschedule = \"* * * * *\"\n[[workloads.job.containers]]\nimage = \"busybox:1\"\n[workloads.web]\nreplicas = -2\n[[workloads.web.containers]]\nimage = \"nginx:1\"\n", []string{
			"3:8: workloads.job.kind: expected a string, got an integer (quote it: \"5\")",
			"8:12: workloads.web.replicas: must be 0 or more, got -2"}},
		{"workload name", base + "[workloads.Web_2]\n[[workloads.Web_2.containers]]\n", []string{
			"8:12: workloads.Web_2: workload \"Web_2\" is not a valid name: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"}},
		{"unknown kind", base + "kind = \"deploy\"\n", []string{
			"8:1: workloads.web.containers[0].kind: unknown key \"kind\""}},
		{"kind value", "schema = 1\n[workloads.web]\nkind = \"deploymnet\"\n[[workloads.web.containers]]\nimage = \"nginx:1\"\n", []string{
			"3:8: workloads.web.kind: \"deploymnet\" is not one of deployment, statefulset, cronjob; did you mean \"deployment\"?"}},
		{"bad cron schedule and time zone", "schema = 1\n[workloads.nightly]\nkind = \"cronjob\"\nschedule = \"0 25 * * *\"\ntimezone = \"Mars/Olympus\"\n[[workloads.nightly.containers]]\nimage = \"busybox:1\"\n", []string{
			"4:12: workloads.nightly.schedule: \"0 25 * * *\" is not a cron schedule: end of range (25) above maximum (23): 25",
			"5:12: workloads.nightly.timezone: unknown time zone \"Mars/Olympus\" (use an IANA name such as \"Europe/Berlin\")"}},
		{"cronjob without schedule", "schema = 1\n[workloads.nightly]\nkind = \"cronjob\"\nreplicas = 2\n[[workloads.nightly.containers]]\nimage = \"busybox:1\"\n", []string{
			"2:12: workloads.nightly: a cronjob needs a schedule, for example schedule = \"0 3 * * *\"",
			"4:1: workloads.nightly.replicas: not used by a cronjob workload; a cronjob runs one job per schedule"}},
		{"quantities", base + "  resources = { cpu = \"half\", memory = \"512MB\", memory_limit = \"256Mi\" }\n", []string{
			"8:23: workloads.web.containers[0].resources.cpu: \"half\" is not a Kubernetes quantity (for example \"500m\", \"1\", \"512Mi\", \"10Gi\")",
			"8:40: workloads.web.containers[0].resources.memory: \"512MB\" is not a Kubernetes quantity (for example \"500m\", \"1\", \"512Mi\", \"10Gi\")"}},
		{"limit below request", base + "  resources = { memory = \"512Mi\", memory_limit = \"256Mi\" }\n", []string{
			"8:50: workloads.web.containers[0].resources.memory_limit: memory_limit 256Mi is below the memory request 512Mi"}},
		{"port range", "schema = 1\n[workloads.web]\n[[workloads.web.containers]]\nimage = \"nginx:1\"\nport = 70000\n", []string{
			"5:8: workloads.web.containers[0].port: port must be between 1 and 65535, got 70000"}},
		{"autoscale min above max", base + "[workloads.web.autoscale]\nmin = 5\nmax = 2\n", []string{
			"9:7: workloads.web.autoscale.min: autoscale.min (5) is greater than autoscale.max (2)"}},
		{"negative replicas", "schema = 1\n[workloads.web]\nreplicas = -1\n[[workloads.web.containers]]\nimage = \"nginx:1\"\n", []string{
			"3:12: workloads.web.replicas: must be 0 or more, got -1"}},
		{"public without port", "schema = 1\n[workloads.web]\npublic = true\n[[workloads.web.containers]]\nimage = \"nginx:1\"\n", []string{
			"3:1: workloads.web.public: a public workload needs a container with a port"}},
		{"statefulset storage", "schema = 1\n[workloads.db]\nkind = \"statefulset\"\nstorage = { class = \"fast\" }\n[[workloads.db.containers]]\nimage = \"postgres:17\"\n", []string{
			"4:11: workloads.db.storage: storage needs a mount path, for example mount = \"/data\"",
			"4:11: workloads.db.storage: storage needs a size, for example size = \"10Gi\""}},
		{"storage on a deployment", base + "[workloads.web.storage]\nsize = \"1Gi\"\nmount = \"data\"\n", []string{
			"8:16: workloads.web.storage: only a statefulset has storage; set kind = \"statefulset\"",
			"10:9: workloads.web.storage.mount: \"data\" must be an absolute path"}},
		{"duplicate container names", "schema = 1\n[workloads.web]\n[[workloads.web.containers]]\nname = \"app\"\nimage = \"nginx:1\"\n[[workloads.web.containers]]\nname = \"app\"\nimage = \"nginx:1\"\n[[workloads.web.containers]]\nimage = \"nginx:1\"\n", []string{
			"7:8: workloads.web.containers[1].name: container name \"app\" is already used by containers[0]",
			"9:17: workloads.web.containers[2]: container needs a name when a workload has several"}},
		{"env keys", base + "[env]\n\"1BAD\" = \"x\"\n\"WITH-DASH\" = \"y\"\n", []string{
			"9:1: env.1BAD: \"1BAD\" is not a valid variable name (letters, digits and _, not starting with a digit)",
			"10:1: env.WITH-DASH: \"WITH-DASH\" is not a valid variable name (letters, digits and _, not starting with a digit)"}},
		{"malformed sealed values", base + "[env]\nA = \"sealed:v2:abc\"\nB = \"sealed:v1:not base64!\"\nC = \"sealed:v1:aGVsbG8=\"\n", []string{
			"9:5: env.A: sealed value must start with \"sealed:v1:\" (seal it with the Secrets page or \"astrolift seal\")",
			"10:5: env.B: sealed value is not valid base64: illegal base64 data at input byte 3",
			"11:5: env.C: sealed value is not an age-encrypted payload"}},
		{"sealed value in container env", base + "  env = { TOKEN = \"sealed:v1:aGVsbG8=\" }\n", []string{
			"8:19: workloads.web.containers[0].env.TOKEN: sealed values belong in [env] or [environments.<name>.env], not in a container's env"}},
		{"overlay names a missing workload", base + "[environments.staging]\nworkloads.wbe.replicas = 1\n", []string{
			"9:11: environments.staging.workloads.wbe: no workload \"wbe\" in the base manifest; did you mean \"web\"?"}},
		{"overlay unknown key", base + "[environments.staging]\ndependencies.x.url = \"https://x\"\nenvv = { A = \"1\" }\n", []string{
			"9:1: environments.staging.dependencies: unknown key \"dependencies\" (an environment overrides only build, deploy, env, secrets, workloads)",
			"10:1: environments.staging.envv: unknown key \"envv\"; did you mean \"env\"? (an environment overrides only build, deploy, env, secrets, workloads)"}},
		{"overlay makes the merge invalid", base + "[workloads.web.autoscale]\nmin = 2\nmax = 4\n[environments.staging]\nworkloads.web.autoscale.max = 1\nworkloads.web.containers = [{ port = 0 }]\n", []string{
			"12:31: environments.staging.workloads.web.autoscale.max: autoscale.min (2) is greater than autoscale.max (1)",
			"13:38: environments.staging.workloads.web.containers[0].port: port must be between 1 and 65535, got 0"}},
		{"overlay type error", base + "[environments.prod.workloads.web]\nreplicas = \"three\"\n", []string{
			"9:12: environments.prod.workloads.web.replicas: expected an integer, got a string"}},
		{"bad environment name", base + "[environments.Prod_1]\n", []string{
			"8:15: environments.Prod_1: environment name \"Prod_1\" is not a valid name: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"}},
		{"deploy settings", base + "[deploy]\ntrigger = \"git\"\nstrategy = \"blue-green\"\ntimeout = \"soon\"\nrelease_command = []\n", []string{
			"9:11: deploy.trigger: \"git\" is not one of push, manual, ci",
			"10:12: deploy.strategy: \"blue-green\" is not one of rolling, recreate",
			"11:11: deploy.timeout: \"soon\" is not a duration (for example \"10s\", \"5m\")",
			"12:1: deploy.release_command: command must name a program, for example [\"bin/server\"]"}},
		{"healthcheck", base + "  healthcheck = { http_path = \"healthz\", tcp = true, period = \"0s\" }\n", []string{
			"8:17: workloads.web.containers[0].healthcheck: http_path, tcp and command are exclusive; set one",
			"8:31: workloads.web.containers[0].healthcheck.http_path: \"healthz\" must start with /",
			"8:63: workloads.web.containers[0].healthcheck.period: must be greater than zero, got \"0s\""}},
		{"no image", "schema = 1\n[workloads.web]\n[[workloads.web.containers]]\ncommand = [\"x\"]\n", []string{
			"3:17: workloads.web.containers[0]: container has no image and [build] image is not set"}},
		{"no workloads", "schema = 1\n[build]\nimage = \"registry.example.com/x\"\n", []string{
			"1:1: workloads: no workloads; add one, for example [workloads.web] with a container"}},
		{"no containers", "schema = 1\n[workloads.web]\nreplicas = 1\n", []string{
			"2:12: workloads.web: a workload needs at least one container: add [[workloads.web.containers]]"}},
		{"file too large", "schema = 1\n#" + strings.Repeat("x", MaxManifestSize), []string{
			"1:1: file is 1048588 bytes; the limit is 1048576 (1 MiB)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("astrolift.toml", []byte(tt.src))
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("want an ErrorList, got %v", err)
			}
			var got []string
			for _, e := range list {
				if e.File != "astrolift.toml" {
					t.Errorf("file %q", e.File)
				}
				got = append(got, strings.TrimPrefix(e.Error(), "astrolift.toml:"))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestParseOverlayAndDefaults(t *testing.T) {
	raw, err := os.ReadFile("testdata/design-example/astrolift.toml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse("astrolift.toml", raw)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Environments(); !slices.Equal(got, []string{"staging"}) {
		t.Errorf("Environments() = %v", got)
	}
	web, stagingWeb := m.Workloads["web"], m.Environment("staging").Workloads["web"]
	if *web.Replicas != 2 || *stagingWeb.Replicas != 1 {
		t.Errorf("replicas base %d staging %d, want 2 and 1", *web.Replicas, *stagingWeb.Replicas)
	}
	// Tables merge: the overlay's autoscale keeps the base's cpu_percent.
	if a := stagingWeb.Autoscale; *a.Min != 1 || *a.Max != 2 || *a.CPUPercent != 70 {
		t.Errorf("staging autoscale = %d..%d @%d%%, want 1..2 @70%%", *a.Min, *a.Max, *a.CPUPercent)
	}
	if m.Env["LOG_LEVEL"] != "info" || m.Environment("staging").Env["LOG_LEVEL"] != "debug" {
		t.Error("env overlay not applied, or applied to the base")
	}
	if !IsSealed(m.Environment("staging").Env["STRIPE_KEY"]) {
		t.Error("base env keys missing from the overlay")
	}
	if m.Environment("production") != m {
		t.Error("an environment without overlay must be the base")
	}
	// Defaults.
	if m.Deploy.Timeout != "5m" || m.DeployTimeout() != 5*time.Minute || m.Workloads["nightly"].ConcurrencyPolicy != "forbid" {
		t.Errorf("defaults: timeout %q, concurrency %q", m.Deploy.Timeout, m.Workloads["nightly"].ConcurrencyPolicy)
	}
	ws := mustParse(t, "schema = 1\n[workloads.api]\n[[workloads.api.containers]]\nimage = \"nginx:1\"\n[workloads.api.autoscale]\nmax = 3\n").Workloads["api"]
	if ws.Kind != KindDeployment || ws.Containers[0].Name != "api" || *ws.Autoscale.Min != 1 || *ws.Autoscale.CPUPercent != 80 || ws.Replicas != nil {
		t.Errorf("defaults: %+v %+v", ws, ws.Autoscale)
	}
}

// Arrays replace: an overlay's containers replace the base's entirely.
func TestOverlayArraysReplace(t *testing.T) {
	m := mustParse(t, base+"  command = [\"a\", \"b\"]\n[environments.prod]\nworkloads.web.containers = [{ port = 9090, command = [\"c\"] }]\n")
	base, prod := m.Workloads["web"].Containers, m.Environment("prod").Workloads["web"].Containers
	if len(base) != 1 || *base[0].Port != 8080 || len(base[0].Command) != 2 {
		t.Errorf("base containers changed: %+v", base)
	}
	if len(prod) != 1 || *prod[0].Port != 9090 || !slices.Equal(prod[0].Command, []string{"c"}) {
		t.Errorf("prod containers = %+v", prod)
	}
}

// Every complete example in docs/manifest.md parses.
func TestManifestDocExamples(t *testing.T) {
	doc, err := os.ReadFile("../docs/manifest.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(doc), "```toml\n")[1:]
	checked := 0
	for _, b := range blocks {
		src := b[:strings.Index(b, "```")]
		if !strings.HasPrefix(src, "schema = 1") {
			continue // a fragment
		}
		if _, err := Parse("docs/manifest.md example", []byte(src)); err != nil {
			t.Errorf("example does not parse:\n%s\n%v", src, err)
		}
		checked++
	}
	if checked < 3 {
		t.Errorf("checked %d examples, want one per workload kind", checked)
	}
}
