package smppclient_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/mstore"
	"msyshost/lib/mstore/riak/riaktest"
	"msyshost/lib/process"
	"msyshost/lib/smppclient"
	"msyshost/lib/smsc"
	// The daemon's other stages: the spool routes to the channels, SMTP
	// out is the router's default channel.
	_ "msyshost/lib/route"
	_ "msyshost/lib/smtpclient"
)

// lines collects what a node's scripts print.
type lines struct {
	mu  sync.Mutex
	all []string
}

func (l *lines) add(_, line string) {
	l.mu.Lock()
	l.all = append(l.all, line)
	l.mu.Unlock()
}

func (l *lines) matching(sub string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, s := range l.all {
		if strings.Contains(s, sub) {
			out = append(out, s)
		}
	}
	return out
}

// sharedHooks is the policy both nodes run: the receipt hooks load the
// stored message and print what they found, so a node that never saw the
// submission shows whether the store gave it the message.
const sharedHooks = `
local m = {}
function m:smpp_store_submit(msg, bucket, id)
  print("stored " .. id .. " by " .. NODE)
  return msys.mstore.MSTORE_CONTINUE
end
local function seen(kind, bucket, id)
  local msg = msys.mstore.load(bucket, id)
  if msg == nil then
    print(kind .. " " .. id .. " at " .. NODE .. ": not in the store")
  else
    print(kind .. " " .. id .. " at " .. NODE .. ": from " .. msg:mailfrom() .. " subject " .. msg:header("Subject")[1])
  end
  msys.mstore.delete(bucket, id)
  return msys.smpp.SMPP_DELIVERED
end
function m:smpp_handle_DR_positive(bucket, id) return seen("positive", bucket, id) end
function m:smpp_handle_DR_negative(bucket, id) return seen("negative", bucket, id) end
msys.registerModule("shared", m)
`

// daemonNode builds and starts one daemon's assembly (process.Build in
// Daemon mode, as `msyshost run` does) on its own data directory.
func daemonNode(t *testing.T, name, conf string, printed *lines) *process.Process {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "shared.lua"), []byte(fmt.Sprintf("NODE = %q\n%s", name, sharedHooks)), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(name+".conf", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := process.Build(ctx, process.Options{
		Mode: process.Daemon, Config: cfg, DataDir: filepath.Join(dir, "data"),
		SearchPath: []string{dir}, Print: printed.add,
	})
	if err != nil {
		t.Fatalf("building %s: %v", name, err)
	}
	if err := p.Start(ctx); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.Stop(ctx); err != nil {
			t.Errorf("stopping %s: %v", name, err)
		}
	})
	return p
}

