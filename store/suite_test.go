package store_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/astrolift/astrolift/internal/testdb"
	"github.com/astrolift/astrolift/store"
)

// The conformance suite: every store test runs once per driver, as
// subtests named after the driver (TestApps/sqlite, TestApps/postgres).

// clock is a settable time source shared by a test and its store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond) // strictly increasing, like a real clock
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is what a suite test receives.
type fixture struct {
	s     *store.Store
	url   string // reopens the same database
	clock *clock
	opts  store.Options
}

func (f *fixture) reopen(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), f.url, f.opts)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// forEachDriver runs fn against a fresh, migrated database of each driver.
// The PostgreSQL half needs ASTROLIFT_TEST_DATABASE_URL; without it, it
// fails under CI and skips (saying so) elsewhere.
func forEachDriver(t *testing.T, fn func(t *testing.T, f *fixture)) {
	t.Helper()
	t.Run(string(store.SQLite), func(t *testing.T) {
		u := "sqlite://" + filepath.Join(t.TempDir(), "astrolift.db")
		fn(t, open(t, u))
	})
	t.Run(string(store.Postgres), func(t *testing.T) {
		fn(t, open(t, testdb.PostgresURL(t)))
	})
}

func open(t *testing.T, u string) *fixture {
	t.Helper()
	f := &fixture{url: u, clock: newClock()}
	f.opts = store.Options{Now: f.clock.Now, SlugGrace: time.Hour}
	s, err := store.Open(context.Background(), u, f.opts)
	if err != nil {
		t.Fatalf("open %s: %v", u, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	f.s = s
	return f
}
