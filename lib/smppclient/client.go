// Package smppclient is msyshost's ESME: it keeps SMPP v3.4 binds open to
// an SMSC (with a window of outstanding submits, enquire_link and
// reconnection with backoff), submits messages with every SMPP result
// turned into a *status.Error the spool understands, and hands delivery
// receipts to the retry core. Channel adapts it to lib/channel.
package smppclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"msyshost/lib/smpp"
	"msyshost/lib/status"
)

// DeliverFunc handles a deliver_sm and returns the command_status of its
// deliver_sm_resp. It runs on its own goroutine; ROK must mean the outcome
// is durable, since the SMSC forgets the receipt once answered.
type DeliverFunc func(ctx context.Context, bind string, sm *smpp.SM) smpp.Status

// Client is the binds to one SMSC account.
type Client struct {
	set     Settings
	log     *slog.Logger
	deliver func(ctx context.Context, b *bind, sm *smpp.SM) smpp.Status
	binds   []*bind
	next    atomic.Uint32

	mu      sync.Mutex
	change  chan struct{} // closed and replaced when a bind's state changes
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	started bool
	// warnedTLVs is set once the v3.3 fallback was logged.
	warnedTLVs atomic.Bool
}

// New returns a client; Start opens its binds. onDeliver may be nil for a
// client that only submits (deliver_sm is then refused with
// ESME_RX_T_APPN so the SMSC keeps it).
func New(set Settings, onDeliver DeliverFunc, log *slog.Logger) *Client {
	set.defaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Client{set: set, log: log.With("smpp", set.Name), change: make(chan struct{})}
	c.deliver = func(ctx context.Context, b *bind, sm *smpp.SM) smpp.Status {
		if onDeliver == nil {
			return smpp.RxTAppn
		}
		return onDeliver(ctx, fmt.Sprintf("%s#%d", set.Name, b.index+1), sm)
	}
	for _, kind := range set.BindTypes {
		for range set.Binds {
			c.binds = append(c.binds, newBind(c, len(c.binds), kind))
		}
	}
	return c
}

// Name is the component name.
func (c *Client) Name() string { return "smpp " + c.set.Name }

// Settings returns what the client was built with.
func (c *Client) Settings() Settings { return c.set }

// Start opens the binds in the background; it does not wait for them.
func (c *Client) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started {
		return errors.New("smpp client " + c.set.Name + " already started")
	}
	c.started = true
	ctx, c.cancel = context.WithCancel(context.WithoutCancel(ctx))
	for _, b := range c.binds {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			b.run(ctx)
		}()
	}
	return nil
}

// Stop unbinds and closes every session.
func (c *Client) Stop(ctx context.Context) error {
	c.mu.Lock()
	cancel := c.cancel
	c.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) changed() {
	c.mu.Lock()
	close(c.change)
	c.change = make(chan struct{})
	c.mu.Unlock()
}

// pick returns a bind ready to submit, taking them in turn, or waits for
// one until ctx ends.
func (c *Client) pick(ctx context.Context) (*bind, error) {
	for {
		c.mu.Lock()
		ch := c.change
		c.mu.Unlock()
		n := len(c.binds)
		start := int(c.next.Add(1))
		var best *bind
		for i := 0; i < n; i++ {
			b := c.binds[(start+i)%n]
			if b.ready() == nil {
				continue
			}
			// The first with a free window slot, else the least loaded.
			if len(b.window) < cap(b.window) {
				return b, nil
			}
			if best == nil || len(b.window) < len(best.window) {
				best = b
			}
		}
		if best != nil {
			return best, nil
		}
		select {
		case <-ch:
		case <-time.After(50 * time.Millisecond): // throttling pauses end without a state change
		case <-ctx.Done():
			return nil, c.unavailable(ctx.Err())
		}
	}
}

// pause holds every bind's submits for d after the SMSC throttled one.
func (c *Client) pause(d time.Duration) {
	until := time.Now().Add(d)
	for _, b := range c.binds {
		b.mu.Lock()
		if until.After(b.throttledUntil) {
			b.throttledUntil = until
		}
		b.mu.Unlock()
	}
}

// unavailable is the temporary error of a submission no bind could take.
func (c *Client) unavailable(cause error) error {
	var last string
	throttled := false
	for _, b := range c.binds {
		s := b.status()
		if s.LastError != "" {
			last = s.LastError
		}
		throttled = throttled || s.State == stateThrottled
	}
	e := status.Temporaryf(status.SMPP, 0, "4.4.1", "no SMPP session bound to %s", c.set.Addr)
	if throttled {
		e = status.Temporaryf(status.SMPP, int(smpp.RThrottled), "4.3.2", "SMSC %s is throttling this account: every bind is paused", c.set.Addr)
	}
	e.Component = "smpp " + c.set.Name
	if last != "" {
		e.Text += " (last error: " + last + ")"
	}
	e.Err = cause
	return e
}

