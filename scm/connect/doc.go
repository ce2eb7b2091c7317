// Package connect builds the scm.Provider of a connection's kind (github,
// gitlab, gitea, bitbucket). It is the one place that imports every host
// package, so the API and the reconciler depend on scm.Provider only.
package connect
