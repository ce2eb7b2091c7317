package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/gin-gonic/gin"

	"github.com/astrolift/astrolift/store"
)

// Executor runs commands in the pods of an app's workloads (podexec.Executor
// through the Kubernetes exec API).
type Executor interface {
	// Target picks a running pod of the app's workload in env and the
	// container (empty: the workload's primary one).
	Target(ctx context.Context, env *store.Environment, app, workload, container string) (pod, ctr string, err error)
	// Exec runs cmd in the container, streaming its output, until it exits
	// (its exit code) or ctx ends.
	Exec(ctx context.Context, env *store.Environment, pod, container string, cmd []string, stdin io.Reader, stdout, stderr io.Writer) (int, error)
}

// maxCommandLen bounds a command's text.
const maxCommandLen = 4096

// commandDTO is one command of the caller's history.
type commandDTO struct {
	ID          int64      `json:"id"`
	Environment string     `json:"environment"`
	Workload    string     `json:"workload"`
	Container   string     `json:"container"`
	Pod         string     `json:"pod"`
	Command     string     `json:"command"`
	ExitCode    *int       `json:"exit_code"`
	Error       string     `json:"error,omitempty"`
	StartedAt   time.Time  `json:"started_at"`
	FinishedAt  *time.Time `json:"finished_at"`
}

// commandFrame is one WebSocket message from the server: stdout or stderr
// data, or a system event (connected, exit, error, stopped).
type commandFrame struct {
	Type     string `json:"type"` // stdout | stderr | system
	Data     string `json:"data,omitempty"`
	Event    string `json:"event,omitempty"`
	ExitCode *int   `json:"exit_code,omitempty"`
	Message  string `json:"message,omitempty"`
}

// listCommands returns the caller's last commands in the app, newest first.
func (a *API) listCommands(c *gin.Context) {
	app := c.MustGet("app").(*store.App)
	ctx := c.Request.Context()
	cmds, err := a.store.ListCommands(ctx, app.ID, principalOf(c).user.ID)
	if err != nil {
		a.fail(c, err)
		return
	}
	envs, err := a.store.ListEnvironments(ctx, app.ID)
	if err != nil {
		a.fail(c, err)
		return
	}
	names := map[int64]string{}
	for _, e := range envs {
		names[e.ID] = e.Name
	}
	out := make([]commandDTO, 0, len(cmds))
	for _, cm := range cmds {
		out = append(out, commandDTO{ID: cm.ID, Environment: names[cm.EnvironmentID], Workload: cm.Workload, Container: cm.Container,
			Pod: cm.Pod, Command: cm.Command, ExitCode: cm.ExitCode, Error: cm.Error, StartedAt: cm.StartedAt, FinishedAt: cm.FinishedAt})
	}
	c.JSON(http.StatusOK, Page[commandDTO]{Items: out})
}

// defaultWorkload is the workload commands run in when none is named: the
// environment's primary public workload ("web" when public, else the first
// public one by name), else the first workload by name.
func defaultWorkload(app *store.App, env string) string {
	m := parsedManifest(app)
	if m == nil {
		return ""
	}
	ws := m.Environment(env).Workloads
	if w, ok := ws["web"]; ok && w.Public {
		return "web"
	}
	names := make([]string, 0, len(ws))
	for n := range ws {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if ws[n].Public {
			return n
		}
	}
	if len(names) > 0 {
		return names[0]
	}
	return ""
}

// commandSocket runs ?command with sh -c in a pod of ?workload (default:
// the primary public one) in ?environment (default: the only one) and
// streams its output over a WebSocket as JSON frames. The client may send
// {"type":"stop"}, or close the socket, to end the remote process.
func (a *API) commandSocket(c *gin.Context) {
	app := c.MustGet("app").(*store.App)
	p := principalOf(c)
	ctx := c.Request.Context()
	if a.opts.Exec == nil {
		a.fail(c, &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "commands are not available: no cluster executor is configured"})
		return
	}
	command := c.Query("command")
	switch {
	case strings.TrimSpace(command) == "":
		a.fail(c, invalid("command", "command is required"))
		return
	case len(command) > maxCommandLen:
		a.fail(c, invalid("command", "command is longer than %d bytes", maxCommandLen))
		return
	}
	env, err := a.commandEnvironment(ctx, app, c.Query("environment"))
	if err != nil {
		a.fail(c, err)
		return
	}
	workload := c.Query("workload")
	if workload == "" {
		if workload = defaultWorkload(app, env.Name); workload == "" {
			a.fail(c, invalid("workload", "workload is required: the manifest declares none"))
			return
		}
	}
	if !strings.EqualFold(c.GetHeader("Upgrade"), "websocket") {
		a.fail(c, &Error{Status: http.StatusUpgradeRequired, Code: "upgrade_required", Message: "this endpoint speaks WebSocket only"})
		return
	}
	// Accept checks that the Origin (sent by browsers) is this host, so
	// another site cannot drive a logged-in browser's cookie session.
	conn, err := websocket.Accept(c.Writer, c.Request, nil)
	if err != nil {
		return // Accept answered the client
	}
	defer func() { _ = conn.CloseNow() }()
	// A target without a running pod is reported on the socket, where a
	// browser can read it (it cannot read a refused upgrade's body).
	pod, container, err := a.opts.Exec.Target(ctx, env, app.Slug, workload, c.Query("container"))
	if err != nil {
		_ = wsjson.Write(ctx, conn, commandFrame{Type: "system", Event: "error", Message: err.Error()})
		_ = conn.Close(websocket.StatusNormalClosure, "no pod")
		return
	}
	a.runCommand(ctx, conn, p.user, app, env, &store.Command{OrgID: app.OrgID, AppID: app.ID, EnvironmentID: env.ID,
		UserID: p.user.ID, Workload: workload, Container: container, Pod: pod, Command: command})
}

