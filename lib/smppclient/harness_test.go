package smppclient_test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/mstore"
	"msyshost/lib/mstore/embedded"
	"msyshost/lib/retry"
	"msyshost/lib/smppclient"
	"msyshost/lib/smsc"
	"msyshost/lib/spool"
	"msyshost/lib/status"
)

// hookCall is one hook the retry core dispatched.
type hookCall struct {
	hook string
	args []string
}

// recHooks records hook calls and answers from a table.
type recHooks struct {
	mu      sync.Mutex
	returns map[string]int
	calls   []hookCall
	signal  chan hookCall
}

func newRecHooks() *recHooks {
	return &recHooks{returns: map[string]int{}, signal: make(chan hookCall, 4096)}
}

func (h *recHooks) Dispatch(_ context.Context, hook string, args ...any) int {
	c := hookCall{hook: hook}
	for _, a := range args {
		if s, ok := a.(string); ok {
			c.args = append(c.args, s)
		}
	}
	h.mu.Lock()
	h.calls = append(h.calls, c)
	ret := h.returns[hook]
	h.mu.Unlock()
	h.signal <- c
	return ret
}

func (h *recHooks) count(hook string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, c := range h.calls {
		if c.hook == hook {
			n++
		}
	}
	return n
}

// await waits for n calls of hook (counting those already made).
func (h *recHooks) await(t *testing.T, hook string, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for h.count(hook) < n {
		select {
		case <-h.signal:
		case <-deadline:
			t.Fatalf("%s called %d times, want %d", hook, h.count(hook), n)
		}
	}
}

// rig is an SMSC, a store, a retry core and the channel bound to it.
type rig struct {
	smsc  *smsc.Server
	store mstore.Store
	rec   *spool.Recorder
	core  *retry.Core
	hooks retry.Hooks
	ch    *smppclient.Channel
}

const domain = "smpp.example.com"

// newRig starts the simulator with opt and a channel for domain with the
// extra config lines.
func newRig(t *testing.T, opt smsc.Options, hooks retry.Hooks, extra string) *rig {
	t.Helper()
	return newRigWith(t, opt, extra, func(mstore.Store, *spool.Recorder) retry.Hooks { return hooks })
}

// newRigWith builds the hooks from the rig's store and recorder (for the
// real Lua host).
func newRigWith(t *testing.T, opt smsc.Options, extra string, mk func(mstore.Store, *spool.Recorder) retry.Hooks) *rig {
	t.Helper()
	ctx := context.Background()
	sim := smsc.New(opt, nil)
	if err := sim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Stop(context.Background()) })
	r := newRigAt(t, sim.Addr(), extra, mk)
	r.smsc = sim
	return r
}

// newRigAt binds a channel to an SMSC at addr.
func newRigAt(t *testing.T, addr, extra string, mk func(mstore.Store, *spool.Recorder) retry.Hooks) *rig {
	t.Helper()
	ctx := context.Background()
	host, port, _ := net.SplitHostPort(addr)
	conf := fmt.Sprintf(`Domain %q {
  smpp_smsc_server = %q
  smpp_smsc_port = %s
  smpp_smsc_system_id = "esme"
  smpp_smsc_password = "pw"
  smpp_registered_delivery = "SMSC_Delivery"
  smpp_esme_address = "12345"
  smpp_enquire_link_timer = 1
  smpp_response_timer = 5
%s
}
`, domain, host, port, extra)
	r := channelFor(t, conf, mk)
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := r.ch.Client(domain).WaitBound(wctx, r.ch.Client(domain).Settings().Binds); err != nil {
		t.Fatal(err)
	}
	return r
}

// channelFor starts an SMPP channel for every domain of conf, on an
// embedded store, with the hooks mk makes; it stops when t ends.
func channelFor(t *testing.T, conf string, mk func(mstore.Store, *spool.Recorder) retry.Hooks) *rig {
	t.Helper()
	cfg, err := config.Parse("test.conf", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	st, err := embedded.Open(filepath.Join(t.TempDir(), "m.db"), embedded.Options{SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rec := &spool.Recorder{}
	hooks := mk(st, rec)
	core := &retry.Core{Store: st, Hooks: hooks, Bouncer: rec, ParkTimeout: 2 * time.Second}
	ch, err := smppclient.NewChannel(cfg, core, smppclient.Domains(cfg), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ch.Stop(context.Background()) })
	return &rig{store: st, rec: rec, core: core, hooks: hooks, ch: ch}
}

func sms(to, body string) *message.Message {
	raw := "From: a@example.com\r\nTo: " + to + "\r\nSubject: x\r\n\r\n" + strings.ReplaceAll(body, "\n", "\r\n") + "\r\n"
	return message.FromRaw("a@example.com", to, []byte(raw))
}

// deliverRetrying delivers m as the spool would: temporary failures are
// tried again, a permanent one fails the test.
func deliverRetrying(t *testing.T, ch *smppclient.Channel, m *message.Message) int {
	t.Helper()
	ctx := context.Background()
	for try := 1; try <= 100; try++ {
		err := ch.Deliver(ctx, m)
		if err == nil {
			return try
		}
		if !status.IsTemporary(err) {
			t.Fatalf("delivering to %s: permanent failure %v", m.RcptTo, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("delivering to %s: still failing after 100 tries", m.RcptTo)
	return 0
}
