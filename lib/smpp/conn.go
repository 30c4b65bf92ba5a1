package smpp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
)

// ErrClosed is returned by requests on a connection that has ended.
var ErrClosed = errors.New("smpp: connection closed")

// Conn is one SMPP connection, either side: it frames PDUs, numbers
// requests (5.1.4), matches responses to them and answers what cannot be
// decoded (generic_nack, 5.1.3). Requests from the peer go to the handler
// given to Serve. Conn is safe for concurrent use.
type Conn struct {
	nc  net.Conn
	br  *bufio.Reader // PDUs arrive in bursts: one read system call takes several
	seq atomic.Uint32

	wmu sync.Mutex
	bw  *bufio.Writer
	// queued counts writers waiting for wmu: the last one flushes, so
	// concurrent senders share one write system call.
	queued atomic.Int32

	mu      sync.Mutex
	pending map[uint32]chan *PDU
	err     error
	done    chan struct{}
}

// NewConn wraps an established connection.
func NewConn(nc net.Conn) *Conn {
	return &Conn{nc: nc, br: bufio.NewReaderSize(nc, 16<<10), bw: bufio.NewWriterSize(nc, 16<<10), pending: map[uint32]chan *PDU{}, done: make(chan struct{})}
}

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err says why the connection ended, once Done is closed.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// NextSeq returns a fresh sequence number, wrapping within 1..MaxSeq.
func (c *Conn) NextSeq() uint32 {
	for {
		n := c.seq.Add(1)
		if n >= 1 && n <= MaxSeq {
			return n
		}
		c.seq.CompareAndSwap(n, 0)
	}
}

// Send writes p. Writes from concurrent goroutines are batched into one
// flush when they queue up behind each other.
func (c *Conn) Send(p *PDU) error {
	b, err := Encode(p)
	if err != nil {
		return err
	}
	c.queued.Add(1)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err = c.bw.Write(b)
	if c.queued.Add(-1) == 0 && err == nil {
		err = c.bw.Flush()
	}
	if err != nil {
		c.fail(fmt.Errorf("writing %s: %w", p.ID, err))
		return err
	}
	return nil
}

// Request sends a request and waits for its response (or a generic_nack
// with its sequence number) until ctx ends.
func (c *Conn) Request(ctx context.Context, id CommandID, body Body) (*PDU, error) {
	wait, err := c.Start(id, body)
	if err != nil {
		return nil, err
	}
	return wait(ctx)
}

// Start sends a request and returns how to wait for its response, so a
// caller can write more before waiting. The wait func must be called.
func (c *Conn) Start(id CommandID, body Body) (wait func(context.Context) (*PDU, error), err error) {
	p := &PDU{Header: Header{ID: id, Seq: c.NextSeq()}, Body: body}
	ch := make(chan *PDU, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return nil, fmt.Errorf("%w: %v", ErrClosed, err)
	}
	c.pending[p.Seq] = ch
	c.mu.Unlock()
	forget := func() {
		c.mu.Lock()
		delete(c.pending, p.Seq)
		c.mu.Unlock()
	}
	if err := c.Send(p); err != nil {
		forget()
		return nil, err
	}
	return func(ctx context.Context) (*PDU, error) {
		defer forget()
		select {
		case r := <-ch:
			return r, nil
		case <-c.done:
			select {
			case r := <-ch: // answered just before the end
				return r, nil
			default:
			}
			return nil, fmt.Errorf("%w while waiting for the %s response: %v", ErrClosed, id, c.Err())
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the %s response: %w", id, ctx.Err())
		}
	}, nil
}

// Serve reads PDUs until the connection ends, delivering responses to
// their requests and handing every request to handle, on the reading
// goroutine: a handler that may block hands the work on. It returns why
// the connection ended.
func (c *Conn) Serve(handle func(*PDU)) error {
	for {
		p, err := Read(c.br)
		if err != nil {
			var de *Error
			if errors.As(err, &de) {
				_ = c.Send(Answer(p, de))
				if !de.Fatal {
					continue
				}
			}
			c.fail(err)
			return c.Err()
		}
		if p.ID.IsResponse() {
			c.mu.Lock()
			ch := c.pending[p.Seq]
			delete(c.pending, p.Seq)
			c.mu.Unlock()
			if ch != nil {
				ch <- p
			}
			// A response nobody waits for (it came after its request
			// timed out) is dropped.
			continue
		}
		handle(p)
	}
}

// Respond answers request p with status st and body (nil for none).
func (c *Conn) Respond(p *PDU, st Status, body Body) error {
	id := p.ID.Response()
	if body == nil {
		body = NewBody(id)
		if body == nil {
			body = &Empty{ID: id}
		}
	}
	return c.Send(&PDU{Header: Header{ID: id, Status: st, Seq: p.Seq}, Body: body})
}

// Close ends the connection; requests waiting on it fail.
func (c *Conn) Close() error {
	c.fail(ErrClosed)
	return nil
}

// Abort ends the connection, recording why (Err returns it).
func (c *Conn) Abort(why error) { c.fail(why) }

func (c *Conn) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return
	}
	c.err = err
	close(c.done)
	c.nc.Close()
}
