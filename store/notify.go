package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Live fan-out of new events.
//
// A subscriber's channel carries no data: a signal only means "events may
// have been appended, read them with ListEvents{AfterID: last seen}". So
// signals coalesce (the channel buffers one) and a send never blocks; a
// missed signal loses nothing as long as the subscriber reads after each one.
//
// One eventHub per Store fans signals out to all its subscribers. On
// PostgreSQL the hub also runs one listener: a goroutine holding its own
// connection (not one of the pool's) that LISTENs on the schema's channel
// and signals on every NOTIFY, which AppendEvent sends from any process.

// Tuning of the PostgreSQL listener.
const (
	// eventsChannelBase is the NOTIFY channel of the public schema. Other
	// schemas get their own (eventsChannelName).
	eventsChannelBase = "astrolift_events"
	// listenConnectTimeout bounds one attempt to connect and LISTEN.
	listenConnectTimeout = 10 * time.Second
	// listenIdle is how long the listener waits for a notification before
	// it pings the server, to notice a connection that died silently.
	listenIdle = 30 * time.Second
	// listenPingTimeout bounds that ping.
	listenPingTimeout = 5 * time.Second
	// listenBackoffMin and listenBackoffMax bound the (doubling) delay
	// between reconnection attempts.
	listenBackoffMin = 100 * time.Millisecond
	listenBackoffMax = 5 * time.Second
)

// errStoreClosed is returned by SubscribeEvents after Close.
var errStoreClosed = errors.New("store is closed")

// SubscribeEvents returns a channel that receives a signal whenever an event
// may have been appended: on PostgreSQL by any process using the same
// database and schema, on SQLite by this Store. The signal carries no data
// and coalesces (the channel buffers one, sends never block): on each one,
// read the events after the last one seen with ListEvents{AfterID: last},
// paging until it returns nothing. Subscribe before the first read, so
// that nothing appended in between goes unsignalled.
//
// Spurious signals happen, e.g. after the PostgreSQL listener reconnected
// (events may have been appended while it was away).
//
// The channel is closed when ctx ends or the Store is closed. On PostgreSQL
// the first subscription starts the Store's listener and SubscribeEvents
// returns once it is listening, or the error of its connection attempt.
func (s *Store) SubscribeEvents(ctx context.Context) (<-chan struct{}, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("subscribe to events: %w", err)
	}
	h := &s.events
	ch := make(chan struct{}, 1)

	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, fmt.Errorf("subscribe to events: %w", errStoreClosed)
	}
	h.init()
	if s.driver == Postgres && h.cancel == nil {
		if err := s.startListener(); err != nil {
			h.mu.Unlock()
			return nil, fmt.Errorf("subscribe to events: %w", err)
		}
	}
	h.subs[ch] = nil
	ready := s.driver != Postgres || h.listening
	attempt := h.attempt
	h.mu.Unlock()

	if !ready {
		// Wait for the listener's next connection attempt, so that the
		// caller learns of a database it cannot listen to.
		select {
		case <-attempt:
		case <-ctx.Done():
		case <-h.closing:
		}
		h.mu.Lock()
		var err error
		switch {
		case h.closed:
			err = errStoreClosed
		case ctx.Err() != nil:
			err = ctx.Err()
		case !h.listening:
			err = h.lastErr
		}
		h.mu.Unlock()
		if err != nil {
			h.remove(ch)
			return nil, fmt.Errorf("subscribe to events: %w", err)
		}
	}

	// No goroutine per subscriber: the context calls back when it ends.
	stop := context.AfterFunc(ctx, func() { h.remove(ch) })
	h.mu.Lock()
	if _, ok := h.subs[ch]; ok {
		h.subs[ch] = stop
	} else {
		stop() // closed meanwhile (Close or ctx): ch is already closed
	}
	h.mu.Unlock()
	return ch, nil
}

// notifyEvents signals this Store's subscribers. AppendEvent calls it after
// commit.
func (s *Store) notifyEvents() { s.events.broadcast() }

// eventHub holds a Store's subscribers and, on PostgreSQL, its listener.
// The zero value is ready to use.
type eventHub struct {
	mu     sync.Mutex
	subs   map[chan struct{}]func() bool // subscriber → stop of its context.AfterFunc
	closed bool
	// closing is closed by close, to wake SubscribeEvents callers waiting
	// for the listener.
	closing chan struct{}

	// The PostgreSQL listener.
	cancel    context.CancelFunc // stops it; nil until started
	done      chan struct{}      // closed when it has stopped
	listening bool               // LISTEN is in effect
	lastErr   error              // why it is not listening
	attempt   chan struct{}      // closed and replaced after each connection attempt
}

// init allocates what the zero value lacks. h.mu must be held.
func (h *eventHub) init() {
	if h.subs == nil {
		h.subs = make(map[chan struct{}]func() bool)
		h.closing = make(chan struct{})
		h.attempt = make(chan struct{})
	}
}

// broadcast sends a signal to every subscriber that has none pending.
func (h *eventHub) broadcast() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.broadcastLocked()
}

