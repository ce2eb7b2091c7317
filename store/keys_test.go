package store_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/astrolift/astrolift/store"
)

// The first EnsurePlatformKey stores the key; later ones return it and
// never replace it.
func TestPlatformKeys(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		first, err := f.s.EnsurePlatformKey(ctx, store.PlatformKey{Name: "age", Public: "age1first", Sealed: []byte{1, 2}})
		if err != nil {
			t.Fatal(err)
		}
		again, err := f.s.EnsurePlatformKey(ctx, store.PlatformKey{Name: "age", Public: "age1second", Sealed: []byte{3}})
		if err != nil {
			t.Fatal(err)
		}
		if first.Public != "age1first" || again.Public != "age1first" || !bytes.Equal(again.Sealed, []byte{1, 2}) {
			t.Fatalf("first %+v, again %+v: want the first key kept", first, again)
		}
	})
}
