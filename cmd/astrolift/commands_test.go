package main_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestCommandEndToEnd runs one-shot commands as the dashboard does: a
// WebSocket to `astrolift serve`, which execs into a pod of the deployed
// app on the local control plane (kwok runs the command on the host).
// stdout and stderr arrive as separate frames, a non-zero exit code is
// reported, and stop ends a long command.
func TestCommandEndToEnd(t *testing.T) {
	x := startE2E(t)
	manifest := "schema = 1\n[workloads.web]\npublic = true\n[[workloads.web.containers]]\nimage = \"nginx:1.27\"\nport = 80\n"
	x.gitea.CreateRepo(t, "acme", "console", map[string]string{"astrolift.toml": manifest})
	x.registerApp("console")
	if code := x.call("POST", "/api/v1/apps/console/deploy", map[string]any{"environment": "production"}, nil); code != 201 && code != 200 {
		t.Fatalf("deploy: %d", code)
	}
	x.waitFor("the deployment", 3*time.Minute, x.deployed("console", 1))

	type frame struct {
		Type     string `json:"type"`
		Data     string `json:"data"`
		Event    string `json:"event"`
		ExitCode *int   `json:"exit_code"`
		Message  string `json:"message"`
	}
	run := func(command string, stopAfter time.Duration) []frame {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		u := strings.Replace(x.server, "http", "ws", 1) + "/api/v1/apps/console/commands/ws?environment=production&command=" + url.QueryEscape(command)
		c, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + x.token}}}) //nolint:bodyclose // coder/websocket closes it
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer func() { _ = c.CloseNow() }()
		var out []frame
		stopped := false
		for {
			rctx, rcancel := context.WithTimeout(ctx, 30*time.Second)
			if stopAfter > 0 && !stopped && len(out) > 0 && out[0].Event == "connected" {
				time.Sleep(stopAfter)
				if err := c.Write(ctx, websocket.MessageText, []byte(`{"type":"stop"}`)); err != nil {
					t.Fatalf("stop: %v", err)
				}
				stopped = true
			}
			_, data, err := c.Read(rctx)
			rcancel()
			if err != nil {
				return out
			}
			var f frame
			mustOK(t, json.Unmarshal(data, &f))
			out = append(out, f)
			if f.Type == "system" && (f.Event == "exit" || f.Event == "stopped" || f.Event == "error") {
				return out
			}
		}
	}

	frames := run("echo out; echo err >&2; exit 3", 0)
	var stdout, stderr string
	var exit *int
	for _, f := range frames {
		switch {
		case f.Type == "stdout":
			stdout += f.Data
		case f.Type == "stderr":
			stderr += f.Data
		case f.Type == "system" && f.Event == "exit":
			exit = f.ExitCode
		}
	}
	if len(frames) == 0 || frames[0].Event != "connected" || stdout != "out\n" || stderr != "err\n" || exit == nil || *exit != 3 {
		t.Fatalf("frames = %+v", frames)
	}

	start := time.Now()
	frames = run("sleep 30", 500*time.Millisecond)
	if last := frames[len(frames)-1]; last.Event != "stopped" || time.Since(start) > 20*time.Second {
		t.Fatalf("stop: frames %+v after %s", frames, time.Since(start))
	}

	var history struct {
		Items []struct {
			Command  string `json:"command"`
			ExitCode *int   `json:"exit_code"`
		} `json:"items"`
	}
	x.call("GET", "/api/v1/apps/console/commands", nil, &history)
	if len(history.Items) != 2 || history.Items[1].ExitCode == nil || *history.Items[1].ExitCode != 3 {
		t.Fatalf("history = %+v", history.Items)
	}
}
