package smppclient_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"msyshost/lib/mstore"
	"msyshost/lib/retry"
	"msyshost/lib/smsc/smsctest"
	"msyshost/lib/spool"
)

func TestInterop(t *testing.T) {
	for _, p := range smsctest.Peers {
		t.Run(p.Name, func(t *testing.T) {
			t.Run("positive and negative receipts", func(t *testing.T) {
				hooks := newRecHooks()
				r := newRigAt(t, p.Run(t), p.Extra, func(mstore.Store, *spool.Recorder) retry.Hooks { return hooks })
				ctx := context.Background()
				for _, to := range []string{"15550001", "16660001"} {
					if err := r.ch.Deliver(ctx, sms(to+"@"+domain, "hello")); err != nil {
						t.Fatal(err)
					}
				}
				hooks.await(t, "smpp_handle_DR_positive", 1)
				hooks.await(t, "smpp_handle_DR_negative", 1)
				waitFor(t, func() bool { _, b := r.rec.Take(); return len(b) == 1 })
				hooks.mu.Lock()
				defer hooks.mu.Unlock()
				stored := map[string]bool{}
				for _, c := range hooks.calls {
					if c.hook == "smpp_store_submit" {
						stored[c.args[1]] = true
					} else if !stored[c.args[1]] {
						t.Errorf("%s for %s, which was never stored (stored %v)", c.hook, c.args[1], stored)
					}
				}
			})
			t.Run("receipt before submit_sm_resp", func(t *testing.T) {
				hooks := newRecHooks()
				r := newRigAt(t, p.Run(t), p.Extra, func(mstore.Store, *spool.Recorder) retry.Hooks { return hooks })
				if err := r.ch.Deliver(context.Background(), sms("17770001@"+domain, "early")); err != nil {
					t.Fatal(err)
				}
				hooks.await(t, "smpp_handle_DR_positive", 1)
				hooks.mu.Lock()
				calls := append([]hookCall(nil), hooks.calls...)
				hooks.mu.Unlock()
				if calls[0].hook != "smpp_store_submit" || calls[1].args[1] != calls[0].args[1] {
					t.Fatalf("the early receipt must wait for the store: %+v", calls)
				}
			})
			t.Run("drop mid-window loses nothing", func(t *testing.T) {
				hooks := newRecHooks()
				r := newRigAt(t, p.Run(t), p.Extra+"\n  smpp_command_window_size = 5",
					func(mstore.Store, *spool.Recorder) retry.Hooks { return hooks })
				var wg sync.WaitGroup
				const n = 8
				for i := 0; i < n; i++ {
					to := fmt.Sprintf("1555%04d@%s", i, domain)
					if i < 3 {
						to = fmt.Sprintf("1888%04d@%s", i, domain)
					}
					wg.Add(1)
					go func() {
						defer wg.Done()
						deliverRetrying(t, r.ch, sms(to, "x"))
					}()
				}
				wg.Wait()
				hooks.await(t, "smpp_handle_DR_positive", n)
				if got := hooks.count("smpp_store_submit"); got != n {
					t.Fatalf("%d messages stored, want %d", got, n)
				}
				reconnected := false
				for _, s := range r.ch.Client(domain).Statuses() {
					reconnected = reconnected || s.LastError != ""
				}
				if !reconnected {
					t.Fatal("the peer's drop left no trace in the bind status")
				}
			})
			t.Run("example hooks in the real host", func(t *testing.T) {
				out := &printed{}
				r := newRigAt(t, p.Run(t), p.Extra, realHost(t, out))
				ctx := context.Background()
				for _, to := range []string{"15550002", "16660002"} {
					if err := r.ch.Deliver(ctx, sms(to+"@"+domain, "hello")); err != nil {
						t.Fatal(err)
					}
				}
				waitFor(t, func() bool { return out.has("negative SMPP receipt") && out.has("positive SMPP receipt") })
				waitFor(t, func() bool {
					inj, _ := r.rec.Take()
					return len(inj) == 1 && inj[0].RcptTo == "john@example.messagesystems.com"
				})
			})
		})
	}
}
