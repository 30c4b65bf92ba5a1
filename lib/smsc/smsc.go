// Package smsc is an SMSC simulator: it accepts SMPP v3.4 binds, answers
// submit_sm with message ids in a chosen format and sends delivery
// receipts after a delay with a configurable mix of outcomes, in the
// shapes real SMSCs use, odd ones included. Policy authors run it with
// `msyshost sim smsc`; tests and the daemon start it in-process on
// 127.0.0.1. Each modelled behaviour names the real one it copies.
package smsc

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"msyshost/lib/smpp"
)

// ReceiptStyle is where a receipt carries its id and state.
type ReceiptStyle int

const (
	// Both: receipted_message_id and message_state TLVs beside the
	// appendix B text, as SMPP v3.4 SMSCs (Kannel's bearerbox, most
	// carrier SMSCs) send.
	Both ReceiptStyle = iota
	// TextOnly: the appendix B text alone, as SMPP v3.3-era SMSCs and
	// many aggregators still send.
	TextOnly
	// TLVOnly: the TLVs and an empty short_message, as some SMSCs do to
	// save octets.
	TLVOnly
)

// Weighted is one outcome of the mix and its share.
type Weighted struct {
	Stat   string // DELIVRD, UNDELIV, EXPIRED, REJECTD, DELETED, UNKNOWN
	Weight int
}

// Options configure the simulator. Zero values take the defaults noted.
type Options struct {
	// Addr to listen on; default 127.0.0.1:0 (a free port).
	Addr string
	// SystemID the SMSC names itself in bind responses; default "msyshost-smsc".
	SystemID string
	// Accounts maps system_id to password; empty accepts any bind.
	Accounts map[string]string
	// IDFormat is how submit_sm_resp writes message ids; ReceiptIDFormat
	// how receipts write them (default: the same). Decimal ids are
	// zero-padded to 10 digits and hex ids upper-case to 8 digits, as
	// SMSCs that print a fixed-width counter do; string ids are
	// alphanumeric.
	IDFormat        smpp.IDFormat
	ReceiptIDFormat *smpp.IDFormat
	// TLVSubmitID writes receipted_message_id as submit_sm_resp wrote the
	// id, and only the text's id: in ReceiptIDFormat, as many SMSCs do:
	// the TLV comes from the submit path's record, the text from a
	// receipt formatter printing a decimal counter.
	TLVSubmitID bool
	// ReceiptDelay is how long after the submit a receipt goes out.
	ReceiptDelay time.Duration
	// Outcomes is the mix of final states, taken in turn by weight so a
	// run is reproducible; default all DELIVRD.
	Outcomes []Weighted
	// OutcomeFor fixes the final state of destinations starting with a
	// prefix (the longest prefix wins), as a handset that is switched off
	// (EXPIRED) or a barred number (REJECTD) gets the same answer on
	// every try; the mix decides the others.
	OutcomeFor map[string]string
	// Hold keeps every receipt in the outbox until Release, as an SMSC
	// holds receipts while the handset is out of coverage and sends them
	// when it is back.
	Hold bool
	// Intermediate sends ENROUTE before the final receipt when the submit
	// asked for intermediate notifications (registered_delivery 0x10), or
	// always when set to Always.
	Intermediate IntermediateMode
	Style        ReceiptStyle
	// TrailingNUL adds a NUL inside receipted_message_id's value beyond
	// the terminating one ("1a2b\x00\x00"), as some SMSCs do, and ends the
	// receipt text with NUL padding.
	TrailingNUL bool
	// DuplicateEvery sends every nth receipt twice (0: never), as SMSCs do
	// when their deliver_sm_resp timer fires before our answer arrives.
	DuplicateEvery int
	// Early sends a submission's receipt before its submit_sm_resp, as
	// SMSCs with a separate receipt path do when the delivery is instant.
	Early bool
	// MaxRate throttles submits per second per account (system_id) with
	// ESME_RTHROTTLED, as carriers enforce a contracted throughput over
	// all of an account's binds; 0 means unlimited.
	MaxRate int
	// Redeliver is how long a receipt waits for its deliver_sm_resp, or
	// after a temporary error, before it is sent again; default 2s.
	Redeliver time.Duration
	// TLS, when set, makes the simulator accept TLS connections only, as
	// SMSCs offering SMPP over TLS on a separate port do.
	TLS *tls.Config
	// DataSM sends receipts as data_sm with the text in message_payload,
	// as some SMSCs (CDMA and US carriers' gateways) do, instead of
	// deliver_sm.
	DataSM bool
	// Window bounds the receipts awaiting their deliver_sm_resp per
	// session, as an SMSC's own window does; default 64.
	Window int
	// Reject answers submits for these destination addresses with the
	// given command_status, as SMSCs refuse barred or invalid numbers.
	Reject map[string]smpp.Status
	// RespondDelay holds each submit_sm_resp this long after the submit
	// is accepted (its receipt planned), as an SMSC under load answers
	// late: a session dropped meanwhile leaves messages the SMSC has and
	// the ESME never heard about.
	RespondDelay time.Duration
	// EnquireLink, when set, sends enquire_link on every bound session at
	// this interval, as SMSCs check their ESMEs too (4.11); the session
	// is closed when one goes unanswered for the interval.
	EnquireLink time.Duration
	// RespTLVs appends additional_status_info_text to every
	// submit_sm_resp, as SMSCs following SMPP v5.0 do where v3.4 has none.
	RespTLVs bool
	// ReceiptUCS2 writes receipt text in UCS-2 (data_coding 8), as SMSCs
	// that write every deliver_sm in UCS-2 do.
	ReceiptUCS2 bool
	// PlainReceipts sends receipts with esm_class 0, as SMSCs that do not
	// flag them (appendix B's text is all that says it is a receipt).
	PlainReceipts bool
}

