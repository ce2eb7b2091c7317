package reconciler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/astrolift/astrolift/store"
)

// Managed service states.
const (
	ManagedPending        = "pending"
	ManagedProvisioning   = "provisioning"
	ManagedActive         = "active"
	ManagedFailed         = "failed"
	ManagedDeprovisioning = "deprovisioning"
)

// ManagedTarget is a managed service with where it lives: the app, the
// environment (its namespace) and the client of the environment's cluster.
type ManagedTarget struct {
	Service *store.ManagedService
	App     string // the app's slug
	Env     *store.Environment
	Cluster *ClusterClient
}

// ManagedProvider creates and removes the upstream resource of managed
// services of the kinds it supports. Both verbs are idempotent: they are
// called again after a crash, and on every scan until the service is
// ready.
type ManagedProvider interface {
	// Supports reports whether the provider runs services of kind.
	Supports(kind string) bool
	// Provision creates or updates the service and returns its connection
	// envelope (env keys and values, not yet prefixed with the service's
	// name) and whether it is ready for use.
	Provision(ctx context.Context, t *ManagedTarget) (envelope map[string]string, ready bool, err error)
	// Deprovision removes the service and what it stored; removing what is
	// already gone is no error.
	Deprovision(ctx context.Context, t *ManagedTarget) error
}

// ManagedServices is the managed-service loop: pending → provisioning →
// active (the sealed connection envelope stored) or failed with the
// reason; deprovisioning → the upstream torn down → the row removed (soft).
// Each service is worked on under a lease, so replicas do not act on one
// service at once, and every step is idempotent: a service left in
// provisioning or deprovisioning by a crash is finished by the next scan
// of any replica once the lease expires.
type ManagedServices struct {
	Store   *store.Store
	Cluster func(ctx context.Context, env *store.Environment) (*ClusterClient, error)
	// Providers run the services; the first that supports a kind runs it.
	// Default: the built-in in-cluster provider.
	Providers []ManagedProvider
	// Box seals the envelopes (store.ManagedServicePurpose). Required to
	// make a service active.
	Box      Box
	Interval time.Duration // between scans; default 2 s
	// Holder names this replica in the leases (default: random).
	Holder   string
	LeaseTTL time.Duration // default 1 min
	Log      *slog.Logger
}