// TestTwoDaemonsShareOneStore runs two daemons on one Riak cluster (the
// in-process fake, a node each) bound to the same SMSC account: node A
// only transmits, node B only receives, so every receipt for A's
// submissions arrives on B's bind. The SMSC sends each receipt before
// its submit_sm_resp and the cluster's writes are slow, so B's receipt
// always comes before A's copy is stored: B parks it and polls the store
// until the copy appears (the retry core's park timeout, 5 s by default,
// covers the cluster's 300 ms writes), then its hook loads A's message.
func TestTwoDaemonsShareOneStore(t *testing.T) {
	ctx := context.Background()
	riakA := riaktest.Start(t)
	riakB := riakA.Join(t)
	riakA.DelayWrites(300 * time.Millisecond)
	sim := smsc.New(smsc.Options{Early: true, OutcomeFor: map[string]string{"1666": "UNDELIV"}}, nil)
	if err := sim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer sim.Stop(ctx)
	host, port, _ := net.SplitHostPort(sim.Addr())
	conf := func(store, bindType string) string {
		return fmt.Sprintf(`mstore { servers = ( %q ) }
scriptlet "scriptlet" { script "shared" { source = "shared" } }
Domain %q {
  delivery_method = smpp
  smpp_smsc_server = %q  smpp_smsc_port = %s  smpp_smsc_system_id = "esme"
  smpp_bind_type = %q
  smpp_registered_delivery = "SMSC_Delivery"
  smpp_esme_address = "12345"
}
`, store, domain, host, port, bindType)
	}
	var printedA, printedB lines
	a := daemonNode(t, "A", conf(riakA.HTTPAddr(), "transmitter"), &printedA)
	b := daemonNode(t, "B", conf(riakB.PBAddr(), "receiver"), &printedB)
	for _, p := range []*process.Process{a, b} {
		ch, ok := p.Channel("smpp")
		if !ok {
			t.Fatal("the daemon added no smpp channel")
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := ch.(*smppclient.Channel).Client(domain).WaitBound(wctx, 1); err != nil {
			t.Fatal(err)
		}
	}

	sent := map[string]string{} // number → subject
	for i, number := range []string{"15551234", "16661234"} {
		subject := fmt.Sprintf("from node A, message %d", i)
		m := message.FromRaw("alice@example.com", number+"@"+domain, []byte("Subject: "+subject+"\r\n\r\nhello\r\n"))
		if err := a.Inject(ctx, m); err != nil {
			t.Fatal(err)
		}
		sent[number] = subject
	}
	ids := map[string]string{} // number → message id
	deadline := time.Now().Add(20 * time.Second)
	for len(ids) < len(sent) || len(printedB.matching(" at B: ")) < len(sent) {
		if time.Now().After(deadline) {
			t.Fatalf("receipts at B: %q; stored by A: %q", printedB.matching(" at B"), printedA.matching("stored"))
		}
		for _, s := range sim.Submissions() {
			ids[s.Dest] = s.ID
		}
		time.Sleep(20 * time.Millisecond)
	}
	for number, subject := range sent {
		kind := "positive"
		if strings.HasPrefix(number, "1666") {
			kind = "negative"
		}
		id := ids[number]
		if got := printedA.matching("stored " + id + " by A"); len(got) != 1 {
			t.Errorf("A stored %s %d times, want once", id, len(got))
		}
		want := fmt.Sprintf("%s %s at B: from alice@example.com subject %s", kind, id, subject)
		if got := printedB.matching(kind + " " + id + " at B"); len(got) != 1 || got[0] != want {
			t.Errorf("B's hook for %s printed %q, want once %q", number, got, want)
		}
		if got := printedA.matching(" at A"); len(got) != 0 {
			t.Errorf("A, which only transmits, ran receipt hooks: %q", got)
		}
		// The hook deleted the copy in the cluster both share.
		if _, err := a.Store.Load(ctx, mstore.Key{Bucket: "MADR-12345", ID: id}); !errors.Is(err, mstore.ErrNotFound) {
			t.Errorf("A still sees %s after B's hook deleted it: %v", id, err)
		}
	}
}

// A config reload applies to what each message reads at once (here:
// receipts no longer asked for, so nothing is stored), refuses SMPP
// options the channel cannot use with their position, and leaves the
// running binds alone.
func TestReloadAndSMPPOptions(t *testing.T) {
	ctx := context.Background()
	sim := smsc.New(smsc.Options{ReceiptDelay: time.Hour}, nil)
	if err := sim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer sim.Stop(ctx)
	host, port, _ := net.SplitHostPort(sim.Addr())
	dir := t.TempDir()
	file := filepath.Join(dir, "msyshost.conf")
	conf := func(extra string) {
		t.Helper()
		src := fmt.Sprintf(`Domain %q {
  delivery_method = smpp
  smpp_smsc_server = %q  smpp_smsc_port = %s
  smpp_esme_address = "12345"
  %s
}
`, domain, host, port, extra)
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	conf(`smpp_registered_delivery = "SMSC_Delivery"`)
	p, err := process.Build(ctx, process.Options{Mode: process.Daemon, ConfigFile: file, DataDir: filepath.Join(dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer p.Stop(ctx)
	c, _ := p.Channel("smpp")
	ch := c.(*smppclient.Channel)
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := ch.Client(domain).WaitBound(wctx, 1); err != nil {
		t.Fatal(err)
	}
	stored := func() bool {
		subs := sim.Submissions()
		_, err := p.Store.Load(ctx, mstore.Key{Bucket: "MADR-12345", ID: subs[len(subs)-1].ID})
		return err == nil
	}
	if err := ch.Deliver(ctx, sms("15551234@"+domain, "tracked")); err != nil || !stored() {
		t.Fatalf("the first SMS: %v, stored %v", err, stored())
	}

	conf(`smpp_registered_delivery = "SMSC_Delivery"  smpp_esme_type_of_number = "sideways"`)
	if _, err := p.ReloadConfig(ctx); err == nil || !strings.Contains(err.Error(), "msyshost.conf:5:") || !strings.Contains(err.Error(), "smpp_esme_type_of_number") {
		t.Fatalf("a reload with a bad SMPP option: %v", err)
	}
	if err := ch.Deliver(ctx, sms("15551235@"+domain, "still tracked")); err != nil || !stored() {
		t.Fatalf("after the refused reload: %v, stored %v", err, stored())
	}

	conf(`smpp_registered_delivery = "none"`)
	if _, err := p.ReloadConfig(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ch.Deliver(ctx, sms("15551236@"+domain, "untracked")); err != nil || stored() {
		t.Fatalf("after the reload that asks for no receipts: %v, stored %v", err, stored())
	}
	if st := ch.Client(domain).Statuses(); st[0].State != smppclient.StateBound || st[0].Submits != 3 {
		t.Fatalf("the bind across the reloads: %+v", st[0])
	}
}
