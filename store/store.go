package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)

// Errors callers branch on. They are wrapped with the object concerned.
var (
	// ErrNotFound means no live (non-deleted) row matched.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a uniqueness rule or a compare-and-set failed.
	ErrConflict = errors.New("conflict")
)

// Driver names a database backend.
type Driver string

// The two drivers.
const (
	SQLite   Driver = "sqlite"
	Postgres Driver = "postgres"
)

// DefaultSlugGrace is how long a soft-deleted app keeps its slug reserved
// (so that it can be restored) before another app may take it.
const DefaultSlugGrace = 7 * 24 * time.Hour

// Options tune Open.
type Options struct {
	// SkipMigrate opens the database without running migrations.
	SkipMigrate bool
	// SlugGrace overrides DefaultSlugGrace. Negative means no grace.
	SlugGrace time.Duration
	// Now overrides the clock (tests).
	Now func() time.Time
}

// Store is the database. It is safe for concurrent use.
type Store struct {
	db        *sql.DB
	driver    Driver
	slugGrace time.Duration
	now       func() time.Time

	dsn           string // PostgreSQL: the listener's own connection uses it
	eventsChannel string // PostgreSQL: the NOTIFY channel of this schema
	eventsLock    int64  // PostgreSQL: advisory lock key serializing AppendEvent
	events        eventHub
}

// Open connects to url and, unless opts.SkipMigrate, migrates the schema to
// the latest version. url is either postgres://… / postgresql://…, or a
// SQLite location: sqlite://PATH, file:PATH or a plain file path.
func Open(ctx context.Context, rawURL string, opts Options) (*Store, error) {
	driver, dsn, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	var db *sql.DB
	switch driver {
	case Postgres:
		db, err = sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		db.SetMaxOpenConns(20)
		db.SetConnMaxIdleTime(5 * time.Minute)
	case SQLite:
		db, err = sql.Open("sqlite", dsn)
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		// One writer at a time is SQLite's model; readers use WAL.
		db.SetMaxOpenConns(4)
	}
	s := &Store{db: db, driver: driver, dsn: dsn, slugGrace: DefaultSlugGrace, now: time.Now}
	if opts.SlugGrace != 0 {
		s.slugGrace = max(opts.SlugGrace, 0)
	}
	if opts.Now != nil {
		s.now = opts.Now
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("connect to %s database %s: %w", driver, redactURL(rawURL), err)
	}
	if !opts.SkipMigrate {
		if _, err := s.Migrate(ctx); err != nil {
			_ = db.Close()
			return nil, err
		}
	}
	if driver == Postgres {
		if err := s.initEventsChannel(ctx); err != nil {
			_ = db.Close()
			return nil, err
		}
	}
	return s, nil
}

// parseURL maps a database URL to a driver and its DSN.
func parseURL(raw string) (Driver, string, error) {
	switch {
	case raw == "":
		return "", "", errors.New("database URL is empty")
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		return Postgres, raw, nil
	}
	path := raw
	switch {
	case strings.HasPrefix(raw, "sqlite://"):
		path = strings.TrimPrefix(raw, "sqlite://")
	case strings.HasPrefix(raw, "sqlite:"):
		path = strings.TrimPrefix(raw, "sqlite:")
	case strings.HasPrefix(raw, "file:"):
		path = strings.TrimPrefix(raw, "file:")
	case strings.Contains(raw, "://"):
		return "", "", fmt.Errorf("database URL %q: unsupported scheme (use postgres://… or a SQLite file path)", redactURL(raw))
	}
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == "" {
		return "", "", fmt.Errorf("database URL %q: empty SQLite file path", raw)
	}
	if path != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return "", "", fmt.Errorf("database %s: create directory: %w", path, err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_time_format", "sqlite")
	q.Set("_txlock", "immediate")
	return SQLite, "file:" + path + "?" + q.Encode(), nil
}

// redactURL hides a password in a database URL.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}

// Driver reports which backend the store uses.
func (s *Store) Driver() Driver { return s.driver }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("%s database: %w", s.driver, err)
	}
	var one int
	if err := s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("%s database: %w", s.driver, err)
	}
	return nil
}

// Close stops the events listener, closes every channel returned by
// SubscribeEvents and closes the database.
func (s *Store) Close() error {
	s.events.close()
	return s.db.Close()
}

// queryer is what both *sql.DB and *sql.Tx offer.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// tx runs fn in a transaction, committing if it returns nil.
func (s *Store) tx(ctx context.Context, fn func(q queryer) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// timestamp returns the store's clock in UTC, truncated to microseconds
// (PostgreSQL's precision) so that both drivers round-trip it exactly.
func (s *Store) timestamp() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}

// isUniqueViolation reports whether err is a unique-constraint failure.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || // sqlite
		strings.Contains(msg, "SQLSTATE 23505") // postgres unique_violation
}

// notFound turns sql.ErrNoRows into ErrNotFound naming what.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// nullTime maps a nullable timestamp column.
func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time.UTC()
	return &v
}

// clampLimit applies the list defaults: 50 rows, at most 500.
func clampLimit(n int) int {
	if n <= 0 {
		return 50
	}
	return min(n, 500)
}

// nullInt binds an optional id (0 means NULL).
func nullInt(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
