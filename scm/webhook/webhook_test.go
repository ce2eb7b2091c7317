package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/astrolift/astrolift/scm/webhook"
)

var secret = []byte("s3cret-webhook")

func mac(body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func payload(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifyHosts(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	genericBody := []byte(`{"repository":"https://git.example.com/acme/shop.git","branch":"main","commit":"abc"}`)
	ts := strconv.FormatInt(now.Unix(), 10)
	tests := []struct {
		kind    string
		body    []byte
		headers map[string]string
		want    webhook.Push
	}{
		{webhook.GitHub, payload(t, "github-push.json"), map[string]string{"X-GitHub-Event": "push", "X-GitHub-Delivery": "d-1"},
			webhook.Push{Delivery: "d-1", Repos: []string{"https://github.com/acme/shop.git", "git@github.com:acme/shop.git", "https://github.com/acme/shop"},
				Branch: "main", After: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"}},
		{webhook.Gitea, payload(t, "gitea-push.json"), map[string]string{"X-Gitea-Event": "push", "X-Gitea-Delivery": "d-2"},
			webhook.Push{Delivery: "d-2", Repos: []string{"http://gitea.local:3000/acme/shop.git", "git@gitea.local:acme/shop.git", "http://gitea.local:3000/acme/shop"},
				Branch: "develop", After: "bffeb74224043ba2feb48d137756c8a9331c449a"}},
		{webhook.GitLab, payload(t, "gitlab-push.json"), map[string]string{"X-Gitlab-Event": "Push Hook", "X-Gitlab-Event-UUID": "d-3"},
			webhook.Push{Delivery: "d-3", Repos: []string{"https://gitlab.example.com/acme/shop.git", "git@gitlab.example.com:acme/shop.git", "https://gitlab.example.com/acme/shop"},
				Branch: "main", After: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"}},
		{webhook.Bitbucket, payload(t, "bitbucket-push.json"), map[string]string{"X-Event-Key": "repo:push", "X-Request-UUID": "d-4"},
			webhook.Push{Delivery: "d-4", Repos: []string{"https://bitbucket.org/acme/shop", "https://bitbucket.org/acme/shop.git", "git@bitbucket.org:acme/shop.git"},
				Branch: "main", After: "709d658dc5b6d6afcd46049c2f332ee3f515a67d"}},
		{webhook.Generic, genericBody, map[string]string{"X-Astrolift-Timestamp": ts, "X-Astrolift-Delivery": "d-5"},
			webhook.Push{Delivery: "d-5", Repos: []string{"https://git.example.com/acme/shop.git"}, Branch: "main", After: "abc"}},
	}
	sign := func(kind string, h http.Header, body []byte) {
		switch kind {
		case webhook.GitHub:
			h.Set("X-Hub-Signature-256", "sha256="+mac(body))
		case webhook.Gitea:
			h.Set("X-Gitea-Signature", mac(body))
		case webhook.GitLab:
			h.Set("X-Gitlab-Token", string(secret))
		case webhook.Bitbucket:
			h.Set("X-Hub-Signature", "sha256="+mac(body))
		case webhook.Generic:
			h.Set("X-Astrolift-Signature", webhook.Sign(secret, h.Get("X-Astrolift-Timestamp"), body))
		}
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.headers {
				h.Set(k, v)
			}
			sign(tt.kind, h, tt.body)
			got, err := webhook.Verify(tt.kind, secret, h, tt.body, now)
			if err != nil {
				t.Fatal(err)
			}
			if got.Delivery != tt.want.Delivery || got.Branch != tt.want.Branch || got.After != tt.want.After || !slices.Equal(got.Repos, tt.want.Repos) {
				t.Errorf("push %+v, want %+v", got, tt.want)
			}
			// A tampered body, another secret, or no signature at all is refused.
			tampered := append([]byte(nil), tt.body...)
			tampered[len(tampered)-2] ^= 1
			if tt.kind != webhook.GitLab { // GitLab sends a shared token, not a body signature
				if _, err := webhook.Verify(tt.kind, secret, h, tampered, now); !errors.Is(err, webhook.ErrSignature) {
					t.Errorf("tampered body: %v", err)
				}
			}
			if _, err := webhook.Verify(tt.kind, []byte("other"), h, tt.body, now); !errors.Is(err, webhook.ErrSignature) {
				t.Errorf("other secret: %v", err)
			}
			bare := http.Header{}
			for k, v := range tt.headers {
				bare.Set(k, v)
			}
			if _, err := webhook.Verify(tt.kind, secret, bare, tt.body, now); !errors.Is(err, webhook.ErrSignature) {
				t.Errorf("unsigned: %v", err)
			}
			if _, err := webhook.Verify(tt.kind, nil, h, tt.body, now); !errors.Is(err, webhook.ErrSignature) {
				t.Errorf("no secret configured: %v", err)
			}
		})
	}
	// Stale generic deliveries are refused even with a valid signature.
	old := strconv.FormatInt(now.Add(-10*time.Minute).Unix(), 10)
	h := http.Header{"X-Astrolift-Timestamp": {old}}
	h.Set("X-Astrolift-Signature", webhook.Sign(secret, old, genericBody))
	if _, err := webhook.Verify(webhook.Generic, secret, h, genericBody, now); !errors.Is(err, webhook.ErrStale) {
		t.Errorf("stale: %v", err)
	}
	// Other events are not pushes.
	body := payload(t, "github-push.json")
	h = http.Header{"X-Github-Event": {"ping"}}
	h.Set("X-Hub-Signature-256", "sha256="+mac(body))
	if _, err := webhook.Verify(webhook.GitHub, secret, h, body, now); !errors.Is(err, webhook.ErrNotPush) {
		t.Errorf("ping: %v", err)
	}
	if _, err := webhook.Verify("svn", secret, h, body, now); !errors.Is(err, webhook.ErrUnknownKind) {
		t.Errorf("unknown kind: %v", err)
	}
}

func TestSameRepo(t *testing.T) {
	same := [][2]string{
		{"https://github.com/acme/shop.git", "https://github.com/acme/shop"},
		{"https://github.com/acme/shop.git", "git@github.com:acme/shop.git"},
		{"https://GitHub.com/acme/shop/", "ssh://git@github.com/acme/shop.git"},
		{"https://token@github.com/acme/shop.git", "http://github.com/acme/shop"},
		{"ssh://git@gitea.local:22/acme/shop.git", "git@gitea.local:acme/shop.git"},
	}
	for _, p := range same {
		if !webhook.SameRepo(p[0], p[1]) {
			t.Errorf("%s and %s should be the same repository", p[0], p[1])
		}
	}
	different := [][2]string{
		{"https://github.com/acme/shop.git", "https://github.com/acme/shop2.git"},
		{"https://github.com/acme/shop.git", "https://gitlab.com/acme/shop.git"},
		{"https://github.com/acme/Shop.git", "https://github.com/acme/shop.git"},
		{"http://gitea.local:3000/acme/shop.git", "http://gitea.local:3001/acme/shop.git"},
	}
	for _, p := range different {
		if webhook.SameRepo(p[0], p[1]) {
			t.Errorf("%s and %s should differ", p[0], p[1])
		}
	}
}
