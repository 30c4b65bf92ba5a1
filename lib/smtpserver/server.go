// Package smtpserver is SMTP in (RFC 5321 over emersion/go-smtp), the
// front door of mail for SMS and MMS: ESMTP with SIZE, 8BITMIME,
// PIPELINING and ENHANCEDSTATUSCODES, STARTTLS and SMTP AUTH (PLAIN, LOGIN)
// when configured. Every recipient of an accepted message becomes its own
// message (as Momentum's ec_message), all queued in one durable transaction
// before the 250. It is no open relay: only Relay_Hosts (loopback unless
// configured), authenticated clients and Relay_Domains reach other domains.
// A Policy is asked at every phase, as Momentum's validate_* hooks.
package smtpserver

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"

	"msyshost/lib/message"
	"msyshost/lib/spool"
)

// Queue is where accepted messages go: the spool.
type Queue interface {
	// NewID returns an id unique in the queue: the transaction's, written
	// in the Received header.
	NewID() string
	// Enqueue queues messages in one durable transaction, or none.
	Enqueue(ctx context.Context, msgs ...*message.Message) error
}

// Options configure a Server.
type Options struct {
	Listens []Listen
	Queue   Queue
	// Bouncer receives bounces for recipients policy refused after DATA
	// when others were accepted; when it is a spool.Renderer they are
	// queued with the accepted copies.
	Bouncer spool.Bouncer
	// Policy is asked at every phase; nil accepts everything.
	Policy Policy
	// InProcess, when set, adds a listener with these settings that has
	// no socket: Server.Dial connects to it (scenarios).
	InProcess *Listen
	// Hostname is the name in the greeting and Received headers.
	Hostname string
	Logger   *slog.Logger
}

// Server is SMTP in: one go-smtp server per Listen address.
type Server struct {
	opts    Options
	log     *slog.Logger
	policy  Policy
	connSeq atomic.Uint64
	lsMu    sync.Mutex // guards ls: Listeners may be asked during Start or Stop
	ls      []*listener
	// inProcess is the in-process listener's, when Options.InProcess is set.
	inProcess *memListener

	ctx    context.Context
	cancel context.CancelFunc
}

// New returns a server; Start binds its addresses.
func New(opts Options) *Server {
	s := &Server{opts: opts, log: opts.Logger, policy: opts.Policy}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.policy == nil {
		s.policy = AcceptAll{}
	}
	if s.opts.Hostname == "" {
		s.opts.Hostname, _ = os.Hostname()
	}
	return s
}

// Name names SMTP in as a component of the process.
func (s *Server) Name() string { return "smtp in" }

// Listeners returns the addresses served (after Start: the bound ones).
func (s *Server) Listeners() []string {
	s.lsMu.Lock()
	defer s.lsMu.Unlock()
	var out []string
	for _, l := range s.ls {
		if l.addr() != inProcessAddr {
			out = append(out, l.addr())
		}
	}
	if out == nil {
		for _, l := range s.opts.Listens {
			out = append(out, l.Addr)
		}
	}
	return out
}

