package render

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"
)

// editCase is one SetEnv (del false) or DeleteEnv (del true) call.
type editCase struct {
	name            string
	in              string
	del             bool
	env, key, value string
	want            string
}

var editCases = []editCase{
	// 1. [env] / [environments.<env>.env] table headers.
	{name: "header base set existing keeps comment", in: "[env]\nA = \"1\"   # note\nB = \"2\"\n", key: "A", value: "x",
		want: "[env]\nA = \"x\"   # note\nB = \"2\"\n"},
	{name: "header base set new after last key", in: "# top\n[env]\nA = \"1\" # a\n\n# about other\n[other]\nx = 1\n", key: "NEW", value: "v",
		want: "# top\n[env]\nA = \"1\" # a\nNEW = \"v\"\n\n# about other\n[other]\nx = 1\n"},
	{name: "header base set new in empty table", in: "[env]\n\n[other]\nx = 1\n", key: "NEW", value: "v",
		want: "[env]\nNEW = \"v\"\n\n[other]\nx = 1\n"},
	{name: "header base set new in empty table with comment", in: "[env] # vars\n# none yet\n", key: "NEW", value: "v",
		want: "[env] # vars\nNEW = \"v\"\n# none yet\n"},
	{name: "header base delete", in: "[env]\nA = \"1\" # gone too\nB = \"2\"\n\n[other]\n", del: true, key: "A",
		want: "[env]\nB = \"2\"\n\n[other]\n"},
	{name: "header base delete last key", in: "[env]\nA = \"1\"\n", del: true, key: "A", want: "[env]\n"},
	{name: "header env set existing", in: "[environments.staging.env]\nA = \"1\"\n", env: "staging", key: "A", value: "2",
		want: "[environments.staging.env]\nA = \"2\"\n"},
	{name: "header env set new indented", in: "[environments.staging]\nx = 1\n  [environments.staging.env]\n  A = \"1\"\n[environments.prod]\n", env: "staging", key: "B", value: "2",
		want: "[environments.staging]\nx = 1\n  [environments.staging.env]\n  A = \"1\"\n  B = \"2\"\n[environments.prod]\n"},
	{name: "header env set new in empty indented table", in: "  [ environments . staging . env ]\n", env: "staging", key: "B", value: "2",
		want: "  [ environments . staging . env ]\n  B = \"2\"\n"},
	{name: "header env delete", in: "[environments.staging.env]\nA = \"1\"\nB = \"2\" # b\nC = \"3\"\n", env: "staging", del: true, key: "B",
		want: "[environments.staging.env]\nA = \"1\"\nC = \"3\"\n"},
	{name: "header with sub-table before it", in: "[env.sub]\nx = 1\n\n[env]\nA = \"1\"\n", key: "B", value: "2",
		want: "[env.sub]\nx = 1\n\n[env]\nA = \"1\"\nB = \"2\"\n"},

	// 2. Inline tables.
	{name: "inline base set existing", in: "env = { A = \"1\", B = \"2\" } # c\n", key: "A", value: "x",
		want: "env = { A = \"x\", B = \"2\" } # c\n"},
	{name: "inline base set new", in: "env = { A = \"1\", B = \"2\" }\n", key: "C", value: "3",
		want: "env = { A = \"1\", B = \"2\", C = \"3\" }\n"},
	{name: "inline base set new in empty", in: "env = {}\n", key: "C", value: "3", want: "env = { C = \"3\" }\n"},
	{name: "inline base delete first", in: "env = { A = \"1\", B = \"2\" }\n", del: true, key: "A", want: "env = { B = \"2\" }\n"},
	{name: "inline base delete last", in: "env = { A = \"1\", B = \"2\" }\n", del: true, key: "B", want: "env = { A = \"1\" }\n"},
	{name: "inline base delete middle", in: "env = { A = \"1\", B = \"2\", C = \"3\" }\n", del: true, key: "B", want: "env = { A = \"1\", C = \"3\" }\n"},
	{name: "inline base delete only", in: "env = { A = \"1\" }\n", del: true, key: "A", want: "env = {}\n"},
	{name: "inline base delete only with hash in value", in: "env = { A = \"#1\", }\n", del: true, key: "A", want: "env = {}\n"},
	{name: "inline base delete only keeps comment", in: "env = { A = \"1\" # c\n}\n", del: true, key: "A", want: "env = {  # c\n}\n"},
	{name: "inline env documented form set new", in: "[environments.staging]\nenv = { LOG_LEVEL = \"debug\" }\nworkloads.web.replicas = 1\n", env: "staging", key: "NEW", value: "v",
		want: "[environments.staging]\nenv = { LOG_LEVEL = \"debug\", NEW = \"v\" }\nworkloads.web.replicas = 1\n"},
	{name: "inline env documented form set existing", in: "[environments.staging]\nenv = { LOG_LEVEL = \"debug\" }\nworkloads.web.replicas = 1\n", env: "staging", key: "LOG_LEVEL", value: "warn",
		want: "[environments.staging]\nenv = { LOG_LEVEL = \"warn\" }\nworkloads.web.replicas = 1\n"},
	{name: "inline env dotted table key", in: "environments.staging.env = { A = \"1\" }\n", env: "staging", key: "B", value: "2",
		want: "environments.staging.env = { A = \"1\", B = \"2\" }\n"},
	{name: "inline env nested in inline tables", in: "environments = { staging = { env = { A = \"1\" } }, prod = {} }\n", env: "staging", key: "B", value: "2",
		want: "environments = { staging = { env = { A = \"1\", B = \"2\" } }, prod = {} }\n"},
	{name: "inline env nested delete", in: "environments = { staging = { env = { A = \"1\", B = \"2\" } } }\n", env: "staging", del: true, key: "A",
		want: "environments = { staging = { env = { B = \"2\" } } }\n"},
	{name: "inline multi-line set new", in: "env = {\n  A = \"1\", # a\n  B = \"2\" # b\n}\n", key: "C", value: "3",
		want: "env = {\n  A = \"1\", # a\n  B = \"2\", # b\n  C = \"3\"\n}\n"},
	{name: "inline multi-line trailing comma set new", in: "env = {\n  A = \"1\",\n}\n", key: "C", value: "3",
		want: "env = {\n  A = \"1\",\n  C = \"3\",\n}\n"},
	{name: "inline multi-line delete line", in: "env = {\n  A = \"1\", # a\n  B = \"2\",\n}\n", del: true, key: "A",
		want: "env = {\n  B = \"2\",\n}\n"},
	{name: "inline multi-line delete last line", in: "env = {\n  A = \"1\",\n  B = \"2\"\n}\n", del: true, key: "B",
		want: "env = {\n  A = \"1\",\n}\n"},
	{name: "inline multi-line delete before leading comma", in: "env = {\n0 = \"\",\nA = \"0\"\n,}\n", del: true, key: "A",
		want: "env = {\n0 = \"\",\n}\n"},
	{name: "inline multi-line set after line without comma", in: "env = {\n0 = \"\"\n,}\n", key: "A", value: "0",
		want: "env = {\n0 = \"\",\nA = \"0\"\n,}\n"},
	{name: "inline with comment set new in empty", in: "env = { # nothing yet\n}\n", key: "C", value: "3",
		want: "env = { C = \"3\" # nothing yet\n}\n"},

	// 3. Dotted keys.
	{name: "dotted base set new", in: "env.A = \"1\"\nenv.B = \"2\" # b\nschema = 1\n", key: "C", value: "3",
		want: "env.A = \"1\"\nenv.B = \"2\" # b\nenv.C = \"3\"\nschema = 1\n"},
	{name: "dotted base set existing", in: "env.A = \"1\"\nenv.B = \"2\" # b\n", key: "B", value: "3",
		want: "env.A = \"1\"\nenv.B = \"3\" # b\n"},
	{name: "dotted base delete", in: "env.A = \"1\"\nenv.B = \"2\" # b\nschema = 1\n", del: true, key: "B",
		want: "env.A = \"1\"\nschema = 1\n"},
	{name: "dotted quoted prefix style kept", in: "\"env\" . A = \"1\"\n", key: "C", value: "3",
		want: "\"env\" . A = \"1\"\n\"env\" . C = \"3\"\n"},
	{name: "dotted env in environment table", in: "[environments.staging]\nenv.A = \"1\"\nworkloads.web.replicas = 1\n", env: "staging", key: "C", value: "3",
		want: "[environments.staging]\nenv.A = \"1\"\nenv.C = \"3\"\nworkloads.web.replicas = 1\n"},
	{name: "dotted env at root", in: "environments.staging.env.A = \"1\"\n", env: "staging", key: "C", value: "3",
		want: "environments.staging.env.A = \"1\"\nenvironments.staging.env.C = \"3\"\n"},
	{name: "dotted env in environments table", in: "[environments]\n  staging.env.A = \"1\"\n  prod.env.A = \"2\"\n", env: "staging", key: "C", value: "3",
		want: "[environments]\n  staging.env.A = \"1\"\n  staging.env.C = \"3\"\n  prod.env.A = \"2\"\n"},
	{name: "dotted env delete", in: "[environments.staging]\nenv.A = \"1\"\nenv.B = \"2\"\n", env: "staging", del: true, key: "A",
		want: "[environments.staging]\nenv.B = \"2\"\n"},
	{name: "dotted inside inline table", in: "environments = { staging.env.A = \"1\" }\n", env: "staging", key: "C", value: "3",
		want: "environments = { staging.env.A = \"1\", staging.env.C = \"3\" }\n"},

	// 4. Missing tables.
	{name: "missing base appended", in: "schema = 1\n\n[app]\nname = \"x\" # c\n", key: "A", value: "1",
		want: "schema = 1\n\n[app]\nname = \"x\" # c\n\n[env]\nA = \"1\"\n"},
	{name: "missing base after blank line", in: "schema = 1\n\n", key: "A", value: "1", want: "schema = 1\n\n[env]\nA = \"1\"\n"},
	{name: "missing base empty file", in: "", key: "A", value: "1", want: "[env]\nA = \"1\"\n"},
	{name: "missing base no trailing newline", in: "schema = 1 # c", key: "A", value: "1", want: "schema = 1 # c\n\n[env]\nA = \"1\"\n"},
	{name: "missing env with environment table", in: "[environments.staging]\nworkloads.web.replicas = 1\n", env: "staging", key: "A", value: "1",
		want: "[environments.staging]\nworkloads.web.replicas = 1\n\n[environments.staging.env]\nA = \"1\"\n"},
	{name: "missing env with only sub-table", in: "[env.sub]\nx = 1\n", key: "A", value: "1",
		want: "[env.sub]\nx = 1\n\n[env]\nA = \"1\"\n"},
	{name: "missing env with dotted environment", in: "environments.staging.replicas = 1\n", env: "staging", key: "A", value: "1",
		want: "environments.staging.replicas = 1\n\n[environments.staging.env]\nA = \"1\"\n"},
	{name: "missing env inside inline environments", in: "environments = { staging = { replicas = 1 } }\n", env: "staging", key: "A", value: "1",
		want: "environments = { staging = { replicas = 1, env.A = \"1\" } }\n"},
	{name: "missing env inside empty inline environments", in: "environments = {}\n", env: "staging", key: "A", value: "1",
		want: "environments = { staging.env.A = \"1\" }\n"},

	// 5. Quoted keys and non-string values.
	{name: "quoted key set", in: "[env]\n\"A\" = \"1\"\n'B' = \"2\"\n", key: "B", value: "x", want: "[env]\n\"A\" = \"1\"\n'B' = \"x\"\n"},
	{name: "quoted key delete", in: "[env]\n\"A\" = \"1\"\n'B' = \"2\"\n", del: true, key: "A", want: "[env]\n'B' = \"2\"\n"},
	{name: "escaped quoted key", in: "env = { \"\\u0041\" = 1 }\n", key: "A", value: "x", want: "env = { \"\\u0041\" = \"x\" }\n"},
	{name: "integer replaced", in: "[env]\nA = 42 # n\n", key: "A", value: "42", want: "[env]\nA = \"42\" # n\n"},
	{name: "bool replaced", in: "env = { A = true }\n", key: "A", value: "yes", want: "env = { A = \"yes\" }\n"},
	{name: "array replaced", in: "[env]\nA = [\n  1,\n  2,\n] # c\nB = 1\n", key: "A", value: "x", want: "[env]\nA = \"x\" # c\nB = 1\n"},
	{name: "inline table value replaced", in: "[env]\nA = { x = 1 }\n", key: "A", value: "x", want: "[env]\nA = \"x\"\n"},
	{name: "date replaced", in: "[env]\nA = 1979-05-27T07:32:00Z\n", key: "A", value: "x", want: "[env]\nA = \"x\"\n"},
	{name: "value escaping", in: "[env]\n", key: "A", value: "a\\b\"c\nd\te\rf\x01g\x7fh é 日本 \U0001F600",
		want: "[env]\nA = \"a\\\\b\\\"c\\nd\\te\\rf\\u0001g\\u007Fh é 日本 \U0001F600\"\n"},

	// 6. Multi-line strings.
	{name: "multi-line string replaced", in: "[env]\nA = \"\"\"\nline 1\nline 2\"\"\" # c\nB = '''\nx\n'''\n", key: "A", value: "one",
		want: "[env]\nA = \"one\" # c\nB = '''\nx\n'''\n"},
	{name: "multi-line string deleted", in: "[env]\nA = \"1\"\nB = '''\nx\ny\n''' # c\nC = \"3\"\n", del: true, key: "B",
		want: "[env]\nA = \"1\"\nC = \"3\"\n"},
	{name: "multi-line string in inline table", in: "env = { A = \"\"\"\nx\"\"\", B = \"2\" }\n", key: "A", value: "y",
		want: "env = { A = \"y\", B = \"2\" }\n"},

	// CRLF line endings.
	{name: "crlf header set new", in: "[env]\r\nA = \"1\"\r\n\r\n[app]\r\n", key: "B", value: "2",
		want: "[env]\r\nA = \"1\"\r\nB = \"2\"\r\n\r\n[app]\r\n"},
	{name: "crlf header delete", in: "[env]\r\nA = \"1\" # c\r\nB = \"2\"\r\n", del: true, key: "A", want: "[env]\r\nB = \"2\"\r\n"},
	{name: "crlf dotted set new", in: "env.A = \"1\"\r\nx = 1\r\n", key: "B", value: "2", want: "env.A = \"1\"\r\nenv.B = \"2\"\r\nx = 1\r\n"},
	{name: "crlf missing table", in: "schema = 1\r\n", env: "staging", key: "B", value: "2",
		want: "schema = 1\r\n\r\n[environments.staging.env]\r\nB = \"2\"\r\n"},
	{name: "crlf inline multi-line", in: "env = {\r\n  A = \"1\"\r\n}\r\n", key: "B", value: "2", want: "env = {\r\n  A = \"1\",\r\n  B = \"2\"\r\n}\r\n"},
	{name: "crlf inline multi-line delete", in: "env = {\r\n  A = \"1\",\r\n  B = \"2\"\r\n}\r\n", del: true, key: "A", want: "env = {\r\n  B = \"2\"\r\n}\r\n"},

	// No trailing newline.
	{name: "no trailing newline set new", in: "[env]\nA = \"1\"", key: "B", value: "2", want: "[env]\nA = \"1\"\nB = \"2\"\n"},
	{name: "no trailing newline set existing", in: "[env]\nA = \"1\"", key: "A", value: "2", want: "[env]\nA = \"2\""},
	{name: "no trailing newline delete", in: "[env]\nA = \"1\"\nB = \"2\"", del: true, key: "B", want: "[env]\nA = \"1\"\n"},
	{name: "no trailing newline empty table", in: "[env]", key: "B", value: "2", want: "[env]\nB = \"2\"\n"},
}

