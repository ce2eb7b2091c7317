package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/astrolift/astrolift/api"
	"github.com/astrolift/astrolift/store"
)

// runUsersAdd implements `astrolift users add --email E [--name N] [--role R]`
// against the database directly (like migrate): how the first admin of an
// `astrolift serve` installation is made. The password is read without echo
// from a terminal, else from the first line of stdin. The organization
// "default" is created when the database has none.
func runUsersAdd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var c config
	fs, err := newFlagSet("users add", &c, "data")
	if err != nil {
		return err
	}
	fs.SetOutput(stderr)
	email := fs.String("email", "", "the user's email (required)")
	name := fs.String("name", "", "display name (default: the email)")
	role := fs.String("role", "org.owner", "an ORG-level role to grant: org.owner, org.admin, org.member or org.viewer")
	orgSlug := fs.String("org", "default", "organization slug")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" {
		fs.Usage()
		return exitCode(2)
	}
	if !strings.HasPrefix(*role, "org.") {
		return fmt.Errorf("--role %q: only ORG roles here; grant team and app roles in the API", *role)
	}
	s, err := store.Open(ctx, c.databaseURL(), store.Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	org, err := s.GetOrganization(ctx, *orgSlug)
	if errors.Is(err, store.ErrNotFound) {
		org = &store.Organization{Slug: *orgSlug, Name: *orgSlug}
		err = s.CreateOrganization(ctx, org)
	}
	if err != nil {
		return err
	}
	fmt.Fprint(stderr, "Password (at least 8 characters): ")
	password, err := readPassword(stdin, bufio.NewReader(stdin))
	fmt.Fprintln(stderr)
	if err != nil {
		return err
	}
	hash, err := api.HashPassword(password)
	if err != nil {
		return err
	}
	if *name == "" {
		*name = *email
	}
	u := &store.User{OrgID: org.ID, Email: *email, Name: *name, PasswordHash: hash}
	if err := s.CreateUser(ctx, u); err != nil {
		return err
	}
	if err := s.CreateRoleBinding(ctx, &store.RoleBinding{OrgID: org.ID, UserID: u.ID, Role: *role, ScopeLevel: store.ScopeOrg, ScopeID: org.ID}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "User %s created in organization %s with role %s\n", u.Email, org.Slug, *role)
	return nil
}
