package reconciler_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/astrolift/astrolift/internal/dnstest"
	"github.com/astrolift/astrolift/reconciler"
	"github.com/astrolift/astrolift/store"
)

// testClock is a settable clock for the domain checker's schedule.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// A custom domain is validated against a real DNS server on loopback: no
// record keeps it pending with the reason, a wrong value too, the right
// one validates it (on the background scan, once its backoff is over); the
// next deployment's Ingress carries the host with its own TLS secret; and
// removing the binding frees the hostname for another app.
func TestDomainValidationAndIngress(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	dnsSrv := dnstest.New(t)
	a, e := f.appEnv("shop", "staging")
	clock := &testClock{t: time.Now().UTC().Truncate(time.Second)}
	checker := &reconciler.DomainChecker{Store: f.s, Resolver: reconciler.NewTXTResolver(dnsSrv.Addr), Holder: "test", Now: clock.Now}

	d := &store.Domain{OrgID: f.org.ID, AppID: a.ID, EnvironmentID: e.ID, Hostname: "shop.example.com", ChallengeToken: "tok123"}
	must(t, f.s.CreateDomain(ctx, d))
	record := reconciler.ChallengeRecord(d.Hostname)
	if record != "_astrolift-challenge.shop.example.com" || reconciler.ChallengeValue("tok123") != "astrolift-verify=tok123" {
		t.Fatalf("challenge %s = %s", record, reconciler.ChallengeValue("tok123"))
	}

	// (1) No record: pending, with a reason naming the record.
	got, err := checker.Check(ctx, d)
	must(t, err)
	if got.State != store.DomainPending || !strings.Contains(got.CheckError, "no TXT record at "+record) ||
		got.LastCheckedAt == nil || got.Attempts != 1 || got.NextCheckAt == nil || got.NextCheckAt.Sub(clock.Now()) != 30*time.Second {
		t.Fatalf("without a record: %+v", got)
	}
	if dnsSrv.Queries() == 0 {
		t.Fatal("the resolver never asked the loopback DNS server")
	}

	// A wrong value: still pending, saying what was found; the backoff doubles.
	dnsSrv.SetTXT(record, "astrolift-verify=someone-else")
	got, err = checker.Check(ctx, got)
	must(t, err)
	if got.State != store.DomainPending || !strings.Contains(got.CheckError, `holds "astrolift-verify=someone-else"`) ||
		got.NextCheckAt.Sub(clock.Now()) != time.Minute {
		t.Fatalf("with a wrong record: %+v", got)
	}

	// (2) The right record among others: the scan validates the domain
	// once it is due, not before.
	dnsSrv.SetTXT(record, "v=spf1 -all", "astrolift-verify=tok123")
	must(t, checker.Scan(ctx))
	if got, _ = f.s.GetDomain(ctx, d.ID); got.State != store.DomainPending {
		t.Fatalf("validated before its next check: %+v", got)
	}
	clock.Advance(time.Minute)
	must(t, checker.Scan(ctx))
	got, err = f.s.GetDomain(ctx, d.ID)
	must(t, err)
	if got.State != store.DomainValidated || got.CheckError != "" || got.NextCheckAt != nil || got.Attempts != 3 {
		t.Fatalf("with the right record: %+v", got)
	}

	// (3) The next deployment serves the domain.
	dep := &store.Deployment{AppID: a.ID, EnvironmentID: e.ID, Trigger: "manual", Status: "pending", Image: "v1", ManifestRaw: twoWorkloads}
	must(t, f.s.CreateDeployment(ctx, dep, "test"))
	if err := (&reconciler.Deployer{Store: f.s, Cluster: localCluster(t)}).Run(ctx, dep.ID); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	ing, err := env.Clientset.NetworkingV1().Ingresses(e.Namespace).Get(ctx, "shop-web", metav1.GetOptions{})
	must(t, err)
	var hosts, secrets []string
	for _, r := range ing.Spec.Rules {
		hosts = append(hosts, r.Host)
	}
	for _, tls := range ing.Spec.TLS {
		if slices.Contains(tls.Hosts, "shop.example.com") {
			secrets = append(secrets, tls.SecretName)
		}
	}
	if !slices.Contains(hosts, "shop.example.com") || !slices.Equal(secrets, []string{"tls-shop-example-com"}) {
		t.Fatalf("Ingress hosts %v, TLS secrets of the custom domain %v", hosts, secrets)
	}

	// (4) Removal frees the hostname: another app binds it.
	must(t, f.s.DeleteDomain(ctx, d.ID))
	other, otherEnv := f.appEnv("blog", "production")
	again := &store.Domain{OrgID: f.org.ID, AppID: other.ID, EnvironmentID: otherEnv.ID, Hostname: "shop.example.com", ChallengeToken: "tok456"}
	must(t, f.s.CreateDomain(ctx, again))
	if h, err := f.s.ValidatedHostnames(ctx, e.ID); err != nil || len(h) != 0 {
		t.Fatalf("hostnames of the old environment after removal: %v, %v", h, err)
	}
	// The old binding's record does not validate the new one.
	got, err = checker.Check(ctx, again)
	must(t, err)
	if got.State != store.DomainPending {
		t.Fatalf("new binding validated by the old token: %+v", got)
	}
	if _, err := checker.Check(ctx, d); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("check of a removed domain: %v, want ErrNotFound", err)
	}
}

func TestDomainBackoff(t *testing.T) {
	for attempt, want := range map[int]time.Duration{0: 30 * time.Second, 1: 30 * time.Second, 2: time.Minute, 5: 8 * time.Minute, 8: time.Hour, 40: time.Hour} {
		if got := reconciler.DomainBackoff(attempt); got != want {
			t.Errorf("DomainBackoff(%d) = %s, want %s", attempt, got, want)
		}
	}
}