// commandEnvironment is the named environment, or the app's only one.
func (a *API) commandEnvironment(ctx context.Context, app *store.App, name string) (*store.Environment, error) {
	if name != "" {
		e, err := a.store.GetEnvironment(ctx, app.ID, name)
		if err != nil {
			return nil, invalid("environment", "no environment %q", name)
		}
		return e, nil
	}
	envs, err := a.store.ListEnvironments(ctx, app.ID)
	if err != nil {
		return nil, err
	}
	if len(envs) != 1 {
		return nil, invalid("environment", "environment is required (the app has %d)", len(envs))
	}
	return envs[0], nil
}

// frameWriter sends what it is given as frames of one type; the writers of
// one session share a lock, since the exec streams write concurrently.
type frameWriter struct {
	ctx  context.Context
	conn *websocket.Conn
	mu   *sync.Mutex
	kind string
}

func (w *frameWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := wsjson.Write(w.ctx, w.conn, commandFrame{Type: w.kind, Data: string(b)}); err != nil {
		return 0, fmt.Errorf("send %s frame: %w", w.kind, err)
	}
	return len(b), nil
}

func (a *API) runCommand(ctx context.Context, conn *websocket.Conn, u *store.User, app *store.App, env *store.Environment, cmd *store.Command) {
	if err := a.store.StartCommand(ctx, cmd); err != nil {
		a.log.Error("record command", "app", app.Slug, "error", err)
		_ = conn.Close(websocket.StatusInternalError, "cannot record the command")
		return
	}
	where := fmt.Sprintf("%s/%s in %s (pod %s)", cmd.Workload, cmd.Container, env.Name, cmd.Pod)
	a.event(ctx, app.OrgID, app.ID, "command.started", u.Email, fmt.Sprintf("command %d started in %s: %s", cmd.ID, where, cmd.Command))

	var mu sync.Mutex
	system := func(f commandFrame) {
		f.Type = "system"
		mu.Lock()
		defer mu.Unlock()
		_ = wsjson.Write(ctx, conn, f)
	}
	system(commandFrame{Event: "connected", Message: "connected to " + where})

	execCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := false
	go func() {
		// Read the client's messages: a stop, or the socket closing, ends
		// the command.
		defer cancel()
		for {
			var msg struct {
				Type string `json:"type"`
			}
			if err := wsjson.Read(ctx, conn, &msg); err != nil {
				return
			}
			if msg.Type == "stop" {
				mu.Lock()
				stop = true
				mu.Unlock()
				return
			}
		}
	}()
	code, err := a.opts.Exec.Exec(execCtx, env, cmd.Pod, cmd.Container, []string{"sh", "-c", cmd.Command}, nil,
		&frameWriter{ctx: ctx, conn: conn, mu: &mu, kind: "stdout"}, &frameWriter{ctx: ctx, conn: conn, mu: &mu, kind: "stderr"})
	mu.Lock()
	wasStopped := stop
	mu.Unlock()

	// Record the outcome even when the client is gone.
	bg := context.WithoutCancel(ctx)
	var exit *int
	msg := ""
	switch {
	case wasStopped:
		msg = "stopped"
		system(commandFrame{Event: "stopped", Message: "stopped by the user"})
	case err != nil && errors.Is(err, context.Canceled):
		msg = "connection closed"
	case err != nil:
		msg = err.Error()
		system(commandFrame{Event: "error", Message: msg})
	default:
		exit = &code
		system(commandFrame{Event: "exit", ExitCode: exit, Message: fmt.Sprintf("exited with code %d", code)})
	}
	if ferr := a.store.FinishCommand(bg, cmd.ID, exit, msg); ferr != nil {
		a.log.Error("record command outcome", "command", cmd.ID, "error", ferr)
	}
	outcome := msg
	if exit != nil {
		outcome = fmt.Sprintf("exit code %d", *exit)
	}
	a.event(bg, app.OrgID, app.ID, "command.finished", u.Email, fmt.Sprintf("command %d in %s finished: %s", cmd.ID, where, outcome))
	_ = conn.Close(websocket.StatusNormalClosure, "")
}
