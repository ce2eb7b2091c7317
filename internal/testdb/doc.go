// Package testdb gives tests a fresh PostgreSQL schema on the server named
// by ASTROLIFT_TEST_DATABASE_URL (for example
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable).
//
// Without that variable, PostgresURL fails the test when CI is set (the
// PostgreSQL half must run in CI) and skips it, saying so, elsewhere.
package testdb
