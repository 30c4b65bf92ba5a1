package smppclient

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"msyshost/lib/smpp"
)

// Bind states, as the console shows them.
const (
	StateConnecting = "connecting"
	StateBinding    = "binding"
	StateBound      = "bound"
	StateUnbinding  = "unbinding"
	stateThrottled  = "bound (throttled)"
	StateWaiting    = "waiting to reconnect"
	StateStopped    = "stopped"
)

// receiptTimeout bounds the handling of one deliver_sm: the retry core's
// wait for a stored copy (5s by default) and the hook's deadline.
const receiptTimeout = 30 * time.Second

// maxDelivers bounds the deliver_sm handled at once per bind.
const maxDelivers = 1024

// bind is one SMPP session the client keeps open: it connects, binds,
// serves, and after any failure reconnects with backoff.
type bind struct {
	c     *Client
	index int
	kind  smpp.CommandID // bind_transmitter, bind_receiver or bind_transceiver
	log   *slog.Logger

	window chan struct{} // a slot per outstanding submit

	mu             sync.Mutex
	state          string
	conn           *smpp.Conn
	lastErr        string
	lastErrAt      time.Time
	throttledUntil time.Time
	since          time.Time

	submits  atomic.Int64
	failed   atomic.Int64
	receipts atomic.Int64
	inflight atomic.Int64
	delivers chan struct{} // bounds deliver_sm being handled at once
	// closing is set while the session ends (either side unbinding): a
	// deliver_sm then arriving is refused for now, so the SMSC keeps it.
	closing atomic.Bool
	// tlvs says the SMSC named SMPP v3.4 or later in sc_interface_version
	// (5.3.2.25); without it the SMSC is v3.3 and ignores or refuses
	// TLVs.
	tlvs atomic.Bool
}

func newBind(c *Client, i int, kind smpp.CommandID) *bind {
	return &bind{
		c: c, index: i, kind: kind, state: StateConnecting,
		log:      c.log.With("bind", fmt.Sprintf("%s#%d", c.set.Name, i+1)),
		window:   make(chan struct{}, c.set.Window),
		delivers: make(chan struct{}, maxDelivers),
	}
}

func (b *bind) setState(st string, conn *smpp.Conn, err error) {
	b.mu.Lock()
	b.state, b.conn, b.since = st, conn, time.Now()
	if err != nil {
		b.lastErr, b.lastErrAt = err.Error(), time.Now()
	}
	b.mu.Unlock()
	b.c.changed()
}

// ready returns the connection when the bind can submit now.
func (b *bind) ready() *smpp.Conn {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state != StateBound || b.kind == smpp.BindReceiver || time.Now().Before(b.throttledUntil) {
		return nil
	}
	return b.conn
}

