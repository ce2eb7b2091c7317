package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/astrolift/astrolift/api"
)

func (h *harness) login(email, password, remote string) (response, []*http.Cookie, string) {
	h.t.Helper()
	res := h.do(request{method: http.MethodPost, path: "/api/v1/auth/login", body: map[string]string{"email": email, "password": password}, remote: remote})
	var out struct {
		CSRFToken string `json:"csrf_token"`
	}
	if res.Code == http.StatusOK {
		res.decode(h.t, &out)
	}
	return res, res.Result().Cookies(), out.CSRFToken
}

func TestLoginSessionAndCSRF(t *testing.T) {
	h := newHarness(t)
	h.user("ada@acme.test", "org.admin")

	res, _, _ := h.login("ada@acme.test", "wrong password", "10.0.0.1:1")
	if code, _ := res.errorCode(); res.Code != http.StatusUnauthorized || code != "bad_credentials" {
		t.Fatalf("wrong password: %d %s", res.Code, res.body)
	}
	res, cookies, csrf := h.login("ADA@acme.test", "correct horse battery", "10.0.0.1:1")
	if res.Code != http.StatusOK || csrf == "" {
		t.Fatalf("login: %d %s", res.Code, res.body)
	}
	var session *http.Cookie
	for _, c := range cookies {
		if c.Name == "astrolift_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Secure {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, not Secure over plain HTTP", session)
	}
	if strings.Contains(string(res.body), session.Value) {
		t.Error("the session secret is in the response body")
	}

	// Reads need no CSRF token; writes do.
	if res := h.do(request{method: http.MethodGet, path: "/api/v1/me", cookies: cookies}); res.Code != http.StatusOK {
		t.Fatalf("GET /me with the cookie: %d %s", res.Code, res.body)
	}
	res = h.do(request{method: http.MethodPost, path: "/api/v1/teams", body: map[string]string{"name": "Search"}, cookies: cookies})
	if code, _ := res.errorCode(); res.Code != http.StatusForbidden || code != "csrf" {
		t.Fatalf("POST without CSRF token: %d %s", res.Code, res.body)
	}
	res = h.do(request{method: http.MethodPost, path: "/api/v1/teams", body: map[string]string{"name": "Search"}, cookies: cookies,
		headers: map[string]string{"X-CSRF-Token": "forged"}})
	if res.Code != http.StatusForbidden {
		t.Fatalf("POST with a wrong CSRF token: %d", res.Code)
	}
	res = h.do(request{method: http.MethodPost, path: "/api/v1/teams", body: map[string]string{"name": "Search"}, cookies: cookies,
		headers: map[string]string{"X-CSRF-Token": csrf}})
	if res.Code != http.StatusCreated {
		t.Fatalf("POST with the CSRF token: %d %s", res.Code, res.body)
	}
	if teams, _ := h.s.ListTeams(context.Background(), h.org.ID); len(teams) != 2 {
		t.Errorf("teams after create: %d, want 2", len(teams))
	}

	// Logout ends the session server-side.
	res = h.do(request{method: http.MethodPost, path: "/api/v1/auth/logout", cookies: cookies, headers: map[string]string{"X-CSRF-Token": csrf}})
	if res.Code != http.StatusNoContent {
		t.Fatalf("logout: %d %s", res.Code, res.body)
	}
	if res := h.do(request{method: http.MethodGet, path: "/api/v1/me", cookies: cookies}); res.Code != http.StatusUnauthorized {
		t.Errorf("after logout: %d, want 401", res.Code)
	}
}

func TestSessionExpiry(t *testing.T) {
	h := newHarness(t)
	h.user("ada@acme.test", "org.viewer")
	_, cookies, _ := h.login("ada@acme.test", "correct horse battery", "10.0.0.2:1")
	me := request{method: http.MethodGet, path: "/api/v1/me", cookies: cookies}

	// Activity slides the expiry: 20h, 20h and 20h later it still works.
	for range 3 {
		h.clock.Advance(20 * time.Hour)
		if res := h.do(me); res.Code != http.StatusOK {
			t.Fatalf("active session: %d %s", res.Code, res.body)
		}
	}
	// 24h without activity ends it.
	h.clock.Advance(api.DefaultSessionTTL + time.Minute)
	if res := h.do(me); res.Code != http.StatusUnauthorized {
		t.Errorf("idle session: %d, want 401", res.Code)
	}
}

