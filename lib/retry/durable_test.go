package retry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"msyshost/lib/hook"
	"msyshost/lib/mstore"
	"msyshost/lib/retry"
)

// restarted is a fresh core on the same store, as after a crash: nothing
// the first one kept in memory is known. Its clock announces every timer,
// so a receipt that parks is seen.
func restarted(t *testing.T, st mstore.Store, rec retry.Hooks) (*retry.Core, *clock) {
	t.Helper()
	clk := newClock()
	return &retry.Core{Store: st, Hooks: rec, Bouncer: nil, ParkTimeout: 2 * time.Second, Now: clk.Now, After: clk.After}, clk
}

// answerNow hands r to core and fails the test when the core parks it
// instead of answering at once.
func answerNow(t *testing.T, core *retry.Core, clk *clock, r retry.Receipt) retry.Result {
	t.Helper()
	type answer struct {
		res retry.Result
		err error
	}
	got := make(chan answer, 1)
	go func() {
		res, err := core.Receipt(context.Background(), r)
		got <- answer{res, err}
	}()
	select {
	case a := <-got:
		if a.err != nil {
			t.Fatalf("Receipt %s/%s: %v", r.Bucket, r.ID, a.err)
		}
		return a.res
	case d := <-clk.armed:
		t.Fatalf("receipt %s/%s %s parked (%v) instead of being known as done", r.Bucket, r.ID, r.Status, d)
	}
	return retry.Result{}
}

// A receipt acted on and then sent again by the SMSC to a restarted
// process (the first answer never reached it) is a duplicate: its hook does
// not run again, it is not bounced again, and it is answered at once
// rather than parked. Whatever the hook did with the stored copy.
func TestResentReceiptAfterARestartIsADuplicate(t *testing.T) {
	for _, c := range []struct {
		name   string
		status string
		hook   func(st mstore.Store) func(args ...any) int
		// kept: the hook kept the message, which stays loadable.
		kept bool
	}{
		{"positive, the hook deletes the copy", "DELIVRD", deletes, false},
		{"positive, the hook keeps the copy", "DELIVRD", keeps, true},
		{"negative, bounced", "UNDELIV", keeps, false},
		{"negative, the hook deletes and re-routes", "UNDELIV", deletesAndDecides, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var st mstore.Store
			var calls []string
			hooks := scriptedHooks{}
			for _, name := range []string{"smpp_handle_DR_positive", "smpp_handle_DR_negative"} {
				hooks[name] = func(args ...any) int {
					calls = append(calls, name)
					return c.hook(st)(args...)
				}
			}
			core, rec, s := newCoreWith(t, hooks)
			st = s
			ctx := context.Background()
			key := submit(t, core, sms("r1"))
			r := retry.Receipt{Channel: retry.SMPP, Bucket: key.Bucket, ID: key.ID, Status: c.status}
			if _, err := core.Receipt(ctx, r); err != nil {
				t.Fatal(err)
			}
			_, bounces := rec.Take()

			again, clk := restarted(t, st, hooks)
			again.Bouncer = rec
			res := answerNow(t, again, clk, r)
			if !res.Duplicate || res.Bounced {
				t.Fatalf("the receipt sent again after a restart: %+v, want a duplicate", res)
			}
			if len(calls) != 1 {
				t.Fatalf("hooks ran %v, want once", calls)
			}
			if _, b := rec.Take(); len(b) != 0 {
				t.Fatalf("bounced again: %d (first time %d)", len(b), len(bounces))
			}
			m, err := mstore.LoadMessage(ctx, st, key)
			if c.kept {
				if err != nil || m.Handled.IsZero() || m.Outcome != "positive" {
					t.Fatalf("the kept copy: %+v, %v; want it loadable and marked handled", m, err)
				}
			} else if !errors.Is(err, mstore.ErrNotFound) {
				t.Fatalf("the copy: %+v, %v; want it gone", m, err)
			}
		})
	}
}

func deletes(st mstore.Store) func(args ...any) int {
	return func(args ...any) int {
		mstore.DeleteMessage(context.Background(), st, mstore.Key{Bucket: args[0].(string), ID: args[1].(string)})
		return hook.Continue
	}
}

func keeps(mstore.Store) func(args ...any) int { return func(...any) int { return hook.Continue } }

func deletesAndDecides(st mstore.Store) func(args ...any) int {
	return func(args ...any) int {
		deletes(st)(args...)
		return hook.SMPPDelivered
	}
}

// The segments of a long SMS are reported to different nodes sharing the
// store (and one of them restarts in between): the positive hook runs
// once, when the last segment is in, wherever that is; every segment's
// receipt sent again afterwards is a duplicate answered at once.
func TestLongSMSSegmentsAcrossNodes(t *testing.T) {
	var calls []string
	hooks := scriptedHooks{"smpp_handle_DR_positive": func(args ...any) int {
		calls = append(calls, args[1].(string))
		return hook.Continue
	}}
	a, _, st := newCoreWith(t, hooks)
	submit(t, a, sms("s1", "s2", "s3"))
	b, clkB := restarted(t, st, hooks)
	c, clkC := restarted(t, st, hooks)
	pos := func(id string) retry.Receipt {
		return retry.Receipt{Channel: retry.SMPP, Bucket: "MADR-12345", ID: id, Status: "DELIVRD"}
	}
	answerNow(t, b, clkB, pos("s2"))
	answerNow(t, c, clkC, pos("s1"))
	if len(calls) != 0 {
		t.Fatalf("the positive hook ran before every segment was in: %v", calls)
	}
	b2, clkB2 := restarted(t, st, hooks) // node B restarts
	res := answerNow(t, b2, clkB2, pos("s3"))
	if res.Duplicate || res.Key.ID != "s1" || len(calls) != 1 || calls[0] != "s1" {
		t.Fatalf("the last segment's receipt: %+v, hook calls %v; want the positive hook once for s1", res, calls)
	}
	for _, id := range []string{"s1", "s2", "s3"} {
		for _, core := range []struct {
			c   *retry.Core
			clk *clock
		}{{b, clkB}, {c, clkC}} {
			if res := answerNow(t, core.c, core.clk, pos(id)); !res.Duplicate {
				t.Errorf("%s sent again: %+v, want a duplicate", id, res)
			}
		}
	}
	if len(calls) != 1 {
		t.Fatalf("hook calls %v", calls)
	}
}

// A long SMS whose alias could not be stored leaves nothing in the store:
// a receipt for its first segment must not find a message the channel is
// about to store again (or send again).
func TestAFailedAliasLeavesNothingStored(t *testing.T) {
	core, _, st := newCore(t, &fakeHooks{})
	core.Store = saveFails{st, mstore.Key{Bucket: "MADR-12345", ID: "a3"}}
	if _, err := core.Submitted(context.Background(), sms("a1", "a2", "a3")); err == nil {
		t.Fatal("Submitted succeeded with an alias unsaved")
	}
	for _, id := range []string{"a1", "a2", "a3"} {
		if r, err := st.Load(context.Background(), mstore.Key{Bucket: "MADR-12345", ID: id}); !errors.Is(err, mstore.ErrNotFound) {
			t.Errorf("%s left in the store: %+v, %v", id, r, err)
		}
	}
}
