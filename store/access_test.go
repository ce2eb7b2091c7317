package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/astrolift/astrolift/store"
)

func TestSessions(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		org, _, _ := seed(t, f.s, "")
		u := &store.User{OrgID: org.ID, Email: "ada@example.com", Name: "Ada"}
		if err := f.s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		sess := &store.Session{UserID: u.ID, UserAgent: "test", ExpiresAt: f.clock.Now().Add(time.Hour)}
		if err := f.s.CreateSession(ctx, "hash-1", sess); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.GetSession(ctx, "hash-1")
		if err != nil || got.UserID != u.ID || got.ID != sess.ID {
			t.Fatalf("GetSession = %+v, %v", got, err)
		}
		if _, err := f.s.GetSession(ctx, "other"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown hash: %v", err)
		}
		// Expiry, then a sliding touch brings it back only while live.
		f.clock.Advance(2 * time.Hour)
		if _, err := f.s.GetSession(ctx, "hash-1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("expired session: %v", err)
		}
		if err := f.s.TouchSession(ctx, sess.ID, f.clock.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.GetSession(ctx, "hash-1"); err != nil {
			t.Errorf("touched session: %v", err)
		}
		if err := f.s.DeleteSession(ctx, sess.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.GetSession(ctx, "hash-1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted session: %v", err)
		}
	})
}

func TestAPITokens(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		org, _, _ := seed(t, f.s, "")
		u := &store.User{OrgID: org.ID, Email: "ci@example.com", Name: "CI"}
		if err := f.s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		exp := f.clock.Now().Add(24 * time.Hour)
		tok := &store.APIToken{UserID: u.ID, Name: "laptop", Last4: "abcd", ExpiresAt: &exp}
		if err := f.s.CreateAPIToken(ctx, "th-1", tok); err != nil {
			t.Fatal(err)
		}
		forever := &store.APIToken{UserID: u.ID, Name: "ci", Last4: "wxyz"}
		if err := f.s.CreateAPIToken(ctx, "th-2", forever); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.UseAPIToken(ctx, "th-1")
		if err != nil || got.ID != tok.ID || got.LastUsedAt == nil || got.Last4 != "abcd" {
			t.Fatalf("UseAPIToken = %+v, %v", got, err)
		}
		list, err := f.s.ListAPITokens(ctx, u.ID)
		if err != nil || len(list) != 2 || list[0].Name != "ci" || list[1].LastUsedAt == nil {
			t.Fatalf("ListAPITokens = %+v, %v", list, err)
		}
		f.clock.Advance(25 * time.Hour)
		if _, err := f.s.UseAPIToken(ctx, "th-1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("expired token: %v", err)
		}
		if _, err := f.s.UseAPIToken(ctx, "th-2"); err != nil {
			t.Errorf("token without expiry: %v", err)
		}
		if err := f.s.DeleteAPIToken(ctx, u.ID+1, forever.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another user's token deleted: %v", err)
		}
		if err := f.s.DeleteAPIToken(ctx, u.ID, forever.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.UseAPIToken(ctx, "th-2"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("revoked token: %v", err)
		}
	})
}

func TestRoleBindings(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		org, _, app := seed(t, f.s, "shop")
		u := &store.User{OrgID: org.ID, Email: "dev@example.com", Name: "Dev"}
		if err := f.s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		exp := f.clock.Now().Add(time.Hour)
		bs := []*store.RoleBinding{
			{OrgID: org.ID, UserID: u.ID, Role: "org.viewer", ScopeLevel: store.ScopeOrg, ScopeID: org.ID},
			{OrgID: org.ID, UserID: u.ID, Role: "app.developer", ScopeLevel: store.ScopeApp, ScopeID: app.ID, ExpiresAt: &exp},
		}
		for _, b := range bs {
			if err := f.s.CreateRoleBinding(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		if got, _ := f.s.GetApp(ctx, "shop"); got.TriggerMode != "push" {
			t.Errorf("trigger mode default %q, want push", got.TriggerMode)
		}
		all, err := f.s.ListRoleBindings(ctx, store.BindingFilter{UserID: u.ID})
		if err != nil || len(all) != 2 {
			t.Fatalf("ListRoleBindings = %v, %v", all, err)
		}
		onApp, _ := f.s.ListRoleBindings(ctx, store.BindingFilter{ScopeLevel: store.ScopeApp, ScopeID: app.ID})
		if len(onApp) != 1 || onApp[0].Role != "app.developer" || onApp[0].ExpiresAt == nil {
			t.Fatalf("app bindings = %+v", onApp)
		}
		f.clock.Advance(2 * time.Hour)
		if live, _ := f.s.ListRoleBindings(ctx, store.BindingFilter{UserID: u.ID}); len(live) != 1 || live[0].Role != "org.viewer" {
			t.Errorf("after expiry: %+v", live)
		}
		if err := f.s.DeleteRoleBinding(ctx, bs[0].ID); err != nil {
			t.Fatal(err)
		}
		if live, _ := f.s.ListRoleBindings(ctx, store.BindingFilter{UserID: u.ID}); len(live) != 0 {
			t.Errorf("after revoke: %+v", live)
		}
	})
}

func TestLeases(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		ok, err := f.s.AcquireLease(ctx, "poll:repo", "a", time.Minute)
		if err != nil || !ok {
			t.Fatalf("first acquire: %v %v", ok, err)
		}
		if ok, _ := f.s.AcquireLease(ctx, "poll:repo", "b", time.Minute); ok {
			t.Error("b took a lease a holds")
		}
		if ok, _ := f.s.AcquireLease(ctx, "poll:repo", "a", time.Minute); !ok {
			t.Error("a could not renew its lease")
		}
		f.clock.Advance(2 * time.Minute)
		if ok, _ := f.s.AcquireLease(ctx, "poll:repo", "b", time.Minute); !ok {
			t.Error("b could not take an expired lease")
		}
		if err := f.s.ReleaseLease(ctx, "poll:repo", "a"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := f.s.AcquireLease(ctx, "poll:repo", "a", time.Minute); ok {
			t.Error("a's release freed b's lease")
		}
		if err := f.s.ReleaseLease(ctx, "poll:repo", "b"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := f.s.AcquireLease(ctx, "poll:repo", "a", time.Minute); !ok {
			t.Error("a released lease was not free")
		}
	})
}