// Start binds every address and serves; if one cannot be bound, none is.
func (s *Server) Start(context.Context) error {
	if s.opts.Queue == nil {
		return errors.New("smtp in: no queue")
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	for _, cfg := range s.opts.Listens {
		nl, err := net.Listen("tcp", cfg.Addr)
		if err != nil {
			s.Stop(s.ctx)
			return fmt.Errorf("listening on %s: %w", cfg.Addr, err)
		}
		l := newListener(s, cfg, nl)
		s.lsMu.Lock()
		s.ls = append(s.ls, l)
		s.lsMu.Unlock()
		go l.serve()
	}
	if s.opts.InProcess != nil {
		s.inProcess = newMemListener()
		l := newListener(s, *s.opts.InProcess, s.inProcess)
		s.lsMu.Lock()
		s.ls = append(s.ls, l)
		s.lsMu.Unlock()
		go l.serve()
	}
	return nil
}

// Stop closes the listeners and ends the sessions: one waiting for a
// command is told 421 4.3.2 and closed at once; one sending or queueing a
// message finishes it (its 250 is written) within ctx, then is told the
// same. Those left when ctx ends are dropped: their transactions are not
// acknowledged, so the clients keep their messages.
func (s *Server) Stop(ctx context.Context) error {
	s.lsMu.Lock()
	ls := s.ls
	s.ls = nil
	s.lsMu.Unlock()
	var wg sync.WaitGroup
	for _, l := range ls {
		wg.Go(func() { l.stop(ctx) })
	}
	wg.Wait()
	if s.cancel != nil {
		s.cancel()
	}
	return nil
}

// listener is one Listen address: its accept gate and go-smtp server.
type listener struct {
	s        *Server
	cfg      Listen
	nl       net.Listener
	srv      *smtp.Server
	admitted chan net.Conn
	closed   chan struct{}
	once     sync.Once
	active   atomic.Int32
	served   chan struct{}

	// mu guards the open connections and their count per client address.
	mu    sync.Mutex
	conns map[*clientConn]struct{}
	perIP map[netip.Addr]int
}

func newListener(s *Server, cfg Listen, nl net.Listener) *listener {
	l := &listener{s: s, cfg: cfg, nl: nl, admitted: make(chan net.Conn), closed: make(chan struct{}), served: make(chan struct{}),
		conns: map[*clientConn]struct{}{}, perIP: map[netip.Addr]int{}}
	srv := smtp.NewServer(smtp.BackendFunc(l.newSession))
	srv.Domain = s.opts.Hostname
	srv.MaxMessageBytes = cfg.MaxMessageSize
	srv.MaxRecipients = cfg.MaxRecipients
	srv.MaxLineLength = cfg.MaxLineLength
	srv.TLSConfig = cfg.TLS
	// Whether AUTH is offered is decided per connection (TLS or loopback)
	// by the session; go-smtp's own check would refuse loopback without TLS.
	srv.AllowInsecureAuth = true
	srv.ErrorLog = errorLog{s.log.With("listen", cfg.Addr)}
	l.srv = srv
	return l
}

func (l *listener) addr() string { return l.nl.Addr().String() }

func (l *listener) serve() {
	defer close(l.served)
	go l.accept()
	l.srv.Serve(gate{l})
}

// accept takes connections, turns away those over Listener_Sessions and
// asks the policy about the rest (validate_connect) before go-smtp greets
// them.
func (l *listener) accept() {
	var delay time.Duration
	for {
		nc, err := l.nl.Accept()
		if err != nil {
			select {
			case <-l.closed:
				return
			default:
			}
			// Out of file descriptors and the like: back off, as net/http does.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			l.s.log.Error("smtp in: accepting", "listen", l.cfg.Addr, "error", err)
			time.Sleep(delay)
			continue
		}
		delay = 0
		if l.cfg.Sessions > 0 && int(l.active.Load()) >= l.cfg.Sessions {
			l.turnAway(nc, "421 4.4.5 Service unavailable, concurrency limit reached.", "Listener_Sessions", l.cfg.Sessions)
			continue
		}
		cc := l.newClientConn(nc)
		if cc == nil {
			l.turnAway(nc, "421 4.7.0 Too many connections from your address, try again later.", "Listener_Sessions_Per_IP", l.cfg.SessionsPerIP)
			continue
		}
		go l.admit(cc)
	}
}

func (l *listener) admit(cc *clientConn) {
	defer func() {
		// A panic in the connect phase ends this connection, not the
		// daemon.
		if v := recover(); v != nil {
			l.s.log.Error("smtp in: panic admitting a connection; closed it", "conn", cc.state.ID, "remote", cc.state.Remote.String(), "panic", v, "stack", string(debug.Stack()))
			cc.Close()
		}
	}()
	if err := l.s.policy.Connect(l.s.ctx, cc.state); err != nil {
		r := greetingRefusal(replyOf(err))
		cc.SetWriteDeadline(time.Now().Add(5 * time.Second))
		writeReply(cc.Conn, r)
		l.s.log.Info("smtp in: connection refused by policy", "conn", cc.state.ID, "remote", cc.state.Remote.String(), "reply", r.Code)
		if r.Code == 554 {
			l.awaitQuit(cc)
		}
		cc.Close()
		return
	}
	select {
	case l.admitted <- cc:
	case <-l.closed:
		cc.Close()
	}
}

// greetingRefusal is the greeting for a connection policy refused: RFC
// 5321 4.3.2 allows only 554 and 421 there (and 220), so a permanent
// refusal becomes 554 and a temporary one 421, with the policy's text and
// enhanced code.
func greetingRefusal(r *smtp.SMTPError) *smtp.SMTPError {
	out := *r
	if r.Code >= 500 {
		out.Code = 554
	} else {
		out.Code = 421
	}
	return &out
}

// After a 554 greeting the client may still talk; quitWait bounds how long
// it is waited for and quitCommands how many commands it may send.
const (
	quitWait     = 30 * time.Second
	quitCommands = 10
)

// awaitQuit keeps a connection greeted with 554 open until the client's
// QUIT (221), answering every other command 503 5.5.1, as RFC 5321 3.1
// asks; a client that does not QUIT within quitWait or quitCommands, or
// sends a line longer than a command's, is disconnected. Shutdown ends the
// wait.
func (l *listener) awaitQuit(cc *clientConn) {
	wait := quitWait
	if cc.idle > 0 {
		wait = min(wait, cc.idle)
	}
	cc.mu.Lock()
	if cc.closing {
		cc.mu.Unlock()
		return
	}
	cc.Conn.SetReadDeadline(time.Now().Add(wait))
	cc.mu.Unlock()
	br := bufio.NewReaderSize(cc.Conn, 1024)
	for range quitCommands {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return
		}
		cc.Conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if strings.EqualFold(strings.TrimSpace(string(line)), "QUIT") {
			io.WriteString(cc.Conn, "221 2.0.0 Bye\r\n")
			return
		}
		io.WriteString(cc.Conn, "503 5.5.1 Bad sequence of commands: this server does not accept your connection, QUIT\r\n")
	}
}

