package dotenv_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/astrolift/astrolift/internal/dotenv"
)

func TestParse(t *testing.T) {
	in := "# comment\n\nexport API_KEY=abc123 # trailing\nPLAIN = spaced value \nSINGLE='lit $HOME \\n'\nDOUBLE=\"a\\tb\\n\\\"q\\\"\"\nMULTI=\"-----BEGIN KEY-----\nline two\n-----END KEY-----\"\nEMPTY=\nURL=postgres://u:p@h/db?x=1#frag\nAPI_KEY=override\n"
	got, err := dotenv.Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	want := []dotenv.Pair{
		{"API_KEY", "override", 3},
		{"PLAIN", "spaced value", 4},
		{"SINGLE", `lit $HOME \n`, 5},
		{"DOUBLE", "a\tb\n\"q\"", 6},
		{"MULTI", "-----BEGIN KEY-----\nline two\n-----END KEY-----", 7},
		{"EMPTY", "", 10},
		{"URL", "postgres://u:p@h/db?x=1#frag", 11},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse =\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseErrors(t *testing.T) {
	for in, line := range map[string]int{
		"A=1\nnot a pair\n":            2,
		"A=1\n1BAD=x\n":                2,
		"A=1\nB=\"never closed\nC=3\n": 2,
		"A='x' junk\n":                 1,
		"A=1\nB-C=2\n":                 2,
	} {
		_, err := dotenv.Parse(in)
		var e *dotenv.Error
		if !errors.As(err, &e) || e.Line != line {
			t.Errorf("Parse(%q) = %v, want an error at line %d", in, err, line)
		}
	}
}
