package store_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/astrolift/astrolift/store"
)

// Managed services: created pending, unique per (environment, kind, name)
// among live rows, moved by compare-and-set transitions (active stores the
// sealed envelope and its keys), listed by app, environment and status,
// deprovisioned from any status, then removed (hidden; the name is free).
func TestManagedServices(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		org, _, app := seed(t, f.s, "shop")
		staging := &store.Environment{AppID: app.ID, Name: "staging", Namespace: "shop-staging"}
		prod := &store.Environment{AppID: app.ID, Name: "production", Namespace: "shop-production"}
		for _, e := range []*store.Environment{staging, prod} {
			if err := f.s.CreateEnvironment(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		pg := &store.ManagedService{OrgID: org.ID, AppID: app.ID, EnvironmentID: staging.ID, Kind: "postgres", Variant: "small", CreatedBy: "ada@acme.test"}
		if err := f.s.CreateManagedService(ctx, pg); err != nil {
			t.Fatal(err)
		}
		if pg.ID == 0 || pg.Status != "pending" || pg.CreatedAt.IsZero() {
			t.Fatalf("created %+v", pg)
		}
		if err := f.s.CreateManagedService(ctx, &store.ManagedService{OrgID: org.ID, AppID: app.ID, EnvironmentID: staging.ID, Kind: "postgres"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate: %v, want ErrConflict", err)
		}
		// A named one, and the same kind in another environment, are fine.
		analytics := &store.ManagedService{OrgID: org.ID, AppID: app.ID, EnvironmentID: staging.ID, Kind: "postgres", Name: "analytics"}
		redis := &store.ManagedService{OrgID: org.ID, AppID: app.ID, EnvironmentID: prod.ID, Kind: "redis"}
		for _, m := range []*store.ManagedService{analytics, redis} {
			if err := f.s.CreateManagedService(ctx, m); err != nil {
				t.Fatal(err)
			}
		}

		if err := f.s.TransitionManagedService(ctx, pg.ID, "pending", "provisioning", store.ManagedServiceUpdate{}); err != nil {
			t.Fatal(err)
		}
		if err := f.s.TransitionManagedService(ctx, pg.ID, "pending", "provisioning", store.ManagedServiceUpdate{}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("stale transition: %v, want ErrConflict", err)
		}
		sealed := []byte{0, 1, 2, 255}
		if err := f.s.TransitionManagedService(ctx, pg.ID, "provisioning", "active",
			store.ManagedServiceUpdate{Keys: []string{"DATABASE_URL", "PGHOST"}, Sealed: sealed}); err != nil {
			t.Fatal(err)
		}
		if err := f.s.TransitionManagedService(ctx, analytics.ID, "pending", "failed", store.ManagedServiceUpdate{Error: "no capacity"}); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.GetManagedService(ctx, pg.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != "active" || got.Variant != "small" || got.CreatedBy != "ada@acme.test" || !bytes.Equal(got.EnvelopeSealed, sealed) ||
			len(got.EnvelopeKeys) != 2 || got.EnvelopeKeys[0] != "DATABASE_URL" || got.StatusError != "" {
			t.Fatalf("GetManagedService = %+v", got)
		}

		list, err := f.s.ListManagedServices(ctx, store.ManagedServiceFilter{AppID: app.ID})
		if err != nil || len(list) != 3 {
			t.Fatalf("list: %v %d", err, len(list))
		}
		active, _ := f.s.ListManagedServices(ctx, store.ManagedServiceFilter{EnvironmentID: staging.ID, Statuses: []string{"active"}})
		if len(active) != 1 || active[0].ID != pg.ID {
			t.Fatalf("active in staging: %+v", active)
		}
		failed, _ := f.s.GetManagedService(ctx, analytics.ID)
		if failed.Status != "failed" || failed.StatusError != "no capacity" || failed.EnvelopeKeys != nil {
			t.Errorf("failed %+v", failed)
		}

		// Removing needs deprovisioning first.
		if err := f.s.RemoveManagedService(ctx, pg.ID); !errors.Is(err, store.ErrConflict) {
			t.Errorf("remove active: %v, want ErrConflict", err)
		}
		if err := f.s.DeprovisionManagedService(ctx, pg.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.s.DeprovisionManagedService(ctx, pg.ID); err != nil {
			t.Errorf("deprovision again: %v", err)
		}
		// Still listed while deprovisioning, with its envelope no longer active.
		if l, _ := f.s.ListManagedServices(ctx, store.ManagedServiceFilter{EnvironmentID: staging.ID, Statuses: []string{"deprovisioning"}}); len(l) != 1 {
			t.Fatalf("deprovisioning: %+v", l)
		}
		if err := f.s.RemoveManagedService(ctx, pg.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.GetManagedService(ctx, pg.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("removed: %v, want ErrNotFound", err)
		}
		if err := f.s.DeprovisionManagedService(ctx, pg.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deprovision removed: %v, want ErrNotFound", err)
		}
		if l, _ := f.s.ListManagedServices(ctx, store.ManagedServiceFilter{AppID: app.ID}); len(l) != 2 {
			t.Errorf("after removal %d listed, want 2", len(l))
		}
		// The name is free again.
		again := &store.ManagedService{OrgID: org.ID, AppID: app.ID, EnvironmentID: staging.ID, Kind: "postgres"}
		if err := f.s.CreateManagedService(ctx, again); err != nil || again.ID == pg.ID {
			t.Errorf("re-provision: %v", err)
		}
	})
}