func (h *eventHub) broadcastLocked() {
	for ch := range h.subs {
		select {
		case ch <- struct{}{}:
		default: // one is pending: it covers this one too
		}
	}
}

// remove closes and forgets a subscriber, if it is still there. Channels
// are only closed here and in close, under h.mu, which is also held while
// sending: a send never meets a closed channel.
func (h *eventHub) remove(ch chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[ch]; ok {
		delete(h.subs, ch)
		close(ch)
	}
}

// close closes every subscriber and stops the listener, waiting for it.
// It is idempotent.
func (h *eventHub) close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	for ch, stop := range h.subs {
		if stop != nil {
			stop()
		}
		close(ch)
	}
	h.subs = nil
	if h.closing != nil {
		close(h.closing)
	}
	cancel, done := h.cancel, h.done
	h.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// attempted records the outcome of a connection attempt of the listener
// (err == nil: it is listening) and, on success, signals every subscriber:
// events may have been appended while it was not listening.
func (h *eventHub) attempted(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.listening, h.lastErr = err == nil, err
	close(h.attempt)
	h.attempt = make(chan struct{})
	if err == nil {
		h.broadcastLocked()
	}
}

// dropped records that the listener lost its connection.
func (h *eventHub) dropped(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.listening, h.lastErr = false, err
}

// initEventsChannel sets the PostgreSQL NOTIFY channel and the lock key of
// AppendEvent from the current schema (Open calls it).
//
// NOTIFY channels belong to a database, not a schema, so the channel is
// named after the schema: "astrolift_events" for public (or when no schema
// resolves), "astrolift_events:SCHEMA" otherwise, so that stores on other
// schemas of the same database (tests, tenants) do not wake each other up.
// A schema too long for a channel name (63 bytes) is hashed.
func (s *Store) initEventsChannel(ctx context.Context) error {
	var schema sql.NullString
	if err := s.db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("events channel: current schema: %w", err)
	}
	s.eventsChannel = eventsChannelName(schema.String)
	k := fnv.New64a()
	k.Write([]byte(s.eventsChannel))
	s.eventsLock = int64(k.Sum64())
	return nil
}

// eventsChannelName names the NOTIFY channel of a schema.
func eventsChannelName(schema string) string {
	if schema == "" || schema == "public" {
		return eventsChannelBase
	}
	name := eventsChannelBase + ":" + schema
	if len(name) > 63 { // PostgreSQL's NAMEDATALEN - 1
		sum := sha256.Sum256([]byte(schema))
		name = eventsChannelBase + ":" + hex.EncodeToString(sum[:8])
	}
	return name
}

// startListener starts the PostgreSQL listener. s.events.mu must be held.
//
// The listener has a connection of its own (pgx.ConnectConfig with the
// Store's DSN) rather than one taken from the database/sql pool: it does
// not shrink the pool, and a dropped connection is simply closed and dialled
// again without involving database/sql's bad-connection handling.
func (s *Store) startListener() error {
	cfg, err := pgx.ParseConfig(s.dsn)
	if err != nil {
		return fmt.Errorf("events listener: parse database URL: %w", err)
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "astrolift events listener"
	}
	h := &s.events
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan struct{})
	go s.listen(ctx, cfg)
	return nil
}

// listen keeps a connection LISTENing until ctx ends, reconnecting with
// backoff when the connection fails.
func (s *Store) listen(ctx context.Context, cfg *pgx.ConnConfig) {
	h := &s.events
	defer close(h.done)
	delay := listenBackoffMin
	for {
		connected, err := s.listenOnce(ctx, cfg)
		if ctx.Err() != nil {
			return
		}
		if connected {
			h.dropped(err)
			delay = listenBackoffMin
		} else {
			h.attempted(err)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		delay = min(2*delay, listenBackoffMax)
	}
}

// listenOnce connects, LISTENs and signals subscribers on each
// notification until the connection fails or ctx ends. connected reports
// whether LISTEN was in effect (and attempted called).
func (s *Store) listenOnce(ctx context.Context, cfg *pgx.ConnConfig) (connected bool, err error) {
	cctx, cancel := context.WithTimeout(ctx, listenConnectTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		return false, fmt.Errorf("events listener: connect: %w", err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(ctx)
	}()
	if _, err := conn.Exec(cctx, "LISTEN "+pgx.Identifier{s.eventsChannel}.Sanitize()); err != nil {
		return false, fmt.Errorf("events listener: listen on %s: %w", s.eventsChannel, err)
	}
	s.events.attempted(nil)
	for {
		wctx, cancel := context.WithTimeout(ctx, listenIdle)
		_, err := conn.WaitForNotification(wctx)
		idle := wctx.Err() != nil
		cancel()
		switch {
		case err == nil:
			s.events.broadcast()
		case ctx.Err() != nil:
			return true, ctx.Err()
		case idle && !conn.IsClosed():
			// Nothing for a while: make sure the server is still there
			// (a connection can die without the socket saying so).
			pctx, cancel := context.WithTimeout(ctx, listenPingTimeout)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return true, fmt.Errorf("events listener: ping: %w", err)
			}
		default:
			return true, fmt.Errorf("events listener on %s: %w", s.eventsChannel, err)
		}
	}
}
