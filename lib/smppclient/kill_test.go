package smppclient_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"msyshost/lib/crashtest"
	"msyshost/lib/mstore"
	"msyshost/lib/mstore/embedded"
	"msyshost/lib/retry"
	"msyshost/lib/smsc"
	"msyshost/lib/spool"
)

// killChildEnv switches the test binary into the child's role:
// "ADDR|STORE|MODE".
const killChildEnv = "MSYSHOST_SMPP_KILL_CHILD"

// TestSIGKILLBetweenReceiptMarkerAndAnswer kills the process at the most
// dangerous moment of a receipt (review items 6 and 24): its hook has run
// and its outcome is durable in the store, but the deliver_sm_resp has not
// gone out. The SMSC sends the receipt again to the restarted process,
// which answers it as a duplicate: the hook does not run twice.
func TestSIGKILLBetweenReceiptMarkerAndAnswer(t *testing.T) {
	if v := os.Getenv(killChildEnv); v != "" {
		killChild(t, v)
		return
	}
	ctx := context.Background()
	sim := smsc.New(smsc.Options{ReceiptDelay: time.Millisecond, Redeliver: 200 * time.Millisecond}, nil)
	if err := sim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer sim.Stop(ctx)
	path := filepath.Join(t.TempDir(), "m.db")
	hooks := 0
	// First run: deliver, and stop for good once the marker is written.
	c := crashtest.Start(t, "TestSIGKILLBetweenReceiptMarkerAndAnswer", killChildEnv, sim.Addr()+"|"+path+"|deliver")
	var marked string
	for c.Lines.Scan() {
		verb, arg, _ := strings.Cut(c.Lines.Text(), " ")
		switch verb {
		case "hook":
			hooks++
		case "marked":
			marked = arg
			c.Cmd.Process.Signal(syscall.SIGKILL)
		}
	}
	err := c.Cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL || marked == "" {
		t.Fatalf("first run ended with %v before a receipt was marked", err)
	}
	if hooks != 1 || sim.Pending() != 1 {
		t.Fatalf("at the kill: %d hooks ran, %d receipts unanswered; want 1 and 1", hooks, sim.Pending())
	}
	// Second run: bind again and take the receipt the SMSC sends again.
	c = crashtest.Start(t, "TestSIGKILLBetweenReceiptMarkerAndAnswer", killChildEnv, sim.Addr()+"|"+path+"|serve")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for c.Lines.Scan() {
			if verb, _, _ := strings.Cut(c.Lines.Text(), " "); verb == "hook" {
				hooks++
			}
		}
	}()
	waitFor(t, func() bool { return sim.Pending() == 0 })
	c.Stdin.Close() // the child stops cleanly
	<-done
	c.Cmd.Wait()
	if hooks != 1 {
		t.Fatalf("the receipt of %s ran its hook %d times across the restart", marked, hooks)
	}
}

// markStop is a store that reports each receipt state it writes and, when
// stop is set, never returns from that write: the process is killed there.
// With stopSave it stops instead at the first save of a submitted message.
type markStop struct {
	mstore.Store
	p              *crashtest.Printer
	stop, stopSave bool
}

func (s *markStop) Save(ctx context.Context, r *mstore.Record) error {
	if s.stopSave && r.IsMessage() {
		s.p.Line("saving %s", r.Key)
		select {}
	}
	if !r.Marker && r.Handled.IsZero() {
		return s.Store.Save(ctx, r)
	}
	err := s.Store.Save(ctx, r)
	if err == nil {
		s.p.Line("marked %s", r.Key)
	}
	if s.stop {
		select {}
	}
	return err
}

// printHooks reports every hook the core dispatches.
type printHooks struct{ p *crashtest.Printer }

func (h printHooks) Dispatch(_ context.Context, name string, args ...any) int {
	if strings.HasPrefix(name, "smpp_handle_DR") {
		h.p.Line("hook %s", name)
	}
	return 0
}