func TestEditEnv(t *testing.T) {
	for _, c := range editCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := editRun(c)
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if string(got) != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, c.want)
			}
			editCheck(t, []byte(c.in), c.env, c.key, editOr(c.value, "v"))
		})
	}
}

func editRun(c editCase) ([]byte, error) {
	if c.del {
		return DeleteEnv([]byte(c.in), c.env, c.key)
	}
	return SetEnv([]byte(c.in), c.env, c.key, c.value)
}

func editOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// TestEditGolden runs edits of the documented manifest against golden files
// testdata/edit/<name>.in.toml and <name>.out.toml; -update rewrites the
// .out.toml files.
func TestEditGolden(t *testing.T) {
	for _, c := range []editCase{
		{name: "example-set-base-existing", key: "LOG_LEVEL", value: "debug"},
		{name: "example-set-base-new", key: "FEATURE_FLAGS", value: "checkout-v2"},
		{name: "example-delete-base", del: true, key: "STRIPE_KEY"},
		{name: "example-set-staging-new", env: "staging", key: "STRIPE_KEY", value: "sealed:v1:c3Rn"},
		{name: "example-set-staging-existing", env: "staging", key: "LOG_LEVEL", value: "trace"},
		{name: "example-delete-staging", del: true, env: "staging", key: "LOG_LEVEL"},
		{name: "example-set-production", env: "production", key: "LOG_LEVEL", value: "warn"},
		{name: "dotted-staging-set-new", env: "staging", key: "C", value: "3"},
		{name: "multiline-inline-delete", env: "staging", del: true, key: "B"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", "edit", c.name+".in.toml"))
			if err != nil {
				t.Fatal(err)
			}
			c.in = string(in)
			got, err := editRun(c)
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			out := filepath.Join("testdata", "edit", c.name+".out.toml")
			if *update {
				if err := os.WriteFile(out, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
			editCheck(t, in, c.env, c.key, editOr(c.value, "v"))
		})
	}
}

func TestEditEnvErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		c     editCase
		is    error
		words []string
	}{
		{name: "bad key digit", c: editCase{in: "", key: "1A", value: "x"}, words: []string{`"1A"`, "[env]"}},
		{name: "bad key dash", c: editCase{in: "", env: "staging", key: "A-B", value: "x"}, words: []string{`"A-B"`, "[environments.staging.env]"}},
		{name: "bad key empty", c: editCase{in: "", del: true, key: ""}, words: []string{`""`}},
		{name: "bad env upper", c: editCase{in: "", env: "Staging", key: "A", value: "x"}, words: []string{`"Staging"`, "DNS-1123"}},
		{name: "bad env dash", c: editCase{in: "", env: "-a", key: "A", value: "x"}, words: []string{`"-a"`}},
		{name: "bad env long", c: editCase{in: "", env: strings.Repeat("a", 64), key: "A", value: "x"}, words: []string{"DNS-1123"}},
		{name: "bad env dot", c: editCase{in: "", env: "a.b", del: true, key: "A"}, words: []string{`"a.b"`}},
		{name: "invalid utf-8 value", c: editCase{in: "", key: "A", value: "\xff"}, words: []string{"UTF-8"}},
		{name: "invalid toml", c: editCase{in: "[env\nA = 1\n", key: "A", value: "x"}, words: []string{"parse astrolift.toml", "A", "[env]"}},
		{name: "invalid toml duplicate", c: editCase{in: "[env]\nA = 1\nA = 2\n", del: true, key: "A"}, words: []string{"parse astrolift.toml"}},
		{name: "delete missing", c: editCase{in: "[env]\nA = \"1\"\n", del: true, key: "B"}, is: ErrEnvKeyNotFound, words: []string{"delete env B in [env]"}},
		{name: "delete missing table", c: editCase{in: "", env: "staging", del: true, key: "B"}, is: ErrEnvKeyNotFound, words: []string{"delete env B in [environments.staging.env]"}},
		{name: "env not a table", c: editCase{in: "x = 1\nenv = \"x\"\n", key: "A", value: "x"}, is: ErrEnvShape, words: []string{"env is", "line 2"}},
		{name: "environments array of tables", c: editCase{in: "[[environments]]\nname = \"staging\"\n", env: "staging", key: "A", value: "x"}, is: ErrEnvShape, words: []string{"environments is an array of tables", "line 1"}},
		{name: "environments array", c: editCase{in: "environments = [{ staging = {} }]\n", env: "staging", key: "A", value: "x"}, is: ErrEnvShape, words: []string{"environments is an array"}},
		{name: "key is a sub-table", c: editCase{in: "\n[env.A]\nx = 1\n", key: "A", value: "x"}, is: ErrEnvShape, words: []string{"env.A is defined as a table", "line 2"}},
		{name: "key is a dotted sub-table delete", c: editCase{in: "[env]\nA.x = 1\n", del: true, key: "A"}, is: ErrEnvShape, words: []string{"env.A"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := editRun(c.c)
			if err == nil {
				t.Fatalf("no error, got:\n%s", out)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %v is not %v", err, c.is)
			}
			for _, w := range c.words {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	var perr *toml.DecodeError
	if _, err := SetEnv([]byte("a = \n"), "", "A", "x"); !errors.As(err, &perr) {
		t.Errorf("parse error not wrapped: %v", err)
	}
}

var editSeeds = []struct{ doc, env, key, value string }{
	{"", "", "A", "1"},
	{"[env]\nA = \"1\" # c\nB = 2\n\n[app]\n", "", "A", "x"},
	{"env = { A = \"1\", B = \"2\" }\n", "", "C", "3"},
	{"[environments.staging]\nenv = { LOG_LEVEL = \"debug\" }\nworkloads.web.replicas = 1\n", "staging", "NEW", "v"},
	{"environments.staging.env = { A = \"1\" }\n", "staging", "A", ""},
	{"env.A = \"1\"\nenv.B = \"2\"\n", "", "C", "a\nb"},
	{"[environments]\nstaging.env.A = \"1\"\n", "staging", "A", "\"q\""},
	{"environments = { staging = { env = { A = \"1\" } } }\n", "staging", "B", "x"},
	{"environments = { staging = { x = 1 } }\n", "staging", "B", "x"},
	{"env = {\n  A = \"1\", # a\n  B = \"2\"\n}\n", "", "B", "x"},
	{"[env]\r\nA = \"\"\"\r\nx\r\n\"\"\"\r\n", "", "A", "é"},
	{"[env.sub]\nx = 1\n", "", "A", "x"},
	{"[environments.staging]\nx = 1", "staging", "A", "x"},
	{"environments.prod.env.A = 1\n", "staging", "A", "x"},
}

// editManifest is the documented manifest example.
const editManifest = `schema = 1

[app]
description = "Storefront"

[build]
image = "registry.example.com/acme/shop"     # repository; a deploy pins tag or digest

[deploy]
trigger = "push"                               # push | manual | ci

[env]
LOG_LEVEL = "info"
STRIPE_KEY = "sealed:v1:YWdl"                  # written by the Secrets page

[workloads.web]
kind = "deployment"
replicas = 2
public = true
autoscale = { min = 2, max = 10, cpu_percent = 70 }
  [[workloads.web.containers]]
  name = "web"
  command = ["bin/server"]
  port = 8080
  env = { PORT = "8080" }

[environments.staging]
env = { LOG_LEVEL = "debug" }
workloads.web.replicas = 1
workloads.web.autoscale = { min = 1, max = 2 }
`

func TestEditRoundTripSeeds(t *testing.T) {
	for _, s := range editSeeds {
		editCheck(t, []byte(s.doc), s.env, s.key, s.value)
	}
	for _, env := range []string{"", "staging", "production"} {
		for _, key := range []string{"LOG_LEVEL", "STRIPE_KEY", "PORT", "NEW"} {
			editCheck(t, []byte(editManifest), env, key, "v")
		}
	}
}

func FuzzEditRoundTrip(f *testing.F) {
	for _, s := range editSeeds {
		f.Add(s.doc, s.env, s.key, s.value)
	}
	for _, c := range editCases {
		f.Add(c.in, c.env, c.key, editOr(c.value, "v"))
	}
	f.Add(editManifest, "", "STRIPE_KEY", "sealed:v1:eA==")
	f.Add(editManifest, "staging", "LOG_LEVEL", "warn")
	f.Add(editManifest, "staging", "NEW", "x\ty")
	f.Add(editManifest, "prod", "LOG_LEVEL", "warn")
	f.Fuzz(func(t *testing.T, doc, env, key, value string) {
		editCheck(t, []byte(doc), env, key, value)
	})
}

// editCheck checks the round-trip property of SetEnv and DeleteEnv on doc:
// the result parses, the key has the new value (or is gone) and every other
// value of the document is unchanged. The only error accepted for a valid
// document and valid arguments is ErrEnvShape.
func editCheck(t *testing.T, doc []byte, env, key, value string) {
	t.Helper()
	var before map[string]any
	valid := toml.Unmarshal(doc, &before) == nil &&
		envKeyRE.MatchString(key) && (env == "" || dns1123Label(env) == "") && utf8.ValidString(value)
	out, err := SetEnv(doc, env, key, value)
	if !valid {
		if err == nil {
			t.Fatalf("SetEnv(%q, %q, %q, %q) accepted invalid input, got:\n%s", doc, env, key, value, out)
		}
		return
	}
	if errors.Is(err, ErrEnvShape) {
		return
	}
	if err != nil {
		t.Fatalf("SetEnv(%q, %q, %q, %q): %v", doc, env, key, value, err)
	}
	path := []string{"env"}
	if env != "" {
		path = []string{"environments", env, "env"}
	}
	target := append(path[:len(path):len(path)], key)
	existed := false
	if _, ok := editGet(before, target); ok {
		existed = true
	}
	after := editDecode(t, out)
	if got, _ := editGet(after, target); got != value {
		t.Fatalf("SetEnv(%q, %q, %q, %q): value is %#v, output:\n%s", doc, env, key, value, got, out)
	}
	editSameExcept(t, "SetEnv", doc, out, before, after, path, key)

	del, err := DeleteEnv(out, env, key)
	if err != nil {
		t.Fatalf("DeleteEnv after SetEnv(%q, %q, %q, %q): %v, input:\n%s", doc, env, key, value, err, out)
	}
	deleted := editDecode(t, del)
	if _, ok := editGet(deleted, target); ok {
		t.Fatalf("DeleteEnv left %s in:\n%s", key, del)
	}
	editSameExcept(t, "DeleteEnv after SetEnv", doc, del, editDecode(t, doc), deleted, path, key)

	del, err = DeleteEnv(doc, env, key)
	switch {
	case !existed && !errors.Is(err, ErrEnvKeyNotFound):
		t.Fatalf("DeleteEnv(%q, %q, %q) of a missing key: %v, want ErrEnvKeyNotFound", doc, env, key, err)
	case existed && err != nil:
		t.Fatalf("DeleteEnv(%q, %q, %q): %v", doc, env, key, err)
	case existed:
		editSameExcept(t, "DeleteEnv", doc, del, editDecode(t, doc), editDecode(t, del), path, key)
	}
}

func editDecode(t *testing.T, doc []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := toml.Unmarshal(doc, &m); err != nil {
		t.Fatalf("invalid TOML: %v\n%s", err, doc)
	}
	return m
}

// editSameExcept fails unless a and b are the same documents once path.key is
// removed and the tables along path left empty are pruned.
func editSameExcept(t *testing.T, op string, in, out []byte, a, b map[string]any, path []string, key string) {
	t.Helper()
	for _, m := range []map[string]any{a, b} {
		if env, ok := editGet(m, path); ok {
			delete(env.(map[string]any), key)
		}
		editPrune(m, path)
	}
	if !editSame(a, b) {
		t.Fatalf("%s changed other values:\ninput:\n%s\noutput:\n%s\nbefore: %#v\nafter:  %#v", op, in, out, a, b)
	}
}

// editPrune removes the empty tables along path, deepest first.
func editPrune(m map[string]any, path []string) {
	if len(path) == 0 {
		return
	}
	child, ok := m[path[0]].(map[string]any)
	if !ok {
		return
	}
	editPrune(child, path[1:])
	if len(child) == 0 {
		delete(m, path[0])
	}
}

// editSame is reflect.DeepEqual for decoded documents, with NaN equal to NaN.
func editSame(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, v := range a {
			if w, ok := b[k]; !ok || !editSame(v, w) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !editSame(a[i], b[i]) {
				return false
			}
		}
		return true
	case float64:
		b, ok := b.(float64)
		return ok && (a == b && math.Signbit(a) == math.Signbit(b) || math.IsNaN(a) && math.IsNaN(b))
	}
	return reflect.DeepEqual(a, b)
}

// editPieces are lines and blocks that random manifests are assembled from.
var editPieces = []string{
	"", "# comment", "  ", "[env]", "[environments.staging]", "[environments.staging.env]", "  [environments.prod.env] # p",
	"[env.sub]", "[environments]", "[app]", "[[workloads]]", "[environments.staging.env.sub]",
	"A = \"1\"", "B = 2 # two", "'A' = true", "LOG_LEVEL = \"\"\"\nmulti\nline\"\"\"", "C = [\n  1, # one\n  2,\n]",
	"env = { A = \"1\", B = \"2\" }", "env = {}", "env = {\n  A = \"1\", # a\n  B = '''x'''\n}", "env = { A = \"1\", }",
	"env.A = \"1\"", "env.\"B\" = 3", "env . C = { x = 1 }", "env.sub.x = 1",
	"staging.env.A = \"1\"", "staging = { env = { A = \"1\" } }", "staging = { replicas = 1 }", "prod.env = { A = 1 }",
	"environments.staging.env.A = \"1\"", "environments.staging.env = { B = \"2\" }", "environments = { staging = {} }",
	"environments = { staging = { env = {\n  A = \"1\"\n} } }", "environments.staging.replicas = 1",
	"workloads.web.replicas = 1", "name = \"web\"", "env = { PORT = \"8080\" }", "x = nan", "d = 1979-05-27",
	"environments.staging = { env.A = \"1\" }", "env = {\n  # none\n}", "[ \"env\" ]", "\"environments\".staging.env.\"A\" = 1",
	"env = {\n  A = \"1\"\n  , B = 2 }", "env = {\nA = \"1\"\n,}", "\tA = \"\"\"\\\n  x\"\"\" # c",
}

// TestEditRoundTripRandom checks the round-trip property on random manifests
// assembled from editPieces; most are not valid TOML and only checked to fail.
func TestEditRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for range n {
		var b strings.Builder
		for range r.IntN(8) {
			b.WriteString(editPieces[r.IntN(len(editPieces))])
			b.WriteString("\n")
		}
		doc := b.String()
		if r.IntN(4) == 0 {
			doc = strings.ReplaceAll(doc, "\n", "\r\n")
		}
		if r.IntN(4) == 0 {
			doc = strings.TrimRight(doc, "\r\n")
		}
		env := []string{"", "staging", "prod"}[r.IntN(3)]
		key := []string{"A", "B", "C", "LOG_LEVEL", "NEW", "sub"}[r.IntN(6)]
		editCheck(t, []byte(doc), env, key, "v")
	}
}
