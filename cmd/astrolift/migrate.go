package main

import (
	"context"
	"fmt"

	"github.com/astrolift/astrolift/store"
)

func runMigrate(ctx context.Context, args []string) error {
	c, _, err := parseFlags("migrate", args)
	if err != nil {
		return err
	}
	s, err := store.Open(ctx, c.databaseURL(), store.Options{SkipMigrate: true})
	if err != nil {
		return err
	}
	defer s.Close()
	applied, err := s.Migrate(ctx)
	if err != nil {
		return err
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("%s database at schema version %d (applied now: %v)\n", s.Driver(), v, applied)
	return nil
}
