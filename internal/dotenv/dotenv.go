package dotenv

import (
	"fmt"
	"regexp"
	"strings"
)

// Pair is one KEY=value of a .env file, with the line it starts on.
type Pair struct {
	Key   string
	Value string
	Line  int
}

// Error is a line that cannot be read.
type Error struct {
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

var keyRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Parse reads a .env file. A key given twice keeps its last value (and
// its first position).
func Parse(text string) ([]Pair, error) {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var out []Pair
	seen := map[string]int{}
	for i := 0; i < len(lines); i++ {
		n := i + 1
		line := strings.TrimSpace(lines[i])
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "export "); ok {
			line = strings.TrimSpace(rest)
		}
		key, raw, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok {
			return nil, &Error{n, fmt.Sprintf("%q is not KEY=value", clip(line))}
		}
		if !keyRE.MatchString(key) {
			return nil, &Error{n, fmt.Sprintf("%q is not a variable name (letters, digits and _, not starting with a digit)", clip(key))}
		}
		raw = strings.TrimLeft(raw, " \t")
		var value string
		switch {
		case strings.HasPrefix(raw, `"`) || strings.HasPrefix(raw, "'"):
			quote := raw[0]
			body := raw[1:]
			end := -1
			var sb strings.Builder
			for j := i; ; {
				if k := closing(body, quote); k >= 0 {
					sb.WriteString(body[:k])
					end = j
					rest := strings.TrimSpace(body[k+1:])
					if rest != "" && !strings.HasPrefix(rest, "#") {
						return nil, &Error{j + 1, fmt.Sprintf("unexpected %q after the closing quote of %s", clip(rest), key)}
					}
					break
				}
				sb.WriteString(body)
				j++
				if j >= len(lines) {
					return nil, &Error{n, fmt.Sprintf("the %c quote of %s is never closed", quote, key)}
				}
				sb.WriteString("\n")
				body = lines[j]
			}
			value = sb.String()
			if quote == '"' {
				value = unescape(value)
			}
			i = end
		default:
			if k := strings.Index(raw, " #"); k >= 0 {
				raw = raw[:k]
			}
			value = strings.TrimSpace(raw)
		}
		if at, dup := seen[key]; dup {
			out[at].Value = value
			continue
		}
		seen[key] = len(out)
		out = append(out, Pair{Key: key, Value: value, Line: n})
	}
	return out, nil
}

// closing is the index of the closing quote in s, -1 if none; in double
// quotes a backslash escapes the next character.
func closing(s string, quote byte) int {
	for i := 0; i < len(s); i++ {
		switch {
		case quote == '"' && s[i] == '\\':
			i++
		case s[i] == quote:
			return i
		}
	}
	return -1
}

func unescape(s string) string {
	r := strings.NewReplacer(`\n`, "\n", `\r`, "\r", `\t`, "\t", `\"`, `"`, `\\`, `\`, `\$`, `$`)
	return r.Replace(s)
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
