// Package podexec runs commands in the pods of an app's workloads through
// the Kubernetes exec API (client-go remotecommand: the WebSocket protocol,
// falling back to SPDY), streaming stdout and stderr separately and
// reporting the remote exit code.
package podexec
