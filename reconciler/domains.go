package reconciler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/astrolift/astrolift/store"
)

// Custom domain challenges: a binding of hostname with token is proven by
// a TXT record ChallengeRecord(hostname) holding ChallengeValue(token).
const (
	ChallengePrefix      = "_astrolift-challenge."
	ChallengeValuePrefix = "astrolift-verify="
)

// ChallengeRecord is the name of the TXT record that proves hostname.
func ChallengeRecord(hostname string) string { return ChallengePrefix + hostname }

// ChallengeValue is the TXT value that proves a binding with token.
func ChallengeValue(token string) string { return ChallengeValuePrefix + token }

// TXTResolver looks up the TXT records of a name.
type TXTResolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// NewTXTResolver returns a resolver that asks the DNS server at addr
// ("host:port"), or the system resolver when addr is empty.
func NewTXTResolver(addr string) TXTResolver {
	if addr == "" {
		return net.DefaultResolver
	}
	var d net.Dialer
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}
}

// DomainBackoff waits 30 s after the first failed check of a domain and
// doubles each time, up to an hour.
func DomainBackoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 8 {
		return time.Hour
	}
	return min(30*time.Second<<(attempt-1), time.Hour)
}

// DomainChecker validates custom domains: it resolves each pending
// domain's challenge TXT record and moves the domain to validated when the
// record holds its token. Pending domains are rechecked with backoff
// (next_check_at); after MaxPending a domain fails and is only checked
// again when asked (the recheck endpoint). The next deployment of a
// validated domain's environment serves it.
type DomainChecker struct {
	Store    *store.Store
	Resolver TXTResolver // default: the system resolver
	Holder   string
	// Interval between scans for due domains (default 10 s).
	Interval time.Duration
	// Timeout of one lookup (default 10 s).
	Timeout time.Duration
	// Backoff is the wait after failed check n (1, 2, …) (default
	// DomainBackoff).
	Backoff func(attempt int) time.Duration
	// MaxPending is how long a domain is rechecked automatically before
	// it fails (default 7 days).
	MaxPending time.Duration
	Now        func() time.Time
	Log        *slog.Logger
}

func (c *DomainChecker) defaults() {
	if c.Resolver == nil {
		c.Resolver = net.DefaultResolver
	}
	if c.Interval <= 0 {
		c.Interval = 10 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Backoff == nil {
		c.Backoff = DomainBackoff
	}
	if c.MaxPending <= 0 {
		c.MaxPending = 7 * 24 * time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
}

// Run checks the due pending domains every Interval until ctx ends.
func (c *DomainChecker) Run(ctx context.Context) error {
	c.defaults()
	tick := time.NewTicker(c.Interval)
	defer tick.Stop()
	for {
		if err := c.Scan(ctx); err != nil && ctx.Err() == nil {
			c.Log.Error("domain check", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Scan checks every due pending domain once; a domain another replica is
// checking is skipped.
func (c *DomainChecker) Scan(ctx context.Context) error {
	c.defaults()
	due, err := c.Store.DueDomains(ctx, c.Now(), 100)
	if err != nil {
		return err
	}
	for _, d := range due {
		if ctx.Err() != nil {
			return nil
		}
		lease := fmt.Sprintf("domain:%d", d.ID)
		ok, err := c.Store.AcquireLease(ctx, lease, c.Holder, c.Timeout+time.Minute)
		if err != nil || !ok {
			continue
		}
		if _, err := c.Check(ctx, d); err != nil && ctx.Err() == nil {
			c.Log.Warn("domain check", "domain", d.Hostname, "error", err)
		}
		_ = c.Store.ReleaseLease(context.WithoutCancel(ctx), lease, c.Holder)
	}
	return nil
}

// Check resolves the domain's challenge record now and stores the outcome:
// validated when the record holds the token, else the reason, with the
// next automatic check scheduled. A validated domain is returned as is.
func (c *DomainChecker) Check(ctx context.Context, d *store.Domain) (*store.Domain, error) {
	c.defaults()
	if d.State == store.DomainValidated {
		return d, nil
	}
	lookupCtx, cancel := context.WithTimeout(ctx, c.Timeout)
	reason := c.verify(lookupCtx, d)
	cancel()
	now := c.Now().UTC()
	check := store.DomainCheck{At: now, State: store.DomainValidated}
	if reason != "" {
		check.State, check.Error = store.DomainPending, reason
		if now.Sub(d.CreatedAt) >= c.MaxPending {
			check.State = store.DomainFailed
		} else {
			next := now.Add(c.Backoff(d.Attempts + 1))
			check.NextCheckAt = &next
		}
	}
	out, err := c.Store.RecordDomainCheck(ctx, d.ID, check)
	if err != nil {
		return nil, fmt.Errorf("domain %s: %w", d.Hostname, err)
	}
	if check.State != d.State || check.State == store.DomainValidated {
		c.Log.Info("domain checked", "domain", d.Hostname, "state", check.State, "reason", reason)
	}
	return out, nil
}

// verify returns why the domain's challenge does not hold, or "".
func (c *DomainChecker) verify(ctx context.Context, d *store.Domain) string {
	name, want := ChallengeRecord(d.Hostname), ChallengeValue(d.ChallengeToken)
	values, err := c.Resolver.LookupTXT(ctx, name)
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			return fmt.Sprintf("no TXT record at %s; add one with the value %s", name, want)
		}
		return fmt.Sprintf("looking up the TXT record at %s: %v", name, err)
	}
	for i, v := range values {
		values[i] = strings.TrimSpace(v)
	}
	if slices.Contains(values, want) {
		return ""
	}
	if len(values) == 0 {
		return fmt.Sprintf("no TXT record at %s; add one with the value %s", name, want)
	}
	return fmt.Sprintf("the TXT record at %s holds %q, not %s", name, strings.Join(values, `", "`), want)
}
