package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/astrolift/astrolift/store"
)

func TestScreenshots(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		org, p, app := seed(t, f.s, "web")
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(f.s.SetAppStatus(ctx, app.ID, "ready", ""))
		pending := &store.App{OrgID: org.ID, ProjectID: p.ID, Slug: "api", Name: "api", SourceURL: "https://git.example.com/acme/api.git"}
		must(f.s.CreateApp(ctx, pending))
		staging := &store.Environment{AppID: app.ID, Name: "staging", Namespace: "web-staging", PublicURL: "https://staging.example.com", Position: 0}
		prod := &store.Environment{AppID: app.ID, Name: "production", Namespace: "web-production", PublicURL: "https://web.example.com", Position: 1}
		noURL := &store.Environment{AppID: app.ID, Name: "qa", Namespace: "web-qa", Position: 2}
		gone := &store.Environment{AppID: app.ID, Name: "old", Namespace: "web-old", PublicURL: "https://old.example.com", Position: 3}
		other := &store.Environment{AppID: pending.ID, Name: "production", Namespace: "api-production", PublicURL: "https://api.example.com"}
		for _, e := range []*store.Environment{staging, prod, noURL, gone, other} {
			must(f.s.CreateEnvironment(ctx, e))
		}
		must(f.s.DeleteEnvironment(ctx, gone.ID))
		deploy := func(env *store.Environment, status string) int64 {
			d := &store.Deployment{AppID: app.ID, EnvironmentID: env.ID, Trigger: "manual", Status: status}
			must(f.s.CreateDeployment(ctx, d, "test"))
			return d.ID
		}
		first := deploy(prod, "succeeded")
		deploy(prod, "failed")

		// Targets: the ready app's live environments with a public URL, in
		// display order, with their latest succeeded deployment.
		targets, err := f.s.ScreenshotTargets(ctx, "ready")
		must(err)
		if len(targets) != 2 || targets[0].Environment.ID != staging.ID || targets[1].Environment.ID != prod.ID {
			t.Fatalf("ScreenshotTargets = %+v", targets)
		}
		if tg := targets[1]; tg.AppID != app.ID || tg.AppSlug != "web" || tg.LastDeploymentID != first ||
			tg.Environment.PublicURL != "https://web.example.com" || targets[0].LastDeploymentID != 0 {
			t.Fatalf("targets = %+v %+v", targets[0], tg)
		}

		// Nothing yet.
		if _, err := f.s.GetScreenshot(ctx, app.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetScreenshot before any capture: %v, want ErrNotFound", err)
		}
		if _, err := f.s.ScreenshotState(ctx, app.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("ScreenshotState before any attempt: %v, want ErrNotFound", err)
		}

		// A failed first attempt: no image, a state with the reason.
		at := f.clock.Now()
		must(f.s.RecordScreenshotFailure(ctx, app.ID, "navigation timed out", at))
		if _, err := f.s.GetScreenshot(ctx, app.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetScreenshot after a failure only: %v, want ErrNotFound", err)
		}
		st, err := f.s.ScreenshotState(ctx, app.ID)
		if err != nil || st.Failures != 1 || st.Error != "navigation timed out" || st.CapturedAt != nil ||
			!st.AttemptedAt.Equal(at.Truncate(time.Microsecond)) || st.PNG != nil {
			t.Fatalf("state after a failure = %+v, %v", st, err)
		}

		// A capture.
		png := []byte("\x89PNG\r\n\x1a\nfake-but-opaque-bytes")
		at = f.clock.Now()
		must(f.s.SaveScreenshot(ctx, app.ID, prod.ID, prod.PublicURL, first, png, at))
		sh, err := f.s.GetScreenshot(ctx, app.ID)
		sum := sha256.Sum256(png)
		if err != nil || !bytes.Equal(sh.PNG, png) || sh.SHA256 != hex.EncodeToString(sum[:]) || sh.EnvironmentID != prod.ID ||
			sh.URL != "https://web.example.com" || sh.DeploymentID != first || sh.Failures != 0 || sh.Error != "" ||
			sh.CapturedAt == nil || !sh.CapturedAt.Equal(at.Truncate(time.Microsecond)) || !sh.AttemptedAt.Equal(*sh.CapturedAt) {
			t.Fatalf("GetScreenshot = %+v, %v", sh, err)
		}

		// A later failure keeps the image and counts.
		later := f.clock.Now().Add(time.Hour)
		must(f.s.RecordScreenshotFailure(ctx, app.ID, "connection refused", later))
		must(f.s.RecordScreenshotFailure(ctx, app.ID, "connection refused", later.Add(time.Minute)))
		sh, err = f.s.GetScreenshot(ctx, app.ID)
		if err != nil || !bytes.Equal(sh.PNG, png) || sh.Failures != 2 || sh.Error != "connection refused" ||
			!sh.CapturedAt.Equal(at.Truncate(time.Microsecond)) || !sh.AttemptedAt.Equal(later.Add(time.Minute).Truncate(time.Microsecond)) {
			t.Fatalf("after failures = %+v, %v", sh, err)
		}
		states, err := f.s.ScreenshotStates(ctx)
		if err != nil || len(states) != 1 || states[app.ID] == nil || states[app.ID].Failures != 2 || states[app.ID].PNG != nil ||
			states[app.ID].DeploymentID != first {
			t.Fatalf("ScreenshotStates = %v, %v", states, err)
		}

		// A new capture replaces the image and clears the failures.
		second := deploy(prod, "succeeded")
		png2 := []byte("\x89PNG\r\n\x1a\nsecond")
		must(f.s.SaveScreenshot(ctx, app.ID, prod.ID, prod.PublicURL, second, png2, f.clock.Now()))
		sh, err = f.s.GetScreenshot(ctx, app.ID)
		if err != nil || !bytes.Equal(sh.PNG, png2) || sh.DeploymentID != second || sh.Failures != 0 || sh.Error != "" {
			t.Fatalf("after a second capture = %+v, %v", sh, err)
		}
		if err := f.s.SaveScreenshot(ctx, app.ID, prod.ID, prod.PublicURL, second, nil, f.clock.Now()); err == nil {
			t.Fatal("SaveScreenshot with no image succeeded")
		}
	})
}
