package smppclient_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"msyshost/lib/mstore"
	"msyshost/lib/retry"
	"msyshost/lib/smpp"
	"msyshost/lib/smppclient"
	"msyshost/lib/spool"
	"msyshost/lib/status"
)

// peer is a hand-driven SMSC for the answers the simulator does not give:
// it accepts connections, answers the bind, and hands every later PDU of a
// session to the test's function with the session's connections.
type peer struct {
	ln     net.Listener
	handle func(s *peerSession, p *smpp.PDU)
	// stall, when set, stops reading after the bind is answered, as an
	// SMSC process that hangs does while its socket stays open.
	stall    bool
	sessions chan *peerSession // each bound session
	// v34 answers binds with sc_interface_version 0x34; without it the
	// peer is an SMPP v3.3 SMSC.
	v34 atomic.Bool
}

type peerSession struct {
	nc   net.Conn
	conn *smpp.Conn
}

func newPeer(t *testing.T, stall bool, handle func(*peerSession, *smpp.PDU)) *peer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	p := &peer{ln: ln, handle: handle, stall: stall, sessions: make(chan *peerSession, 16)}
	go p.accept(t)
	return p
}

func (p *peer) accept(t *testing.T) {
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for {
		nc, err := p.ln.Accept()
		if err != nil {
			return
		}
		conns = append(conns, nc)
		s := &peerSession{nc: nc, conn: smpp.NewConn(nc)}
		go func() {
			if p.stall {
				b, err := smpp.Read(bufioReader(nc))
				if err == nil {
					_ = s.conn.Respond(b, smpp.ROK, &smpp.BindResp{ID: b.ID.Response(), SystemID: "peer"})
				}
				return // never reads again
			}
			_ = s.conn.Serve(func(r *smpp.PDU) {
				switch r.ID {
				case smpp.BindTransceiver, smpp.BindTransmitter, smpp.BindReceiver:
					resp := &smpp.BindResp{ID: r.ID.Response(), SystemID: "peer"}
					if p.v34.Load() {
						resp.TLVs.SetUint8(smpp.TagSCInterfaceVersion, smpp.Version34)
					}
					_ = s.conn.Respond(r, smpp.ROK, resp)
					p.sessions <- s
				default:
					p.handle(s, r)
				}
			})
		}()
	}
}

// bufioReader reads the bind PDU byte by byte, leaving nothing buffered
// that a stalled peer would have read.
func bufioReader(nc net.Conn) *singleReader { return &singleReader{nc} }

type singleReader struct{ nc net.Conn }

func (r *singleReader) Read(b []byte) (int, error) { return r.nc.Read(b[:min(len(b), 1)]) }

func (p *peer) client(t *testing.T, set smppclient.Settings, onDeliver smppclient.DeliverFunc) *smppclient.Client {
	t.Helper()
	set.Name, set.Addr, set.SystemID = "peer", p.ln.Addr().String(), "esme"
	set.ReconnectMin, set.ReconnectMax = 50*time.Millisecond, 100*time.Millisecond
	c := smppclient.New(set, onDeliver, nil)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop(context.Background()) })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.WaitBound(ctx, 1); err != nil {
		t.Fatal(err)
	}
	return c
}

// rawResp writes a submit_sm_resp as the bytes given, header made here.
func rawResp(t *testing.T, s *peerSession, seq uint32, st smpp.Status, body []byte) {
	t.Helper()
	b := make([]byte, smpp.HeaderLen, smpp.HeaderLen+len(body))
	binary.BigEndian.PutUint32(b[0:], uint32(smpp.HeaderLen+len(body)))
	binary.BigEndian.PutUint32(b[4:], uint32(smpp.SubmitSMResp))
	binary.BigEndian.PutUint32(b[8:], uint32(st))
	binary.BigEndian.PutUint32(b[12:], seq)
	if _, err := s.nc.Write(append(b, body...)); err != nil {
		t.Error(err)
	}
}