// Submit sends one submit_sm on a bound session and returns the message
// id the SMSC gave ("" when it gave none: accepted all the same). Every
// failure is a *status.Error: the SMSC's command_status (temporary for
// throttling, a full queue, a system error; permanent otherwise), a
// permanent one when the submit_sm cannot be written at all (a field too
// long), or a temporary one when no session could take the message or
// the answer did not come (the connection dropped, the response timer ran
// out: the SMSC may or may not have it, and the spool tries again).
func (c *Client) Submit(ctx context.Context, sm *smpp.SM) (string, error) {
	wait, cancel := context.WithTimeout(ctx, c.set.SubmitTimeout)
	defer cancel()
	for {
		b, err := c.pick(wait)
		if err != nil {
			return "", err
		}
		conn := b.ready()
		if conn == nil {
			continue
		}
		resp, err := b.submit(ctx, conn, sm)
		switch {
		case resp != nil && resp.Status == smpp.ROK:
			// ESME_ROK is the SMSC's acceptance, however the rest of its
			// answer reads: refusing it would send the message twice.
			id := ""
			if r, ok := resp.Body.(*smpp.SMResp); ok {
				id = r.MessageID
			}
			if err != nil {
				b.log.Warn("submit_sm_resp ESME_ROK with a body that does not decode; taken as accepted", "id", id, "error", err)
			}
			return id, nil
		case resp != nil:
			return "", statusError(c.set, resp.Status)
		case errors.Is(err, smpp.ErrEncoding):
			e := status.Permanentf(status.SMPP, 0, "5.6.0", "submit_sm for %s cannot be encoded", sm.DestinationAddr)
			var se *smpp.Error
			if errors.As(err, &se) {
				e.Code = int(se.Status)
				if se.Status == smpp.RInvDstAdr {
					e.Enhanced = "5.1.3"
				}
			}
			e.Component, e.Err = "smpp "+c.set.Name, err
			return "", e
		case errors.Is(err, smpp.ErrNotSent) && wait.Err() == nil:
			// Never written: the SMSC has not seen it, another bind may
			// take it.
			continue
		}
		e := status.Temporaryf(status.SMPP, 0, "4.4.2", "submit_sm to %s got no answer", c.set.Addr)
		e.Component, e.Err = "smpp "+c.set.Name, err
		return "", e
	}
}

// statusError turns a refused submit into the shared status type, with the
// enhanced code a DSN will carry.
func statusError(set Settings, st smpp.Status) *status.Error {
	enh := "5.3.0"
	switch st {
	case smpp.RInvDstAdr, smpp.RInvDstTON, smpp.RInvDstNPI:
		enh = "5.1.1"
	case smpp.RInvMsgLen:
		enh = "5.3.4"
	}
	if st.Temporary() {
		enh = "4.3.0"
		if st == smpp.RThrottled || st == smpp.RMsgQFul {
			enh = "4.3.2"
		}
	}
	return &status.Error{
		Protocol: status.SMPP, Code: int(st), Enhanced: enh, Temporary: st.Temporary(),
		Text: fmt.Sprintf("SMSC %s refused submit_sm: %s", set.Addr, st), Component: "smpp " + set.Name,
	}
}

// TakesTLVs reports whether the SMSC takes TLVs: false when every bound
// session's bind_resp lacked sc_interface_version 0x34 (an SMPP v3.3
// SMSC), true when one had it or none is bound yet.
func (c *Client) TakesTLVs() bool {
	bound := false
	for _, b := range c.binds {
		if b.status().State != StateBound {
			continue
		}
		if b.tlvs.Load() {
			return true
		}
		bound = true
	}
	return !bound
}

// Statuses returns every bind's state.
func (c *Client) Statuses() []Status {
	out := make([]Status, len(c.binds))
	for i, b := range c.binds {
		out[i] = b.status()
	}
	return out
}

// WaitBound waits until at least n binds are bound, for tests and
// start-up checks.
func (c *Client) WaitBound(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		ch := c.change
		c.mu.Unlock()
		bound := 0
		for _, b := range c.binds {
			if b.status().State == StateBound {
				bound++
			}
		}
		if bound >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return c.unavailable(ctx.Err())
		}
	}
}
