package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/astrolift/astrolift/api"
	"github.com/astrolift/astrolift/internal/testdb"
	"github.com/astrolift/astrolift/store"
)

type sseEvent struct {
	ID   string
	Kind string
	Data map[string]any
}

// openStream connects to /api/v1/stream and returns a channel of parsed
// events; it waits for the ": connected" comment first.
func openStream(t *testing.T, base, token, query, lastEventID string) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/stream"+query, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = res.Body.Close() })
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	out := make(chan sseEvent, 100)
	connected := make(chan struct{})
	go func() {
		defer close(out)
		defer func() { _ = res.Body.Close() }()
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == ": connected":
				close(connected)
			case strings.HasPrefix(line, "id: "):
				ev.ID = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.Kind = line[7:]
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(line[6:]), &ev.Data)
			case line == "" && ev.ID != "":
				out <- ev
				ev = sseEvent{}
			}
		}
	}()
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		t.Fatal("stream did not connect")
	}
	return out
}

func next(t *testing.T, ch <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("stream closed")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10 s")
	}
	return sseEvent{}
}

func TestStreamReplayFiltersAndVisibility(t *testing.T) {
	h := newHarness(t)
	srv := httptest.NewServer(h.h)
	t.Cleanup(srv.Close)
	admin := h.user("admin@acme.test", "org.admin")
	viewer := h.user("viewer@acme.test", "app.viewer") // reads "shop" only
	ctx := context.Background()
	other := &store.Project{OrgID: h.org.ID, Slug: "internal", Name: "Internal"}
	must(t, h.s.CreateProject(ctx, other))
	secret := &store.App{OrgID: h.org.ID, ProjectID: other.ID, Slug: "secret", Name: "Secret", SourceURL: "https://x/y.git"}
	must(t, h.s.CreateApp(ctx, secret))

	var ids []int64
	for _, kind := range []string{"deployment.started", "deployment.succeeded", "app.status"} {
		e := &store.Event{OrgID: h.org.ID, AppID: h.app.ID, Kind: kind, Message: kind}
		must(t, h.s.AppendEvent(ctx, e))
		ids = append(ids, e.ID)
	}
	// Reconnecting after the first event replays the two after it, in order.
	ch := openStream(t, srv.URL, admin, "", strconv.FormatInt(ids[0], 10))
	if ev := next(t, ch); ev.Kind != "deployment.succeeded" || ev.ID != strconv.FormatInt(ids[1], 10) || ev.Data["app"] != "shop" {
		t.Fatalf("first replayed event %+v", ev)
	}
	if ev := next(t, ch); ev.Kind != "app.status" {
		t.Fatalf("second replayed event %+v", ev)
	}
	// Live: an action through the API arrives.
	if res := h.do(request{method: http.MethodPost, path: "/api/v1/teams", token: admin, body: map[string]string{"name": "Search"}}); res.Code != http.StatusCreated {
		t.Fatal(res.Code, string(res.body))
	}
	if ev := next(t, ch); ev.Kind != "team.created" || ev.Data["actor"] != "admin@acme.test" {
		t.Fatalf("live event %+v", ev)
	}

	// Kind filter with a prefix; the viewer never sees the secret app's events.
	kinds := openStream(t, srv.URL, admin, "?kind=deployment.*", "")
	mine := openStream(t, srv.URL, viewer, "", "")
	must(t, h.s.AppendEvent(ctx, &store.Event{OrgID: h.org.ID, AppID: secret.ID, Kind: "deployment.started", Message: "secret"}))
	must(t, h.s.AppendEvent(ctx, &store.Event{OrgID: h.org.ID, AppID: h.app.ID, Kind: "app.status", Message: "shop"}))
	must(t, h.s.AppendEvent(ctx, &store.Event{OrgID: h.org.ID, AppID: h.app.ID, Kind: "deployment.failed", Message: "shop"}))
	if ev := next(t, kinds); ev.Data["app"] != "secret" || ev.Kind != "deployment.started" {
		t.Errorf("kind filter, first: %+v", ev)
	}
	if ev := next(t, kinds); ev.Kind != "deployment.failed" {
		t.Errorf("kind filter skipped app.status? got %+v", ev)
	}
	if ev := next(t, mine); ev.Data["app"] != "shop" || ev.Kind != "app.status" {
		t.Errorf("viewer's first event %+v (the secret app's must be hidden)", ev)
	}
	// ?app= needs app.read on that app.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/stream?app=secret", nil)
	req.Header.Set("Authorization", "Bearer "+viewer)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("viewer streaming another app: %d, want 403", res.StatusCode)
	}
	// The event list applies the same visibility.
	list := h.do(request{method: http.MethodGet, path: "/api/v1/events", token: viewer})
	if strings.Contains(string(list.body), `"app":"secret"`) || !strings.Contains(string(list.body), `"app":"shop"`) {
		t.Errorf("viewer's event list: %s", list.body)
	}
}

// TestStreamAcrossReplicas runs two API servers on one PostgreSQL database:
// an event written through one arrives on the other's stream.
func TestStreamAcrossReplicas(t *testing.T) {
	u := testdb.PostgresURL(t)
	ctx := context.Background()
	open := func() *store.Store {
		s, err := store.Open(ctx, u, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	a, b := open(), open()
	org := &store.Organization{Slug: "acme", Name: "Acme"}
	must(t, a.CreateOrganization(ctx, org))
	user := &store.User{OrgID: org.ID, Email: "ops@acme.test", Name: "Ops"}
	must(t, a.CreateUser(ctx, user))
	must(t, a.CreateRoleBinding(ctx, &store.RoleBinding{OrgID: org.ID, UserID: user.ID, Role: "org.admin", ScopeLevel: store.ScopeOrg, ScopeID: org.ID}))
	token, _, err := api.IssueAPIToken(ctx, a, user.ID, "test", nil)
	must(t, err)
	srvA := httptest.NewServer(api.New(api.Options{Store: a, Logger: quiet()}).Handler())
	t.Cleanup(srvA.Close)
	srvB := httptest.NewServer(api.New(api.Options{Store: b, Logger: quiet()}).Handler())
	t.Cleanup(srvB.Close)

	onB := openStream(t, srvB.URL, token, "", "")
	req, _ := http.NewRequest(http.MethodPost, srvA.URL+"/api/v1/teams", strings.NewReader(`{"name":"Platform"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create team on A: %d", res.StatusCode)
	}
	if ev := next(t, onB); ev.Kind != "team.created" || !strings.Contains(ev.Data["message"].(string), "platform") {
		t.Fatalf("event on B: %+v", ev)
	}
}
