package ssrf_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/astrolift/astrolift/internal/ssrf"
)

func TestCheckAddr(t *testing.T) {
	strict, private, loopback := ssrf.Policy{}, ssrf.Policy{AllowPrivate: true}, ssrf.Policy{AllowLoopback: true}
	cases := []struct {
		addr                     string
		strict, private, loopbck bool // allowed under each policy
	}{
		{"93.184.215.14", true, true, true},
		{"2606:4700::6810:84e5", true, true, true},
		{"169.254.169.254", false, false, false},
		{"169.254.10.1", false, false, false},
		{"fe80::1", false, false, false},
		{"fd00:ec2::254", false, false, false},
		{"100.100.100.200", false, false, false},
		{"0.0.0.0", false, false, false},
		{"::", false, false, false},
		{"224.0.0.1", false, false, false},
		{"ff02::1", false, false, false},
		{"255.255.255.255", false, false, false},
		{"10.0.0.1", false, true, false},
		{"172.16.5.4", false, true, false},
		{"192.168.1.1", false, true, false},
		{"100.64.0.1", false, true, false},
		{"fd12:3456::1", false, true, false},
		{"127.0.0.1", false, true, true},
		{"::1", false, true, true},
		{"::ffff:127.0.0.1", false, true, true},
		{"::ffff:169.254.169.254", false, false, false},
	}
	for _, tc := range cases {
		ip := netip.MustParseAddr(tc.addr)
		for _, p := range []struct {
			name   string
			policy ssrf.Policy
			want   bool
		}{{"strict", strict, tc.strict}, {"private", private, tc.private}, {"loopback", loopback, tc.loopbck}} {
			err := p.policy.CheckAddr(ip)
			if got := err == nil; got != p.want {
				t.Errorf("%s policy, %s: allowed=%v, want %v (%v)", p.name, tc.addr, got, p.want, err)
			}
			if err != nil && !errors.Is(err, ssrf.ErrRefused) {
				t.Errorf("%s: error %v does not wrap ErrRefused", tc.addr, err)
			}
		}
	}
}

func TestCheckURL(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		url, wantErr string
	}{
		{"http://169.254.169.254/latest/meta-data/", "cloud metadata"},
		{"http://metadata.google.internal/computeMetadata/v1/", "cloud metadata"},
		{"http://METADATA.google.internal./x", "cloud metadata"},
		{"https://10.0.0.1/hook", "private"},
		{"http://[fe80::1]:8080/hook", "link-local"},
		{"http://127.0.0.1:9/hook", "loopback"},
		{"http://localhost:9/hook", "loopback"}, // resolved, then checked
		{"ftp://example.com/x", "http or https"},
		{"/relative", "http or https"},
		{"https://user:pw@hooks.example.com/x", "credentials"},
		{"https://203.0.113.10/hook", ""},
	} {
		err := ssrf.Policy{}.CheckURL(ctx, tc.url)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.url, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: error %v, want one saying %q", tc.url, err, tc.wantErr)
		}
	}
	if err := (ssrf.Policy{AllowLoopback: true}).CheckURL(ctx, "http://127.0.0.1:9/hook"); err != nil {
		t.Errorf("loopback allowed: %v", err)
	}
}

// The client checks the address it dials, whatever name led there: a
// name resolving to loopback (as a rebinding name would) is refused.
func TestClientChecksAtDialTime(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	for _, target := range []string{srv.URL, "http://localhost" + port} {
		res, err := ssrf.Policy{}.Client(5 * time.Second).Get(target)
		if err == nil {
			_ = res.Body.Close()
		}
		if !errors.Is(err, ssrf.ErrRefused) {
			t.Errorf("strict client, %s: %v, want ErrRefused", target, err)
		}
	}
	c := ssrf.Policy{AllowLoopback: true}.Client(5 * time.Second)
	res, err := c.Get("http://localhost" + port)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Errorf("status %d", res.StatusCode)
	}
	res, err = c.Get(srv.URL + "/redirect")
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Errorf("redirect followed: status %d, want 302", res.StatusCode)
	}
	res, err = c.Get("http://metadata.google.internal/")
	if err == nil {
		_ = res.Body.Close()
	}
	if !errors.Is(err, ssrf.ErrRefused) {
		t.Errorf("metadata name: %v, want ErrRefused", err)
	}
}