func TestTokenAuth(t *testing.T) {
	h := newHarness(t)
	token := h.user("ci@acme.test", "org.viewer")
	get := func(tok string) int {
		return h.do(request{method: http.MethodGet, path: "/api/v1/apps", token: tok}).Code
	}
	if code := get(token); code != http.StatusOK {
		t.Fatalf("valid token: %d", code)
	}
	for _, bad := range []string{"", "alt_nope", token + "x", "not-a-token"} {
		if code := get(bad); code != http.StatusUnauthorized {
			t.Errorf("token %q: %d, want 401", bad, code)
		}
	}
	// Tokens need no CSRF token (they are not sent automatically by browsers).
	res := h.do(request{method: http.MethodPost, path: "/api/v1/me/tokens", token: token, body: map[string]any{"name": "laptop", "expires_in_days": 1}})
	if res.Code != http.StatusCreated {
		t.Fatalf("create token: %d %s", res.Code, res.body)
	}
	var created struct {
		ID    int64  `json:"id"`
		Token string `json:"token"`
		Last4 string `json:"last4"`
	}
	res.decode(t, &created)
	if !strings.HasPrefix(created.Token, api.TokenPrefix) || created.Last4 != created.Token[len(created.Token)-4:] {
		t.Fatalf("created token %+v", created)
	}
	if code := get(created.Token); code != http.StatusOK {
		t.Errorf("new token: %d", code)
	}
	// The list shows last4, never the secret.
	list := h.do(request{method: http.MethodGet, path: "/api/v1/me/tokens", token: token})
	if strings.Contains(string(list.body), created.Token) || !strings.Contains(string(list.body), created.Last4) {
		t.Errorf("token list: %s", list.body)
	}
	// Expiry, then revocation.
	h.clock.Advance(25 * time.Hour)
	if code := get(created.Token); code != http.StatusUnauthorized {
		t.Errorf("expired token: %d, want 401", code)
	}
	res = h.do(request{method: http.MethodDelete, path: "/api/v1/me/tokens/1", token: token})
	if res.Code != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", res.Code, res.body)
	}
	if code := get(token); code != http.StatusUnauthorized {
		t.Errorf("revoked token: %d, want 401", code)
	}
}

func TestLoginRateLimit(t *testing.T) {
	h := newHarness(t)
	h.user("ada@acme.test", "org.viewer")
	for i := range 5 {
		if res, _, _ := h.login("ada@acme.test", "wrong", "10.0.0.3:1"); res.Code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, res.Code)
		}
	}
	res, _, _ := h.login("ada@acme.test", "correct horse battery", "10.0.0.3:1")
	if code, _ := res.errorCode(); res.Code != http.StatusTooManyRequests || code != "rate_limited" || res.Header().Get("Retry-After") == "" {
		t.Fatalf("6th attempt: %d %s (Retry-After %q)", res.Code, res.body, res.Header().Get("Retry-After"))
	}
	// Another client address is not affected.
	if res, _, _ := h.login("ada@acme.test", "correct horse battery", "10.0.0.4:1"); res.Code != http.StatusOK {
		t.Errorf("other address: %d", res.Code)
	}
}

func TestPasswordHash(t *testing.T) {
	hash, err := api.HashPassword("correct horse battery")
	if err != nil || !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(hash, "correct") {
		t.Fatalf("hash %q, %v", hash, err)
	}
	if again, _ := api.HashPassword("correct horse battery"); again == hash {
		t.Error("two hashes of one password are equal: no salt")
	}
	if _, err := api.HashPassword("short"); err == nil {
		t.Error("a 5-character password was accepted")
	}
}

func TestUsersAndPasswordChange(t *testing.T) {
	h := newHarness(t)
	admin := h.user("admin@acme.test", "org.admin")
	res := h.do(request{method: http.MethodPost, path: "/api/v1/users", token: admin, body: map[string]string{"email": "grace@acme.test", "name": "Grace", "password": "first password"}})
	if res.Code != http.StatusCreated || strings.Contains(string(res.body), "password") {
		t.Fatalf("create user: %d %s", res.Code, res.body)
	}
	for _, bad := range []map[string]string{
		{"email": "not-an-email", "name": "X", "password": "long enough"},
		{"email": "x@acme.test", "name": "X", "password": "short"},
		{"email": "grace@acme.test", "name": "Grace again", "password": "long enough"},
	} {
		if res := h.do(request{method: http.MethodPost, path: "/api/v1/users", token: admin, body: bad}); res.Code != http.StatusBadRequest && res.Code != http.StatusConflict {
			t.Errorf("%v: %d %s", bad, res.Code, res.body)
		}
	}
	res, cookies, csrf := h.login("grace@acme.test", "first password", "10.0.1.1:1")
	if res.Code != http.StatusOK {
		t.Fatalf("new user login: %d %s", res.Code, res.body)
	}
	change := func(current, next string) response {
		return h.do(request{method: http.MethodPut, path: "/api/v1/me/password", cookies: cookies, headers: map[string]string{"X-CSRF-Token": csrf},
			body: map[string]string{"current_password": current, "new_password": next}})
	}
	if res := change("wrong", "second password"); res.Code != http.StatusBadRequest {
		t.Errorf("wrong current password: %d", res.Code)
	}
	if res := change("first password", "second password"); res.Code != http.StatusNoContent {
		t.Fatalf("change: %d %s", res.Code, res.body)
	}
	if res, _, _ := h.login("grace@acme.test", "first password", "10.0.1.2:1"); res.Code != http.StatusUnauthorized {
		t.Errorf("old password still works: %d", res.Code)
	}
	if res, _, _ := h.login("grace@acme.test", "second password", "10.0.1.2:1"); res.Code != http.StatusOK {
		t.Errorf("new password: %d", res.Code)
	}
	var roles struct {
		Items []api.Role `json:"items"`
	}
	h.do(request{method: http.MethodGet, path: "/api/v1/roles", token: admin}).decode(t, &roles)
	if len(roles.Items) != 9 || roles.Items[0].Name != "org.owner" {
		t.Errorf("roles: %+v", roles.Items)
	}
}
