package render

// The manifest schema, version 1. docs/manifest.md documents every key; keep
// the two in step. Field tags name the TOML keys; optional scalars are
// pointers so that "unset" and "zero" differ (replicas = 0 is valid).

// SchemaVersion is the only manifest schema this package understands.
const SchemaVersion = 1

// Workload kinds.
const (
	KindDeployment  = "deployment"
	KindStatefulSet = "statefulset"
	KindCronJob     = "cronjob"
)

// Manifest is a parsed and validated astrolift.toml.
type Manifest struct {
	Schema       int                    `toml:"schema"`
	App          App                    `toml:"app"`
	Build        Build                  `toml:"build"`
	Deploy       Deploy                 `toml:"deploy"`
	Env          map[string]string      `toml:"env"`
	Secrets      Secrets                `toml:"secrets"`
	Workloads    map[string]*Workload   `toml:"workloads"`
	Dependencies map[string]*Dependency `toml:"dependencies"`

	file string
	// environments holds each [environments.<name>] overlay merged over the
	// base and validated; see Manifest.Environment.
	environments map[string]*Manifest
	envName      string
}

// App describes the app.
type App struct {
	Description string `toml:"description"`
}

// Build names the image repository that containers use by default.
type Build struct {
	Image string `toml:"image"`
}

// Deploy configures how deployments are triggered and rolled out.
type Deploy struct {
	Trigger        string   `toml:"trigger"`  // push | manual | ci; default push
	Strategy       string   `toml:"strategy"` // rolling | recreate; default rolling
	ReleaseCommand []string `toml:"release_command"`
	Timeout        string   `toml:"timeout"` // Go duration; default 5m
}

// Secrets attaches org-level secret bundles to the app.
type Secrets struct {
	Bundles []string `toml:"bundles"`
}

// Workload is one Deployment, StatefulSet or CronJob.
type Workload struct {
	Kind              string      `toml:"kind"` // default deployment
	Replicas          *int        `toml:"replicas"`
	Public            bool        `toml:"public"`
	Autoscale         *Autoscale  `toml:"autoscale"`
	Resources         *Resources  `toml:"resources"`
	Storage           *Storage    `toml:"storage"`
	Schedule          string      `toml:"schedule"`
	Timezone          string      `toml:"timezone"`
	ConcurrencyPolicy string      `toml:"concurrency_policy"` // allow | forbid | replace; default forbid
	Containers        []Container `toml:"containers"`
}

// Autoscale adds a HorizontalPodAutoscaler to a deployment or statefulset.
type Autoscale struct {
	Min           *int `toml:"min"`
	Max           *int `toml:"max"`
	CPUPercent    *int `toml:"cpu_percent"`
	MemoryPercent *int `toml:"memory_percent"`
}

// Resources are requests (cpu, memory) and limits as Kubernetes quantities.
type Resources struct {
	CPU         string `toml:"cpu"`
	Memory      string `toml:"memory"`
	CPULimit    string `toml:"cpu_limit"`
	MemoryLimit string `toml:"memory_limit"`
}

// Storage gives a statefulset one persistent volume per replica.
type Storage struct {
	Size  string `toml:"size"`
	Class string `toml:"class"`
	Mount string `toml:"mount"`
}

// Container is one container of a workload's pods. The first container is
// the primary one: it receives the volume mount and its port is the one
// exposed publicly.
type Container struct {
	Name        string            `toml:"name"`
	Image       string            `toml:"image"`
	Command     []string          `toml:"command"`
	Args        []string          `toml:"args"`
	Port        *int              `toml:"port"`
	Healthcheck *Healthcheck      `toml:"healthcheck"`
	Env         map[string]string `toml:"env"`
	Resources   *Resources        `toml:"resources"`
}

// Healthcheck becomes the container's readiness probe (and liveness probe
// when Liveness is set). Exactly one of HTTPPath, TCP and Command is used.
type Healthcheck struct {
	HTTPPath         string   `toml:"http_path"`
	TCP              bool     `toml:"tcp"`
	Command          []string `toml:"command"`
	Port             *int     `toml:"port"`
	Period           string   `toml:"period"`
	Timeout          string   `toml:"timeout"`
	InitialDelay     string   `toml:"initial_delay"`
	FailureThreshold *int     `toml:"failure_threshold"`
	Liveness         bool     `toml:"liveness"`
}

// Dependency is an external service the app talks to; it is shown on the
// topology and not rendered.
type Dependency struct {
	URL         string `toml:"url"`
	Description string `toml:"description"`
}

// overlayKeys are the top-level keys an [environments.<name>] table may
// override. App identity, dependencies and the schema are per app.
var overlayKeys = []string{"build", "deploy", "env", "secrets", "workloads"}
