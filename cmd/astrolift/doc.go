// Command astrolift is the Astrolift server and CLI.
//
//	astrolift serve     run the API and dashboard against a database and cluster
//	astrolift dev       the embedded default: SQLite in ./data, a local control
//	                    plane (etcd, kube-apiserver, controller-manager,
//	                    scheduler, kwok) and serve on top
//	astrolift migrate   apply database migrations and exit
//	astrolift render    print the Kubernetes objects an astrolift.toml renders to
//	astrolift lint      check astrolift.toml files (file:line:col per problem)
//	astrolift seal      seal a secret value for [env] to the platform's recipient
//	astrolift version   print the version
//
// Every flag can also be set with an ASTROLIFT_* environment variable
// (--database-url ↔ ASTROLIFT_DATABASE_URL); flags win. This package only
// parses flags and wires packages together.
package main
