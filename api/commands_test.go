package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/astrolift/astrolift/store"
)

// fakeExec stands in for podexec.Executor: "echo out; echo err >&2; exit 3"
// writes to both streams and exits 3; "sleep 30" runs until cancelled.
type fakeExec struct {
	mu        sync.Mutex
	cancelled bool
	ran       []string // pod/container: command
}

func (f *fakeExec) Target(_ context.Context, env *store.Environment, app, workload, container string) (string, string, error) {
	if workload != "web" {
		return "", "", fmt.Errorf("workload %s in namespace %s: no running and ready pod", workload, env.Namespace)
	}
	if container == "" {
		container = "web"
	}
	return app + "-web-1", container, nil
}

func (f *fakeExec) Exec(ctx context.Context, _ *store.Environment, pod, container string, cmd []string, _ io.Reader, stdout, stderr io.Writer) (int, error) {
	f.mu.Lock()
	f.ran = append(f.ran, pod+"/"+container+": "+strings.Join(cmd, " "))
	f.mu.Unlock()
	switch cmd[len(cmd)-1] {
	case "echo out; echo err >&2; exit 3":
		_, _ = io.WriteString(stdout, "out\n")
		_, _ = io.WriteString(stderr, "err\n")
		return 3, nil
	case "sleep 30":
		<-ctx.Done()
		f.mu.Lock()
		f.cancelled = true
		f.mu.Unlock()
		return -1, fmt.Errorf("exec in pod %s: %w", pod, ctx.Err())
	}
	return 0, nil
}

func readFrames(t *testing.T, ctx context.Context, c *websocket.Conn) []map[string]any {
	t.Helper()
	var out []map[string]any
	for {
		var f map[string]any
		if err := wsjson.Read(ctx, c, &f); err != nil {
			if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
				t.Fatalf("read frame: %v (frames so far %v)", err, out)
			}
			return out
		}
		out = append(out, f)
	}
}

func TestCommandSocket(t *testing.T) {
	h := newHarness(t)
	srv := httptest.NewServer(h.h)
	t.Cleanup(srv.Close)
	token := h.user("dev@acme.test", "app.developer")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := strings.Replace(srv.URL, "http", "ws", 1) + "/api/v1/apps/" + h.app.Slug + "/commands/ws?environment=" + h.env.Name
	dial := func(query string) *websocket.Conn {
		t.Helper()
		c, res, err := websocket.Dial(ctx, base+query, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}}) //nolint:bodyclose // coder/websocket closes it
		if err != nil {
			t.Fatalf("dial %s: %v (%v)", query, err, res)
		}
		return c
	}

	c := dial("&workload=web&command=" + url.QueryEscape("echo out; echo err >&2; exit 3"))
	frames := readFrames(t, ctx, c)
	want := []string{"system:connected", "stdout:out\n", "stderr:err\n", "system:exit"}
	if len(frames) != len(want) {
		t.Fatalf("frames = %v, want %v", frames, want)
	}
	for i, f := range frames {
		got := fmt.Sprint(f["type"], ":", f["data"])
		if f["type"] == "system" {
			got = fmt.Sprint(f["type"], ":", f["event"])
		}
		if got != want[i] {
			t.Errorf("frame %d = %v, want %s", i, f, want[i])
		}
	}
	if code := frames[3]["exit_code"]; code != float64(3) {
		t.Errorf("exit frame %v, want exit_code 3", frames[3])
	}

	// Stop ends a long command: the exec context is cancelled.
	c = dial("&command=sleep+30") // the default workload: web, the primary public one
	var first map[string]any
	if err := wsjson.Read(ctx, c, &first); err != nil || first["event"] != "connected" {
		t.Fatalf("first frame %v, %v", first, err)
	}
	start := time.Now()
	if err := wsjson.Write(ctx, c, map[string]string{"type": "stop"}); err != nil {
		t.Fatal(err)
	}
	frames = readFrames(t, ctx, c)
	if len(frames) != 1 || frames[0]["event"] != "stopped" || time.Since(start) > 5*time.Second {
		t.Fatalf("after stop: frames %v after %s, want one stopped frame promptly", frames, time.Since(start))
	}
	h.exec.mu.Lock()
	cancelled, ran := h.exec.cancelled, h.exec.ran
	h.exec.mu.Unlock()
	if !cancelled || len(ran) != 2 || ran[0] != "shop-web-1/web: sh -c echo out; echo err >&2; exit 3" {
		t.Errorf("executor: cancelled %v, ran %q", cancelled, ran)
	}

	// A workload without a running pod: the socket opens and says why in a
	// system error frame (a browser cannot read a refused upgrade's body),
	// and nothing runs.
	nopod, _, err := websocket.Dial(ctx, base+"&workload=worker&command=ls", &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}}) //nolint:bodyclose // coder/websocket closes it
	if err != nil {
		t.Fatalf("workload without pods: %v", err)
	}
	frames = readFrames(t, ctx, nopod)
	_ = nopod.CloseNow()
	if len(frames) != 1 || frames[0]["type"] != "system" || frames[0]["event"] != "error" || !strings.Contains(fmt.Sprint(frames[0]["message"]), "worker") {
		t.Errorf("workload without pods: frames %v; want one system error naming the workload", frames)
	}
	h.exec.mu.Lock()
	if len(h.exec.ran) != 2 {
		t.Errorf("a command ran without a pod: %q", h.exec.ran)
	}
	h.exec.mu.Unlock()
	// Another site's page cannot drive a browser's session (Origin check).
	if _, res, err := websocket.Dial(ctx, base+"&command=ls", &websocket.DialOptions{HTTPHeader: http.Header{ //nolint:bodyclose // coder/websocket closes it
		"Authorization": {"Bearer " + token}, "Origin": {"https://evil.example"}}}); err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("foreign origin: %v, %v; want 403", res, err)
	}

	// The history: newest first, with the outcome; every run is an event.
	res := h.do(request{method: http.MethodGet, path: "/api/v1/apps/" + h.app.Slug + "/commands", token: token})
	var page struct {
		Items []struct {
			Command     string `json:"command"`
			Environment string `json:"environment"`
			Workload    string `json:"workload"`
			Pod         string `json:"pod"`
			ExitCode    *int   `json:"exit_code"`
			Error       string `json:"error"`
		} `json:"items"`
	}
	if res.Code != http.StatusOK {
		t.Fatalf("history: %d %s", res.Code, res.body)
	}
	must(t, json.Unmarshal(res.body, &page))
	if len(page.Items) != 2 || page.Items[0].Command != "sleep 30" || page.Items[0].Error != "stopped" || page.Items[0].ExitCode != nil ||
		page.Items[1].ExitCode == nil || *page.Items[1].ExitCode != 3 || page.Items[1].Environment != h.env.Name || page.Items[1].Pod != "shop-web-1" {
		t.Errorf("history = %+v", page.Items)
	}
	evs, err := h.s.ListEvents(context.Background(), store.EventFilter{OrgID: h.org.ID})
	must(t, err)
	kinds := map[string]int{}
	for _, e := range evs {
		kinds[e.Kind]++
		if strings.Contains(e.Message, "out\n") {
			t.Errorf("event %q carries command output", e.Message)
		}
	}
	if kinds["command.started"] != 2 || kinds["command.finished"] != 2 {
		t.Errorf("events %v, want 2 command.started and 2 command.finished", kinds)
	}
}
