// Package redistest runs a private redis-server for tests: on a unix socket
// in the test's temporary directory, with no persistence, stopped when the
// test ends.
package redistest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a redis-server process of the test's own.
type Server struct {
	t    testing.TB
	Sock string // the unix socket clients connect to
	cmd  *exec.Cmd
	done chan error
}

// Start starts a server, or fails the test if redis-server cannot run
// (make test installs it: apt-get install redis-server).
func Start(t testing.TB) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server is not installed (make test installs the Debian package redis-server): %v", err)
	}
	s := &Server{t: t, Sock: filepath.Join(t.TempDir(), "redis.sock")}
	s.Restart()
	t.Cleanup(s.Stop)
	return s
}

// Client returns a client of the server, closed when the test ends. It
// ends a call at its context's deadline (ContextTimeoutEnabled), as a
// limiter's client should.
func (s *Server) Client() *redis.Client {
	c := s.Dial()
	s.t.Cleanup(func() { c.Close() })
	return c
}

// Dial returns a client of the server that the caller closes.
func (s *Server) Dial() *redis.Client {
	return redis.NewClient(&redis.Options{Network: "unix", Addr: s.Sock, MaxRetries: -1, ContextTimeoutEnabled: true})
}

// Restart starts the server after Stop; its data is gone.
func (s *Server) Restart() {
	s.t.Helper()
	s.cmd = exec.Command("redis-server", "--port", "0", "--unixsocket", s.Sock, "--unixsocketperm", "700",
		"--save", "", "--appendonly", "no", "--loglevel", "warning")
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	s.done = make(chan error, 1)
	go func(cmd *exec.Cmd, done chan<- error) { done <- cmd.Wait() }(s.cmd, s.done)
	// Wait until it answers: the socket appears when it listens.
	c := redis.NewClient(&redis.Options{Network: "unix", Addr: s.Sock, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for backoff := time.Millisecond; ; backoff = min(2*backoff, 50*time.Millisecond) {
		err := c.Ping(context.Background()).Err()
		if err == nil {
			return
		}
		select {
		case err := <-s.done:
			s.t.Fatalf("redis-server exited: %v", err)
		case <-time.After(backoff):
		}
		if time.Now().After(deadline) {
			s.Stop()
			s.t.Fatalf("redis-server did not answer within 10s: %v", err)
		}
	}
}

// Stop stops the server and waits for it to exit.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	if err := <-s.done; err != nil && !isKilled(err) {
		s.t.Errorf("redis-server: %v", err)
	}
	s.cmd = nil
}

func isKilled(err error) bool {
	var exit *exec.ExitError
	return errors.As(err, &exit)
}

// String names the server in messages.
func (s *Server) String() string { return fmt.Sprintf("redis-server on %s", s.Sock) }

// Signal sends sig to the server: SIGSTOP freezes it, SIGCONT resumes it.
func (s *Server) Signal(sig os.Signal) error { return s.cmd.Process.Signal(sig) }
