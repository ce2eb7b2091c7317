package screenshot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/astrolift/astrolift/internal/ssrf"
)

// The capture's viewport.
const (
	ViewportWidth  = 1280
	ViewportHeight = 800
)

// browser is one headless Chromium, started for a scan; err is why it
// could not start.
type browser struct {
	ctx     context.Context
	close   func()
	err     error
	policy  ssrf.Policy
	timeout time.Duration
	settle  time.Duration
}

// startBrowser starts Chromium with a new temporary profile. A browser that
// does not start is returned with its error: each capture then fails with it.
func (s *Shooter) startBrowser(ctx context.Context) *browser {
	b := &browser{policy: s.Policy, timeout: s.Timeout, settle: s.Settle, close: func() {}}
	dir, err := os.MkdirTemp("", "astrolift-screenshot-")
	if err != nil {
		b.err = fmt.Errorf("browser profile: %w", err)
		return b
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(s.BrowserPath),
		chromedp.UserDataDir(dir),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.WindowSize(ViewportWidth, ViewportHeight),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	logf := func(format string, args ...any) { s.Log.Debug("chromium: " + fmt.Sprintf(format, args...)) }
	bctx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithLogf(logf), chromedp.WithErrorf(logf))
	b.ctx = bctx
	b.close = func() {
		cancelBrowser()
		cancelAlloc() // waits for the process to exit
		_ = os.RemoveAll(dir)
	}
	// The first Run starts the browser; it must not carry a timeout (that
	// would stop the browser), so the wait is bounded here.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(bctx) }()
	select {
	case err = <-started:
	case <-time.After(s.Timeout):
		err = fmt.Errorf("the browser did not start in %s", s.Timeout)
	}
	if err != nil {
		b.close()
		b.close = func() {}
		b.err = fmt.Errorf("start %s: %w", s.BrowserPath, err)
	}
	return b
}

// capture opens u (which passed the policy) in a new tab and returns the
// viewport's picture; the page's every request is checked again.
func (b *browser) capture(ctx context.Context, u string) (image.Image, error) {
	if b.err != nil {
		return nil, b.err
	}
	tab, closeTab := chromedp.NewContext(b.ctx)
	defer closeTab()
	// The scan's ctx ends the capture too.
	stop := context.AfterFunc(ctx, closeTab)
	defer stop()
	tctx, cancel := context.WithTimeout(tab, b.timeout)
	defer cancel()

	g := &guard{policy: b.policy, verdicts: map[string]error{}}
	if err := chromedp.Do(tctx, chromedp.EmulateViewport(ViewportWidth, ViewportHeight), g.intercept(tab)); err != nil {
		return nil, b.fail(tctx, err)
	}
	resp, err := chromedp.RunResponse(tctx, chromedp.Navigate(u))
	if err != nil {
		if reason := g.refusal(); reason != nil {
			return nil, fmt.Errorf("open %s: %w", u, reason)
		}
		return nil, b.fail(tctx, fmt.Errorf("open %s: %w", u, err))
	}
	if resp != nil && resp.Status >= 500 {
		return nil, fmt.Errorf("%s answered %d %s", u, resp.Status, resp.StatusText)
	}
	if err := chromedp.Do(tctx, chromedp.Sleep(b.settle)); err != nil {
		return nil, b.fail(tctx, fmt.Errorf("capture %s: %w", u, err))
	}
	raw, err := chromedp.Run(tctx, chromedp.CaptureScreenshot())
	if err != nil {
		return nil, b.fail(tctx, fmt.Errorf("capture %s: %w", u, err))
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("capture %s: the browser's picture: %w", u, err)
	}
	return img, nil
}

// fail names a timeout as such.
func (b *browser) fail(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("timed out after %s: %w", b.timeout, err)
	}
	return err
}

// guard checks every request of a tab against the policy (Fetch domain
// interception): a refused one fails as blocked by the client.
type guard struct {
	policy ssrf.Policy

	mu       sync.Mutex
	verdicts map[string]error // by scheme://host
	refused  error            // the first refusal
}

// intercept enables request interception on the tab; events are handled
// until the tab closes.
func (g *guard) intercept(tab context.Context) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		events := cdp.Events(tab, t, fetch.RequestPaused)
		go func() {
			for ev, err := range events {
				if err != nil {
					return
				}
				go g.decide(tab, t, ev)
			}
		}()
		_, err := cdp.Call(ctx, t, fetch.Enable, fetch.EnableParams{})
		return err
	})
}

func (g *guard) decide(ctx context.Context, t *chromedp.Target, ev fetch.EventRequestPaused) {
	if ev.Request == nil {
		return
	}
	if err := g.check(ctx, ev.Request.URL); err != nil {
		_, _ = cdp.Call(ctx, t, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
		return
	}
	_, _ = cdp.Call(ctx, t, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
}

// check applies the policy to a request's URL, once per scheme and host.
func (g *guard) check(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return g.remember("", fmt.Errorf("request to an unreadable URL: %w", ssrf.ErrRefused))
	}
	switch u.Scheme {
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	}
	key := u.Scheme + "://" + u.Host
	g.mu.Lock()
	verdict, seen := g.verdicts[key]
	g.mu.Unlock()
	if seen {
		return g.remember(key, verdict)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return g.remember(key, g.policy.CheckURL(cctx, key+"/"))
}

func (g *guard) remember(key string, err error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if key != "" {
		g.verdicts[key] = err
	}
	if err != nil && g.refused == nil {
		g.refused = err
	}
	return err
}

func (g *guard) refusal() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.refused
}
