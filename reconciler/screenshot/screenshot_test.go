package screenshot_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/astrolift/astrolift/internal/ssrf"
	"github.com/astrolift/astrolift/reconciler/screenshot"
	"github.com/astrolift/astrolift/store"
)

// chromium is the browser the capture tests drive; they fail (not skip)
// without one.
func chromium(t *testing.T) string {
	t.Helper()
	path, off := screenshot.Browser("")
	if path == "" {
		t.Fatalf("screenshot tests need Chromium: run make chromium (%s)", off)
	}
	return path
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type fixture struct {
	s    *store.Store
	app  *store.App
	prod *store.Environment
}

// seed makes a ready app with a staging and a production environment
// (production at prodURL) and one succeeded deployment of production.
func seed(t *testing.T, prodURL string) *fixture {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "a.db"), store.Options{})
	must(t, err)
	t.Cleanup(func() { _ = s.Close() })
	org := &store.Organization{Slug: "acme", Name: "Acme"}
	must(t, s.CreateOrganization(ctx, org))
	p := &store.Project{OrgID: org.ID, Slug: "shop", Name: "Shop"}
	must(t, s.CreateProject(ctx, p))
	app := &store.App{OrgID: org.ID, ProjectID: p.ID, Slug: "shop", Name: "Shop", SourceURL: "https://git.example.com/acme/shop.git"}
	must(t, s.CreateApp(ctx, app))
	must(t, s.SetAppStatus(ctx, app.ID, screenshot.ReadyStatus, ""))
	staging := &store.Environment{AppID: app.ID, Name: "staging", Namespace: "shop-staging", PublicURL: "http://127.0.0.1:1/staging", Position: 0}
	prod := &store.Environment{AppID: app.ID, Name: "production", Namespace: "shop-production", PublicURL: prodURL, Position: 1}
	must(t, s.CreateEnvironment(ctx, staging))
	must(t, s.CreateEnvironment(ctx, prod))
	f := &fixture{s: s, app: app, prod: prod}
	f.deploy(t)
	return f
}

func (f *fixture) deploy(t *testing.T) int64 {
	t.Helper()
	d := &store.Deployment{AppID: f.app.ID, EnvironmentID: f.prod.ID, Trigger: "manual", Status: "succeeded"}
	must(t, f.s.CreateDeployment(context.Background(), d, "test"))
	return d.ID
}

