package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/astrolift/astrolift/store"
)

func TestDeployTokens(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		_, p, a := seed(t, f.s, "web")
		other := &store.App{OrgID: a.OrgID, ProjectID: p.ID, Slug: "api", Name: "api", SourceURL: "https://git.example.com/acme/api.git"}
		if err := f.s.CreateApp(ctx, other); err != nil {
			t.Fatal(err)
		}
		tok := &store.DeployToken{AppID: a.ID, Name: "github-actions", Last4: "aaaa", Scopes: []string{"deploy", "read"}, CreatedBy: "ada@acme.test"}
		if err := f.s.CreateDeployToken(ctx, "hash-1", tok); err != nil {
			t.Fatal(err)
		}
		if want := tok.CreatedAt.Add(365 * 24 * time.Hour); !tok.ExpiresAt.Equal(want) {
			t.Errorf("default expiry %v, want %v", tok.ExpiresAt, want)
		}
		dup := &store.DeployToken{AppID: a.ID, Name: "github-actions", Last4: "bbbb"}
		if err := f.s.CreateDeployToken(ctx, "hash-x", dup); !errors.Is(err, store.ErrConflict) {
			t.Errorf("same name twice: %v, want ErrConflict", err)
		}
		if err := f.s.CreateDeployToken(ctx, "hash-1", &store.DeployToken{AppID: other.ID, Name: "ci", Last4: "cccc"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("same hash twice: %v, want ErrConflict", err)
		}

		used, err := f.s.UseDeployToken(ctx, "hash-1")
		if err != nil || used.ID != tok.ID || used.AppID != a.ID || !slices.Equal(used.Scopes, []string{"deploy", "read"}) || used.LastUsedAt == nil {
			t.Fatalf("UseDeployToken = %+v, %v", used, err)
		}
		if _, err := f.s.UseDeployToken(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown hash: %v", err)
		}
		list, err := f.s.ListDeployTokens(ctx, a.ID)
		if err != nil || len(list) != 1 || list[0].Last4 != "aaaa" || list[0].LastUsedAt == nil || list[0].CreatedBy != "ada@acme.test" {
			t.Fatalf("ListDeployTokens = %+v, %v", list, err)
		}
		if l, _ := f.s.ListDeployTokens(ctx, other.ID); len(l) != 0 {
			t.Errorf("other app lists %v", l)
		}

		// Rotation: the new secret works; the old one for 24 h, then not.
		if _, err := f.s.RotateDeployToken(ctx, other.ID, tok.ID, "hash-2", "dddd"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("rotate through another app: %v, want ErrNotFound", err)
		}
		rot, err := f.s.RotateDeployToken(ctx, a.ID, tok.ID, "hash-2", "dddd")
		if err != nil || rot.Last4 != "dddd" || rot.PreviousValidUntil == nil || !rot.ExpiresAt.Equal(tok.ExpiresAt) {
			t.Fatalf("RotateDeployToken = %+v, %v", rot, err)
		}
		for _, h := range []string{"hash-1", "hash-2"} {
			if got, err := f.s.UseDeployToken(ctx, h); err != nil || got.ID != tok.ID {
				t.Errorf("right after rotation, %s: %+v, %v", h, got, err)
			}
		}
		f.clock.Advance(23 * time.Hour)
		if _, err := f.s.UseDeployToken(ctx, "hash-1"); err != nil {
			t.Errorf("old secret 23 h after rotation: %v", err)
		}
		f.clock.Advance(2 * time.Hour)
		if _, err := f.s.UseDeployToken(ctx, "hash-1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("old secret 25 h after rotation: %v, want ErrNotFound", err)
		}
		if _, err := f.s.UseDeployToken(ctx, "hash-2"); err != nil {
			t.Errorf("new secret 25 h after rotation: %v", err)
		}

		// A second rotation drops the first secret at once.
		if _, err := f.s.RotateDeployToken(ctx, a.ID, tok.ID, "hash-3", "eeee"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.UseDeployToken(ctx, "hash-2"); err != nil {
			t.Errorf("secret of the first rotation after the second: %v", err)
		}

		// Revocation is soft and ends every secret of the token.
		if err := f.s.RevokeDeployToken(ctx, other.ID, tok.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("revoke through another app: %v", err)
		}
		if err := f.s.RevokeDeployToken(ctx, a.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		for _, h := range []string{"hash-2", "hash-3"} {
			if _, err := f.s.UseDeployToken(ctx, h); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("revoked token, %s: %v", h, err)
			}
		}
		if err := f.s.RevokeDeployToken(ctx, a.ID, tok.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("revoke twice: %v", err)
		}
		if _, err := f.s.RotateDeployToken(ctx, a.ID, tok.ID, "hash-4", "ffff"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("rotate revoked: %v", err)
		}
		if l, _ := f.s.ListDeployTokens(ctx, a.ID); len(l) != 0 {
			t.Errorf("revoked token still listed: %v", l)
		}
		// Its name is free again.
		if err := f.s.CreateDeployToken(ctx, "hash-5", &store.DeployToken{AppID: a.ID, Name: "github-actions", Last4: "gggg", Scopes: []string{"read"}}); err != nil {
			t.Errorf("reuse the name of a revoked token: %v", err)
		}

		// Expiry.
		short := &store.DeployToken{AppID: a.ID, Name: "short", Last4: "hhhh", Scopes: []string{"deploy"}, ExpiresAt: f.clock.Now().Add(time.Hour)}
		if err := f.s.CreateDeployToken(ctx, "hash-6", short); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.UseDeployToken(ctx, "hash-6"); err != nil {
			t.Errorf("before expiry: %v", err)
		}
		f.clock.Advance(2 * time.Hour)
		if _, err := f.s.UseDeployToken(ctx, "hash-6"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after expiry: %v, want ErrNotFound", err)
		}
	})
}

