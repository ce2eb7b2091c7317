package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/astrolift/astrolift/store"
)

// signalTimeout is generous: the machine running the tests may be busy.
// No test asserts how fast a signal arrives.
const signalTimeout = 10 * time.Second

// waitSignal waits for a signal on ch.
func waitSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatalf("%s: subscription closed, want a signal", what)
		}
	case <-time.After(signalTimeout):
		t.Fatalf("%s: no signal within %s", what, signalTimeout)
	}
}

// drainSignal discards a pending signal, if any (signals are hints: a
// subscription may start with one).
func drainSignal(ch <-chan struct{}) {
	select {
	case <-ch:
	default:
	}
}

// waitClosed waits until ch is closed, discarding signals.
func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	deadline := time.After(signalTimeout)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatalf("%s: subscription not closed within %s", what, signalTimeout)
		}
	}
}

// readAfter pages through ListEvents{AfterID} from after until it returns
// nothing, checking that ids ascend.
func readAfter(t *testing.T, s *store.Store, after int64, limit int) []*store.Event {
	t.Helper()
	var out []*store.Event
	for {
		page, err := s.ListEvents(context.Background(), store.EventFilter{AfterID: after, Limit: limit})
		if err != nil {
			t.Fatalf("ListEvents after %d: %v", after, err)
		}
		if len(page) == 0 {
			return out
		}
		for _, e := range page {
			if e.ID <= after {
				t.Fatalf("ListEvents after %d returned id %d out of order", after, e.ID)
			}
			after = e.ID
		}
		out = append(out, page...)
	}
}

// lastID is the id of the newest event, or -1 (replay from the start)
// when there is none.
func lastID(t *testing.T, s *store.Store) int64 {
	t.Helper()
	evs, err := s.ListEvents(context.Background(), store.EventFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 {
		return -1
	}
	return evs[0].ID
}

func appendEvent(t *testing.T, s *store.Store, orgID int64, msg string) *store.Event {
	t.Helper()
	e := &store.Event{OrgID: orgID, Kind: "test.notify", Message: msg, Actor: "test"}
	if err := s.AppendEvent(context.Background(), e); err != nil {
		t.Fatalf("append %s: %v", msg, err)
	}
	return e
}

func messages(evs []*store.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Message
	}
	return out
}

func TestListEventsAfterID(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		org, _, a := seed(t, f.s, "web")
		var ids []int64
		for i := range 6 {
			e := &store.Event{OrgID: org.ID, Kind: "k", Message: fmt.Sprint(i)}
			if i%2 == 0 {
				e.AppID = a.ID
			}
			if err := f.s.AppendEvent(ctx, e); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, e.ID)
		}
		all, err := f.s.ListEvents(ctx, store.EventFilter{AfterID: -1})
		if got := fmt.Sprint(messages(all)); err != nil || got != "[0 1 2 3 4 5]" {
			t.Fatalf("AfterID -1 = %s, %v; want all, oldest first", got, err)
		}
		after, _ := f.s.ListEvents(ctx, store.EventFilter{AfterID: ids[1], Limit: 2})
		if got := fmt.Sprint(messages(after)); got != "[2 3]" {
			t.Errorf("AfterID %d Limit 2 = %s, want [2 3]", ids[1], got)
		}
		window, _ := f.s.ListEvents(ctx, store.EventFilter{AfterID: ids[0], BeforeID: ids[4]})
		if got := fmt.Sprint(messages(window)); got != "[1 2 3]" {
			t.Errorf("window = %s, want [1 2 3]", got)
		}
		app, _ := f.s.ListEvents(ctx, store.EventFilter{AppID: a.ID, AfterID: ids[0]})
		if got := fmt.Sprint(messages(app)); got != "[2 4]" {
			t.Errorf("app events after %d = %s, want [2 4]", ids[0], got)
		}
		newest, _ := f.s.ListEvents(ctx, store.EventFilter{BeforeID: ids[5], Limit: 2})
		if got := fmt.Sprint(messages(newest)); got != "[4 3]" {
			t.Errorf("BeforeID alone = %s, want newest first [4 3]", got)
		}
	})
}

