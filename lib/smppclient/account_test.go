package smppclient_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"msyshost/lib/mstore"
	"msyshost/lib/retry"
	"msyshost/lib/smppclient"
	"msyshost/lib/smsc"
	"msyshost/lib/spool"
	"msyshost/lib/status"
)

// An SMSC account served by a domain of transmitter binds and another of
// receiver binds (review item 5): the receipts of the first domain's
// messages come in on the second's binds and still find their stored
// copies, under the first domain's source address.
func TestReceiptsOnAnotherDomainOfTheAccount(t *testing.T) {
	ctx := context.Background()
	sim := smsc.New(smsc.Options{}, nil)
	if err := sim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Stop(context.Background()) })
	host, port, _ := net.SplitHostPort(sim.Addr())
	conf := ""
	for _, d := range []struct{ name, bind, source string }{{"tx.example", "transmitter", "111"}, {"rx.example", "receiver", "222"}} {
		conf += fmt.Sprintf(`Domain %q {
  smpp_smsc_server = %q smpp_smsc_port = %s smpp_smsc_system_id = "esme" smpp_smsc_password = "pw"
  smpp_bind_type = %q smpp_esme_address = %q smpp_registered_delivery = "SMSC_Delivery"
}
`, d.name, host, port, d.bind, d.source)
	}
	ch, hooks := channelOf(t, conf)
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for _, d := range []string{"tx.example", "rx.example"} {
		if err := ch.Client(d).WaitBound(wctx, 1); err != nil {
			t.Fatal(err)
		}
	}
	const n = 3
	for i := range n {
		if err := ch.Deliver(ctx, sms(fmt.Sprintf("1555000%d@tx.example", i), "x")); err != nil {
			t.Fatal(err)
		}
	}
	hooks.await(t, "smpp_handle_DR_positive", n)
	hooks.mu.Lock()
	defer hooks.mu.Unlock()
	stored := map[string]bool{}
	for _, c := range hooks.calls {
		switch c.hook {
		case "smpp_store_submit":
			stored[c.args[0]+"/"+c.args[1]] = true
		case "smpp_handle_DR_positive":
			if !stored[c.args[0]+"/"+c.args[1]] {
				t.Errorf("positive hook for %v, a key nothing was stored under", c.args)
			}
		}
	}
	waitFor(t, func() bool { return ch.Client("rx.example").Statuses()[0].Receipts == n })
}

// One domain may keep binds of several kinds (review item 5): with
// smpp_bind_type = ("transmitter" "receiver") the submits go over the
// transmitter bind and the receipts come in on the receiver bind, and
// correlate as on a transceiver.
func TestTransmitterAndReceiverInOneDomain(t *testing.T) {
	hooks := newRecHooks()
	r := newRig(t, smsc.Options{}, hooks, `smpp_bind_type = ("transmitter" "receiver")`)
	c := r.ch.Client(domain)
	st := c.Statuses()
	if len(st) != 2 || st[0].BindType != "bind_transmitter" || st[1].BindType != "bind_receiver" {
		t.Fatalf("binds %+v", st)
	}
	for i := range 3 {
		if err := r.ch.Deliver(context.Background(), sms(fmt.Sprintf("1555000%d@%s", i, domain), "x")); err != nil {
			t.Fatal(err)
		}
	}
	hooks.await(t, "smpp_handle_DR_positive", 3)
	waitFor(t, func() bool { s := c.Statuses(); return s[0].Submits == 3 && s[1].Receipts == 3 })
}

// channelOf starts an SMPP channel for every domain of conf, with hooks
// that record their calls.
func channelOf(t *testing.T, conf string) (*smppclient.Channel, *recHooks) {
	t.Helper()
	hooks := newRecHooks()
	r := channelFor(t, conf, func(mstore.Store, *spool.Recorder) retry.Hooks { return hooks })
	return r.ch, hooks
}

// A long SMS stopped part way at one domain's SMSC and then rerouted to
// another domain goes whole to the other SMSC: the segments the first
// took are its own, and their receipts come from it. Before, the second
// SMSC got only the remaining segments.
func TestReroutedLongSMSStartsOver(t *testing.T) {
	ctx := context.Background()
	conf := ""
	sims := map[string]*smsc.Server{}
	for _, d := range []struct {
		name, source string
		rate         int
	}{{"a.test", "111", 2}, {"b.test", "222", 0}} {
		sim := smsc.New(smsc.Options{MaxRate: d.rate}, nil)
		if err := sim.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sim.Stop(context.Background()) })
		sims[d.name] = sim
		host, port, _ := net.SplitHostPort(sim.Addr())
		conf += fmt.Sprintf(`Domain %q {
  smpp_smsc_server = %q smpp_smsc_port = %s smpp_smsc_system_id = "esme" smpp_smsc_password = "pw"
  smpp_esme_address = %q smpp_registered_delivery = "SMSC_Delivery" smpp_esme_udh_segment = true
}
`, d.name, host, port, d.source)
	}
	ch, hooks := channelOf(t, conf)
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for d := range sims {
		if err := ch.Client(d).WaitBound(wctx, 1); err != nil {
			t.Fatal(err)
		}
	}
	m := sms("15550001@a.test", strings.Repeat("0123456789", 60)) // 4 segments
	short, stop := context.WithTimeout(ctx, 1500*time.Millisecond)
	err := ch.Deliver(short, m)
	stop()
	if n := len(sims["a.test"].Submissions()); !status.IsTemporary(err) || n == 0 || n >= 4 {
		t.Fatalf("first attempt at 2/s: %v with %d of 4 segments at a.test's SMSC, want part", err, n)
	}
	m.RoutingDomain = "b.test"
	deliverRetrying(t, ch, m)
	subs := sims["b.test"].Submissions()
	if len(subs) != 4 || subs[0].Segment == nil || subs[0].Segment.Seq != 1 {
		t.Fatalf("b.test's SMSC got %d segments, want all 4 from the first", len(subs))
	}
	hooks.await(t, "smpp_handle_DR_positive", 1)
}
