package smppclient_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"msyshost/lib/mstore"
	"msyshost/lib/smsc"
)

// The SMSC drops every session while a window of submits awaits its
// responses (the SMSC answers late, so the drop always finds some): the
// binds come back, every message is stored once and its receipt acted on
// once. The only extra submissions are those the SMSC accepted but never
// answered before the drop, each one sent again by a retry; their receipts
// find no stored copy.
func TestDropMidWindowLosesNothing(t *testing.T) {
	hooks := newRecHooks()
	r := newRig(t, smsc.Options{ReceiptDelay: 50 * time.Millisecond, RespondDelay: 100 * time.Millisecond}, hooks,
		"max_outbound_connections = 2\n smpp_command_window_size = 4")
	const n = 40
	var wg sync.WaitGroup
	var retried atomic.Int64
	dropped := make(chan struct{})
	go func() {
		waitFor(t, func() bool { return len(r.smsc.Submissions()) >= 10 })
		r.smsc.Drop()
		close(dropped)
	}()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if tries := deliverRetrying(t, r.ch, sms(fmt.Sprintf("1555%04d@%s", i, domain), "x")); tries > 1 {
				retried.Add(1)
			}
		}()
	}
	wg.Wait()
	<-dropped
	if retried.Load() == 0 {
		t.Fatal("the drop with responses outstanding made no delivery fail")
	}
	stored := map[string]bool{}
	hooks.mu.Lock()
	for _, c := range hooks.calls {
		if c.hook == "smpp_store_submit" {
			if stored[c.args[1]] {
				t.Errorf("%s stored twice", c.args[1])
			}
			stored[c.args[1]] = true
		}
	}
	hooks.mu.Unlock()
	if len(stored) != n {
		t.Fatalf("%d messages stored, want %d", len(stored), n)
	}
	subs := r.smsc.Submissions()
	orphans := len(subs) - n
	if orphans < 0 || int64(orphans) > retried.Load() {
		t.Fatalf("%d submissions for %d messages, %d retried", len(subs), n, retried.Load())
	}
	// Every submission's receipt runs its hook once: the stored ones with
	// their copies, the orphans (after the park timeout) without.
	hooks.await(t, "smpp_handle_DR_positive", len(subs))
	positive := map[string]int{}
	hooks.mu.Lock()
	for _, c := range hooks.calls {
		if c.hook == "smpp_handle_DR_positive" {
			positive[c.args[1]]++
		}
	}
	hooks.mu.Unlock()
	for id := range stored {
		if positive[id] != 1 {
			t.Errorf("stored message %s: positive hook ran %d times", id, positive[id])
		}
	}
	extra := 0
	for id, k := range positive {
		if !stored[id] {
			extra += k
		}
	}
	if extra != orphans {
		t.Errorf("%d hooks for unstored ids, %d submissions the SMSC accepted unanswered", extra, orphans)
	}
	for _, s := range r.ch.Client(domain).Statuses() {
		if s.LastError == "" {
			t.Errorf("bind %d shows no error after the drop: %+v", s.Index, s)
		}
	}
}

// failing wraps a store whose Save or Load can be made to fail.
type failing struct {
	mstore.Store
	save, load atomic.Bool
}

var errDown = errors.New("store unreachable")

func (f *failing) Save(ctx context.Context, r *mstore.Record) error {
	if f.save.Load() {
		return errDown
	}
	return f.Store.Save(ctx, r)
}

func (f *failing) Load(ctx context.Context, k mstore.Key) (*mstore.Record, error) {
	if f.load.Load() {
		return nil, errDown
	}
	return f.Store.Load(ctx, k)
}

// A receipt whose outcome cannot be made durable is refused with
// ESME_RX_T_APPN; the SMSC sends it again and it is acted on once.
func TestReceiptAnsweredOnlyWhenDurable(t *testing.T) {
	hooks := newRecHooks()
	r := newRig(t, smsc.Options{Outcomes: []smsc.Weighted{{Stat: "EXPIRED", Weight: 1}}, Redeliver: 100 * time.Millisecond}, hooks, "")
	f := &failing{Store: r.store}
	r.core.Store = f
	f.load.Store(true) // submitting only saves; the receipt's reads fail
	if err := r.ch.Deliver(context.Background(), sms("15550001@"+domain, "x")); err != nil {
		t.Fatal(err)
	}
	// Refused and sent again: still the SMSC's.
	waitFor(t, func() bool { return r.smsc.Sent() >= 3 })
	if r.smsc.Pending() != 1 {
		t.Fatalf("receipt must stay with the SMSC while the store is down (pending %d)", r.smsc.Pending())
	}
	if n := hooks.count("smpp_handle_DR_negative"); n != 0 {
		t.Fatalf("negative hook ran %d times without its stored copy readable", n)
	}
	f.load.Store(false)
	hooks.await(t, "smpp_handle_DR_negative", 1)
	waitFor(t, func() bool { return r.smsc.Pending() == 0 })
	_, bounces := r.rec.Take()
	if len(bounces) != 1 {
		t.Fatalf("%d bounces, want 1", len(bounces))
	}
}

// Receipts come back on whichever bind the SMSC picks.
func TestReceiptsOnEveryBind(t *testing.T) {
	hooks := newRecHooks()
	r := newRig(t, smsc.Options{}, hooks, "max_outbound_connections = 3")
	for i := 0; i < 12; i++ {
		if err := r.ch.Deliver(context.Background(), sms(fmt.Sprintf("1555%04d@%s", i, domain), "x")); err != nil {
			t.Fatal(err)
		}
	}
	hooks.await(t, "smpp_handle_DR_positive", 12)
	waitFor(t, func() bool {
		for _, s := range r.ch.Client(domain).Statuses() {
			if s.Receipts == 0 {
				return false
			}
		}
		return true
	})
}

// The SMSC unbinds while answering late (review items 14 and 23): the
// responses still owed come in before the bind answers unbind, so no
// message is failed and sent again, and the binds come back.
func TestSMSCUnbindLosesNoSubmit(t *testing.T) {
	hooks := newRecHooks()
	r := newRig(t, smsc.Options{RespondDelay: 200 * time.Millisecond}, hooks, "max_outbound_connections = 2")
	const n = 10
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if err := r.ch.Deliver(context.Background(), sms(fmt.Sprintf("1555%04d@%s", i, domain), "x")); err != nil {
				errs <- err
			}
		})
	}
	waitFor(t, func() bool { return len(r.smsc.Submissions()) == n })
	if got := r.smsc.Unbind(context.Background(), 5*time.Second); got != 2 {
		t.Fatalf("%d binds answered unbind, want 2", got)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a submit in flight when the SMSC unbound failed: %v", err)
	}
	if got := len(r.smsc.Submissions()); got != n {
		t.Fatalf("%d submissions for %d messages", got, n)
	}
	hooks.await(t, "smpp_handle_DR_positive", n)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.ch.Client(domain).WaitBound(ctx, 2); err != nil {
		t.Fatal(err)
	}
}
