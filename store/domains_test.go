package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/astrolift/astrolift/store"
)

func TestDomains(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		org, p, app := seed(t, f.s, "web")
		other := &store.App{OrgID: org.ID, ProjectID: p.ID, Slug: "api", Name: "api", SourceURL: "https://git.example.com/acme/api.git"}
		if err := f.s.CreateApp(ctx, other); err != nil {
			t.Fatal(err)
		}
		env := &store.Environment{AppID: app.ID, Name: "production", Namespace: "web-production"}
		otherEnv := &store.Environment{AppID: other.ID, Name: "production", Namespace: "api-production"}
		for _, e := range []*store.Environment{env, otherEnv} {
			if err := f.s.CreateEnvironment(ctx, e); err != nil {
				t.Fatal(err)
			}
		}

		d := &store.Domain{OrgID: org.ID, AppID: app.ID, EnvironmentID: env.ID, Hostname: "shop.example.com", ChallengeToken: "tok", CreatedBy: "ada@acme.test"}
		if err := f.s.CreateDomain(ctx, d); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.GetDomain(ctx, d.ID)
		if err != nil || got.Hostname != "shop.example.com" || got.State != store.DomainPending || got.ChallengeToken != "tok" ||
			got.EnvironmentID != env.ID || got.LastCheckedAt != nil || got.NextCheckAt == nil || got.Attempts != 0 || got.CreatedBy != "ada@acme.test" {
			t.Fatalf("GetDomain = %+v, %v", got, err)
		}

		// The hostname is unique among live bindings, across apps.
		dup := &store.Domain{OrgID: org.ID, AppID: other.ID, EnvironmentID: otherEnv.ID, Hostname: "shop.example.com", ChallengeToken: "x"}
		if err := f.s.CreateDomain(ctx, dup); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("second binding of the hostname: %v, want ErrConflict", err)
		}

		// Due: a fresh domain is due now; a failed check records the
		// reason and moves the next check out.
		now := f.clock.Now()
		if due, err := f.s.DueDomains(ctx, now, 10); err != nil || len(due) != 1 || due[0].ID != d.ID {
			t.Fatalf("DueDomains = %v, %v", due, err)
		}
		next := now.Add(time.Minute)
		got, err = f.s.RecordDomainCheck(ctx, d.ID, store.DomainCheck{At: now, State: store.DomainPending, Error: "no TXT record", NextCheckAt: &next})
		if err != nil || got.State != store.DomainPending || got.CheckError != "no TXT record" || got.Attempts != 1 ||
			got.LastCheckedAt == nil || !got.LastCheckedAt.Equal(now.Truncate(time.Microsecond)) || !got.NextCheckAt.Equal(next.Truncate(time.Microsecond)) {
			t.Fatalf("after a failed check = %+v, %v", got, err)
		}
		if due, err := f.s.DueDomains(ctx, now, 10); err != nil || len(due) != 0 {
			t.Fatalf("DueDomains before the next check = %v, %v", due, err)
		}
		if h, err := f.s.ValidatedHostnames(ctx, env.ID); err != nil || len(h) != 0 {
			t.Fatalf("validated hostnames of a pending domain = %v, %v", h, err)
		}
		got, err = f.s.RecordDomainCheck(ctx, d.ID, store.DomainCheck{At: now, State: store.DomainValidated})
		if err != nil || got.State != store.DomainValidated || got.CheckError != "" || got.NextCheckAt != nil || got.Attempts != 2 {
			t.Fatalf("after a good check = %+v, %v", got, err)
		}
		if due, err := f.s.DueDomains(ctx, next.Add(time.Hour), 10); err != nil || len(due) != 0 {
			t.Fatalf("a validated domain is due: %v, %v", due, err)
		}
		if h, err := f.s.ValidatedHostnames(ctx, env.ID); err != nil || !slices.Equal(h, []string{"shop.example.com"}) {
			t.Fatalf("validated hostnames = %v, %v", h, err)
		}
		if l, err := f.s.ListDomains(ctx, app.ID); err != nil || len(l) != 1 || l[0].ID != d.ID {
			t.Fatalf("ListDomains = %v, %v", l, err)
		}

		// Removal frees the hostname.
		if err := f.s.DeleteDomain(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.GetDomain(ctx, d.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetDomain after delete: %v, want ErrNotFound", err)
		}
		if err := f.s.DeleteDomain(ctx, d.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second delete: %v, want ErrNotFound", err)
		}
		if _, err := f.s.RecordDomainCheck(ctx, d.ID, store.DomainCheck{At: now, State: store.DomainPending}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("check of a deleted domain: %v, want ErrNotFound", err)
		}
		if h, err := f.s.ValidatedHostnames(ctx, env.ID); err != nil || len(h) != 0 {
			t.Fatalf("validated hostnames after delete = %v, %v", h, err)
		}
		if err := f.s.CreateDomain(ctx, dup); err != nil {
			t.Fatalf("binding a freed hostname: %v", err)
		}
		if l, err := f.s.ListDomains(ctx, other.ID); err != nil || len(l) != 1 || l[0].Hostname != "shop.example.com" {
			t.Fatalf("ListDomains of the other app = %v, %v", l, err)
		}
	})
}
