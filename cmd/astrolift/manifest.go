package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"filippo.io/age"

	"github.com/astrolift/astrolift/render"
)

// exitCode ends the process with a code after the command has already told
// the user what went wrong (lint prints its own problem lines).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// runRender implements `astrolift render [flags] FILE`.
func runRender(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := fs.String("env", "", "environment whose [environments.<name>] overlay applies")
	image := fs.String("image", "", "image tag, digest (sha256:…) or full reference for containers without their own image")
	namespace := fs.String("namespace", "", "namespace of the objects (default <app>-<env>)")
	app := fs.String("app", "", "app slug (default: the manifest's directory name)")
	domain := fs.String("domain", "", "platform domain for public hostnames (default "+render.DefaultDomain+")")
	identity := fs.String("identity", "", "age identity file that opens sealed values; without it Secret values are masked")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: astrolift render [flags] FILE\n\nPrints the Kubernetes objects FILE renders to, as one YAML stream.\n\n")
		fs.PrintDefaults()
	}
	file, err := oneFileArg(fs, args)
	if err != nil {
		return err
	}
	m, err := parseManifestFile(file, stderr)
	if err != nil {
		return err
	}
	in := render.Input{App: *app, Environment: *env, Namespace: *namespace, Image: *image, Domain: *domain}
	if in.App == "" {
		in.App = appFromPath(file)
	}
	renderFn := render.Preview
	if *identity != "" {
		if in.Opened, err = openSealed(m.Environment(*env), *identity); err != nil {
			return err
		}
		renderFn = render.Render
	}
	objs, err := renderFn(m, in)
	if err != nil {
		return err
	}
	out, err := render.YAML(objs)
	if err != nil {
		return err
	}
	_, err = stdout.Write(out)
	return err
}

// runLint implements `astrolift lint FILE...`: one file:line:col line per
// problem on stderr, exit status 1 when there is any.
func runLint(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("lint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: astrolift lint FILE...\n\nChecks astrolift.toml files; prints one file:line:col: line per problem and exits 1 if there are any.\n")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitCode(2)
	}
	failed := false
	for _, file := range fs.Args() {
		if _, err := parseManifestFile(file, stderr); err != nil {
			if !errors.Is(err, exitCode(1)) {
				return err
			}
			failed = true
		}
	}
	if failed {
		return exitCode(1)
	}
	return nil
}

// runSeal implements `astrolift seal --recipient KEY`: stdin in, one sealed
// value out. A single trailing newline on stdin is dropped, so that
// `echo -n` and `echo` seal the same value.
func runSeal(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	recipient := fs.String("recipient", os.Getenv("ASTROLIFT_RECIPIENT"), "the platform's age recipient, age1… ($ASTROLIFT_RECIPIENT)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: astrolift seal --recipient KEY < value\n\nPrints sealed:v1:… for an [env] value; only the platform can open it.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *recipient == "" || fs.NArg() > 0 {
		fs.Usage()
		return exitCode(2)
	}
	r, err := render.ParseRecipient(*recipient)
	if err != nil {
		return err
	}
	plain, err := io.ReadAll(io.LimitReader(stdin, render.MaxManifestSize+1))
	if err != nil {
		return fmt.Errorf("read stdin: %w", err)
	}
	if len(plain) > render.MaxManifestSize {
		return fmt.Errorf("stdin: value is larger than %d bytes", render.MaxManifestSize)
	}
	plain = bytes.TrimSuffix(bytes.TrimSuffix(plain, []byte("\n")), []byte("\r"))
	sealed, err := render.Seal(r, plain)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, sealed)
	return err
}

func oneFileArg(fs *flag.FlagSet, args []string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return "", exitCode(2)
	}
	return fs.Arg(0), nil
}

// parseManifestFile reads and parses a manifest; problems in it go to
// stderr one per line and come back as exitCode(1).
func parseManifestFile(file string, stderr io.Writer) (*render.Manifest, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	m, err := render.Parse(file, raw)
	var list render.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Fprintln(stderr, e)
		}
		return nil, exitCode(1)
	}
	return m, err
}

var nonLabel = regexp.MustCompile(`[^a-z0-9-]+`)

// appFromPath guesses an app slug from the manifest's directory name.
func appFromPath(file string) string {
	abs, err := filepath.Abs(file)
	if err != nil {
		return "app"
	}
	name := strings.Trim(nonLabel.ReplaceAllString(strings.ToLower(filepath.Base(filepath.Dir(abs))), "-"), "-0123456789")
	if len(name) > 30 {
		name = strings.Trim(name[:30], "-")
	}
	if name == "" {
		return "app"
	}
	return name
}

func openSealed(m *render.Manifest, identityFile string) (map[string]string, error) {
	f, err := os.Open(identityFile)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		return nil, fmt.Errorf("identity %s: %w", identityFile, err)
	}
	return render.OpenAll(m, ids[0])
}
