// Package ssrf decides which addresses Astrolift's outbound requests
// (webhook deliveries) may reach, so that a URL typed by a user cannot make
// the platform talk to its own network or to a cloud metadata service.
//
// A Policy refuses, always: link-local addresses (169.254.0.0/16, fe80::/10),
// cloud metadata endpoints (169.254.169.254, fd00:ec2::254, 100.100.100.200,
// metadata.google.internal), unspecified, multicast and broadcast addresses.
// Private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7) and
// loopback are refused unless the policy allows them (AllowPrivate, a serve
// flag; AllowLoopback, for tests).
//
// CheckURL is the check at create time: it parses the URL, resolves its
// host and checks every address. Client returns an HTTP client that checks
// again at dial time, on the address actually dialled (net.Dialer.Control),
// so a name that resolves differently later (DNS rebinding) cannot get
// through; it uses no proxy and follows no redirects.
package ssrf