// run keeps the session up until ctx ends.
func (b *bind) run(ctx context.Context) {
	delay := b.c.set.ReconnectMin
	for ctx.Err() == nil {
		started := time.Now()
		err := b.session(ctx)
		if ctx.Err() != nil {
			break
		}
		// A session that stayed up a while starts the backoff afresh.
		if time.Since(started) > 10*b.c.set.ReconnectMin+time.Second {
			delay = b.c.set.ReconnectMin
		}
		wait := jitter(delay)
		var refused *bindRefused
		if errors.As(err, &refused) && refused.credentials() {
			// Trying a refused password every few seconds gets the
			// account locked at many SMSCs; an operator fixes the config.
			wait = jitter(b.c.set.RefusedBackoff)
		}
		b.log.Warn("SMPP session ended; reconnecting", "error", err, "in", wait)
		b.setState(StateWaiting, nil, err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
		delay = min(2*delay, b.c.set.ReconnectMax)
	}
	b.setState(StateStopped, nil, nil)
}

// session connects, binds and serves one connection until it ends.
func (b *bind) session(ctx context.Context) error {
	set := &b.c.set
	b.setState(StateConnecting, nil, nil)
	addr := set.Addr
	if set.Resolve != nil {
		addr = set.Resolve(addr)
	}
	d := net.Dialer{Timeout: set.BindTimeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", addr, err)
	}
	if set.TLS != nil {
		tc := tls.Client(nc, set.TLS)
		hctx, cancel := context.WithTimeout(ctx, set.BindTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			nc.Close()
			return fmt.Errorf("TLS handshake with %s: %w", set.Addr, err)
		}
		nc = tc
	}
	conn := smpp.NewConn(nc)
	// A peer that stops reading fails the session after the response
	// timer instead of holding every writer behind a full socket.
	conn.WriteTimeout = set.SubmitTimeout
	conn.Late = func(p *smpp.PDU) {
		id := ""
		if r, ok := p.Body.(*smpp.SMResp); ok {
			id = r.MessageID
		}
		b.log.Warn("response came after its request gave up: the SMSC may hold a message the spool sends again (possible duplicate)",
			"command", p.ID.String(), "seq", p.Seq, "status", p.Status.String(), "message_id", id)
	}
	b.closing.Store(false)
	b.setState(StateBinding, conn, nil)
	served := make(chan error, 1)
	go func() { served <- conn.Serve(func(p *smpp.PDU) { b.handle(ctx, conn, p) }) }()
	stop := context.AfterFunc(ctx, func() { b.unbind(conn) })
	defer stop()
	if err := b.bindRequest(ctx, conn); err != nil {
		conn.Close()
		<-served
		return err
	}
	b.setState(StateBound, conn, nil)
	b.log.Info("SMPP bound", "addr", set.Addr, "system_id", set.SystemID, "as", b.kind.String())
	go b.keepalive(ctx, conn)
	err = <-served
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func (b *bind) bindRequest(ctx context.Context, conn *smpp.Conn) error {
	set := &b.c.set
	bctx, cancel := context.WithTimeout(ctx, set.BindTimeout)
	defer cancel()
	resp, err := conn.Request(bctx, b.kind, &smpp.Bind{
		ID: b.kind, SystemID: set.SystemID, Password: set.Password, SystemType: set.SystemType,
		InterfaceVersion: smpp.Version34,
	})
	if err != nil {
		return fmt.Errorf("binding to %s: %w", set.Addr, err)
	}
	if resp.Status != smpp.ROK {
		return &bindRefused{bind: b.kind, addr: set.Addr, status: resp.Status}
	}
	if resp.ID != b.kind.Response() {
		return fmt.Errorf("binding to %s: answered with %s", set.Addr, resp.ID)
	}
	var v uint32
	if br, ok := resp.Body.(*smpp.BindResp); ok {
		v, _ = br.TLVs.Uint(smpp.TagSCInterfaceVersion)
	}
	b.tlvs.Store(v >= smpp.Version34)
	return nil
}

// bindRefused is an SMSC's refusal of a bind.
type bindRefused struct {
	bind   smpp.CommandID
	addr   string
	status smpp.Status
}

func (e *bindRefused) Error() string {
	return fmt.Sprintf("%s refused by %s: %s", e.bind, e.addr, e.status)
}

// credentials reports a refusal of the account itself (5.1.3: bad
// password or system_id, or a bind the SMSC will not allow), which trying
// again soon does not change.
func (e *bindRefused) credentials() bool {
	return e.status == smpp.RInvPaswd || e.status == smpp.RInvSysID || e.status == smpp.RBindFail
}

// jitter spreads d over [d/2, d], so binds and nodes that failed together
// do not reconnect together.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// keepalive sends enquire_link after EnquireLink of quiet (4.11) and ends
// the session when the SMSC does not answer within the response timer.
func (b *bind) keepalive(ctx context.Context, conn *smpp.Conn) {
	set := &b.c.set
	t := time.NewTicker(set.EnquireLink)
	defer t.Stop()
	for {
		select {
		case <-conn.Done():
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ectx, cancel := context.WithTimeout(ctx, set.SubmitTimeout)
		resp, err := conn.Request(ectx, smpp.EnquireLink, &smpp.Empty{ID: smpp.EnquireLink})
		cancel()
		if err != nil || resp.ID != smpp.EnquireLinkResp {
			if err == nil {
				err = fmt.Errorf("answered with %s", resp.ID)
			}
			b.log.Warn("enquire_link unanswered; closing the session", "error", err)
			conn.Abort(fmt.Errorf("enquire_link unanswered within %s: %w", set.SubmitTimeout, err))
			return
		}
	}
}

// unbind ends a session politely (4.2) when the client stops: no new
// submit or receipt is taken, the submits in flight get their responses
// and the receipts in hand their answers (a receipt answered after the
// close would come again and run its hook twice), then unbind.
func (b *bind) unbind(conn *smpp.Conn) {
	b.closing.Store(true)
	b.setState(StateUnbinding, conn, nil)
	b.drain(conn, receiptTimeout)
	ctx, cancel := context.WithTimeout(context.Background(), b.c.set.SubmitTimeout)
	defer cancel()
	_, _ = conn.Request(ctx, smpp.Unbind, &smpp.Empty{ID: smpp.Unbind})
	conn.Close()
}

// unbound answers the SMSC's unbind (4.2): no new request goes out, the
// submits in flight wait up to the response timer for their responses
// (closing at once would lose them and send the messages again), the
// receipts in hand are answered, then unbind_resp and the close.
func (b *bind) unbound(conn *smpp.Conn, p *smpp.PDU) {
	b.closing.Store(true)
	b.setState(StateUnbinding, conn, nil)
	b.log.Info("SMSC unbinds; finishing the requests in flight")
	b.drain(conn, b.c.set.SubmitTimeout)
	_ = conn.Respond(p, smpp.ROK, nil)
	conn.Close()
}

// drain waits until no submit awaits its response and no receipt is in
// hand, the connection ends, or max passes.
func (b *bind) drain(conn *smpp.Conn, max time.Duration) {
	deadline := time.NewTimer(max)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for b.inflight.Load() > 0 || len(b.delivers) > 0 {
		select {
		case <-conn.Done():
			return
		case <-deadline.C:
			b.log.Warn("session ends with requests in flight", "submits", b.inflight.Load(), "receipts", len(b.delivers))
			return
		case <-tick.C:
		}
	}
}

// handle answers the SMSC's requests. deliver_sm is handed to the
// client's handler on its own goroutine, bounded per bind, so a receipt
// waiting for its stored copy never holds up the submit_sm_resp that
// would store it.
func (b *bind) handle(ctx context.Context, conn *smpp.Conn, p *smpp.PDU) {
	switch p.ID {
	case smpp.EnquireLink:
		_ = conn.Respond(p, smpp.ROK, nil)
	case smpp.Unbind:
		go b.unbound(conn, p)
	case smpp.DeliverSM, smpp.DataSM:
		// Receipts come in deliver_sm (4.6), or from some SMSCs in data_sm
		// (4.7) with the text in message_payload.
		sm, ok := p.Body.(*smpp.SM)
		if !ok {
			sm = p.Body.(*smpp.Data).AsSM()
		}
		if b.closing.Load() {
			_ = conn.Respond(p, smpp.RxTAppn, &smpp.SMResp{ID: p.ID.Response()})
			return
		}
		select {
		case b.delivers <- struct{}{}:
		default:
			// The reader never waits: a submit_sm_resp behind this PDU may
			// be what the receipts in hand are waiting for. An SMSC keeps
			// far fewer deliver_sm in flight than this bound; one past it
			// is refused as a temporary error and sent again later.
			b.log.Warn("too many deliver_sm in hand; refused for now", "limit", cap(b.delivers))
			_ = conn.Respond(p, smpp.RxTAppn, &smpp.SMResp{ID: p.ID.Response()})
			return
		}
		// A receipt in hand is finished even when the client stops (Stop
		// waits for it; the run goroutine keeps the group above zero), so
		// its outcome is stored, or refused, before the store closes.
		b.c.wg.Add(1)
		go func() {
			defer b.c.wg.Done()
			defer func() { <-b.delivers }()
			hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), receiptTimeout)
			defer cancel()
			st := b.deliverSafely(hctx, sm)
			if st == smpp.ROK {
				b.receipts.Add(1)
			}
			if err := conn.Respond(p, st, &smpp.SMResp{ID: p.ID.Response()}); err != nil && !errors.Is(err, smpp.ErrClosed) {
				b.log.Debug("deliver_sm_resp not sent; the SMSC will send the deliver_sm again", "error", err)
			}
		}()
	case smpp.AlertNotification, smpp.Outbind:
		// No response exists (4.12, 4.1.7); msyshost keeps its own binds.
	default:
		_ = conn.Send(ctx, &smpp.PDU{Header: smpp.Header{ID: smpp.GenericNack, Status: smpp.RInvCmdID, Seq: p.Seq}})
	}
}

// deliverSafely runs the receipt handler; a panic in it (a bug) is logged
// with the receipt's id and answered ESME_RX_T_APPN, so the SMSC sends the
// receipt again and the process and the bind stay up.
func (b *bind) deliverSafely(ctx context.Context, sm *smpp.SM) (st smpp.Status) {
	defer func() {
		if p := recover(); p != nil {
			rc, _ := smpp.ParseReceipt(sm)
			b.log.Error("panic handling a deliver_sm; refused for now, the SMSC sends it again",
				"id", rc.ID, "from", sm.SourceAddr, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			st = smpp.RxTAppn
		}
	}()
	return b.c.deliver(ctx, b, sm)
}

// submit sends one submit_sm on this bind, within its window. It
// returns the response when one came, with the error saying why its body
// could not be read when it could not.
func (b *bind) submit(ctx context.Context, conn *smpp.Conn, sm *smpp.SM) (*smpp.PDU, error) {
	select {
	case b.window <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-conn.Done():
		return nil, smpp.ErrClosed
	}
	b.inflight.Add(1)
	defer func() { <-b.window; b.inflight.Add(-1) }()
	sctx, cancel := context.WithTimeout(ctx, b.c.set.SubmitTimeout)
	defer cancel()
	resp, err := conn.Request(sctx, smpp.SubmitSM, sm)
	if resp == nil {
		b.failed.Add(1)
		return nil, err
	}
	if resp.Status == smpp.ROK {
		b.submits.Add(1)
	} else {
		b.failed.Add(1)
	}
	if resp.Status == smpp.RThrottled || resp.Status == smpp.RMsgQFul {
		// The SMSC's limit is the account's, not the session's: every
		// bind pauses, or the next one is refused at once.
		b.c.pause(b.c.set.ThrottleTimeout)
		b.log.Info("SMSC throttled submissions; pausing every bind of the account", "status", resp.Status.String(), "for", b.c.set.ThrottleTimeout)
	}
	return resp, err
}

// Status is one bind's state for the console.
type Status struct {
	Client    string
	Index     int
	Addr      string
	SystemID  string
	BindType  string
	State     string
	Since     time.Time
	Window    int // submits awaiting their response
	WindowMax int
	Submits   int64
	Failed    int64
	Receipts  int64
	LastError string
	LastErrAt time.Time
}

func (b *bind) status() Status {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.state
	if st == StateBound && time.Now().Before(b.throttledUntil) {
		st = stateThrottled
	}
	addr := b.c.set.Addr
	if b.c.set.Resolve != nil {
		addr = b.c.set.Resolve(addr)
	}
	return Status{
		Client: b.c.set.Name, Index: b.index + 1, Addr: addr, SystemID: b.c.set.SystemID,
		BindType: b.kind.String(), State: st, Since: b.since,
		Window: int(b.inflight.Load()), WindowMax: b.c.set.Window,
		Submits: b.submits.Load(), Failed: b.failed.Load(), Receipts: b.receipts.Load(),
		LastError: b.lastErr, LastErrAt: b.lastErrAt,
	}
}