func TestSubscribeEvents(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		org, _, _ := seed(t, f.s, "")
		appendEvent(t, f.s, org.ID, "before")
		sub, err := f.s.SubscribeEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if cap(sub) != 1 {
			t.Errorf("subscription buffers %d signals, want 1", cap(sub))
		}
		cursor := lastID(t, f.s)

		for _, m := range []string{"one", "two", "three"} {
			appendEvent(t, f.s, org.ID, m)
		}
		waitSignal(t, sub, "after 3 appends")
		got := readAfter(t, f.s, cursor, 0)
		if fmt.Sprint(messages(got)) != "[one two three]" {
			t.Fatalf("events after %d = %v, want [one two three]", cursor, messages(got))
		}
		cursor = got[len(got)-1].ID

		// A burst coalesces into (at least) one signal and loses nothing.
		for i := range 100 {
			appendEvent(t, f.s, org.ID, fmt.Sprint(i))
		}
		waitSignal(t, sub, "after a burst of 100")
		got = readAfter(t, f.s, cursor, 7)
		if len(got) != 100 {
			t.Fatalf("read %d events after the burst, want 100", len(got))
		}
		for i, e := range got {
			if e.Message != fmt.Sprint(i) {
				t.Fatalf("event %d of the burst is %q, want %q", i, e.Message, fmt.Sprint(i))
			}
		}
		// At most one signal is left over; reading after it finds nothing.
		drainSignal(sub)
		select {
		case <-sub:
			t.Errorf("a second signal was pending after draining: signals do not coalesce")
		default:
		}
		if rest := readAfter(t, f.s, got[len(got)-1].ID, 0); len(rest) != 0 {
			t.Errorf("%d events after the last one read", len(rest))
		}
	})
}

// Concurrent appenders (through two Stores on PostgreSQL) and a streaming
// reader: the reader sees every event exactly once, in id order, although
// signals coalesce and events commit concurrently.
func TestSubscribeEventsConcurrentAppends(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		org, _, _ := seed(t, f.s, "")
		writers := []*store.Store{f.s, f.s}
		if f.s.Driver() == store.Postgres {
			writers = append(writers, f.reopen(t), f.reopen(t))
		} else {
			writers = append(writers, f.s, f.s)
		}
		sub, err := f.s.SubscribeEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cursor := lastID(t, f.s)

		const each = 25
		total := len(writers) * each
		var wg sync.WaitGroup
		defer wg.Wait() // also when the test fails early
		for w, s := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					e := &store.Event{OrgID: org.ID, Kind: "test.concurrent", Message: fmt.Sprintf("%d/%d", w, i)}
					if err := s.AppendEvent(ctx, e); err != nil {
						t.Errorf("writer %d: %v", w, err)
						return
					}
				}
			}()
		}

		writersDone := make(chan struct{})
		go func() { wg.Wait(); close(writersDone) }()

		seen := map[string]bool{}
		read := func() {
			for _, e := range readAfter(t, f.s, cursor, 10) {
				if seen[e.Message] {
					t.Fatalf("event %q (id %d) read twice", e.Message, e.ID)
				}
				seen[e.Message] = true
				cursor = e.ID
			}
		}
		deadline := time.After(4 * signalTimeout)
		for len(seen) < total {
			select {
			case <-sub:
				read()
			case <-writersDone:
				// All committed: one last read, then anything
				// missing was skipped by the cursor for good.
				read()
				if len(seen) != total {
					t.Fatalf("read %d of %d events: the cursor skipped events that committed out of id order", len(seen), total)
				}
			case <-deadline:
				t.Fatalf("read %d of %d events before the deadline", len(seen), total)
			}
		}
		<-writersDone
		if rest := readAfter(t, f.s, cursor, 0); len(rest) != 0 {
			t.Errorf("%d more events than appended", len(rest))
		}
	})
}

func TestSubscribeEventsCancelAndClose(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		org, _, _ := seed(t, f.s, "")
		goroutinesBefore := runtime.NumGoroutine()
		s := f.reopen(t)

		keep, err := s.SubscribeEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		base := runtime.NumGoroutine() // the listener runs now (PostgreSQL)

		// Cancelled subscriptions are closed and cost nothing afterwards.
		var subs []<-chan struct{}
		var cancels []context.CancelFunc
		for range 50 {
			sctx, cancel := context.WithCancel(ctx)
			ch, err := s.SubscribeEvents(sctx)
			if err != nil {
				cancel()
				t.Fatal(err)
			}
			subs, cancels = append(subs, ch), append(cancels, cancel)
		}
		for _, cancel := range cancels {
			cancel()
		}
		for i, ch := range subs {
			waitClosed(t, ch, fmt.Sprintf("cancelled subscription %d", i))
		}
		waitGoroutines(t, base, "after cancelling 50 subscriptions")

		done, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.SubscribeEvents(done); err == nil {
			t.Errorf("SubscribeEvents with a cancelled context succeeded")
		}

		// The remaining subscription still works.
		drainSignal(keep)
		appendEvent(t, s, org.ID, "still there")
		waitSignal(t, keep, "remaining subscription")

		// Close returns promptly, closes the subscription and stops the
		// listener.
		closed := make(chan error, 1)
		go func() { closed <- s.Close() }()
		select {
		case err := <-closed:
			if err != nil {
				t.Fatalf("Close: %v", err)
			}
		case <-time.After(signalTimeout):
			t.Fatalf("Close did not return within %s", signalTimeout)
		}
		waitClosed(t, keep, "subscription after Close")
		if _, err := s.SubscribeEvents(ctx); err == nil {
			t.Errorf("SubscribeEvents after Close succeeded")
		}
		waitGoroutines(t, goroutinesBefore, "after Close")
	})
}