// Run scans for managed services to work on until ctx ends.
func (m *ManagedServices) Run(ctx context.Context) error {
	interval := m.Interval
	if interval <= 0 {
		interval = 2 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := m.Scan(ctx); err != nil && ctx.Err() == nil {
			m.log().Error("managed services", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (m *ManagedServices) log() *slog.Logger {
	if m.Log == nil {
		return slog.Default()
	}
	return m.Log
}

func (m *ManagedServices) holder() string {
	if m.Holder == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		m.Holder = "managed-" + hex.EncodeToString(b)
	}
	return m.Holder
}

// Scan works once on every service that is pending, provisioning or
// deprovisioning.
func (m *ManagedServices) Scan(ctx context.Context) error {
	svcs, err := m.Store.ListManagedServices(ctx, store.ManagedServiceFilter{
		Statuses: []string{ManagedPending, ManagedProvisioning, ManagedDeprovisioning}})
	if err != nil {
		return err
	}
	for _, svc := range svcs {
		if ctx.Err() != nil {
			return nil
		}
		if err := m.Reconcile(ctx, svc); err != nil && ctx.Err() == nil {
			m.log().Error("managed service", "id", svc.ID, "kind", svc.Kind, "error", err)
		}
	}
	return nil
}

// Provider returns the provider of kind, or nil.
func (m *ManagedServices) Provider(kind string) ManagedProvider {
	providers := m.Providers
	if providers == nil {
		providers = []ManagedProvider{&InCluster{}}
	}
	for _, p := range providers {
		if p.Supports(kind) {
			return p
		}
	}
	return nil
}

// Reconcile takes one step with svc under its lease (none when another
// replica holds it): a pending one is marked provisioning and provisioned,
// a provisioning one provisioned again until ready, a deprovisioning one
// torn down and removed.
func (m *ManagedServices) Reconcile(ctx context.Context, svc *store.ManagedService) error {
	lease := fmt.Sprintf("managed-service:%d", svc.ID)
	ttl := m.LeaseTTL
	if ttl <= 0 {
		ttl = time.Minute
	}
	ok, err := m.Store.AcquireLease(ctx, lease, m.holder(), ttl)
	if err != nil || !ok {
		return err
	}
	defer func() {
		if err := m.Store.ReleaseLease(context.WithoutCancel(ctx), lease, m.holder()); err != nil {
			m.log().Error("managed service", "id", svc.ID, "error", err)
		}
	}()
	// Read it again under the lease: another replica may have moved it.
	if svc, err = m.Store.GetManagedService(ctx, svc.ID); err != nil {
		return err
	}
	t, err := m.target(ctx, svc)
	switch svc.Status {
	case ManagedDeprovisioning:
		return m.deprovision(ctx, t, err)
	case ManagedPending:
		if err := m.Store.TransitionManagedService(ctx, svc.ID, ManagedPending, ManagedProvisioning, store.ManagedServiceUpdate{}); err != nil {
			return err
		}
		svc.Status = ManagedProvisioning
		m.event(ctx, svc, "managed_service.provisioning", describe(svc)+": provisioning")
		fallthrough
	case ManagedProvisioning:
		if err == nil {
			err = m.provision(ctx, t)
		}
		if errors.Is(err, errNotReady) {
			return nil // the next scan looks again
		}
		if err != nil {
			if terr := m.Store.TransitionManagedService(ctx, svc.ID, ManagedProvisioning, ManagedFailed, store.ManagedServiceUpdate{Error: err.Error()}); terr != nil {
				return terr
			}
			m.event(ctx, svc, "managed_service.failed", describe(svc)+": failed: "+err.Error())
			return nil
		}
		m.event(ctx, svc, "managed_service.active", describe(svc)+": active")
	}
	return nil
}

var errNotReady = errors.New("not ready")

// target resolves where svc lives. On an error t still holds the service.
func (m *ManagedServices) target(ctx context.Context, svc *store.ManagedService) (*ManagedTarget, error) {
	t := &ManagedTarget{Service: svc}
	app, err := m.Store.GetAppByID(ctx, svc.AppID)
	if err != nil {
		return t, fmt.Errorf("%s: app %d: %w", describe(svc), svc.AppID, err)
	}
	t.App = app.Slug
	envs, err := m.Store.ListEnvironments(ctx, svc.AppID)
	if err != nil {
		return t, err
	}
	for _, e := range envs {
		if e.ID == svc.EnvironmentID {
			t.Env = e
		}
	}
	if t.Env == nil {
		return t, fmt.Errorf("%s: environment %d: %w", describe(svc), svc.EnvironmentID, store.ErrNotFound)
	}
	if t.Cluster, err = m.Cluster(ctx, t.Env); err != nil {
		return t, fmt.Errorf("%s: environment %s: cluster: %w", describe(svc), t.Env.Name, err)
	}
	return t, nil
}

func (m *ManagedServices) provision(ctx context.Context, t *ManagedTarget) error {
	svc := t.Service
	p := m.Provider(svc.Kind)
	if p == nil {
		return fmt.Errorf("%s: no provider runs %s in the cluster of environment %s", describe(svc), svc.Kind, t.Env.Name)
	}
	if m.Box == nil {
		return fmt.Errorf("%s: no master key to seal its credentials", describe(svc))
	}
	envelope, ready, err := p.Provision(ctx, t)
	if err != nil {
		return err
	}
	if !ready {
		return errNotReady
	}
	envelope = PrefixEnvelope(svc.Name, envelope)
	keys := make([]string, 0, len(envelope))
	for k := range envelope {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	plain, err := json.Marshal(envelope)
	if err != nil {
		return err
	}
	return m.Store.TransitionManagedService(ctx, svc.ID, ManagedProvisioning, ManagedActive, store.ManagedServiceUpdate{
		Keys: keys, Sealed: m.Box.Seal(envelopePurpose(svc.ID), plain)})
}

// deprovision tears the upstream down, then removes the row. A service
// whose app, environment or provider is gone has nothing left to tear
// down there.
func (m *ManagedServices) deprovision(ctx context.Context, t *ManagedTarget, targetErr error) error {
	svc := t.Service
	if p := m.Provider(svc.Kind); p != nil && t.Env != nil {
		if targetErr != nil {
			return targetErr // the cluster is unreachable: try again
		}
		if err := p.Deprovision(ctx, t); err != nil {
			return err
		}
	}
	if err := m.Store.RemoveManagedService(ctx, svc.ID); err != nil {
		return err
	}
	m.event(ctx, svc, "managed_service.deprovisioned", describe(svc)+": deprovisioned")
	return nil
}

func (m *ManagedServices) event(ctx context.Context, svc *store.ManagedService, kind, msg string) {
	if err := m.Store.AppendEvent(ctx, &store.Event{OrgID: svc.OrgID, AppID: svc.AppID, Kind: kind, Message: msg, Actor: "managed-services"}); err != nil {
		m.log().Error("record event", "managed service", svc.ID, "error", err)
	}
}

func describe(svc *store.ManagedService) string {
	if svc.Name == "" {
		return "managed service " + svc.Kind
	}
	return fmt.Sprintf("managed service %s %q", svc.Kind, svc.Name)
}

func envelopePurpose(id int64) string {
	return fmt.Sprintf("%s:%d", store.ManagedServicePurpose, id)
}

// PrefixEnvelope prefixes the keys of a named service's envelope with its
// name, upper-cased, dashes as underscores (analytics: ANALYTICS_DATABASE_URL).
func PrefixEnvelope(name string, envelope map[string]string) map[string]string {
	if name == "" {
		return envelope
	}
	prefix := envPrefix(name)
	out := make(map[string]string, len(envelope))
	for k, v := range envelope {
		out[prefix+k] = v
	}
	return out
}

// ManagedEnv returns the merged envelopes of the environment's active
// managed services, opened with box (nil: no active service needs none).
func ManagedEnv(ctx context.Context, s *store.Store, box Opener, envID int64) (map[string]string, error) {
	svcs, err := s.ListManagedServices(ctx, store.ManagedServiceFilter{EnvironmentID: envID, Statuses: []string{ManagedActive}})
	if err != nil || len(svcs) == 0 {
		return nil, err
	}
	out := map[string]string{}
	for _, svc := range svcs {
		if box == nil {
			return nil, fmt.Errorf("%s: no master key to open its connection envelope", describe(svc))
		}
		plain, err := box.Open(envelopePurpose(svc.ID), svc.EnvelopeSealed)
		if err != nil {
			return nil, fmt.Errorf("%s: connection envelope: %w", describe(svc), err)
		}
		var env map[string]string
		if err := json.Unmarshal(plain, &env); err != nil {
			return nil, fmt.Errorf("%s: connection envelope: %w", describe(svc), err)
		}
		for k, v := range env {
			out[k] = v
		}
	}
	return out, nil
}
