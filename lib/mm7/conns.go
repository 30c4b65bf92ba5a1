package mm7

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// FreshConns tracks an HTTP server's connections that have not sent a
// request yet (the receiver's, and the MMSC simulator's). HTTP clients open
// spare connections (Go's transport dials one while another frees up) and
// keep them idle; net/http's Shutdown counts such a connection as busy
// until it is 5 s old, so a stop would wait for it with nothing in flight.
// Shutdown closes them as it goes: a request that was just starting on one
// is not answered, and its sender posts it again.
type FreshConns struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// Track is the server's ConnState hook.
func (f *FreshConns) Track(c net.Conn, st http.ConnState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if st == http.StateNew {
		if f.conns == nil {
			f.conns = map[net.Conn]struct{}{}
		}
		f.conns[c] = struct{}{}
		return
	}
	delete(f.conns, c)
}

func (f *FreshConns) closeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.conns {
		c.Close()
	}
}

// Shutdown stops srv, waiting within ctx for the requests under way.
func (f *FreshConns) Shutdown(ctx context.Context, srv *http.Server) error {
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(ctx) }()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		f.closeAll()
		select {
		case err := <-done:
			return err
		case <-t.C:
		}
	}
}
