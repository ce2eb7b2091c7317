// Package store is Astrolift's database: the schema, its versioned
// migrations and every query, behind one API with two drivers.
//
//   - SQLite (pure Go, modernc.org/sqlite) is the embedded default: one file
//     in the data directory, used by `astrolift dev`.
//   - PostgreSQL (jackc/pgx/v5) is for production: `--database-url postgres://…`.
//
// Both drivers run the same SQL; migrations are written once with a few
// type tokens ({{id}}, {{time}}, {{blob}}) that each driver spells its own
// way. Migrations are versioned, forward-only and transactional, and run on
// Open unless disabled (`astrolift migrate` runs them alone).
//
// The store owns storage rules (uniqueness, soft deletes, the slug grace
// window, compare-and-set of a deployment's status) but no business rules:
// which lifecycle transitions are legal, who may do what and when to deploy
// belong to the reconciler and api packages.
//
// SubscribeEvents is the store side of the live event stream. It returns a
// channel that receives a data-less, coalesced signal whenever an event may
// have been appended; the subscriber then reads what it has not seen with
// ListEvents{AfterID: last}, which returns events oldest first, so a signal
// that is missed or merged with others loses nothing, and a client that
// reconnects with its last id gets what it missed. On PostgreSQL,
// AppendEvent sends a NOTIFY in its transaction and each Store runs one
// listener connection (started by the first subscription, reconnecting with
// backoff, stopped by Close) for all its subscribers, so every replica
// hears of every event; the channel is named after the schema. On SQLite
// the signal is in-process: a Store hears only of its own appends.
//
// Every store test is part of one conformance suite that runs against both
// drivers; the PostgreSQL half uses ASTROLIFT_TEST_DATABASE_URL.
package store