func TestDeploymentCIContextAndStartedAt(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		_, _, a := seed(t, f.s, "web")
		env := &store.Environment{AppID: a.ID, Name: "staging", Namespace: "web-staging"}
		if err := f.s.CreateEnvironment(ctx, env); err != nil {
			t.Fatal(err)
		}
		digest := "sha256:" + "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12"
		d := &store.Deployment{AppID: a.ID, EnvironmentID: env.ID, Trigger: "ci", Status: "pending", Image: "registry.example.com/web:v2",
			ImageDigest: digest, CreatedBy: "token:github-actions",
			CI: store.CIContext{Commit: "0123abc", Branch: "main", RunURL: "https://github.com/acme/web/actions/runs/42"}}
		if err := f.s.CreateDeployment(ctx, d, "ci deploy"); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.GetDeployment(ctx, d.ID)
		if err != nil || got.ImageDigest != digest || got.CI != d.CI || got.StartedAt != nil || got.FinishedAt != nil {
			t.Fatalf("GetDeployment = %+v, %v", got, err)
		}
		f.clock.Advance(time.Minute)
		if err := f.s.TransitionDeployment(ctx, d.ID, "pending", "rendering", store.TransitionUpdate{}); err != nil {
			t.Fatal(err)
		}
		got, _ = f.s.GetDeployment(ctx, d.ID)
		if got.StartedAt == nil || got.StartedAt.Sub(got.CreatedAt) < time.Minute {
			t.Fatalf("started_at = %v (created %v), want stamped on rendering", got.StartedAt, got.CreatedAt)
		}
		started := *got.StartedAt
		// A second visit to rendering keeps the first stamp.
		f.clock.Advance(time.Minute)
		for _, st := range [][2]string{{"rendering", "awaiting_approval"}, {"awaiting_approval", "rendering"}} {
			if err := f.s.TransitionDeployment(ctx, d.ID, st[0], st[1], store.TransitionUpdate{}); err != nil {
				t.Fatal(err)
			}
		}
		f.clock.Advance(time.Minute)
		if err := f.s.TransitionDeployment(ctx, d.ID, "rendering", "succeeded", store.TransitionUpdate{Finished: true}); err != nil {
			t.Fatal(err)
		}
		list, err := f.s.ListDeployments(ctx, store.DeploymentFilter{AppID: a.ID})
		if err != nil || len(list) != 1 {
			t.Fatalf("ListDeployments = %v, %v", list, err)
		}
		got = list[0]
		if !got.StartedAt.Equal(started) || got.FinishedAt == nil || got.FinishedAt.Sub(*got.StartedAt) < 2*time.Minute || got.CI != d.CI {
			t.Errorf("after the run: started %v, finished %v, ci %+v", got.StartedAt, got.FinishedAt, got.CI)
		}
	})
}
