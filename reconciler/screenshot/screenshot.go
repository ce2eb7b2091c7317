package screenshot

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/astrolift/astrolift/internal/ssrf"
	"github.com/astrolift/astrolift/store"
)

// ReadyStatus is the app status whose apps are captured (the onboarding
// workflow's reconciler.AppReady).
const ReadyStatus = "ready"

// Browser resolves the --screenshot-browser flag: "off" disables
// screenshots, "" looks up chromium, chromium-browser or google-chrome on
// PATH, anything else is the browser's path (or a name on PATH). It returns
// the browser's path, or "" and why screenshots are off.
func Browser(flag string) (path, off string) {
	switch flag = strings.TrimSpace(flag); flag {
	case "off":
		return "", "--screenshot-browser is off"
	case "":
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				return p, ""
			}
		}
		return "", "no chromium, chromium-browser or google-chrome on PATH (install one or pass --screenshot-browser)"
	default:
		p, err := exec.LookPath(flag)
		if err != nil {
			return "", fmt.Sprintf("browser %s not found: %v", flag, err)
		}
		return p, ""
	}
}

// Backoff waits 5 minutes after the first failed capture of an app and
// doubles each time, up to 6 hours.
func Backoff(failures int) time.Duration {
	if failures < 1 {
		failures = 1
	}
	if failures > 8 {
		return 6 * time.Hour
	}
	return min(5*time.Minute<<(failures-1), 6*time.Hour)
}

// Shooter is the screenshot loop (see the package documentation).
type Shooter struct {
	Store *store.Store
	// BrowserPath is the Chromium executable; empty: the loop does not run.
	BrowserPath string
	Holder      string
	// Policy is checked for every request the captured page makes.
	Policy ssrf.Policy
	// Interval between scans (default 1 minute).
	Interval time.Duration
	// MaxAge is how old a capture may get before it is taken again
	// (default 24 hours).
	MaxAge time.Duration
	// Timeout of one capture (default 30 s).
	Timeout time.Duration
	// Settle is how long a loaded page is given to finish drawing before
	// the capture (default 1 s).
	Settle time.Duration
	// Backoff is the wait after failed capture n (1, 2, …) (default Backoff).
	Backoff func(failures int) time.Duration
	Now     func() time.Time
	Log     *slog.Logger

	wakeOnce sync.Once
	wake     chan struct{}
}