func (l *listener) turnAway(nc net.Conn, reply, limit string, n int) {
	nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(nc, "%s\r\n", reply)
	nc.Close()
	l.s.log.Warn("smtp in: connection refused at "+limit, "listen", l.cfg.Addr, "remote", nc.RemoteAddr().String(), "limit", n)
}

func (l *listener) stop(ctx context.Context) {
	l.once.Do(func() { close(l.closed) })
	l.nl.Close()
	l.mu.Lock()
	for cc := range l.conns {
		cc.shutdown()
	}
	l.mu.Unlock()
	if err := l.srv.Shutdown(ctx); err != nil {
		// go-smtp's Close after a Shutdown closes nothing (Shutdown took
		// its done channel): the sessions left are dropped here.
		l.dropConns()
	}
	<-l.served
}

// dropConns closes every client connection still open; each session's
// goroutine then ends it (the policy's End included).
func (l *listener) dropConns() {
	l.mu.Lock()
	conns := make([]*clientConn, 0, len(l.conns))
	for cc := range l.conns {
		conns = append(conns, cc)
	}
	l.mu.Unlock()
	for _, cc := range conns {
		cc.Conn.Close()
	}
	if len(conns) > 0 {
		l.s.log.Warn("smtp in: sessions still open at shutdown dropped; their transactions were not acknowledged", "listen", l.cfg.Addr, "sessions", len(conns))
	}
}

// gate is the net.Listener go-smtp serves: the connections accept let in.
type gate struct{ l *listener }

func (g gate) Accept() (net.Conn, error) {
	select {
	case c := <-g.l.admitted:
		return c, nil
	case <-g.l.closed:
		return nil, net.ErrClosed
	}
}

func (g gate) Close() error {
	g.l.once.Do(func() { close(g.l.closed) })
	return g.l.nl.Close()
}

func (g gate) Addr() net.Addr { return g.l.nl.Addr() }

// clientConn is a client's connection: it holds the session state the
// policy sees, disconnects a client silent for Idle_Time or slower than
// Data_Timeout with a message, ends the session at shutdown, and gives its
// Listener_Sessions slots back when closed.
type clientConn struct {
	net.Conn
	state     *Conn
	relayHost bool // the address may relay (before AUTH or policy)
	idle      time.Duration
	timedOut  atomic.Bool
	closeOnce sync.Once
	release   func()
	end       func() // the policy's End

	// mu guards the session's phase as shutdown sees it.
	mu sync.Mutex
	// inData: a message is being received or queued; shutdown lets it end.
	inData bool
	// dataBy is when the message being received must be in (Data_Timeout).
	dataBy time.Time
	// closing: the server is stopping; the next wait for a command ends
	// the session with 421 4.3.2.
	closing bool
	// hangup: the last reply closes the connection (a 421); the next read
	// ends the session without another word.
	hangup bool
	// tls is the TLS connection over this one after STARTTLS, through
	// which a goodbye must go.
	tls *tls.Conn
	// authFailures counts failed AUTH attempts.
	authFailures int

	// What greetings sees of the command lines: at the start of one, the
	// first bytes of one so far, past STARTTLS.
	lineStart bool
	verb      []byte
	encrypted bool
	// greets counts the greeting lines read (before STARTTLS).
	greets int
	// dataEnd watches a message's raw bytes for an end written with a
	// bare LF, when scanEnd (the bytes are not TLS records); bareEnd is
	// set once one went by.
	dataEnd dataEnd
	scanEnd bool
	bareEnd bool
}

