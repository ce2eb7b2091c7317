package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `astrolift: GitOps app platform

Usage:
  astrolift serve    [flags]   run the API and dashboard
  astrolift dev      [flags]   run with SQLite and a local control plane (./data)
  astrolift migrate  [flags]   apply database migrations and exit
  astrolift render   [flags] FILE   print the Kubernetes objects an astrolift.toml renders to
  astrolift lint     FILE...   check astrolift.toml files; one file:line:col line per problem
  astrolift seal     --recipient KEY   seal stdin as a sealed:v1: value for [env]
  astrolift users add --email E [--role org.owner]   create a user in the database (first admin of serve)
  astrolift login    --server URL   log in and store an API token for the commands below
  astrolift apps     list|create|show   list, register and show apps
  astrolift deploy   --app SLUG --env NAME --image REF [--digest sha256:…]   deploy from CI (deploy token) and follow it
  astrolift version            print the version

Run "astrolift <command> -h" for a command's flags.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "serve":
		err = runServe(ctx, args)
	case "dev":
		err = runDev(ctx, args)
	case "migrate":
		err = runMigrate(ctx, args)
	case "render":
		err = runRender(args, os.Stdout, os.Stderr)
	case "lint":
		err = runLint(args, os.Stderr)
	case "seal":
		err = runSeal(args, os.Stdin, os.Stdout, os.Stderr)
	case "users":
		if len(args) == 0 || args[0] != "add" {
			fmt.Fprintf(os.Stderr, "astrolift: usage: astrolift users add --email E [--name N] [--role R]\n")
			os.Exit(2)
		}
		err = runUsersAdd(ctx, args[1:], os.Stdin, os.Stdout, os.Stderr)
	case "login":
		err = runLogin(args, os.Stdin, os.Stdout, os.Stderr)
	case "apps":
		err = runApps(args, os.Stdout, os.Stderr)
	case "deploy":
		err = runDeploy(ctx, args, os.Getenv, os.Stdout, os.Stderr)
	case "version", "--version", "-v":
		fmt.Println(versionString())
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "astrolift: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		var code exitCode
		if errors.As(err, &code) {
			os.Exit(int(code))
		}
		fmt.Fprintf(os.Stderr, "astrolift: %v\n", err)
		os.Exit(1)
	}
}
