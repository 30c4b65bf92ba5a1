package smsc

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"msyshost/lib/smpp"
)

// esme is a bare SMPP client that records the deliver_sm it gets and
// answers them with the status in answer.
type esme struct {
	conn   *smpp.Conn
	mu     sync.Mutex
	got    []*smpp.SM
	answer smpp.Status
}

func dial(t *testing.T, s *Server) *esme {
	t.Helper()
	nc, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	e := &esme{conn: smpp.NewConn(nc)}
	go e.conn.Serve(func(p *smpp.PDU) {
		if p.ID == smpp.DeliverSM {
			e.mu.Lock()
			e.got = append(e.got, p.Body.(*smpp.SM))
			st := e.answer
			e.mu.Unlock()
			e.conn.Respond(p, st, nil)
		}
	})
	t.Cleanup(func() { e.conn.Close() })
	return e
}

func (e *esme) req(t *testing.T, id smpp.CommandID, body smpp.Body) *smpp.PDU {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := e.conn.Request(ctx, id, body)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (e *esme) bind(t *testing.T, id smpp.CommandID, sys, pw string) smpp.Status {
	return e.req(t, id, &smpp.Bind{ID: id, SystemID: sys, Password: pw, InterfaceVersion: smpp.Version34}).Status
}

func (e *esme) submit(t *testing.T, dest string, rd uint8) *smpp.PDU {
	return e.req(t, smpp.SubmitSM, &smpp.SM{ID: smpp.SubmitSM, SourceAddr: "12345", DestinationAddr: dest, RegisteredDelivery: rd, ShortMessage: []byte("hello")})
}

func (e *esme) receipts() []smpp.Receipt {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []smpp.Receipt
	for _, sm := range e.got {
		rc, _ := smpp.ParseReceipt(sm)
		out = append(out, rc)
	}
	return out
}

func start(t *testing.T, opt Options) *Server {
	t.Helper()
	s := New(opt, nil)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(context.Background()) })
	return s
}

func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestBindRules(t *testing.T) {
	s := start(t, Options{Accounts: map[string]string{"esme": "pw"}})
	if st := dial(t, s).bind(t, smpp.BindTransceiver, "esme", "bad"); st != smpp.RInvPaswd {
		t.Fatalf("wrong password: %s", st)
	}
	if st := dial(t, s).bind(t, smpp.BindTransceiver, "who", "pw"); st != smpp.RInvSysID {
		t.Fatalf("unknown system_id: %s", st)
	}
	e := dial(t, s)
	if p := e.submit(t, "1", 0); p.Status != smpp.RInvBndSts {
		t.Fatalf("submit before bind: %s", p.Status)
	}
	if st := e.bind(t, smpp.BindReceiver, "esme", "pw"); st != smpp.ROK || s.Sessions() != 1 {
		t.Fatalf("bind: %s, %d sessions bound", st, s.Sessions())
	}
	if st := e.bind(t, smpp.BindReceiver, "esme", "pw"); st != smpp.RAlyBnd {
		t.Fatalf("second bind: %s", st)
	}
	if p := e.submit(t, "1", 0); p.Status != smpp.RInvBndSts {
		t.Fatalf("submit on a receiver bind: %s", p.Status)
	}
	if p := e.req(t, smpp.CommandID(0x77), &smpp.Empty{ID: 0x77}); p.ID != smpp.GenericNack || p.Status != smpp.RInvCmdID {
		t.Fatalf("unknown command answered %s %s", p.ID, p.Status)
	}
}

func TestRegisteredDeliveryDecidesReceipts(t *testing.T) {
	s := start(t, Options{Outcomes: []Weighted{{"DELIVRD", 1}, {"UNDELIV", 1}}})
	e := dial(t, s)
	e.bind(t, smpp.BindTransceiver, "a", "")
	e.submit(t, "1", 0)                    // none asked: DELIVRD, no receipt
	e.submit(t, "2", smpp.RegDlvSMSCFail)  // failure only: UNDELIV, receipt
	e.submit(t, "3", smpp.RegDlvSMSCFail)  // failure only: DELIVRD, none
	e.submit(t, "4", smpp.RegDlvSMSC|0x10) // final and intermediate: UNDELIV
	eventually(t, func() bool { return len(e.receipts()) == 3 })
	time.Sleep(50 * time.Millisecond)
	got := e.receipts()
	if len(got) != 3 || got[0].Stat != "UNDELIV" || got[1].Stat != "ENROUTE" || got[2].Stat != "UNDELIV" {
		t.Fatalf("receipts %+v", got)
	}
	subs := s.Submissions()
	if got[0].ID != subs[1].ID || got[2].ID != subs[3].ID {
		t.Fatalf("receipt ids %q %q for submissions %q %q", got[0].ID, got[2].ID, subs[1].ID, subs[3].ID)
	}
}