// IntermediateMode says when ENROUTE receipts are sent.
type IntermediateMode int

const (
	IntermediateRequested IntermediateMode = iota
	IntermediateAlways
	IntermediateNever
)

// ParseStyle reads a receipt style: both, tlv or text, in any case.
func ParseStyle(s string) (ReceiptStyle, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "both":
		return Both, nil
	case "tlv":
		return TLVOnly, nil
	case "text":
		return TextOnly, nil
	}
	return Both, fmt.Errorf("receipt style %q: want both, tlv or text", s)
}

// ParseIntermediate reads when ENROUTE receipts go: requested, always or
// never, in any case.
func ParseIntermediate(s string) (IntermediateMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "requested":
		return IntermediateRequested, nil
	case "always":
		return IntermediateAlways, nil
	case "never":
		return IntermediateNever, nil
	}
	return IntermediateRequested, fmt.Errorf("intermediate receipts %q: want requested, always or never", s)
}

// Submission is a submit_sm the simulator accepted.
type Submission struct {
	SystemID string
	ID       string // the message id as submit_sm_resp wrote it
	Source   string
	Dest     string
	Text     string // decoded, user data header removed
	SM       *smpp.SM
	Segment  *smpp.Concatenation // nil for a single message
	Outcome  string              // the final state its receipt will carry
}

// Server is the simulator.
type Server struct {
	opt Options
	log *slog.Logger
	ln  net.Listener

	counter atomic.Uint64 // message ids
	picks   atomic.Uint64 // outcomes taken
	rcpts   atomic.Uint64 // receipts sent, for DuplicateEvery
	sent    atomic.Uint64 // deliver_sm/data_sm written, resends included
	links   atomic.Uint64 // enquire_link answered by ESMEs

	held atomic.Bool // receipts wait for Release

	rate struct { // MaxRate's window per account
		sync.Mutex
		start map[string]time.Time
		count map[string]int
	}

	mu       sync.Mutex
	sessions map[*session]struct{}
	outbox   []*receipt // receipts waiting for a receiver bind
	subs     []Submission
	wake     chan struct{}
	stopped  bool
	wg       sync.WaitGroup
	cancel   context.CancelFunc
}

