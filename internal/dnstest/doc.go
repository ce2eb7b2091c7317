// Package dnstest runs a real DNS server on the loopback address for
// tests: it answers TXT queries from records the test sets (built with
// github.com/miekg/dns), and NXDOMAIN for every other name.
package dnstest