// killChild is the child's role: a channel over the store at path, bound
// to the parent's SMSC.
func killChild(t *testing.T, v string) {
	parts := strings.SplitN(v, "|", 3)
	addr, path, mode := parts[0], parts[1], parts[2]
	p := &crashtest.Printer{}
	r := newRigAt(t, addr, "", func(mstore.Store, *spool.Recorder) retry.Hooks { return printHooks{p} })
	// The rig's own store is not used: the child's is the file the two
	// runs share.
	st, err := embedded.Open(path, embedded.Options{SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r.core.Store = &markStop{Store: st, p: p, stop: mode == "deliver", stopSave: mode == "deliver-stop-at-save"}
	if mode == "deliver" || mode == "deliver-stop-at-save" || mode == "deliver-again" {
		if err := r.ch.Deliver(context.Background(), sms("15550001@"+domain, "x")); err != nil {
			t.Fatal(err)
		}
		if mode != "deliver-again" {
			select {} // killed at the marker or the save
		}
		p.Line("delivered")
	}
	buf := make([]byte, 1)
	os.Stdin.Read(buf) // until the parent closes stdin
}

// TestSIGKILLBetweenSubmitRespAndStore kills the process after the SMSC
// accepted an SMS and before its copy was stored (review item 24): the
// spool still has the message (its delivery never returned), so the
// restarted process submits it again and stores that one; its receipt
// runs the hook with the stored copy, once. The first submission's
// receipt finds nothing stored: it is answered, and its hook runs without
// a copy (the SMS reached the handset twice; nothing was lost).
func TestSIGKILLBetweenSubmitRespAndStore(t *testing.T) {
	if v := os.Getenv(killChildEnv); v != "" {
		killChild(t, v)
		return
	}
	ctx := context.Background()
	sim := smsc.New(smsc.Options{Hold: true, Redeliver: 200 * time.Millisecond}, nil)
	if err := sim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer sim.Stop(ctx)
	path := filepath.Join(t.TempDir(), "m.db")
	c := crashtest.Start(t, "TestSIGKILLBetweenSubmitRespAndStore", killChildEnv, sim.Addr()+"|"+path+"|deliver-stop-at-save")
	saving := ""
	for c.Lines.Scan() {
		if verb, arg, _ := strings.Cut(c.Lines.Text(), " "); verb == "saving" {
			saving = arg
			c.Cmd.Process.Signal(syscall.SIGKILL)
		}
	}
	c.Cmd.Wait()
	if saving == "" || len(sim.Submissions()) != 1 {
		t.Fatalf("first run: killed while saving %q, %d submissions", saving, len(sim.Submissions()))
	}
	// The spool's retry, in the restarted process.
	c = crashtest.Start(t, "TestSIGKILLBetweenSubmitRespAndStore", killChildEnv, sim.Addr()+"|"+path+"|deliver-again")
	var hooks []string
	lines := make(chan string)
	go func() {
		defer close(lines)
		for c.Lines.Scan() {
			lines <- c.Lines.Text()
		}
	}()
	if l := <-lines; l != "delivered" {
		t.Fatalf("second run: %q", l)
	}
	subs := sim.Submissions()
	if len(subs) != 2 {
		t.Fatalf("%d submissions after the retry, want 2", len(subs))
	}
	sim.Release()
	waitFor(t, func() bool { return sim.Pending() == 0 })
	c.Stdin.Close()
	for l := range lines {
		if verb, _, _ := strings.Cut(l, " "); verb == "hook" {
			hooks = append(hooks, l)
		}
	}
	c.Cmd.Wait()
	st, err := embedded.Open(path, embedded.Options{SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key := mstore.Key{Bucket: "MADR-12345", ID: subs[1].ID}
	if rec, err := st.Load(ctx, key); err != nil || rec.Handled.IsZero() {
		t.Fatalf("the resent SMS %s: %+v, %v; want stored and marked handled", key, rec, err)
	}
	// The first submission's receipt was acted on without a copy: its
	// key holds a marker at most, never a message.
	if rec, err := st.Load(ctx, mstore.Key{Bucket: "MADR-12345", ID: subs[0].ID}); err == nil && rec.IsMessage() {
		t.Fatalf("the first submission's copy %+v is stored though its save was killed", rec)
	}
	if len(hooks) != 2 {
		t.Fatalf("hooks %v, want one per submission", hooks)
	}
}