// New returns a simulator; Start listens.
func New(opt Options, log *slog.Logger) *Server {
	if opt.Addr == "" {
		opt.Addr = "127.0.0.1:0"
	}
	if opt.SystemID == "" {
		opt.SystemID = "msyshost-smsc"
	}
	if opt.Window <= 0 {
		opt.Window = 64
	}
	if opt.Redeliver == 0 {
		opt.Redeliver = 2 * time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{opt: opt, log: log, sessions: map[*session]struct{}{}, wake: make(chan struct{}, 1)}
	// A real SMSC's ids do not start over when it (or this simulator,
	// stopped with the daemon) restarts: a store keeping the copies of
	// messages not yet receipted would see a new message under an old
	// one's id. The counter starts at the clock, idsPerMilli a
	// millisecond: a run handing out fewer ids than that (the fastest
	// measured here, 42 a millisecond) never reaches the ids of a run
	// started after it. Below 2^32, so eight hex digits hold every id; it
	// wraps every 18 hours.
	s.counter.Store(uint64(time.Now().UnixMilli()) * idsPerMilli % (1 << 32))
	s.held.Store(opt.Hold)
	return s
}

// HoldReceipts keeps receipts in the outbox from now on, until Release.
func (s *Server) HoldReceipts() { s.held.Store(true) }

// Release sends the receipts held so far, and the later ones as they
// fall due.
func (s *Server) Release() {
	s.held.Store(false)
	s.poke()
}

// Name is the component name.
func (s *Server) Name() string { return "smsc simulator" }

// Addr is where the simulator listens, once started.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Listeners names the address, for the daemon's start line.
func (s *Server) Listeners() []string { return []string{"smsc-simulator://" + s.Addr()} }

// Start listens and serves until Stop.
func (s *Server) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.opt.Addr)
	if err != nil {
		return fmt.Errorf("smsc simulator: listening on %s: %w", s.opt.Addr, err)
	}
	if s.opt.TLS != nil {
		ln = tls.NewListener(ln, s.opt.TLS)
	}
	s.ln = ln
	ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.wg.Add(2)
	go s.accept(ctx)
	go s.dispatch(ctx)
	s.log.Info("smsc simulator listening", "addr", s.Addr())
	return nil
}

// Stop closes the listener and every session.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	s.stopped = true
	for se := range s.sessions {
		se.conn.Close()
	}
	s.mu.Unlock()
	if s.ln != nil {
		s.ln.Close()
	}
	if s.cancel != nil {
		s.cancel()
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Drop closes every bound session at once, as an SMSC restarting or a
// firewall timing out idle flows does; submits in flight get no answer.
func (s *Server) Drop() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for se := range s.sessions {
		se.conn.Close()
	}
	return len(s.sessions)
}

// Unbind ends every session politely from the SMSC's side (4.2), as an
// SMSC does before maintenance: unbind goes out, the session closes once
// the ESME answers (or after timeout). It returns how many sessions
// answered.
func (s *Server) Unbind(ctx context.Context, timeout time.Duration) int {
	s.mu.Lock()
	sessions := make([]*session, 0, len(s.sessions))
	for se := range s.sessions {
		sessions = append(sessions, se)
	}
	s.mu.Unlock()
	var answered atomic.Int32
	var wg sync.WaitGroup
	for _, se := range sessions {
		wg.Go(func() {
			uctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			if resp, err := se.conn.Request(uctx, smpp.Unbind, nil); err == nil && resp.ID == smpp.UnbindResp {
				answered.Add(1)
			}
			se.conn.Close()
		})
	}
	wg.Wait()
	return int(answered.Load())
}

// keepSubmissions bounds the submissions remembered for Submissions, so a
// simulator left running does not grow without end.
const keepSubmissions = 100000

func (s *Server) record(sub Submission) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.subs) >= keepSubmissions {
		s.subs = append(s.subs[:0], s.subs[len(s.subs)-keepSubmissions/2:]...)
	}
	s.subs = append(s.subs, sub)
}

// Submissions returns what was accepted so far (the latest 100,000 at
// most).
func (s *Server) Submissions() []Submission {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Submission(nil), s.subs...)
}

// Sessions returns the number of bound sessions.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for se := range s.sessions {
		if se.bound() != 0 {
			n++
		}
	}
	return n
}

// Links counts the enquire_link the ESMEs answered (Options.EnquireLink).
func (s *Server) Links() int { return int(s.links.Load()) }

// Sent counts the receipts written to sessions, each resend again.
func (s *Server) Sent() int { return int(s.sent.Load()) }

