package reconciler

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/polling"
	"github.com/fluxcd/cli-utils/pkg/kstatus/polling/clusterreader"
	"github.com/fluxcd/cli-utils/pkg/kstatus/polling/engine"
	"github.com/fluxcd/cli-utils/pkg/kstatus/polling/statusreaders"
	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/astrolift/astrolift/store"
)

// PurposeKubeconfig is the secretbox purpose of stored kubeconfigs.
const PurposeKubeconfig = "kubeconfig"

// Clusters builds, and caches per cluster, the clients environments deploy
// with: from the cluster's sealed kubeconfig, or the pod's service account
// for in-cluster clusters.
type Clusters struct {
	Store *store.Store
	Box   Opener

	mu    sync.Mutex
	cache map[int64]cachedCluster
}

type cachedCluster struct {
	updated time.Time
	client  *ClusterClient
}

// For returns the client of an environment's cluster.
func (c *Clusters) For(ctx context.Context, env *store.Environment) (*ClusterClient, error) {
	if env.ClusterID == 0 {
		return nil, fmt.Errorf("environment %s has no cluster", env.Name)
	}
	cl, err := c.Store.GetClusterByID(ctx, env.ClusterID)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cached, ok := c.cache[cl.ID]; ok && cached.updated.Equal(cl.UpdatedAt) {
		return cached.client, nil
	}
	var cfg *rest.Config
	switch cl.Kind {
	case store.ClusterInCluster:
		cfg, err = rest.InClusterConfig()
	case store.ClusterKubeconfig:
		if c.Box == nil {
			return nil, fmt.Errorf("cluster %s: no master key to open its kubeconfig", cl.Name)
		}
		var raw []byte
		if raw, err = c.Box.Open(PurposeKubeconfig, cl.KubeconfigSealed); err == nil {
			cfg, err = clientcmd.RESTConfigFromKubeConfig(raw)
		}
	default:
		err = fmt.Errorf("unknown kind %q", cl.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", cl.Name, err)
	}
	cfg.QPS, cfg.Burst = 50, 100
	k, err := client.New(cfg, client.Options{})
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", cl.Name, err)
	}
	cc := &ClusterClient{Client: k, Poller: NewStatusPoller(k), Config: cfg}
	if c.cache == nil {
		c.cache = map[int64]cachedCluster{}
	}
	c.cache[cl.ID] = cachedCluster{updated: cl.UpdatedAt, client: cc}
	return cc, nil
}

// NewStatusPoller is the kstatus poller the deployer waits with. It reads
// the objects directly, one GET each, instead of the default caching
// reader, which LISTs every kind of the namespace on each poll (measured
// at 60% of the deployer's CPU).
func NewStatusPoller(k client.Client) *polling.StatusPoller {
	return polling.NewStatusPoller(k, k.RESTMapper(), polling.Options{
		// One GET per object and poll: kstatus computes a Deployment's or
		// StatefulSet's status from the object itself; the default readers
		// also LIST its ReplicaSets and Pods on every poll, only for
		// details nobody reads here.
		CustomStatusReaders:  []engine.StatusReader{statusreaders.NewGenericStatusReader(k.RESTMapper(), status.Compute)},
		ClusterReaderFactory: engine.ClusterReaderFactoryFunc(clusterreader.NewDirectClusterReader),
	})
}
