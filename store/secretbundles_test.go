package store_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/astrolift/astrolift/store"
)

func bundleKeys(b *store.SecretBundle) []string {
	var out []string
	for _, k := range b.Keys {
		out = append(out, k.Key)
	}
	return out
}

// Secret bundles: created with sealed values, listed and read with their
// keys only, values set, rotated and removed (each moving updated_at),
// resolved by name for the deployer, soft-deleted (the name is free again,
// the new bundle starts empty), and scoped to their organization.
func TestSecretBundles(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		org, _, _ := seed(t, f.s, "")
		other := &store.Organization{Slug: "globex", Name: "Globex"}
		if err := f.s.CreateOrganization(ctx, other); err != nil {
			t.Fatal(err)
		}

		live := &store.SecretBundle{OrgID: org.ID, Name: "stripe-live", Description: "Stripe, live mode", CreatedBy: "ada@acme.test"}
		if err := f.s.CreateSecretBundle(ctx, live, map[string][]byte{"STRIPE_KEY": []byte("sealed-1"), "STRIPE_WEBHOOK": {0, 1, 2, 255}}); err != nil {
			t.Fatal(err)
		}
		if live.ID == 0 || live.CreatedAt.IsZero() || !live.UpdatedAt.Equal(live.CreatedAt) || len(live.Keys) != 2 {
			t.Fatalf("created %+v", live)
		}
		if err := f.s.CreateSecretBundle(ctx, &store.SecretBundle{OrgID: org.ID, Name: "stripe-live"}, nil); !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate name: %v, want ErrConflict", err)
		}
		// Another organization may use the name.
		if err := f.s.CreateSecretBundle(ctx, &store.SecretBundle{OrgID: other.ID, Name: "stripe-live"}, map[string][]byte{"STRIPE_KEY": []byte("globex")}); err != nil {
			t.Fatalf("same name in another organization: %v", err)
		}
		empty := &store.SecretBundle{OrgID: org.ID, Name: "empty"}
		if err := f.s.CreateSecretBundle(ctx, empty, nil); err != nil {
			t.Fatal(err)
		}

		got, err := f.s.GetSecretBundle(ctx, org.ID, "stripe-live")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != live.ID || got.Description != "Stripe, live mode" || got.CreatedBy != "ada@acme.test" ||
			!got.CreatedAt.Equal(live.CreatedAt) || len(got.Keys) != 2 || got.Keys[0].Key != "STRIPE_KEY" || got.Keys[1].Key != "STRIPE_WEBHOOK" ||
			!got.Keys[0].UpdatedAt.Equal(live.CreatedAt) {
			t.Fatalf("GetSecretBundle = %+v", got)
		}
		if _, err := f.s.GetSecretBundle(ctx, org.ID, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing bundle: %v", err)
		}
		list, err := f.s.ListSecretBundles(ctx, org.ID)
		if err != nil || len(list) != 2 || list[0].Name != "empty" || list[1].Name != "stripe-live" ||
			len(list[0].Keys) != 0 || len(list[1].Keys) != 2 {
			t.Fatalf("ListSecretBundles = %+v, %v", list, err)
		}

		// Rotate one value, add another: the key's and the bundle's
		// updated_at move; the other key's does not.
		f.clock.Advance(1e9)
		created, err := f.s.SetSecretBundleValue(ctx, live.ID, "STRIPE_KEY", []byte("sealed-2"))
		if err != nil || created {
			t.Fatalf("rotate: created %v, %v", created, err)
		}
		created, err = f.s.SetSecretBundleValue(ctx, live.ID, "STRIPE_ACCOUNT", []byte("sealed-3"))
		if err != nil || !created {
			t.Fatalf("add: created %v, %v", created, err)
		}
		got, _ = f.s.GetSecretBundle(ctx, org.ID, "stripe-live")
		if len(got.Keys) != 3 || got.Keys[0].Key != "STRIPE_ACCOUNT" || !got.UpdatedAt.After(live.UpdatedAt) {
			t.Fatalf("after set: %+v", got)
		}
		if !got.Keys[1].UpdatedAt.After(live.CreatedAt) || !got.Keys[2].UpdatedAt.Equal(live.CreatedAt) {
			t.Errorf("key times after rotating STRIPE_KEY: %+v", got.Keys)
		}

		vals, err := f.s.SecretBundleValues(ctx, org.ID, []string{"stripe-live", "empty", "nope"})
		if err != nil {
			t.Fatal(err)
		}
		if len(vals) != 2 || vals["empty"] == nil || len(vals["empty"]) != 0 || vals["nope"] != nil ||
			string(vals["stripe-live"]["STRIPE_KEY"]) != "sealed-2" || !bytes.Equal(vals["stripe-live"]["STRIPE_WEBHOOK"], []byte{0, 1, 2, 255}) ||
			string(vals["stripe-live"]["STRIPE_ACCOUNT"]) != "sealed-3" {
			t.Fatalf("SecretBundleValues = %q", vals)
		}
		if vals, err := f.s.SecretBundleValues(ctx, other.ID, []string{"stripe-live"}); err != nil || string(vals["stripe-live"]["STRIPE_KEY"]) != "globex" {
			t.Errorf("other organization's values = %q, %v", vals, err)
		}

		if err := f.s.DeleteSecretBundleValue(ctx, live.ID, "STRIPE_WEBHOOK"); err != nil {
			t.Fatal(err)
		}
		if err := f.s.DeleteSecretBundleValue(ctx, live.ID, "STRIPE_WEBHOOK"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("removing a missing key: %v", err)
		}
		got, _ = f.s.GetSecretBundle(ctx, org.ID, "stripe-live")
		if keys := bundleKeys(got); len(keys) != 2 || keys[0] != "STRIPE_ACCOUNT" || keys[1] != "STRIPE_KEY" {
			t.Errorf("keys after removing STRIPE_WEBHOOK: %v", keys)
		}

		// Soft delete: gone for reads, writes and the deployer; the name
		// can be taken again, by a bundle that starts empty.
		if err := f.s.DeleteSecretBundle(ctx, live.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.s.DeleteSecretBundle(ctx, live.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleting twice: %v", err)
		}
		if _, err := f.s.GetSecretBundle(ctx, org.ID, "stripe-live"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted bundle: %v", err)
		}
		if _, err := f.s.SetSecretBundleValue(ctx, live.ID, "STRIPE_KEY", []byte("x")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("setting a value of a deleted bundle: %v", err)
		}
		if err := f.s.DeleteSecretBundleValue(ctx, live.ID, "STRIPE_KEY"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("removing a value of a deleted bundle: %v", err)
		}
		if vals, _ := f.s.SecretBundleValues(ctx, org.ID, []string{"stripe-live"}); len(vals) != 0 {
			t.Errorf("deleted bundle's values handed out: %q", vals)
		}
		again := &store.SecretBundle{OrgID: org.ID, Name: "stripe-live"}
		if err := f.s.CreateSecretBundle(ctx, again, nil); err != nil {
			t.Fatalf("name of a deleted bundle: %v", err)
		}
		if got, err := f.s.GetSecretBundle(ctx, org.ID, "stripe-live"); err != nil || got.ID != again.ID || len(got.Keys) != 0 {
			t.Errorf("recreated bundle = %+v, %v", got, err)
		}
		if list, _ := f.s.ListSecretBundles(ctx, org.ID); len(list) != 2 {
			t.Errorf("list after delete and recreate: %d bundles, want 2", len(list))
		}
	})
}
