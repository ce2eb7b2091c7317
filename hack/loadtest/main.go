// Command loadtest seeds apps through the API of a running Astrolift and
// measures GET /api/v1/apps and GET /api/v1/apps/:slug/overview under
// concurrent load. `make load` runs it against a fresh `astrolift dev`.
//
//	go run ./hack/loadtest -server http://127.0.0.1:18080 -email admin@astrolift.local -password … -apps 1000 -duration 30s
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"
)

func main() {
	server := flag.String("server", "http://127.0.0.1:18080", "Astrolift URL")
	email := flag.String("email", "admin@astrolift.local", "admin email")
	password := flag.String("password", "", "admin password")
	apps := flag.Int("apps", 1000, "apps to have registered before the run")
	project := flag.String("project", "demo", "project to register them in")
	duration := flag.Duration("duration", 30*time.Second, "length of the measured run")
	concurrency := flag.Int("concurrency", 8, "concurrent clients")
	flag.Parse()
	if err := run(*server, *email, *password, *project, *apps, *duration, *concurrency); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

type client struct {
	server, token string
	http          *http.Client
}

func (c *client) do(method, path string, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.server+path, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = res.Body.Close() }()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, err
	}
	if res.StatusCode >= 400 {
		return res.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	if out != nil {
		return res.StatusCode, json.Unmarshal(b, out)
	}
	return res.StatusCode, nil
}

func run(server, email, password, project string, apps int, duration time.Duration, concurrency int) error {
	c := &client{server: server, http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: concurrency * 2}}}
	// Log in with a throwaway cookie session only to mint an API token.
	jarClient := *c
	var login struct {
		CSRFToken string `json:"csrf_token"`
	}
	req, _ := json.Marshal(map[string]string{"email": email, "password": password})
	res, err := c.http.Post(server+"/api/v1/auth/login", "application/json", bytes.NewReader(req))
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("login: %d %s", res.StatusCode, b)
	}
	_ = json.Unmarshal(b, &login)
	tokReq, _ := http.NewRequest(http.MethodPost, server+"/api/v1/me/tokens", bytes.NewBufferString(`{"name":"loadtest"}`))
	tokReq.Header.Set("Content-Type", "application/json")
	tokReq.Header.Set("X-CSRF-Token", login.CSRFToken)
	for _, ck := range res.Cookies() {
		tokReq.AddCookie(ck)
	}
	tokRes, err := jarClient.http.Do(tokReq)
	if err != nil {
		return err
	}
	var tok struct {
		Token string `json:"token"`
	}
	b, _ = io.ReadAll(tokRes.Body)
	_ = tokRes.Body.Close()
	if err := json.Unmarshal(b, &tok); err != nil || tok.Token == "" {
		return fmt.Errorf("create token: %d %s", tokRes.StatusCode, b)
	}
	c.token = tok.Token

	// Seed.
	var slugs []string
	cursor := ""
	for {
		var page struct {
			Items      []struct{ Slug string } `json:"items"`
			NextCursor string                  `json:"next_cursor"`
		}
		if _, err := c.do(http.MethodGet, "/api/v1/apps?limit=500&cursor="+cursor, nil, &page); err != nil {
			return err
		}
		for _, a := range page.Items {
			slugs = append(slugs, a.Slug)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	start := time.Now()
	for i := len(slugs); i < apps; i++ {
		var a struct{ Slug string }
		_, err := c.do(http.MethodPost, "/api/v1/apps", map[string]any{
			"project": project, "name": fmt.Sprintf("load %04d", i), "source_url": fmt.Sprintf("https://git.example.com/load/%04d.git", i), "deploy_branch": "main",
		}, &a)
		if err != nil {
			return fmt.Errorf("seed app %d: %w", i, err)
		}
		slugs = append(slugs, a.Slug)
	}
	fmt.Printf("apps registered: %d (seeding took %s)\n", len(slugs), time.Since(start).Round(time.Millisecond))

	// Measure.
	type sample struct {
		list bool
		d    time.Duration
		err  bool
	}
	var (
		mu      sync.Mutex
		samples []sample
		wg      sync.WaitGroup
	)
	deadline := time.Now().Add(duration)
	for w := range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			var local []sample
			for i := 0; time.Now().Before(deadline); i++ {
				list := i%2 == 0
				path := "/api/v1/apps"
				if !list {
					path = "/api/v1/apps/" + slugs[rng.IntN(len(slugs))] + "/overview"
				}
				t0 := time.Now()
				_, err := c.do(http.MethodGet, path, nil, nil)
				local = append(local, sample{list: list, d: time.Since(t0), err: err != nil})
			}
			mu.Lock()
			samples = append(samples, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, list := range []bool{true, false} {
		name := "GET /api/v1/apps/:slug/overview"
		if list {
			name = "GET /api/v1/apps (first page, 50)"
		}
		var ds []time.Duration
		errs := 0
		for _, s := range samples {
			if s.list == list {
				ds = append(ds, s.d)
				if s.err {
					errs++
				}
			}
		}
		slices.Sort(ds)
		q := func(p float64) time.Duration { return ds[min(len(ds)-1, int(float64(len(ds))*p))] }
		fmt.Printf("%-36s requests %6d  errors %d  p50 %7s  p90 %7s  p99 %7s  max %7s  (%.0f req/s)\n", name, len(ds), errs,
			q(0.50).Round(10*time.Microsecond), q(0.90).Round(10*time.Microsecond), q(0.99).Round(10*time.Microsecond),
			ds[len(ds)-1].Round(10*time.Microsecond), float64(len(ds))/duration.Seconds())
	}
	return nil
}
