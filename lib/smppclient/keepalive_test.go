package smppclient_test

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"msyshost/lib/smpp"
	"msyshost/lib/smppclient"
	"msyshost/lib/smsc"
)

// An SMSC that binds but stops answering enquire_link (a hung process, a
// half-open TCP flow) is given up on after the response timer
// (smpp_response_timer, review item 27) and bound again.
func TestEnquireLinkUnansweredReconnects(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var binds, enquiries atomic.Int32
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			conn := smpp.NewConn(nc)
			go conn.Serve(func(p *smpp.PDU) {
				switch p.ID {
				case smpp.BindTransceiver:
					binds.Add(1)
					conn.Respond(p, smpp.ROK, &smpp.BindResp{ID: smpp.BindTransceiverResp, SystemID: "hung"})
				case smpp.EnquireLink:
					enquiries.Add(1) // never answered
				}
			})
		}
	}()
	c := smppclient.New(smppclient.Settings{Name: "hung", Addr: ln.Addr().String(),
		EnquireLink: 50 * time.Millisecond, SubmitTimeout: 100 * time.Millisecond, ReconnectMin: 10 * time.Millisecond}, nil, nil)
	c.Start(context.Background())
	defer c.Stop(context.Background())
	deadline := time.Now().Add(5 * time.Second)
	for binds.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("bound %d times, %d enquire_link sent", binds.Load(), enquiries.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s := c.Statuses()[0]; !strings.Contains(s.LastError, "enquire_link unanswered") {
		t.Fatalf("last error %q", s.LastError)
	}
}

// An SMSC refusing the account's credentials is not asked again every
// few seconds (review item 18): many SMSCs lock an account after a few
// bad passwords. Other refusals are retried on the ordinary backoff.
func TestRefusedCredentialsBackOff(t *testing.T) {
	for _, c := range []struct {
		st       smpp.Status
		retrying bool
	}{{smpp.RInvPaswd, false}, {smpp.RInvSysID, false}, {smpp.RBindFail, false}, {smpp.RSysErr, true}} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		var binds atomic.Int32
		go func() {
			for {
				nc, err := ln.Accept()
				if err != nil {
					return
				}
				conn := smpp.NewConn(nc)
				go conn.Serve(func(p *smpp.PDU) {
					binds.Add(1)
					conn.Respond(p, c.st, nil)
				})
			}
		}()
		cl := smppclient.New(smppclient.Settings{Name: "locked", Addr: ln.Addr().String(),
			ReconnectMin: 10 * time.Millisecond, ReconnectMax: 20 * time.Millisecond}, nil, nil)
		cl.Start(context.Background())
		time.Sleep(500 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := cl.Stop(ctx); err != nil {
			t.Errorf("%s: Stop during the backoff: %v", c.st, err)
		}
		cancel()
		ln.Close()
		n := binds.Load()
		if c.retrying && n < 5 || !c.retrying && n != 1 {
			t.Errorf("%s: %d binds in 500ms", c.st, n)
		}
		if s := cl.Statuses()[0]; !strings.Contains(s.LastError, c.st.String()) {
			t.Errorf("%s: last error %q", c.st, s.LastError)
		}
	}
}

// The SMSC checks the bind with its own enquire_link (review item 23):
// the client answers each, and the session stays up.
func TestSMSCEnquireLinkAnswered(t *testing.T) {
	hooks := newRecHooks()
	r := newRig(t, smsc.Options{EnquireLink: 30 * time.Millisecond}, hooks, "")
	waitFor(t, func() bool { return r.smsc.Links() >= 5 })
	if s := r.ch.Client(domain).Statuses()[0]; s.State != smppclient.StateBound || s.LastError != "" {
		t.Fatalf("bind after the SMSC's enquire_link: %+v", s)
	}
}