// waitGoroutines waits until no more than want goroutines run.
func waitGoroutines(t *testing.T, want int, what string) {
	t.Helper()
	deadline := time.Now().Add(signalTimeout)
	for {
		n := runtime.NumGoroutine()
		if n <= want {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%s: %d goroutines, want at most %d:\n%s", what, n, want, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// On PostgreSQL an event appended through one Store (one replica) signals
// the subscribers of another. SQLite signals are in-process only: there is
// no cross-store delivery to test.
func TestSubscribeEventsAcrossStores(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		if f.s.Driver() != store.Postgres {
			return
		}
		ctx := context.Background()
		org, _, _ := seed(t, f.s, "")
		a, b := f.s, f.reopen(t)
		sub, err := b.SubscribeEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		drainSignal(sub) // the listener's first LISTEN signals
		cursor := lastID(t, b)

		e := appendEvent(t, a, org.ID, "from A")
		waitSignal(t, sub, "B's subscription after an append through A")
		got := readAfter(t, b, cursor, 0)
		if len(got) != 1 || got[0].ID != e.ID || got[0].Message != "from A" {
			t.Fatalf("B reads %v after %d, want the event appended through A (id %d)", messages(got), cursor, e.ID)
		}
	})
}

// On PostgreSQL the listener survives the loss of its connection: it
// reconnects, signals (events may have been missed) and hears NOTIFYs again.
func TestSubscribeEventsReconnect(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		if f.s.Driver() != store.Postgres {
			return
		}
		ctx := context.Background()
		org, _, _ := seed(t, f.s, "")
		a, b := f.s, f.reopen(t)
		sub, err := b.SubscribeEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		drainSignal(sub)
		cursor := lastID(t, b)

		admin, err := sql.Open("pgx", f.url)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = admin.Close() }()
		// The listener of this test's schema: B's, the only one.
		listener := func() int {
			t.Helper()
			var pid int
			err := admin.QueryRowContext(ctx,
				`SELECT pid FROM pg_stat_activity
				 WHERE datname = current_database() AND pid <> pg_backend_pid()
				   AND query LIKE 'LISTEN %' AND strpos(query, current_schema()) > 0`).Scan(&pid)
			if err != nil {
				t.Fatalf("find the listener's backend: %v", err)
			}
			return pid
		}
		kill := func(pid int) {
			t.Helper()
			var ok bool
			if err := admin.QueryRowContext(ctx, `SELECT pg_terminate_backend($1)`, pid).Scan(&ok); err != nil || !ok {
				t.Fatalf("terminate backend %d: %v, %v", pid, ok, err)
			}
		}

		// Kill the listener: it reconnects and signals.
		pid := listener()
		kill(pid)
		waitSignal(t, sub, "after the listener's reconnection")
		if again := listener(); again == pid {
			t.Fatalf("the listener still runs on backend %d", pid)
		}
		// Its new connection hears NOTIFYs.
		e := appendEvent(t, a, org.ID, "after reconnect")
		waitSignal(t, sub, "an append through A after the reconnection")
		if got := readAfter(t, b, cursor, 0); len(got) != 1 || got[0].ID != e.ID {
			t.Fatalf("B reads %v, want the event appended after the reconnection", messages(got))
		}
		cursor = e.ID

		// An event appended while the listener is away is signalled too.
		drainSignal(sub)
		kill(listener())
		e = appendEvent(t, a, org.ID, "while away")
		waitSignal(t, sub, "an append while the listener was away")
		if got := readAfter(t, b, cursor, 0); len(got) != 1 || got[0].ID != e.ID {
			t.Fatalf("B reads %v, want the event appended while the listener was away", messages(got))
		}
	})
}
