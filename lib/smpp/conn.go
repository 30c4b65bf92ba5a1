package smpp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is returned by requests on a connection that has ended.
var ErrClosed = errors.New("smpp: connection closed")

// ErrNotSent wraps the error of a request that gave up before a byte of
// it was written: the peer never saw it, and it may go again anywhere.
var ErrNotSent = errors.New("smpp: request not sent")

// ErrEncoding, beside ErrNotSent, says the PDU itself cannot be written
// (a field too long, a bad validity period): sending it again cannot help.
var ErrEncoding = errors.New("smpp: PDU cannot be encoded")

// Conn is one SMPP connection, either side: it frames PDUs, numbers
// requests (5.1.4), matches responses to them and answers what cannot be
// decoded (generic_nack, 5.1.3). Requests from the peer go to the handler
// given to Serve. Conn is safe for concurrent use.
type Conn struct {
	nc  net.Conn
	br  *bufio.Reader // PDUs arrive in bursts: one read system call takes several
	seq atomic.Uint32

	// WriteTimeout bounds every write: a peer that stops reading fails
	// the connection after it, rather than hold every writer, the
	// enquire_link check and the unbind behind a full socket buffer. Zero
	// means no bound. Set before the connection is used.
	WriteTimeout time.Duration
	// Late, when set, is called on the reading goroutine with a response
	// nobody waits for any more (its request gave up on it), so the
	// caller can log what the peer did after all. Set before Serve.
	Late func(*PDU)

	// wlock is the write lock, a channel so a writer can give up waiting
	// for it when its context ends.
	wlock chan struct{}
	bw    *bufio.Writer
	// queued counts writers waiting for wlock: the last one flushes, so
	// concurrent senders share one write system call.
	queued atomic.Int32

	mu      sync.Mutex
	pending map[uint32]chan result
	err     error
	done    chan struct{}
}

// result is a response, or why the response that came could not be read.
type result struct {
	p   *PDU
	err error
}

// NewConn wraps an established connection.
func NewConn(nc net.Conn) *Conn {
	return &Conn{
		nc: nc, br: bufio.NewReaderSize(nc, 16<<10), bw: bufio.NewWriterSize(nc, 16<<10),
		wlock: make(chan struct{}, 1), pending: map[uint32]chan result{}, done: make(chan struct{}),
	}
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

// Send writes p, waiting for its turn until ctx ends. Writes from
// concurrent goroutines are batched into one flush when they queue up
// behind each other. An error wrapping ErrNotSent means nothing of p was
// written; a write that fails or passes WriteTimeout ends the connection,
// since the peer may have read part of a PDU.
func (c *Conn) Send(ctx context.Context, p *PDU) error {
	b, err := Encode(p)
	if err != nil {
		return fmt.Errorf("%w: %w: %w", ErrNotSent, ErrEncoding, err)
	}
	c.queued.Add(1)
	select {
	case c.wlock <- struct{}{}:
	case <-ctx.Done():
		c.abandon()
		return fmt.Errorf("%w: %s waited for the connection: %w", ErrNotSent, p.ID, ctx.Err())
	case <-c.done:
		c.abandon()
		return fmt.Errorf("%w: %w: %v", ErrNotSent, ErrClosed, c.Err())
	}
	defer func() { <-c.wlock }()
	select {
	case <-c.done:
		c.queued.Add(-1)
		return fmt.Errorf("%w: %w: %v", ErrNotSent, ErrClosed, c.Err())
	default:
	}
	if c.WriteTimeout > 0 {
		_ = c.nc.SetWriteDeadline(time.Now().Add(c.WriteTimeout))
	}
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

// abandon is a writer giving up before its turn. When it was the last one
// queued, the writer ahead of it may have left its PDU in the buffer for
// it to flush, so the flush is done here, once the lock is free.
func (c *Conn) abandon() {
	if c.queued.Add(-1) != 0 {
		return
	}
	go func() {
		select {
		case c.wlock <- struct{}{}:
		case <-c.done:
			return
		}
		defer func() { <-c.wlock }()
		if c.queued.Load() != 0 || c.bw.Buffered() == 0 {
			return // a writer behind flushes
		}
		if c.WriteTimeout > 0 {
			_ = c.nc.SetWriteDeadline(time.Now().Add(c.WriteTimeout))
		}
		if err := c.bw.Flush(); err != nil {
			c.fail(fmt.Errorf("flushing: %w", err))
		}
	}()
}

// Request sends a request and waits for its response (or a generic_nack
// with its sequence number) until ctx ends.
func (c *Conn) Request(ctx context.Context, id CommandID, body Body) (*PDU, error) {
	wait, err := c.Start(ctx, id, body)
	if err != nil {
		return nil, err
	}
	return wait(ctx)
}

// Start sends a request, giving up when ctx ends before it could be
// written, and returns how to wait for its response, so a caller can
// write more before waiting. The wait func must be called. It returns the
// response; a response that came but could not be decoded is returned
// with the *Error saying why (its header, status included, is read).
func (c *Conn) Start(ctx context.Context, id CommandID, body Body) (wait func(context.Context) (*PDU, error), err error) {
	p := &PDU{Header: Header{ID: id, Seq: c.NextSeq()}, Body: body}
	ch := make(chan result, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return nil, fmt.Errorf("%w: %w: %v", ErrNotSent, ErrClosed, err)
	}
	c.pending[p.Seq] = ch
	c.mu.Unlock()
	forget := func() {
		c.mu.Lock()
		delete(c.pending, p.Seq)
		c.mu.Unlock()
	}
	if err := c.Send(ctx, p); err != nil {
		forget()
		return nil, err
	}
	return func(ctx context.Context) (*PDU, error) {
		defer forget()
		select {
		case r := <-ch:
			return r.p, r.err
		case <-c.done:
			select {
			case r := <-ch: // answered just before the end
				return r.p, r.err
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
// goroutine: a handler that may block hands the work on. A request that
// cannot be decoded is answered (5.1.3); a response that cannot be decoded
// goes to its request with the error, and is never answered: a
// generic_nack to a response would be taken for one to a request. It
// returns why the connection ended.
func (c *Conn) Serve(handle func(*PDU)) error {
	for {
		p, err := Read(c.br)
		if err != nil {
			var de *Error
			if errors.As(err, &de) {
				if p != nil && p.ID.IsResponse() {
					c.deliver(p, err)
				} else {
					_ = c.Send(context.Background(), Answer(p, de))
				}
				if !de.Fatal {
					continue
				}
			}
			c.fail(err)
			return c.Err()
		}
		if p.ID.IsResponse() {
			c.deliver(p, nil)
			continue
		}
		handle(p)
	}
}

// deliver hands a response to the request waiting for it, or to Late.
func (c *Conn) deliver(p *PDU, err error) {
	c.mu.Lock()
	ch := c.pending[p.Seq]
	delete(c.pending, p.Seq)
	c.mu.Unlock()
	if ch != nil {
		ch <- result{p, err}
		return
	}
	if c.Late != nil && err == nil {
		c.Late(p)
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
	return c.Send(context.Background(), &PDU{Header: Header{ID: id, Status: st, Seq: p.Seq}, Body: body})
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
