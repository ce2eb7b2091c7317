package ssrf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrRefused means the policy does not allow the address or host.
var ErrRefused = errors.New("refused by the outbound address policy")

// Policy says which addresses outbound requests may reach. The zero value
// is the strict policy: public addresses only.
type Policy struct {
	// AllowPrivate allows private ranges and loopback (a platform whose
	// receivers run on its own network).
	AllowPrivate bool
	// AllowLoopback allows loopback only (tests with a local receiver).
	AllowLoopback bool
}

// metadataHosts are cloud metadata services reached by name.
var metadataHosts = []string{"metadata.google.internal", "metadata.goog"}

// metadataAddrs are cloud metadata services reached by address, refused
// even where their range is allowed.
var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, DigitalOcean, OpenStack
	netip.MustParseAddr("fd00:ec2::254"),   // AWS over IPv6
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
}

var (
	cgnat     = netip.MustParsePrefix("100.64.0.0/10")
	thisNet   = netip.MustParsePrefix("0.0.0.0/8")
	broadcast = netip.MustParseAddr("255.255.255.255")
)

// CheckAddr reports whether the policy allows ip, naming what it is when
// it does not.
func (p Policy) CheckAddr(ip netip.Addr) error {
	ip = ip.Unmap()
	refuse := func(what string) error { return fmt.Errorf("%s is %s: %w", ip, what, ErrRefused) }
	for _, m := range metadataAddrs {
		if ip == m {
			return refuse("a cloud metadata address")
		}
	}
	switch {
	case !ip.IsValid():
		return fmt.Errorf("invalid address: %w", ErrRefused)
	case ip.IsUnspecified() || thisNet.Contains(ip):
		return refuse("an unspecified address")
	case ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast():
		return refuse("a link-local address")
	case ip.IsMulticast() || ip.IsInterfaceLocalMulticast() || ip == broadcast:
		return refuse("a multicast or broadcast address")
	case ip.IsLoopback():
		if !p.AllowPrivate && !p.AllowLoopback {
			return refuse("a loopback address (allow private targets to use it)")
		}
	case ip.IsPrivate() || cgnat.Contains(ip):
		if !p.AllowPrivate {
			return refuse("a private address (allow private targets to use it)")
		}
	}
	return nil
}

// CheckHost refuses host names of cloud metadata services. host is a name
// or an address literal, without port.
func (p Policy) CheckHost(host string) error {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	for _, m := range metadataHosts {
		if h == m {
			return fmt.Errorf("%s is a cloud metadata service: %w", host, ErrRefused)
		}
	}
	if ip, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		return p.CheckAddr(ip)
	}
	return nil
}

// CheckURL checks a target URL at create time: an http(s) URL without
// credentials whose host resolves only to allowed addresses.
func (p Policy) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return fmt.Errorf("%q must be an http or https URL with a host", raw)
	}
	if u.User != nil {
		return fmt.Errorf("%q carries credentials; the receiver verifies the signature instead", u.Redacted())
	}
	host := u.Hostname()
	if err := p.CheckHost(host); err != nil {
		return err
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil // an address literal, checked above
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("host %s does not resolve: %w", host, err)
	}
	for _, ip := range addrs {
		if err := p.CheckAddr(ip); err != nil {
			return fmt.Errorf("host %s resolves to %w", host, err)
		}
	}
	return nil
}

// Control is a net.Dialer Control function: it refuses to connect to an
// address the policy does not allow, after name resolution.
func (p Policy) Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s %s: %w", network, address, ErrRefused)
	}
	if err := p.CheckAddr(ap.Addr()); err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	return nil
}

// Client returns an HTTP client for outbound requests under the policy:
// names and dialled addresses are checked, no proxy is used (it would dial
// for us), redirects are not followed (the 3xx is the answer), and each
// request is bounded by timeout.
func (p Policy) Client(timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: timeout, Control: p.Control}
	transport := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, fmt.Errorf("dial %s: %w", addr, err)
			}
			if err := p.CheckHost(host); err != nil {
				return nil, err
			}
			return dialer.DialContext(ctx, network, addr)
		},
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport:     transport,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