func (f *fixture) shooter(t *testing.T, policy ssrf.Policy) *screenshot.Shooter {
	return &screenshot.Shooter{Store: f.s, BrowserPath: chromium(t), Policy: policy, Holder: "test",
		Settle: 200 * time.Millisecond, Log: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// page serves a full-page div of one colour and counts its requests.
func page(t *testing.T, c color.RGBA, status int) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		hits.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<!doctype html><html><head><title>shop</title></head><body style="margin:0">
<div style="position:fixed;inset:0;background:rgb(%d,%d,%d)"></div></body></html>`, c.R, c.G, c.B)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestScreenshotCapture(t *testing.T) {
	ctx := context.Background()
	green := color.RGBA{R: 32, G: 160, B: 96, A: 255}
	srv, hits := page(t, green, http.StatusOK)
	f := seed(t, srv.URL+"/")
	sh := f.shooter(t, ssrf.Policy{AllowLoopback: true})

	if _, err := f.s.GetScreenshot(ctx, f.app.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a screenshot before any scan: %v", err)
	}
	n, err := sh.Scan(ctx)
	if err != nil || n != 1 {
		t.Fatalf("first scan: %d captures, %v; want 1", n, err)
	}
	got, err := f.s.GetScreenshot(ctx, f.app.ID)
	if err != nil {
		t.Fatalf("no screenshot after the scan: %v", err)
	}
	if got.URL != srv.URL+"/" || got.EnvironmentID != f.prod.ID || got.Failures != 0 || got.CapturedAt == nil {
		t.Fatalf("screenshot = %+v", got)
	}
	if len(got.PNG) == 0 || len(got.PNG) > screenshot.MaxBytes {
		t.Fatalf("PNG of %d bytes, want 1..%d", len(got.PNG), screenshot.MaxBytes)
	}
	img, err := png.Decode(bytes.NewReader(got.PNG))
	if err != nil {
		t.Fatalf("the stored PNG does not decode: %v", err)
	}
	if b := img.Bounds(); b.Dx() != screenshot.ThumbWidth || b.Dy() != screenshot.ThumbHeight {
		t.Fatalf("thumbnail is %dx%d, want %dx%d", b.Dx(), b.Dy(), screenshot.ThumbWidth, screenshot.ThumbHeight)
	}
	// Every pixel is the page's colour (the div covers the viewport).
	for y := 0; y < screenshot.ThumbHeight; y += 7 {
		for x := 0; x < screenshot.ThumbWidth; x += 7 {
			if c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA); !near(c, green) {
				t.Fatalf("pixel (%d,%d) = %v, want the page's %v", x, y, c, green)
			}
		}
	}
	first := *got.CapturedAt

	// No new deployment, not a day old: nothing to capture.
	before := hits.Load()
	if n, err := sh.Scan(ctx); err != nil || n != 0 {
		t.Fatalf("second scan: %d captures, %v; want none", n, err)
	}
	if again, err := f.s.GetScreenshot(ctx, f.app.ID); err != nil || !again.CapturedAt.Equal(first) || !bytes.Equal(again.PNG, got.PNG) {
		t.Fatalf("the second scan changed the screenshot: %+v, %v", again, err)
	}
	if hits.Load() != before {
		t.Fatalf("the second scan opened the page (%d requests, was %d)", hits.Load(), before)
	}

	// A new succeeded deployment: captured again.
	dep := f.deploy(t)
	if n, err := sh.Scan(ctx); err != nil || n != 1 {
		t.Fatalf("scan after a deployment: %d captures, %v; want 1", n, err)
	}
	if got, err = f.s.GetScreenshot(ctx, f.app.ID); err != nil || got.DeploymentID != dep {
		t.Fatalf("after the deployment: %+v, %v; want deployment %d", got, err, dep)
	}

	// A day later: captured again.
	sh.Now = func() time.Time { return time.Now().Add(25 * time.Hour) }
	if n, err := sh.Scan(ctx); err != nil || n != 1 {
		t.Fatalf("scan a day later: %d captures, %v; want 1", n, err)
	}
}

func near(a, b color.RGBA) bool {
	d := func(x, y uint8) bool { return x-y <= 3 || y-x <= 3 }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B)
}

// A refused address or a failing page is a recorded failure, retried only
// after the backoff, and never a picture.
func TestScreenshotFailures(t *testing.T) {
	ctx := context.Background()
	srv, hits := page(t, color.RGBA{R: 200, A: 255}, http.StatusBadGateway)
	f := seed(t, srv.URL+"/")

	// The strict policy refuses the loopback address before any request.
	strict := f.shooter(t, ssrf.Policy{})
	if n, err := strict.Scan(ctx); err != nil || n != 1 {
		t.Fatalf("scan: %d attempts, %v; want 1", n, err)
	}
	st, err := f.s.ScreenshotState(ctx, f.app.ID)
	if err != nil || st.Failures != 1 || !strings.Contains(st.Error, "loopback") || st.CapturedAt != nil {
		t.Fatalf("state after a refused capture = %+v, %v", st, err)
	}
	if hits.Load() != 0 {
		t.Fatalf("the refused page was requested %d times", hits.Load())
	}
	if _, err := f.s.GetScreenshot(ctx, f.app.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a failed capture stored a picture: %v", err)
	}
	// Within the backoff: no new attempt.
	if n, err := strict.Scan(ctx); err != nil || n != 0 {
		t.Fatalf("scan within the backoff: %d attempts, %v; want none", n, err)
	}

	// After the backoff, the page answers 502: a failure, not a picture.
	sh := f.shooter(t, ssrf.Policy{AllowLoopback: true})
	sh.Now = func() time.Time { return time.Now().Add(screenshot.Backoff(1) + time.Second) }
	if n, err := sh.Scan(ctx); err != nil || n != 1 {
		t.Fatalf("scan after the backoff: %d attempts, %v; want 1", n, err)
	}
	st, err = f.s.ScreenshotState(ctx, f.app.ID)
	if err != nil || st.Failures != 2 || !strings.Contains(st.Error, "502") {
		t.Fatalf("state after a 502 = %+v, %v", st, err)
	}
	if hits.Load() != 1 {
		t.Fatalf("page requested %d times, want 1", hits.Load())
	}
	if _, err := f.s.GetScreenshot(ctx, f.app.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a 502 stored a picture: %v", err)
	}
}

func TestScreenshotThumbnail(t *testing.T) {
	// Noise is the worst case for PNG: it still fits the budget.
	noise := image.NewRGBA(image.Rect(0, 0, screenshot.ViewportWidth, screenshot.ViewportHeight))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range noise.Pix {
		noise.Pix[i] = uint8(r.IntN(256))
		if i%4 == 3 {
			noise.Pix[i] = 255
		}
	}
	out, err := screenshot.Thumbnail(noise)
	if err != nil || len(out) > screenshot.MaxBytes {
		t.Fatalf("noise thumbnail: %d bytes, %v; want at most %d", len(out), err, screenshot.MaxBytes)
	}
	if _, err := png.Decode(bytes.NewReader(out)); err != nil {
		t.Fatalf("noise thumbnail does not decode: %v", err)
	}

	// A box filter: two halves keep their colours, a 2x2 checker averages.
	halves := image.NewRGBA(image.Rect(0, 0, 1280, 800))
	for y := range 800 {
		for x := range 1280 {
			c := color.RGBA{R: 255, A: 255}
			if x >= 640 {
				c = color.RGBA{B: 255, A: 255}
			}
			if y >= 400 && (x+y)%2 == 0 {
				c = color.RGBA{A: 255}
			} else if y >= 400 {
				c = color.RGBA{R: 255, G: 255, B: 255, A: 255}
			}
			halves.SetRGBA(x, y, c)
		}
	}
	small := screenshot.Scale(halves, 480, 300)
	for _, tc := range []struct {
		x, y int
		want color.RGBA
	}{
		{10, 10, color.RGBA{R: 255, A: 255}},
		{470, 10, color.RGBA{B: 255, A: 255}},
		{100, 200, color.RGBA{R: 128, G: 128, B: 128, A: 255}},
	} {
		if got := small.RGBAAt(tc.x, tc.y); !near(got, tc.want) {
			t.Errorf("scaled pixel (%d,%d) = %v, want %v", tc.x, tc.y, got, tc.want)
		}
	}
}

func TestScreenshotPrimary(t *testing.T) {
	env := func(name, url string) *store.Environment { return &store.Environment{Name: name, PublicURL: url} }
	for _, tc := range []struct {
		envs []*store.Environment
		want string
	}{
		{nil, ""},
		{[]*store.Environment{env("staging", "")}, ""},
		{[]*store.Environment{env("staging", "https://s"), env("production", "https://p"), env("preview", "https://v")}, "production"},
		{[]*store.Environment{env("staging", "https://s"), env("production", ""), env("live", "https://l")}, "live"},
		{[]*store.Environment{env("staging", "https://s"), env("qa", "")}, "staging"},
	} {
		got := screenshot.Primary(tc.envs)
		if (got == nil && tc.want != "") || (got != nil && got.Name != tc.want) {
			t.Errorf("Primary(%v) = %v, want %q", tc.envs, got, tc.want)
		}
	}
}

func TestScreenshotBrowserFlag(t *testing.T) {
	if p, off := screenshot.Browser("off"); p != "" || off == "" {
		t.Errorf(`Browser("off") = %q, %q; want off`, p, off)
	}
	if p, off := screenshot.Browser("/nonexistent/chromium"); p != "" || !strings.Contains(off, "not found") {
		t.Errorf("Browser(missing) = %q, %q", p, off)
	}
	if p, off := screenshot.Browser(""); p == "" {
		t.Fatalf("no browser on PATH: run make chromium (%s)", off)
	}
	// Without a browser the loop returns at once.
	sh := &screenshot.Shooter{}
	done := make(chan error, 1)
	go func() { done <- sh.Run(context.Background()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run without a browser did not return")
	}
}

// privateAddr is an address of this machine that a loopback-only policy
// refuses (a private one), or "" when it has none.
func privateAddr(t *testing.T) string {
	addrs, err := net.InterfaceAddrs()
	must(t, err)
	for _, a := range addrs {
		pfx, err := netip.ParsePrefix(a.String())
		if err != nil || pfx.Addr().IsLoopback() {
			continue
		}
		if (ssrf.Policy{AllowLoopback: true}).CheckAddr(pfx.Addr()) != nil && pfx.Addr().IsPrivate() {
			return pfx.Addr().String()
		}
	}
	return ""
}

// The page's own requests go through the policy: a subresource or a
// redirect to a refused address is blocked in the browser.
func TestScreenshotGuard(t *testing.T) {
	ctx := context.Background()
	addr := privateAddr(t)
	if addr == "" {
		t.Skip("this machine has no private (non-loopback) address to refuse")
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
	must(t, err)
	var private atomic.Int64
	inner := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		private.Add(1)
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<body style="margin:0;background:#f00"></body>`)
	})}}
	inner.Start()
	t.Cleanup(inner.Close)

	blue := color.RGBA{R: 20, G: 40, B: 200, A: 255}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, inner.URL+"/", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<body style="margin:0;background:rgb(%d,%d,%d)"><img src="%s/pixel.png" alt=""></body>`, blue.R, blue.G, blue.B, inner.URL)
	}))
	t.Cleanup(srv.Close)

	f := seed(t, srv.URL+"/")
	sh := f.shooter(t, ssrf.Policy{AllowLoopback: true})
	if n, err := sh.Scan(ctx); err != nil || n != 1 {
		t.Fatalf("scan: %d captures, %v", n, err)
	}
	if _, err := f.s.GetScreenshot(ctx, f.app.ID); err != nil {
		t.Fatalf("the page with a refused image was not captured: %v", err)
	}
	if private.Load() != 0 {
		t.Fatalf("the refused address was requested %d times", private.Load())
	}

	// A redirect to the refused address fails the capture.
	f.prod.PublicURL = srv.URL + "/redirect"
	must(t, f.s.UpdateEnvironment(ctx, f.prod))
	if n, err := sh.Scan(ctx); err != nil || n != 1 {
		t.Fatalf("scan of the redirect: %d captures, %v", n, err)
	}
	st, err := f.s.ScreenshotState(ctx, f.app.ID)
	if err != nil || st.Failures != 1 || !strings.Contains(st.Error, "refused") {
		t.Fatalf("state after a redirect to a private address = %+v, %v", st, err)
	}
	if private.Load() != 0 {
		t.Fatalf("the redirect reached the refused address (%d requests)", private.Load())
	}

	// The control: a policy that allows private addresses follows it.
	open := f.shooter(t, ssrf.Policy{AllowPrivate: true})
	open.Now = func() time.Time { return time.Now().Add(screenshot.Backoff(1) + time.Second) }
	if n, err := open.Scan(ctx); err != nil || n != 1 {
		t.Fatalf("scan with private addresses allowed: %d captures, %v", n, err)
	}
	if _, err := f.s.GetScreenshot(ctx, f.app.ID); err != nil || private.Load() == 0 {
		t.Fatalf("with private addresses allowed: %v, %d requests to the private server", err, private.Load())
	}
}
