package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/astrolift/astrolift/api"
)

// credentials are what `astrolift login` stores for later commands.
type credentials struct {
	Server string `json:"server"`
	Token  string `json:"token"`
}

// credentialsPath is $ASTROLIFT_CONFIG_DIR/credentials.json, default
// ~/.config/astrolift/credentials.json.
func credentialsPath() (string, error) {
	dir := os.Getenv("ASTROLIFT_CONFIG_DIR")
	if dir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("find the config directory: %w", err)
		}
		dir = filepath.Join(base, "astrolift")
	}
	return filepath.Join(dir, "credentials.json"), nil
}

func loadCredentials() (credentials, error) {
	var c credentials
	if p, err := credentialsPath(); err == nil {
		if b, err := os.ReadFile(p); err == nil {
			if err := json.Unmarshal(b, &c); err != nil {
				return c, fmt.Errorf("%s: %w", p, err)
			}
		}
	}
	if s := os.Getenv("ASTROLIFT_SERVER"); s != "" {
		c.Server = s
	}
	if t := os.Getenv("ASTROLIFT_TOKEN"); t != "" {
		c.Token = t
	}
	if c.Server == "" || c.Token == "" {
		return c, errors.New("not logged in: run `astrolift login --server URL` (or set ASTROLIFT_SERVER and ASTROLIFT_TOKEN)")
	}
	return c, nil
}

func saveCredentials(c credentials) (string, error) {
	p, err := credentialsPath()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return "", fmt.Errorf("save credentials: %w", err)
	}
	b, _ := json.MarshalIndent(c, "", "  ")
	if err := os.WriteFile(p, append(b, '\n'), 0o600); err != nil {
		return "", fmt.Errorf("save credentials: %w", err)
	}
	return p, nil
}

// client talks to the JSON API.
type client struct {
	server string
	token  string
	csrf   string
	http   *http.Client
}

// apiError is an error answer of the API.
type apiError struct {
	Status int
	api.ErrorDetail
}

func (e *apiError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s (field %s, HTTP %d)", e.Message, e.Field, e.Status)
	}
	return fmt.Sprintf("%s (HTTP %d)", e.Message, e.Status)
}

func (c *client) do(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, strings.TrimRight(c.server, "/")+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer func() { _ = res.Body.Close() }()
	b, err := io.ReadAll(io.LimitReader(res.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if res.StatusCode >= 400 {
		var e api.ErrorBody
		if json.Unmarshal(b, &e) != nil || e.Error.Message == "" {
			return &apiError{Status: res.StatusCode, ErrorDetail: api.ErrorDetail{Message: strings.TrimSpace(string(b))}}
		}
		return &apiError{Status: res.StatusCode, ErrorDetail: e.Error}
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

func newClient() (*client, error) {
	creds, err := loadCredentials()
	if err != nil {
		return nil, err
	}
	return &client{server: creds.Server, token: creds.Token, http: &http.Client{Timeout: 60 * time.Second}}, nil
}

// runLogin implements `astrolift login --server URL [--email E]`: it logs
// in with the password (read without echo from a terminal, else one line of
// stdin), creates an API token named after this machine and stores it.
func runLogin(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", envOr("ASTROLIFT_SERVER", "http://127.0.0.1:8080"), "Astrolift URL ($ASTROLIFT_SERVER)")
	email := fs.String("email", "", "account email (prompted when empty)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	in := bufio.NewReader(stdin)
	if *email == "" {
		fmt.Fprint(stderr, "Email: ")
		line, _ := in.ReadString('\n')
		*email = strings.TrimSpace(line)
	}
	fmt.Fprint(stderr, "Password: ")
	password, err := readPassword(stdin, in)
	fmt.Fprintln(stderr)
	if err != nil {
		return err
	}
	if _, err := url.ParseRequestURI(*server); err != nil {
		return fmt.Errorf("--server %q: %w", *server, err)
	}
	jar, _ := cookiejar.New(nil)
	c := &client{server: *server, http: &http.Client{Timeout: 60 * time.Second, Jar: jar}}
	var login struct {
		CSRFToken string `json:"csrf_token"`
	}
	if err := c.do(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": *email, "password": password}, &login); err != nil {
		return fmt.Errorf("log in to %s: %w", *server, err)
	}
	c.csrf = login.CSRFToken
	host, _ := os.Hostname()
	var tok struct {
		Token string `json:"token"`
	}
	if err := c.do(http.MethodPost, "/api/v1/me/tokens", map[string]any{"name": "cli@" + host}, &tok); err != nil {
		return fmt.Errorf("create an API token: %w", err)
	}
	_ = c.do(http.MethodPost, "/api/v1/auth/logout", nil, nil) // the token is what the CLI keeps
	p, err := saveCredentials(credentials{Server: *server, Token: tok.Token})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Logged in to %s as %s; token saved in %s\n", *server, *email, p)
	return nil
}

func readPassword(stdin io.Reader, buffered *bufio.Reader) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		b, err := term.ReadPassword(int(f.Fd()))
		return string(b), err
	}
	line, err := buffered.ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("read password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