// An SMSC that stops reading (review item 1): every submit returns, the
// bind is given up on within the response timer rather than staying
// "bound" for good, and Stop returns.
func TestStalledSMSCFailsTheBind(t *testing.T) {
	p := newPeer(t, true, nil)
	c := p.client(t, smppclient.Settings{Window: 400, SubmitTimeout: 500 * time.Millisecond, EnquireLink: time.Hour}, nil)
	var tl smpp.TLVs
	tl.Set(smpp.TagMessagePayload, bytes.Repeat([]byte("x"), 60000))
	// Enough octets to fill both sockets' buffers many times over.
	const n = 200
	var wg sync.WaitGroup
	var failed atomic.Int32
	start := time.Now()
	for range n {
		wg.Go(func() {
			_, err := c.Submit(context.Background(), &smpp.SM{ID: smpp.SubmitSM, DestinationAddr: "1555", TLVs: tl})
			if status.IsTemporary(err) {
				failed.Add(1)
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatalf("after 15s, %d of %d submits to a stalled SMSC have not returned", n-int(failed.Load()), n)
	}
	if failed.Load() != n {
		t.Fatalf("%d of %d submits failed temporarily, want all", failed.Load(), n)
	}
	t.Logf("%d submits returned in %s", n, time.Since(start).Round(time.Millisecond))
	waitFor(t, func() bool { return c.Statuses()[0].LastError != "" })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("Stop with a stalled SMSC: %v", err)
	}
}

// A submit_sm_resp with ESME_ROK is the SMSC's acceptance however the
// rest reads (review item 4): an empty message_id (SMSCs do this when no
// receipt was asked for), TLVs after the id, no NUL, an id too long to
// read. None is taken for a failure, so none is sent twice.
func TestSubmitRespOKIsAccepted(t *testing.T) {
	var submits atomic.Int32
	p := newPeer(t, false, func(s *peerSession, r *smpp.PDU) {
		if r.ID != smpp.SubmitSM {
			_ = s.conn.Respond(r, smpp.ROK, nil)
			return
		}
		submits.Add(1)
		switch dest := r.Body.(*smpp.SM).DestinationAddr; dest {
		case "empty":
			rawResp(t, s, r.Seq, smpp.ROK, []byte{0})
		case "nobody":
			rawResp(t, s, r.Seq, smpp.ROK, nil)
		case "tlv":
			rawResp(t, s, r.Seq, smpp.ROK, append([]byte("id-1\x00"), 0x00, 0x1D, 0x00, 0x03, 'o', 'k', 0))
		case "nonul":
			rawResp(t, s, r.Seq, smpp.ROK, []byte("id-2"))
		case "long":
			rawResp(t, s, r.Seq, smpp.ROK, []byte(strings.Repeat("9", 80)))
		case "refused":
			rawResp(t, s, r.Seq, smpp.RInvDstAdr, nil)
		}
	})
	c := p.client(t, smppclient.Settings{SubmitTimeout: 2 * time.Second}, nil)
	for _, tc := range []struct{ dest, id string }{{"empty", ""}, {"nobody", ""}, {"tlv", "id-1"}, {"nonul", "id-2"}, {"long", ""}} {
		id, err := c.Submit(context.Background(), &smpp.SM{ID: smpp.SubmitSM, DestinationAddr: tc.dest})
		if err != nil || id != tc.id {
			t.Errorf("%s: Submit = %q, %v; want %q accepted", tc.dest, id, err, tc.id)
		}
	}
	_, err := c.Submit(context.Background(), &smpp.SM{ID: smpp.SubmitSM, DestinationAddr: "refused"})
	if e, ok := status.Of(err); !ok || e.Temporary || e.Code != int(smpp.RInvDstAdr) {
		t.Errorf("refused: %v, want a permanent ESME_RINVDSTADR", err)
	}
	if got := submits.Load(); got != 6 {
		t.Fatalf("the SMSC got %d submit_sm for 6 submits", got)
	}
	if c.Statuses()[0].State != smppclient.StateBound {
		t.Fatalf("the bind did not stay up: %+v", c.Statuses()[0])
	}
}

// A submit_sm that cannot be encoded fails for good and never reaches the
// SMSC (review item 10): retrying cannot make it shorter.
func TestUnencodableSubmitIsPermanent(t *testing.T) {
	var submits atomic.Int32
	p := newPeer(t, false, func(s *peerSession, r *smpp.PDU) {
		if r.ID != smpp.SubmitSM {
			_ = s.conn.Respond(r, smpp.ROK, nil)
			return
		}
		submits.Add(1)
		_ = s.conn.Respond(r, smpp.ROK, &smpp.SMResp{ID: smpp.SubmitSMResp, MessageID: "x"})
	})
	c := p.client(t, smppclient.Settings{}, nil)
	for _, sm := range []*smpp.SM{
		{ID: smpp.SubmitSM, DestinationAddr: strings.Repeat("1", 25)},
		{ID: smpp.SubmitSM, DestinationAddr: "1555", ValidityPeriod: "1d"},
	} {
		_, err := c.Submit(context.Background(), sm)
		if e, ok := status.Of(err); !ok || e.Temporary || !strings.HasPrefix(e.Enhanced, "5.") {
			t.Errorf("%+v: %v, want a permanent error", sm, err)
		}
	}
	if submits.Load() != 0 {
		t.Fatalf("the SMSC got %d PDUs", submits.Load())
	}
}

// The SMSC unbinds while submits await their responses (review item 14):
// the responses it still sends are taken, unbind_resp follows them, and
// no submit fails (each failure would send its message again).
func TestSMSCUnbindWaitsForTheWindow(t *testing.T) {
	var mu sync.Mutex
	var held []*smpp.PDU
	unbound := make(chan time.Time, 1)
	var answered time.Time
	p := newPeer(t, false, func(s *peerSession, r *smpp.PDU) {
		if r.ID != smpp.SubmitSM {
			_ = s.conn.Respond(r, smpp.ROK, nil)
			return
		}
		mu.Lock()
		held = append(held, r)
		if len(held) < 3 {
			mu.Unlock()
			return
		}
		mu.Unlock()
		go func() {
			wait, err := s.conn.Start(context.Background(), smpp.Unbind, nil)
			if err != nil {
				t.Error(err)
				return
			}
			time.Sleep(200 * time.Millisecond)
			mu.Lock()
			for i, h := range held {
				_ = s.conn.Respond(h, smpp.ROK, &smpp.SMResp{ID: smpp.SubmitSMResp, MessageID: string(rune('a' + i))})
			}
			answered = time.Now()
			mu.Unlock()
			if resp, err := wait(context.Background()); err == nil && resp.ID == smpp.UnbindResp {
				unbound <- time.Now()
			}
		}()
	})
	c := p.client(t, smppclient.Settings{SubmitTimeout: 3 * time.Second}, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 {
		wg.Go(func() {
			if _, err := c.Submit(context.Background(), &smpp.SM{ID: smpp.SubmitSM, DestinationAddr: "1555"}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a submit in flight when the SMSC unbound failed: %v", err)
	}
	select {
	case at := <-unbound:
		mu.Lock()
		defer mu.Unlock()
		if at.Before(answered) {
			t.Fatal("unbind_resp came before the window's responses")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no unbind_resp")
	}
}

// Stop while a receipt is in hand (review item 6): its handler finishes
// and its deliver_sm_resp reaches the SMSC before the unbind, so the SMSC
// does not send it again to a restarted process.
func TestStopAnswersReceiptsInHand(t *testing.T) {
	var order []string
	var mu sync.Mutex
	note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	p := newPeer(t, false, func(s *peerSession, r *smpp.PDU) {
		note(r.ID.String())
		_ = s.conn.Respond(r, smpp.ROK, nil)
	})
	inHand := make(chan struct{})
	c := p.client(t, smppclient.Settings{}, func(ctx context.Context, bind string, sm *smpp.SM) smpp.Status {
		close(inHand)
		time.Sleep(300 * time.Millisecond) // a hook at work
		return smpp.ROK
	})
	s := <-p.sessions
	rc := &smpp.SM{ID: smpp.DeliverSM, EsmClass: smpp.EsmDeliveryRcpt, ShortMessage: []byte("id:1 stat:DELIVRD")}
	wait, err := s.conn.Start(context.Background(), smpp.DeliverSM, rc)
	if err != nil {
		t.Fatal(err)
	}
	<-inHand
	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stopped <- c.Stop(ctx)
	}()
	resp, err := wait(context.Background())
	if err != nil || resp.Status != smpp.ROK {
		t.Fatalf("deliver_sm_resp of the receipt in hand at Stop: %+v, %v", resp, err)
	}
	note("deliver_sm_resp")
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(order) >= 2 })
	mu.Lock()
	defer mu.Unlock()
	if order[0] != "deliver_sm_resp" || order[1] != smpp.Unbind.String() {
		t.Fatalf("the SMSC saw %v, want the receipt answered, then unbind", order)
	}
}

// A receipt handler that panics (review item 17) costs neither the
// process nor the bind: the receipt is refused for now with
// ESME_RX_T_APPN, so the SMSC sends it again, and the next one is handled.
func TestReceiptHandlerPanicIsRecovered(t *testing.T) {
	p := newPeer(t, false, func(s *peerSession, r *smpp.PDU) { _ = s.conn.Respond(r, smpp.ROK, nil) })
	var calls atomic.Int32
	c := p.client(t, smppclient.Settings{}, func(ctx context.Context, bind string, sm *smpp.SM) smpp.Status {
		if calls.Add(1) == 1 {
			panic("a bug in a receipt handler")
		}
		return smpp.ROK
	})
	s := <-p.sessions
	rc := &smpp.SM{ID: smpp.DeliverSM, EsmClass: smpp.EsmDeliveryRcpt, ShortMessage: []byte("id:7 stat:DELIVRD")}
	for _, want := range []smpp.Status{smpp.RxTAppn, smpp.ROK} {
		resp, err := s.conn.Request(context.Background(), smpp.DeliverSM, rc)
		if err != nil || resp.Status != want {
			t.Fatalf("deliver_sm answered %+v, %v; want %s", resp, err, want)
		}
	}
	if st := c.Statuses()[0]; st.State != smppclient.StateBound || st.Receipts != 1 {
		t.Fatalf("bind after the panic: %+v", st)
	}
}

// ESME_RTHROTTLED and ESME_RMSGQFUL pause every bind of the account
// (review item 13): the SMSC's limit is the account's, so the other bind
// would be refused too. A submit while all are paused waits for the pause
// (bounded by its context) and its failure says why.
func TestThrottlePausesEveryBind(t *testing.T) {
	for _, refusal := range []smpp.Status{smpp.RThrottled, smpp.RMsgQFul} {
		var mu sync.Mutex
		var at []time.Time
		p := newPeer(t, false, func(s *peerSession, r *smpp.PDU) {
			if r.ID != smpp.SubmitSM {
				_ = s.conn.Respond(r, smpp.ROK, nil)
				return
			}
			mu.Lock()
			at = append(at, time.Now())
			first := len(at) == 1
			mu.Unlock()
			if first {
				_ = s.conn.Respond(r, refusal, nil)
				return
			}
			_ = s.conn.Respond(r, smpp.ROK, &smpp.SMResp{ID: smpp.SubmitSMResp, MessageID: "ok"})
		})
		const pause = 400 * time.Millisecond
		c := p.client(t, smppclient.Settings{Binds: 2, ThrottleTimeout: pause}, nil)
		waitFor(t, func() bool { return c.Statuses()[1].State == smppclient.StateBound })
		sm := &smpp.SM{ID: smpp.SubmitSM, DestinationAddr: "1555"}
		if _, err := c.Submit(context.Background(), sm); err == nil {
			t.Fatalf("%s: the refused submit succeeded", refusal)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		_, err := c.Submit(ctx, sm)
		cancel()
		if e, ok := status.Of(err); !ok || !e.Temporary || !strings.Contains(e.Text, "throttling") {
			t.Fatalf("%s: a submit while every bind is paused: %v", refusal, err)
		}
		if _, err := c.Submit(context.Background(), sm); err != nil {
			t.Fatalf("%s: a submit after the pause: %v", refusal, err)
		}
		mu.Lock()
		if len(at) != 2 || at[1].Sub(at[0]) < pause-50*time.Millisecond {
			t.Fatalf("%s: submits reached the SMSC at %v; the second within the pause", refusal, at)
		}
		mu.Unlock()
	}
}

// An SMSC whose bind_resp names no sc_interface_version is SMPP v3.3 and
// takes no TLVs (review item 15): a long message goes with UDH
// concatenation, not the sar_* TLVs that are the default, so the handset
// can join it. One that names 0x34 gets the TLVs.
func TestV33SMSCGetsUDHSegments(t *testing.T) {
	for _, v34 := range []bool{false, true} {
		var mu sync.Mutex
		var got []*smpp.SM
		var n atomic.Int32
		p := newPeer(t, false, func(s *peerSession, r *smpp.PDU) {
			if r.ID != smpp.SubmitSM {
				_ = s.conn.Respond(r, smpp.ROK, nil)
				return
			}
			mu.Lock()
			got = append(got, r.Body.(*smpp.SM))
			mu.Unlock()
			_ = s.conn.Respond(r, smpp.ROK, &smpp.SMResp{ID: smpp.SubmitSMResp, MessageID: fmt.Sprint("m", n.Add(1))})
		})
		p.v34.Store(v34)
		r := newRigAt(t, p.ln.Addr().String(), "", func(mstore.Store, *spool.Recorder) retry.Hooks { return newRecHooks() })
		if err := r.ch.Deliver(context.Background(), sms("15550001@"+domain, strings.Repeat("0123456789", 20))); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		if len(got) != 2 {
			t.Fatalf("v3.4 %v: %d segments", v34, len(got))
		}
		for _, sm := range got {
			_, sar := sm.TLVs.Get(smpp.TagSarMsgRefNum)
			udh := sm.EsmClass&smpp.EsmUDHI != 0
			if v34 != sar || v34 == udh {
				t.Errorf("v3.4 %v: a segment with sar TLVs %v, UDH %v", v34, sar, udh)
			}
		}
		mu.Unlock()
	}
}
