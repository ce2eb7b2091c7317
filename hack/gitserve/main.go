// Command gitserve serves the bare repositories under -root over git's smart
// HTTP protocol (git-http-backend through net/http/cgi), as a process of its
// own, so that benchmarks can measure the poller's CPU without the server's.
//
//	go run ./hack/gitserve -root /tmp/repos -listen 127.0.0.1:0
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/astrolift/astrolift/internal/gitserver"
)

func main() {
	root := flag.String("root", ".", "directory of bare repositories")
	listen := flag.String("listen", "127.0.0.1:0", "listen address")
	flag.Parse()
	backend := gitserver.Backend(*root, os.Stderr)
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	log.Fatal(http.Serve(ln, backend))
}