// newClientConn takes a connection, or returns nil when its address has
// Listener_Sessions_Per_IP connections already.
func (l *listener) newClientConn(nc net.Conn) *clientConn {
	st := &Conn{
		ID:      strconv.FormatUint(l.s.connSeq.Add(1), 10),
		Remote:  addrPort(nc.RemoteAddr()),
		Local:   addrPort(nc.LocalAddr()),
		Context: map[string]string{},
	}
	st.recipient = l.checkRecipient
	ip := st.Remote.Addr().Unmap()
	relay := l.cfg.OpenRelay
	for _, p := range l.cfg.RelayHosts {
		if p.Contains(ip) {
			relay = true
		}
	}
	st.CanRelay = relay
	cc := &clientConn{Conn: nc, state: st, relayHost: relay, idle: l.cfg.IdleTime, lineStart: true}
	if e, ok := l.s.policy.(Ender); ok {
		cc.end = func() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(l.s.ctx), endTimeout)
			defer cancel()
			e.End(ctx, st)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cfg.SessionsPerIP > 0 && l.perIP[ip] >= l.cfg.SessionsPerIP {
		return nil
	}
	l.perIP[ip]++
	l.conns[cc] = struct{}{}
	l.active.Add(1)
	cc.release = func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.perIP[ip]--; l.perIP[ip] <= 0 {
			delete(l.perIP, ip)
		}
		delete(l.conns, cc)
		l.active.Add(-1)
	}
	return cc
}

func addrPort(a net.Addr) netip.AddrPort {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.AddrPort()
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap
}

// Read waits at most Idle_Time for the client, and while a message comes
// in, no later than its Data_Timeout. Once a wait has run out every later
// read fails at once, so go-smtp answers 421 4.4.2 and closes instead of
// waiting again. A session the server is stopping, or that a 421 ended,
// ends here, between commands.
func (c *clientConn) Read(b []byte) (int, error) {
	for {
		if c.timedOut.Load() {
			return 0, os.ErrDeadlineExceeded
		}
		if c.bareEnd {
			return 0, errBareLineEndOfData
		}
		c.mu.Lock()
		if c.hangup || c.closing && !c.inData {
			closing := c.closing && !c.hangup
			c.mu.Unlock()
			if closing {
				c.goodbye()
			}
			return 0, io.EOF
		}
		var deadline time.Time
		if c.idle > 0 {
			deadline = time.Now().Add(c.idle)
		}
		if c.inData && !c.dataBy.IsZero() && (deadline.IsZero() || c.dataBy.Before(deadline)) {
			deadline = c.dataBy
		}
		c.Conn.SetReadDeadline(deadline)
		c.mu.Unlock()
		n, err := c.Conn.Read(b)
		c.greetings(b[:n])
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			c.mu.Lock()
			stopping, inData := c.closing, c.inData
			c.mu.Unlock()
			if stopping && (n > 0 || inData) {
				// Shutdown interrupted a read it must not end: a message
				// coming in. Take it up again.
				if n > 0 {
					return n, nil
				}
				continue
			}
			if stopping {
				c.goodbye()
				return n, io.EOF
			}
			c.timedOut.Store(true)
		}
		return n, err
	}
}

