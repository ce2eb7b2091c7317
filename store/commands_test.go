package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/astrolift/astrolift/store"
)

func TestCommands(t *testing.T) {
	forEachDriver(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		org, _, app := seed(t, f.s, "web")
		env := &store.Environment{AppID: app.ID, Name: "production", Namespace: "web-prod"}
		if err := f.s.CreateEnvironment(ctx, env); err != nil {
			t.Fatal(err)
		}
		var users []*store.User
		for _, email := range []string{"ada@acme.test", "bob@acme.test"} {
			u := &store.User{OrgID: org.ID, Email: email, Name: email}
			if err := f.s.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			users = append(users, u)
		}
		ada, bob := users[0], users[1]

		c := &store.Command{OrgID: org.ID, AppID: app.ID, EnvironmentID: env.ID, UserID: ada.ID,
			Workload: "web", Container: "web", Pod: "web-1", Command: "echo hi"}
		if err := f.s.StartCommand(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, err := f.s.GetCommand(ctx, c.ID)
		if err != nil || got.Command != "echo hi" || got.Pod != "web-1" || got.ExitCode != nil || got.FinishedAt != nil || got.StartedAt.IsZero() {
			t.Fatalf("started command = %+v, %v", got, err)
		}
		three := 3
		if err := f.s.FinishCommand(ctx, c.ID, &three, ""); err != nil {
			t.Fatal(err)
		}
		got, err = f.s.GetCommand(ctx, c.ID)
		if err != nil || got.ExitCode == nil || *got.ExitCode != 3 || got.FinishedAt == nil || got.Error != "" {
			t.Fatalf("finished command = %+v, %v", got, err)
		}
		if err := f.s.FinishCommand(ctx, 999999, nil, "stopped"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("finish a missing command: %v, want ErrNotFound", err)
		}

		// Bob's command is his own; Ada's history keeps her newest 20.
		if err := f.s.StartCommand(ctx, &store.Command{OrgID: org.ID, AppID: app.ID, EnvironmentID: env.ID, UserID: bob.ID, Workload: "web", Command: "ls"}); err != nil {
			t.Fatal(err)
		}
		for i := range 24 {
			f.clock.Advance(time.Second)
			cmd := &store.Command{OrgID: org.ID, AppID: app.ID, EnvironmentID: env.ID, UserID: ada.ID, Workload: "web", Command: fmt.Sprintf("echo %d", i)}
			if err := f.s.StartCommand(ctx, cmd); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				if err := f.s.FinishCommand(ctx, cmd.ID, nil, "stopped"); err != nil {
					t.Fatal(err)
				}
			}
		}
		l, err := f.s.ListCommands(ctx, app.ID, ada.ID)
		if err != nil || len(l) != store.CommandHistory {
			t.Fatalf("Ada's commands: %d, %v; want %d", len(l), err, store.CommandHistory)
		}
		if l[0].Command != "echo 23" || l[19].Command != "echo 4" {
			t.Errorf("Ada's commands from %q to %q, want newest first from echo 23 to echo 4", l[0].Command, l[19].Command)
		}
		if _, err := f.s.GetCommand(ctx, c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the oldest command survived pruning: %v", err)
		}
		if l, err := f.s.ListCommands(ctx, app.ID, bob.ID); err != nil || len(l) != 1 || l[0].Command != "ls" {
			t.Errorf("Bob's commands = %v, %v", l, err)
		}
	})
}
