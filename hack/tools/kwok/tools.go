//go:build tools

// Package tools records the kwok command built by `make k8s-bins`.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