func (s *Shooter) defaults() {
	if s.Interval <= 0 {
		s.Interval = time.Minute
	}
	if s.MaxAge <= 0 {
		s.MaxAge = 24 * time.Hour
	}
	if s.Timeout <= 0 {
		s.Timeout = 30 * time.Second
	}
	if s.Settle <= 0 {
		s.Settle = time.Second
	}
	if s.Backoff == nil {
		s.Backoff = Backoff
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Log == nil {
		s.Log = slog.Default()
	}
	if s.Holder == "" {
		host, _ := os.Hostname()
		s.Holder = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
}

func (s *Shooter) wakeChan() chan struct{} {
	s.wakeOnce.Do(func() { s.wake = make(chan struct{}, 1) })
	return s.wake
}

// Trigger asks for a scan soon (non-blocking): the deployer calls it when a
// deployment of envID succeeded.
func (s *Shooter) Trigger(envID int64) {
	select {
	case s.wakeChan() <- struct{}{}:
	default:
	}
}

// Run scans every Interval, and when triggered, until ctx ends. Without a
// browser it returns at once.
func (s *Shooter) Run(ctx context.Context) error {
	s.defaults()
	if s.BrowserPath == "" {
		return nil
	}
	tick := time.NewTicker(s.Interval)
	defer tick.Stop()
	for {
		if _, err := s.Scan(ctx); err != nil && ctx.Err() == nil {
			s.Log.Error("screenshots", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-s.wakeChan():
		}
	}
}

// Target is what an app's screenshot shows: its primary environment's
// public URL as deployed by that environment's latest succeeded deployment.
type Target struct {
	AppID        int64
	AppSlug      string
	Environment  *store.Environment
	DeploymentID int64
}

// Primary picks an app's primary environment among its environments with a
// public URL (in display order): the one named "production", else the last.
// It returns nil for none.
func Primary(envs []*store.Environment) *store.Environment {
	var last *store.Environment
	for _, e := range envs {
		if e.PublicURL == "" {
			continue
		}
		if e.Name == "production" {
			return e
		}
		last = e
	}
	return last
}

// Targets returns the ready apps whose primary environment has a public
// URL and a succeeded deployment.
func (s *Shooter) Targets(ctx context.Context) ([]Target, error) {
	rows, err := s.Store.ScreenshotTargets(ctx, ReadyStatus)
	if err != nil {
		return nil, err
	}
	var out []Target
	for i := 0; i < len(rows); {
		j := i
		var envs []*store.Environment
		deps := map[int64]int64{}
		for ; j < len(rows) && rows[j].AppID == rows[i].AppID; j++ {
			envs = append(envs, rows[j].Environment)
			deps[rows[j].Environment.ID] = rows[j].LastDeploymentID
		}
		if e := Primary(envs); e != nil && deps[e.ID] != 0 {
			out = append(out, Target{AppID: rows[i].AppID, AppSlug: rows[i].AppSlug, Environment: e, DeploymentID: deps[e.ID]})
		}
		i = j
	}
	return out, nil
}

// Due reports whether t should be captured now, given the app's screenshot
// state (nil: never attempted).
func (s *Shooter) Due(t Target, st *store.Screenshot, now time.Time) bool {
	s.defaults()
	if st == nil {
		return true
	}
	stale := st.CapturedAt == nil || st.URL != t.Environment.PublicURL || st.DeploymentID != t.DeploymentID ||
		now.Sub(*st.CapturedAt) >= s.MaxAge
	if !stale {
		return false
	}
	return st.Failures == 0 || !now.Before(st.AttemptedAt.Add(s.Backoff(st.Failures)))
}

// Scan captures every due app once and returns how many captures it
// attempted. An app another replica is capturing is skipped. The browser
// starts only when a capture is due and stops at the end of the scan.
func (s *Shooter) Scan(ctx context.Context) (int, error) {
	s.defaults()
	if s.BrowserPath == "" {
		return 0, errors.New("no browser")
	}
	targets, err := s.Targets(ctx)
	if err != nil {
		return 0, err
	}
	states, err := s.Store.ScreenshotStates(ctx)
	if err != nil {
		return 0, err
	}
	var b *browser
	defer func() {
		if b != nil {
			b.close()
		}
	}()
	attempted := 0
	for _, t := range targets {
		if ctx.Err() != nil {
			return attempted, nil
		}
		if !s.Due(t, states[t.AppID], s.Now()) {
			continue
		}
		lease := fmt.Sprintf("screenshot:%d", t.AppID)
		ok, err := s.Store.AcquireLease(ctx, lease, s.Holder, s.Timeout+time.Minute)
		if err != nil || !ok {
			continue
		}
		// Another replica may have captured it since the states were read.
		st, err := s.Store.ScreenshotState(ctx, t.AppID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			_ = s.Store.ReleaseLease(context.WithoutCancel(ctx), lease, s.Holder)
			return attempted, err
		}
		if st != nil && !s.Due(t, st, s.Now()) {
			_ = s.Store.ReleaseLease(context.WithoutCancel(ctx), lease, s.Holder)
			continue
		}
		attempted++
		s.captureOne(ctx, func() *browser {
			if b == nil {
				b = s.startBrowser(ctx)
			}
			return b
		}, t)
		_ = s.Store.ReleaseLease(context.WithoutCancel(ctx), lease, s.Holder)
	}
	return attempted, nil
}

// captureOne captures t and stores the picture, or records the failure.
// The browser starts only once the URL passed the policy.
func (s *Shooter) captureOne(ctx context.Context, b func() *browser, t Target) {
	url := t.Environment.PublicURL
	start := time.Now()
	checkCtx, cancel := context.WithTimeout(ctx, s.Timeout)
	err := s.Policy.CheckURL(checkCtx, url)
	cancel()
	var img image.Image
	if err == nil {
		img, err = b().capture(ctx, url)
	}
	if err == nil {
		var png []byte
		if png, err = Thumbnail(img); err == nil {
			err = s.Store.SaveScreenshot(ctx, t.AppID, t.Environment.ID, url, t.DeploymentID, png, s.Now())
			if err == nil {
				s.Log.Debug("screenshot captured", "app", t.AppSlug, "url", url, "bytes", len(png),
					"took", time.Since(start).Round(time.Millisecond))
				return
			}
		}
	}
	if ctx.Err() != nil {
		return
	}
	s.Log.Debug("screenshot failed; retrying later", "app", t.AppSlug, "url", url, "error", err)
	if rerr := s.Store.RecordScreenshotFailure(context.WithoutCancel(ctx), t.AppID, err.Error(), s.Now()); rerr != nil {
		s.Log.Warn("screenshot", "app", t.AppSlug, "error", rerr)
	}
}
