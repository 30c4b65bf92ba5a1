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

// The SMSC drops every session while a window of submits is in flight:
// the binds come back, every message is either accepted and stored or
// handed back as a temporary failure the spool retries, and each one ends
// with its receipt acted on.
func TestDropMidWindowLosesNothing(t *testing.T) {
	hooks := newRecHooks()
	r := newRig(t, smsc.Options{ReceiptDelay: 50 * time.Millisecond}, hooks, "max_outbound_connections = 2\n smpp_command_window_size = 4")
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
	if hooks.count("smpp_store_submit") != n {
		t.Fatalf("store hook ran %d times for %d messages", hooks.count("smpp_store_submit"), n)
	}
	hooks.await(t, "smpp_handle_DR_positive", n)
	if retried.Load() == 0 {
		t.Log("the drop hit no submit in flight this run")
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
	time.Sleep(400 * time.Millisecond)
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
