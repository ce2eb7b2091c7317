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
// Every store test is part of one conformance suite that runs against both
// drivers; the PostgreSQL half uses ASTROLIFT_TEST_DATABASE_URL.
package store
