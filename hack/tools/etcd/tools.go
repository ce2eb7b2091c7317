//go:build tools

// Package tools records the etcd server built by `make k8s-bins`.
package tools

import _ "go.etcd.io/etcd/server/v3"
