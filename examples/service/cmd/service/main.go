// Command service runs the example service on :8080 (or $ADDR).
package main

import (
	"log"
	"net/http"
	"os"

	"github.com/monogen/monogen/examples/service"
)

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = ":8080"
	}
	s := service.New()
	defer s.Close()
	log.Printf("serving /thumbs and /metrics on %s", addr)
	log.Fatal(http.ListenAndServe(addr, s))
}
