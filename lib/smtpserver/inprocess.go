package smtpserver

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"msyshost/lib/message"
)

// The in-process listener: a scenario's SMTP session goes through the same
// listener code as a socket's (Listener_Sessions, the connect phase,
// go-smtp, every policy phase, the queue), over a connection that never
// leaves the process. Dial hands the server one end of an in-memory
// connection.

// inProcessAddr names the in-process listener.
const inProcessAddr = "in-process"

// Dial opens a connection to the in-process listener (Options.InProcess),
// which sees it coming from remote to local.
func (s *Server) Dial(ctx context.Context, remote, local netip.AddrPort) (net.Conn, error) {
	if s.inProcess == nil {
		return nil, errors.New("smtp in: no in-process listener")
	}
	client, server := newMemConn(remote, local)
	select {
	case s.inProcess.conns <- server:
		return client, nil
	case <-s.inProcess.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// memListener is a net.Listener without a socket.
type memListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newMemListener() *memListener {
	return &memListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (p *memListener) Accept() (net.Conn, error) {
	select {
	case c := <-p.conns:
		return c, nil
	case <-p.done:
		return nil, net.ErrClosed
	}
}

func (p *memListener) Close() error {
	p.once.Do(func() { close(p.done) })
	return nil
}

func (p *memListener) Addr() net.Addr { return pipeAddr{} }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "memory" }
func (pipeAddr) String() string  { return inProcessAddr }

// memConn is one end of an in-memory connection. Unlike net.Pipe its
// writes are buffered, as a socket's are: a client may pipeline commands
// while the server writes replies, without either blocking the other.
type memConn struct {
	in, out       *memBuf
	local, remote net.Addr
	// ended is closed once the server has ended the session, after the
	// policy's End: shared by both ends.
	ended     chan struct{}
	endedOnce *sync.Once

	mu       sync.Mutex
	deadline time.Time // for reads; writes never block
}

func newMemConn(remote, local netip.AddrPort) (client, server *memConn) {
	a, b := newMemBuf(), newMemBuf()
	ra, la := net.TCPAddrFromAddrPort(remote), net.TCPAddrFromAddrPort(local)
	ended, once := make(chan struct{}), &sync.Once{}
	client = &memConn{in: a, out: b, local: ra, remote: la, ended: ended, endedOnce: once}
	server = &memConn{in: b, out: a, local: la, remote: ra, ended: ended, endedOnce: once}
	return client, server
}

// Ended is closed once the server has ended the session on this
// connection, what the policy does at its end (validate_dealloc) included:
// the server closes the connection before that, so a client that must see
// it waits here.
func (c *memConn) Ended() <-chan struct{} { return c.ended }

func (c *memConn) markEnded() { c.endedOnce.Do(func() { close(c.ended) }) }

func (c *memConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	d := c.deadline
	c.mu.Unlock()
	return c.in.read(p, d)
}

func (c *memConn) Write(p []byte) (int, error) { return c.out.write(p) }

// Close ends both directions: the peer reads what was written, then EOF.
func (c *memConn) Close() error {
	c.out.close()
	c.in.close()
	return nil
}

// CloseWrite ends the direction to the peer only, as a TCP half-close:
// the peer reads EOF, and this end still reads what the peer writes.
func (c *memConn) CloseWrite() error {
	c.out.close()
	return nil
}

func (c *memConn) LocalAddr() net.Addr  { return c.local }
func (c *memConn) RemoteAddr() net.Addr { return c.remote }

func (c *memConn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

func (c *memConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	c.in.wake()
	return nil
}

func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

// memBuf is one direction of a memConn.
type memBuf struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	closed bool
	ready  chan struct{} // signalled on every change
}

func newMemBuf() *memBuf { return &memBuf{ready: make(chan struct{}, 1)} }

func (b *memBuf) wake() {
	select {
	case b.ready <- struct{}{}:
	default:
	}
}

func (b *memBuf) write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, net.ErrClosed
	}
	b.buf.Write(p)
	b.wake()
	return len(p), nil
}

func (b *memBuf) read(p []byte, deadline time.Time) (int, error) {
	for {
		b.mu.Lock()
		if b.buf.Len() > 0 {
			n, _ := b.buf.Read(p)
			b.mu.Unlock()
			return n, nil
		}
		closed := b.closed
		b.mu.Unlock()
		if closed {
			return 0, io.EOF
		}
		if deadline.IsZero() {
			<-b.ready
			continue
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			return 0, os.ErrDeadlineExceeded
		}
		t := time.NewTimer(wait)
		select {
		case <-b.ready:
			t.Stop()
		case <-t.C:
			return 0, os.ErrDeadlineExceeded
		}
	}
}

func (b *memBuf) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.wake()
}

// Recorder is a Queue that keeps what it is given: a scenario's SMTP in
// queues there, and the scenario checks what was queued.
type Recorder struct {
	mu     sync.Mutex
	queued []*message.Message
}

var _ Queue = (*Recorder)(nil)

func (r *Recorder) NewID() string { return message.NewID() }

func (r *Recorder) Enqueue(_ context.Context, msgs ...*message.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queued = append(r.queued, msgs...)
	return nil
}

// Take returns what was queued since the last Take.
func (r *Recorder) Take() []*message.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.queued
	r.queued = nil
	return out
}
