package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/argon2"
	"golang.org/x/time/rate"

	"github.com/astrolift/astrolift/store"
)

const (
	sessionCookie = "astrolift_session"
	csrfCookie    = "astrolift_csrf"
	csrfHeader    = "X-CSRF-Token"
	// TokenPrefix starts every API token, so that leaked tokens are easy to
	// recognise (secret scanners) and to tell from session cookies.
	TokenPrefix = "alt_"
	// DeployTokenPrefix starts every deploy token (an app-bound CI
	// credential; see tokens.go).
	DeployTokenPrefix = "aldt_"
	// DefaultSessionTTL is how long a session lives without activity.
	DefaultSessionTTL = 24 * time.Hour
	principalKey      = "astrolift.principal"
)

// newSecret returns 32 random bytes, base64url-encoded.
func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret is what the store keeps of a session cookie or an API token.
// Secrets carry 256 bits of entropy, so a plain SHA-256 suffices.
func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// csrfToken derives a session's CSRF token from its (HttpOnly) cookie
// value: a page can only learn it from the login response or the readable
// csrf cookie of its own origin.
func csrfToken(session string) string {
	sum := sha256.Sum256([]byte("astrolift-csrf:" + session))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// argon2id parameters (OWASP's minimum recommendation: 19 MiB, 2 passes).
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(password string) (string, error) {
	if len(password) < 8 {
		return "", invalid("password", "password must be at least 8 characters")
	}
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// checkPassword compares a password with a PHC argon2id hash in constant time.
func checkPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked when the email is unknown, so that a login takes
// the same time whether or not the account exists.
var dummyHash, _ = HashPassword("not-a-real-password")

// IssueAPIToken creates an API token for a user and returns its secret,
// which is not stored anywhere (only its hash and last four characters).
func IssueAPIToken(ctx context.Context, s *store.Store, userID int64, name string, expires *time.Time) (string, *store.APIToken, error) {
	secret := TokenPrefix + newSecret()
	t := &store.APIToken{UserID: userID, Name: name, Last4: secret[len(secret)-4:], ExpiresAt: expires}
	if err := s.CreateAPIToken(ctx, hashSecret(secret), t); err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// principal is the authenticated caller of a request: a user (by session
// or API token) or a deploy token. A deploy token's principal has a
// stand-in user (no id, the app's organization, "token:<name>" as its
// email, so that events and created_by name the token) and no bindings.
type principal struct {
	*grants
	session     *store.Session // nil for API tokens
	token       *store.APIToken
	deployToken *store.DeployToken
}

// allows reports whether the caller holds perm at sc. A deploy token holds
// app.read (scope read) and app.deploy (scope deploy) on its own app only;
// which routes it may call at all is deployTokenRoutes.
func (p *principal) allows(perm Permission, sc scope) bool {
	t := p.deployToken
	if t == nil {
		return p.grants.allows(perm, sc)
	}
	switch {
	case perm == PermOrgRead:
		return true // only the routes of deployTokenRoutes get here
	case sc.appID != t.AppID:
		return false
	case perm == PermAppRead:
		return t.HasScope(DeployScopeRead)
	case perm == PermAppDeploy:
		return t.HasScope(DeployScopeDeploy)
	}
	return false
}

func principalOf(c *gin.Context) *principal { return c.MustGet(principalKey).(*principal) }

// authenticate identifies the caller by bearer token or session cookie and
// enforces CSRF protection on state-changing cookie requests. It answers 401
// when neither is valid.
func (a *API) authenticate(c *gin.Context) {
	ctx := c.Request.Context()
	p := &principal{}
	var userID int64
	if h := c.GetHeader("Authorization"); h != "" {
		raw, ok := strings.CutPrefix(h, "Bearer ")
		if ok && strings.HasPrefix(raw, DeployTokenPrefix) {
			a.authenticateDeployToken(c, raw)
			return
		}
		if !ok || !strings.HasPrefix(raw, TokenPrefix) {
			a.fail(c, errUnauthenticated)
			return
		}
		tok, err := a.store.UseAPIToken(ctx, hashSecret(raw))
		if err != nil {
			a.failAuth(c, err)
			return
		}
		p.token, userID = tok, tok.UserID
	} else {
		cookie, err := c.Cookie(sessionCookie)
		if err != nil || cookie == "" {
			a.fail(c, errUnauthenticated)
			return
		}
		sess, err := a.store.GetSession(ctx, hashSecret(cookie))
		if err != nil {
			a.failAuth(c, err)
			return
		}
		if !safeMethod(c.Request.Method) &&
			subtle.ConstantTimeCompare([]byte(c.GetHeader(csrfHeader)), []byte(csrfToken(cookie))) != 1 {
			a.fail(c, errCSRF)
			return
		}
		if now := a.now(); now.Sub(sess.LastSeenAt) > time.Minute {
			if err := a.store.TouchSession(ctx, sess.ID, now.Add(a.opts.SessionTTL)); err != nil {
				a.fail(c, err)
				return
			}
		}
		p.session, userID = sess, sess.UserID
	}
	u, err := a.store.GetUser(ctx, userID)
	if err != nil {
		a.failAuth(c, err)
		return
	}
	if p.grants, err = a.loadGrants(ctx, u); err != nil {
		a.fail(c, err)
		return
	}
	c.Set(principalKey, p)
	c.Next()
}

// failAuth answers 401 for unknown credentials and 500 for anything else.
func (a *API) failAuth(c *gin.Context, err error) {
	if errors.Is(err, store.ErrNotFound) {
		a.fail(c, errUnauthenticated)
		return
	}
	a.fail(c, err)
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// loginLimiter allows each client address a burst of 5 login attempts, then
// one every 12 seconds.
type loginLimiter struct {
	mu      sync.Mutex
	clients map[string]*rate.Limiter
	swept   time.Time
}

func (l *loginLimiter) allow(addr string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.clients == nil || now.Sub(l.swept) > 10*time.Minute {
		l.clients, l.swept = map[string]*rate.Limiter{}, now // a full bucket for everyone
	}
	lim, ok := l.clients[addr]
	if !ok {
		lim = rate.NewLimiter(rate.Every(12*time.Second), 5)
		l.clients[addr] = lim
	}
	r := lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type loginResponse struct {
	User      userDTO   `json:"user"`
	CSRFToken string    `json:"csrf_token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// login checks email and password and starts a session: an HttpOnly,
// SameSite=Lax cookie (Secure over TLS) plus the CSRF token to send back in
// X-CSRF-Token on every state-changing request.
func (a *API) login(c *gin.Context) {
	if ok, wait := a.limiter.allow(c.ClientIP(), a.now()); !ok {
		c.Header("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
		a.fail(c, &Error{Status: http.StatusTooManyRequests, Code: "rate_limited", Message: "too many login attempts; try again later"})
		return
	}
	var req loginRequest
	if err := bindJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	u, err := a.store.GetUserByEmail(ctx, req.Email)
	if errors.Is(err, store.ErrNotFound) {
		checkPassword(dummyHash, req.Password)
	} else if err != nil {
		a.fail(c, err)
		return
	}
	if u == nil || !checkPassword(u.PasswordHash, req.Password) {
		a.fail(c, &Error{Status: http.StatusUnauthorized, Code: "bad_credentials", Message: "wrong email or password"})
		return
	}
	secret := newSecret()
	sess := &store.Session{UserID: u.ID, UserAgent: c.Request.UserAgent(), RemoteAddr: c.ClientIP(), ExpiresAt: a.now().Add(a.opts.SessionTTL)}
	if err := a.store.CreateSession(ctx, hashSecret(secret), sess); err != nil {
		a.fail(c, err)
		return
	}
	secure := c.Request.TLS != nil
	http.SetCookie(c.Writer, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	http.SetCookie(c.Writer, &http.Cookie{Name: csrfCookie, Value: csrfToken(secret), Path: "/", Secure: secure, SameSite: http.SameSiteLaxMode})
	a.event(ctx, u.OrgID, 0, "user.login", u.Email, "logged in")
	c.JSON(http.StatusOK, loginResponse{User: newUserDTO(u), CSRFToken: csrfToken(secret), ExpiresAt: sess.ExpiresAt})
}

// logout ends the cookie session.
func (a *API) logout(c *gin.Context) {
	p := principalOf(c)
	if p.session != nil {
		if err := a.store.DeleteSession(c.Request.Context(), p.session.ID); err != nil {
			a.fail(c, err)
			return
		}
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.SetCookie(c.Writer, &http.Cookie{Name: csrfCookie, Value: "", Path: "/", MaxAge: -1, SameSite: http.SameSiteLaxMode})
	c.Status(http.StatusNoContent)
}