// greetings notes which greeting the client sends, HELO or EHLO (go-smtp
// does not say), from the command lines read: a line starting with the
// verb. A message's lines are not looked at (they are read while inData),
// nor anything after STARTTLS (the bytes are TLS records).
func (c *clientConn) greetings(b []byte) {
	c.mu.Lock()
	inData := c.inData
	c.mu.Unlock()
	if inData && c.scanEnd && c.dataEnd.bare(b) {
		c.bareEnd = true
	}
	if inData || c.encrypted {
		if len(b) > 0 {
			c.lineStart, c.verb = b[len(b)-1] == '\n', c.verb[:0]
		}
		return
	}
	for len(b) > 0 {
		if c.lineStart || len(c.verb) > 0 {
			k := min(len(b), 9-len(c.verb))
			c.verb = append(c.verb, b[:k]...)
			if len(c.verb) >= 9 || bytes.IndexByte(c.verb, '\n') >= 0 {
				c.noteVerb(c.verb)
				c.verb = c.verb[:0]
			}
		}
		i := bytes.IndexByte(b, '\n')
		c.lineStart = i >= 0
		if i < 0 {
			return
		}
		b = b[i+1:]
	}
}

func (c *clientConn) noteVerb(v []byte) {
	switch {
	case len(v) >= 5 && bytes.EqualFold(v[:5], []byte("HELO ")):
		c.state.HELO = true
		c.greets++
	case len(v) >= 5 && bytes.EqualFold(v[:5], []byte("EHLO ")):
		c.state.HELO = false
		c.greets++
	case bytes.EqualFold(bytes.TrimRight(v, "\r\n"), []byte("STARTTLS")):
		c.encrypted = true
	}
}

// goodbye tells the client the server is going away (RFC 5321 3.8).
func (c *clientConn) goodbye() {
	c.mu.Lock()
	w := io.Writer(c.Conn)
	if c.tls != nil {
		w = c.tls
	}
	c.mu.Unlock()
	c.Conn.SetWriteDeadline(time.Now().Add(time.Second))
	io.WriteString(w, "421 4.3.2 Service shutting down, closing connection\r\n")
}

// shutdown ends the session at its next wait for a command: now, if it is
// waiting for one; after its message, if one is coming in or being queued.
func (c *clientConn) shutdown() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closing = true
	if !c.inData {
		c.Conn.SetReadDeadline(time.Now())
	}
}

// startData and endData bracket a message's reception and queueing.
// Under TLS (as the session knows it, not as a sniffed STARTTLS line
// says) the raw bytes are records, and no end is looked for in them.
func (c *clientConn) startData(timeout time.Duration, tls bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inData, c.dataEnd, c.scanEnd, c.bareEnd = true, newDataEnd(), !tls, false
	if timeout > 0 {
		c.dataBy = time.Now().Add(timeout)
	}
}

func (c *clientConn) endData() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inData, c.dataBy = false, time.Time{}
}

// hangUp closes the connection after the reply being written (RFC 5321
// 3.8: a 421 ends the session).
func (c *clientConn) hangUp() {
	c.mu.Lock()
	c.hangup = true
	c.mu.Unlock()
}

// Write gives a client that does not read Idle_Time to take a reply.
func (c *clientConn) Write(b []byte) (int, error) {
	if c.idle > 0 {
		c.Conn.SetWriteDeadline(time.Now().Add(c.idle))
	}
	return c.Conn.Write(b)
}

// endTimeout bounds the policy's End (validate_dealloc) after a session.
const endTimeout = 30 * time.Second

func (c *clientConn) Close() error {
	err := net.ErrClosed
	c.closeOnce.Do(func() {
		// The Listener_Sessions slot and the socket go first, the slot
		// before the socket: a client that saw the close may connect
		// again at once. What the policy does at the end
		// (validate_dealloc) keeps neither.
		c.release()
		err = c.Conn.Close()
		if c.end != nil {
			c.end()
		}
		if mc, ok := c.Conn.(*memConn); ok {
			mc.markEnded()
		}
	})
	return err
}

// clientOf finds the clientConn under go-smtp's connection, through TLS.
func clientOf(c *smtp.Conn) *clientConn {
	nc := c.Conn()
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	cc, _ := nc.(*clientConn)
	return cc
}

// errorLog passes go-smtp's internal errors to the structured log.
type errorLog struct{ log *slog.Logger }

func (e errorLog) Printf(format string, v ...any) {
	for _, a := range v {
		if err, ok := a.(error); ok && errors.Is(err, net.ErrClosed) {
			// A connection this server closed (a policy's disconnect, a
			// bare-LF end): said already, at the closing.
			e.log.Debug("smtp in: " + fmt.Sprintf(format, v...))
			return
		}
	}
	e.log.Warn("smtp in: " + fmt.Sprintf(format, v...))
}

func (e errorLog) Println(v ...any) { e.log.Warn("smtp in: " + fmt.Sprint(v...)) }
