package smppclient_test

import (
	"context"
	"fmt"
	"msyshost/lib/msys/core"
	msysmstore "msyshost/lib/msys/mstore"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/mstore"
	"msyshost/lib/mstore/embedded"
	"msyshost/lib/retry"
	"msyshost/lib/smpp"
	"msyshost/lib/smppclient"
	"msyshost/lib/smsc"
	"msyshost/lib/spool"
	"msyshost/luahost"
)

// BenchmarkReceipts measures receipts end to end over loopback SMPP:
// deliver_sm in → correlation → hook → delete → deliver_sm_resp, with the
// embedded store. "lua" runs examples/smpp_hooks.lua in the real host
// (its positive handler prints and deletes the stored copy); "nohook" is
// the same receipts with no script loaded, so no hook runs and nothing is
// deleted: the difference is what the Lua hook costs.
func BenchmarkReceipts(b *testing.B) {
	for _, mode := range []string{"lua", "lua-pool64", "nohook"} {
		b.Run(mode, func(b *testing.B) { benchReceipts(b, mode) })
	}
}

func benchReceipts(b *testing.B, mode string) {
	ctx := context.Background()
	st, err := embedded.Open(filepath.Join(b.TempDir(), "m.db"), embedded.Options{SweepInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	rec := &spool.Recorder{}
	var hooks retry.Hooks
	switch mode {
	case "lua":
		hooks = realHost(b, nil)(st, rec)
	case "lua-pool64":
		hooks = realHostPool(b, nil, 64)(st, rec)
	default:
		svc := &luahost.Services{}
		msysmstore.Store.Set(svc, st)
		core.Injector.Set(svc, rec)
		h := luahost.New(luahost.Options{}, svc)
		defer h.Close()
		hooks = h
	}
	// The stored copies the receipts are for, saved before the clock runs.
	m := message.FromRaw("a@example.com", "15551234@"+domain, []byte("Subject: x\r\n\r\nhello\r\n"))
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 64 {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
				k := mstore.Key{Bucket: "MADR-12345", ID: fmt.Sprintf("r%d", i)}
				if err := st.Save(ctx, retry.RecordOf(m, k, mstore.Origin{Channel: "smpp", Shortcode: "12345"}, time.Now())); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	core := &retry.Core{Store: st, Hooks: hooks, Bouncer: rec}

	// The SMSC side: accepts one bind and sends the receipts, a window of
	// them in flight.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	bound := make(chan *smpp.Conn, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		conn := smpp.NewConn(nc)
		go conn.Serve(func(p *smpp.PDU) {
			switch p.ID {
			case smpp.BindTransceiver:
				conn.Respond(p, smpp.ROK, &smpp.BindResp{ID: smpp.BindTransceiverResp, SystemID: "bench"})
				bound <- conn
			default:
				conn.Respond(p, smpp.ROK, nil)
			}
		})
	}()
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	cfg, err := config.Parse("bench.conf", []byte(fmt.Sprintf(`Domain %q { smpp_smsc_server = %q smpp_smsc_port = %s
  smpp_registered_delivery = "SMSC_Delivery" smpp_esme_address = "12345" }`, domain, host, port)))
	if err != nil {
		b.Fatal(err)
	}
	ch, err := smppclient.NewChannel(cfg, core, []string{domain}, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := ch.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer ch.Stop(ctx)
	conn := <-bound

	const window = 512
	slots := make(chan struct{}, window)
	var failed atomic.Int64
	var done sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		slots <- struct{}{}
		sm := &smpp.SM{ID: smpp.DeliverSM, SourceAddr: "15551234", DestinationAddr: "12345", EsmClass: smpp.EsmDeliveryRcpt,
			ShortMessage: fmt.Appendf(nil, "id:r%d sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 stat:DELIVRD err:000 text:", i)}
		sm.TLVs.SetString(smpp.TagReceiptedMessageID, fmt.Sprintf("r%d", i))
		sm.TLVs.SetUint8(smpp.TagMessageState, 2)
		wait, err := conn.Start(smpp.DeliverSM, sm)
		if err != nil {
			b.Fatal(err)
		}
		done.Add(1)
		go func() {
			defer done.Done()
			defer func() { <-slots }()
			resp, err := wait(ctx)
			if err != nil || resp.Status != smpp.ROK {
				failed.Add(1)
			}
		}()
	}
	done.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d receipts not acknowledged", failed.Load())
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "receipts/s")
	// CPU time per receipt, both ends and the store together: the figure
	// that does not depend on how busy the shared machine is.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/receipt")
	if mode != "nohook" {
		if _, err := st.Load(ctx, mstore.Key{Bucket: "MADR-12345", ID: fmt.Sprintf("r%d", b.N-1)}); err == nil {
			b.Fatal("the hook did not delete the stored copy")
		}
	}
}

// BenchmarkSubmits measures submits per second to the SMSC simulator
// through the channel (message → submit_sm → submit_sm_resp), untracked
// (no receipt asked, nothing stored) and tracked (store hook and durable
// copy before Deliver returns).
func BenchmarkSubmits(b *testing.B) {
	for _, tracked := range []bool{false, true} {
		name := "untracked"
		extra := ""
		if tracked {
			name, extra = "tracked", `smpp_registered_delivery = "SMSC_Delivery"`
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			sim := smsc.New(smsc.Options{ReceiptDelay: time.Hour}, nil)
			if err := sim.Start(ctx); err != nil {
				b.Fatal(err)
			}
			defer sim.Stop(ctx)
			host, port, _ := net.SplitHostPort(sim.Addr())
			cfg, err := config.Parse("bench.conf", []byte(fmt.Sprintf(`Domain %q { smpp_smsc_server = %q smpp_smsc_port = %s
  smpp_esme_address = "12345" smpp_command_window_size = 64 max_outbound_connections = 2 %s }`, domain, host, port, extra)))
			if err != nil {
				b.Fatal(err)
			}
			st, err := embedded.Open(filepath.Join(b.TempDir(), "m.db"), embedded.Options{SweepInterval: -1})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			core := &retry.Core{Store: st, Hooks: newRecHooksDiscard(), Bouncer: &spool.Recorder{}}
			ch, err := smppclient.NewChannel(cfg, core, []string{domain}, nil)
			if err != nil {
				b.Fatal(err)
			}
			ch.Start(ctx)
			defer ch.Stop(ctx)
			if err := ch.Client(domain).WaitBound(ctx, 2); err != nil {
				b.Fatal(err)
			}
			m := sms("15551234@"+domain, "hello from the benchmark")
			b.SetParallelism(64)
			b.ResetTimer()
			cpu0 := cpuTime()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := ch.Deliver(ctx, m.Clone()); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "submits/s")
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/submit")
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// discardHooks continues every hook and records nothing.
type discardHooks struct{}

func (discardHooks) Dispatch(context.Context, string, ...any) int { return 0 }

func newRecHooksDiscard() retry.Hooks { return discardHooks{} }