// Pending returns the receipts not yet acknowledged by the ESME.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.outbox)
}

func (s *Server) accept(ctx context.Context) {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.log.Error("smsc simulator: accept failed", "error", err)
			}
			return
		}
		se := &session{srv: s, conn: smpp.NewConn(nc)}
		s.mu.Lock()
		if s.stopped {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.sessions[se] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			err := se.conn.Serve(func(p *smpp.PDU) { se.handleSafely(ctx, p) })
			s.mu.Lock()
			delete(s.sessions, se)
			s.mu.Unlock()
			s.log.Debug("smsc simulator: session ended", "system_id", se.systemID, "error", err)
		}()
	}
}

// idsPerMilli is how fast the id counter's start moves with the clock.
const idsPerMilli = 64

// nextID returns the next message id as submit_sm_resp writes it, and
// the number behind it.
func (s *Server) nextID() (string, uint64) {
	n := s.counter.Add(1)
	return formatID(n, s.opt.IDFormat), n
}

func formatID(n uint64, f smpp.IDFormat) string {
	switch f {
	case smpp.IDDecimal:
		return fmt.Sprintf("%010d", n)
	case smpp.IDHex:
		return fmt.Sprintf("%08X", n)
	}
	// String ids: letters and digits, as carriers that hand out opaque
	// references (UUID fragments, base-36 counters) do.
	return "m" + strings.ToLower(fmt.Sprintf("%x", n*2654435761%0xFFFFFFFFFF)) + fmt.Sprint(n)
}

// outcome takes the final state for a destination: its prefix's, else
// the next of the mix.
func (s *Server) outcome(dest string) string {
	best := -1
	var stat string
	for prefix, st := range s.opt.OutcomeFor {
		if strings.HasPrefix(dest, prefix) && len(prefix) > best {
			best, stat = len(prefix), strings.ToUpper(st)
		}
	}
	if best >= 0 {
		return stat
	}
	if len(s.opt.Outcomes) == 0 {
		return "DELIVRD"
	}
	total := 0
	for _, w := range s.opt.Outcomes {
		total += w.Weight
	}
	if total <= 0 {
		return "DELIVRD"
	}
	k := int(s.picks.Add(1)-1) % total
	for _, w := range s.opt.Outcomes {
		if k < w.Weight {
			return strings.ToUpper(w.Stat)
		}
		k -= w.Weight
	}
	return "DELIVRD"
}

// ParseOutcomeFor reads "1666=UNDELIV,1555=EXPIRED".
func ParseOutcomeFor(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		prefix, stat, ok := strings.Cut(part, "=")
		if !ok || strings.TrimSpace(prefix) == "" {
			return nil, fmt.Errorf("%q is not PREFIX=STATE", part)
		}
		if err := CheckFinal(stat); err != nil {
			return nil, fmt.Errorf("%q: %w", part, err)
		}
		out[strings.TrimSpace(prefix)] = strings.ToUpper(strings.TrimSpace(stat))
	}
	return out, nil
}

// CheckFinal accepts the final states a receipt may carry.
func CheckFinal(stat string) error {
	name := strings.ToUpper(strings.TrimSpace(stat))
	if _, ok := smpp.StateOf(name); !ok || name == "ENROUTE" || name == "ACCEPTD" {
		return fmt.Errorf("%q: want DELIVRD, UNDELIV, EXPIRED, REJECTD, DELETED or UNKNOWN", stat)
	}
	return nil
}

// ParseOutcomes reads "DELIVRD=8,UNDELIV=1,EXPIRED=1".
func ParseOutcomes(s string) ([]Weighted, error) {
	var out []Weighted
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, weight, found := strings.Cut(part, "=")
		w := 1
		if found {
			if _, err := fmt.Sscanf(weight, "%d", &w); err != nil || w < 0 {
				return nil, fmt.Errorf("outcome %q: weight %q is not a whole number", part, weight)
			}
		}
		name = strings.ToUpper(strings.TrimSpace(name))
		if err := CheckFinal(name); err != nil {
			return nil, fmt.Errorf("outcome %w", err)
		}
		out = append(out, Weighted{Stat: name, Weight: w})
	}
	return out, nil
}
