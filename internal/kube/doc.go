// Package kube connects Astrolift to a Kubernetes cluster: it builds a
// *rest.Config from a kubeconfig file or the pod's in-cluster service
// account, and checks that the cluster's API server is ready.
package kube
