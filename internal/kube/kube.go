package kube

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// ErrNotConfigured means neither a kubeconfig nor in-cluster mode was given.
var ErrNotConfigured = errors.New("no cluster configured (pass --kubeconfig or --in-cluster)")

// Config returns the REST config for a kubeconfig file or, when inCluster,
// for the pod's service account.
func Config(kubeconfig string, inCluster bool) (*rest.Config, error) {
	switch {
	case inCluster && kubeconfig != "":
		return nil, errors.New("--kubeconfig and --in-cluster are mutually exclusive")
	case inCluster:
		cfg, err := rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("in-cluster config: %w", err)
		}
		return cfg, nil
	case kubeconfig != "":
		cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			return nil, fmt.Errorf("kubeconfig %s: %w", kubeconfig, err)
		}
		return cfg, nil
	}
	return nil, ErrNotConfigured
}

// Checker reports whether a cluster's API server is ready.
type Checker struct {
	Name   string
	client kubernetes.Interface
	host   string
}

// NewChecker returns a readiness checker for cfg.
func NewChecker(name string, cfg *rest.Config) (*Checker, error) {
	c := rest.CopyConfig(cfg)
	c.Timeout = 5 * time.Second
	cs, err := kubernetes.NewForConfig(c)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: client: %w", name, err)
	}
	return &Checker{Name: name, client: cs, host: cfg.Host}, nil
}

// Check asks the API server's /readyz endpoint and returns its version.
func (c *Checker) Check(ctx context.Context) (string, error) {
	body, err := c.client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	if err != nil {
		return "", fmt.Errorf("cluster %s (%s): readyz: %w", c.Name, c.host, err)
	}
	if string(body) != "ok" {
		return "", fmt.Errorf("cluster %s (%s): readyz answered %q", c.Name, c.host, body)
	}
	v, err := c.client.Discovery().ServerVersion()
	if err != nil {
		return "", fmt.Errorf("cluster %s (%s): version: %w", c.Name, c.host, err)
	}
	return v.GitVersion, nil
}