// A refused receipt is sent again; one with no receiver bound waits for
// the next bind.
func TestReceiptsAreRedeliveredAndHeld(t *testing.T) {
	s := start(t, Options{Redeliver: 50 * time.Millisecond})
	tx := dial(t, s)
	tx.bind(t, smpp.BindTransmitter, "a", "")
	tx.submit(t, "1", smpp.RegDlvSMSC)
	time.Sleep(100 * time.Millisecond)
	if s.Pending() != 1 {
		t.Fatalf("receipt without a receiver bind: pending %d", s.Pending())
	}
	rx := dial(t, s)
	rx.answer = smpp.RxTAppn
	rx.bind(t, smpp.BindReceiver, "a", "")
	eventually(t, func() bool { return len(rx.receipts()) >= 2 })
	if s.Pending() != 1 {
		t.Fatal("a refused receipt must stay pending")
	}
	rx.mu.Lock()
	rx.answer = smpp.ROK
	rx.mu.Unlock()
	eventually(t, func() bool { return s.Pending() == 0 })
}

func TestThrottleAndIDFormats(t *testing.T) {
	dec := smpp.IDDecimal
	s := start(t, Options{MaxRate: 2, IDFormat: smpp.IDHex, ReceiptIDFormat: &dec, Style: TLVOnly, TrailingNUL: true})
	e := dial(t, s)
	e.bind(t, smpp.BindTransceiver, "a", "")
	var ok, throttled int
	var first string
	for i := 0; i < 4; i++ {
		p := e.submit(t, "1", smpp.RegDlvSMSC)
		switch p.Status {
		case smpp.ROK:
			ok++
			if first == "" {
				first = p.Body.(*smpp.SMResp).MessageID
			}
		case smpp.RThrottled:
			throttled++
		}
	}
	if ok != 2 || throttled != 2 {
		t.Fatalf("%d accepted, %d throttled at 2/s", ok, throttled)
	}
	eventually(t, func() bool { return len(e.receipts()) == 2 })
	e.mu.Lock()
	raw, _ := e.got[0].TLVs.Get(smpp.TagReceiptedMessageID)
	e.mu.Unlock()
	if len(raw) < 2 || raw[len(raw)-1] != 0 || raw[len(raw)-2] != 0 {
		t.Fatalf("receipted_message_id %q lacks the extra NUL", raw)
	}
	rc := e.receipts()[0]
	a, _ := smpp.IDKey(first, smpp.IDHex, smpp.IDHex)
	b, _ := smpp.IDKey(rc.ID, smpp.IDDecimal, smpp.IDHex)
	if len(first) != 8 || a != b || rc.TLVID == "" {
		t.Fatalf("submit id %q, receipt %+v", first, rc)
	}
}

// MaxRate is the account's, over all its binds, and a short_message over
// what the air interface carries (140 octets, 160 septets) is refused
// (review item 23).
func TestRatePerAccountAndUserDataLimit(t *testing.T) {
	sim := New(Options{MaxRate: 2}, nil)
	if err := sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer sim.Stop(context.Background())
	var conns []*smpp.Conn
	for range 2 {
		nc, err := net.Dial("tcp", sim.Addr())
		if err != nil {
			t.Fatal(err)
		}
		c := smpp.NewConn(nc)
		go c.Serve(func(*smpp.PDU) {})
		defer c.Close()
		if resp, err := c.Request(context.Background(), smpp.BindTransmitter, &smpp.Bind{ID: smpp.BindTransmitter, SystemID: "esme", InterfaceVersion: smpp.Version34}); err != nil || resp.Status != smpp.ROK {
			t.Fatalf("bind: %v %v", resp, err)
		}
		conns = append(conns, c)
	}
	var got []smpp.Status
	for i := range 4 {
		resp, err := conns[i%2].Request(context.Background(), smpp.SubmitSM, &smpp.SM{ID: smpp.SubmitSM, DestinationAddr: "1555", ShortMessage: []byte("x")})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, resp.Status)
	}
	if got[0] != smpp.ROK || got[1] != smpp.ROK || got[2] != smpp.RThrottled || got[3] != smpp.RThrottled {
		t.Fatalf("4 submits at 2/s over two binds of one account: %v", got)
	}
	time.Sleep(time.Second) // the next one-second window
	for _, c := range []struct {
		coding uint8
		n      int
		want   smpp.Status
	}{{smpp.CodingDefault, 160, smpp.ROK}, {smpp.CodingUCS2, 142, smpp.RInvMsgLen}} {
		resp, err := conns[0].Request(context.Background(), smpp.SubmitSM, &smpp.SM{ID: smpp.SubmitSM, DestinationAddr: "1555", DataCoding: c.coding, ShortMessage: make([]byte, c.n)})
		if err != nil || resp.Status != c.want {
			t.Fatalf("%d octets of short_message in data_coding %d: %v, %v; want %s", c.n, c.coding, resp, err, c.want)
		}
	}
}

// A restarted simulator does not hand out its first ids again, as a real
// SMSC does not: the daemon's store may still hold a copy under one.
// Before, every run's first id was the same.
// A run handing out ids faster than the clock moves (5,000 at once)
// must not reach the ids of a run started after it.
func TestIDsDoNotRepeatAcrossRestarts(t *testing.T) {
	run := New(Options{}, nil)
	start := time.Now()
	seen := map[string]bool{}
	for range 5000 {
		id, _ := run.nextID()
		seen[id] = true
	}
	// The next run starts once the clock has moved past what the first
	// run's ids took at idsPerMilli.
	time.Sleep(time.Until(start.Add(5000/idsPerMilli*time.Millisecond + 2*time.Millisecond)))
	next := New(Options{}, nil)
	for range 5000 {
		if id, _ := next.nextID(); seen[id] {
			t.Fatalf("the restarted simulator handed out %s again", id)
		}
	}
}
