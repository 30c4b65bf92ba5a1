package smppclient_test

import (
	"context"
	"fmt"
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
	"msyshost/lib/process"
	"msyshost/lib/retry"
	"msyshost/lib/smpp"
	"msyshost/lib/smppclient"
)

// BenchmarkReceipts measures receipts end to end over loopback SMPP
// through the daemon's assembly (process.Build, as `msyshost run` builds
// it: embedded store, Lua host with its default pool, retry core, spool,
// SMPP channel): deliver_sm in → correlation → hook → delete →
// deliver_sm_resp. "lua" runs examples/smpp_hooks.lua unchanged (its
// positive handler prints and deletes the stored copy); "nohook" is the
// same receipts with no script loaded, so no hook runs and nothing is
// deleted: the difference is what Lua costs.
func BenchmarkReceipts(b *testing.B) {
	for _, mode := range []string{"lua", "nohook"} {
		b.Run(mode, func(b *testing.B) { benchReceipts(b, mode) })
	}
}

// benchDaemon builds and starts the daemon's assembly on conf (plus the
// example script when lua is set) in a temporary data directory.
func benchDaemon(b *testing.B, conf string, lua bool) *process.Process {
	b.Helper()
	if lua {
		conf += `scriptlet "scriptlet" { script "smpp_hooks" { source = "smpp_hooks" } }` + "\n"
	}
	cfg, err := config.Parse("bench.conf", []byte(conf))
	if err != nil {
		b.Fatal(err)
	}
	root := filepath.Join("..", "..")
	ctx := context.Background()
	p, err := process.Build(ctx, process.Options{
		Mode: process.Daemon, Config: cfg, DataDir: b.TempDir(), SweepInterval: -1,
		SearchPath: []string{filepath.Join(root, "examples"), filepath.Join(root, "scriptlets")},
		Print:      func(string, string) {},
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := p.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		p.Stop(ctx)
	})
	return p
}

func benchReceipts(b *testing.B, mode string) {
	ctx := context.Background()
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
	p := benchDaemon(b, fmt.Sprintf(`Domain %q { delivery_method = smpp  smpp_smsc_server = %q smpp_smsc_port = %s
  smpp_registered_delivery = "SMSC_Delivery" smpp_esme_address = "12345" }
`, domain, host, port), mode == "lua")
	st := p.Store

	// The stored copies the receipts are for, saved before the clock
	// runs: b.N measured ones and a warm-up round that grows the Lua pool
	// to what the window keeps busy, as a daemon serving receipts has.
	const window, warmup = 512, 2048
	m := message.FromRaw("a@example.com", "15551234@"+domain, []byte("Subject: x\r\n\r\nhello\r\n"))
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 64 {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(b.N+warmup); i = next.Add(1) - 1 {
				k := mstore.Key{Bucket: "MADR-12345", ID: fmt.Sprintf("r%d", i)}
				if err := st.Save(ctx, retry.RecordOf(m, k, mstore.Origin{Channel: "smpp", Shortcode: "12345"}, time.Now())); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	var conn *smpp.Conn
	select {
	case conn = <-bound:
	case <-time.After(10 * time.Second):
		b.Fatal("the daemon's SMPP channel did not bind")
	}

	slots := make(chan struct{}, window)
	var failed atomic.Int64
	var done sync.WaitGroup
	send := func(i int) {
		slots <- struct{}{}
		sm := &smpp.SM{ID: smpp.DeliverSM, SourceAddr: "15551234", DestinationAddr: "12345", EsmClass: smpp.EsmDeliveryRcpt,
			ShortMessage: fmt.Appendf(nil, "id:r%d sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 stat:DELIVRD err:000 text:", i)}
		sm.TLVs.SetString(smpp.TagReceiptedMessageID, fmt.Sprintf("r%d", i))
		sm.TLVs.SetUint8(smpp.TagMessageState, 2)
		wait, err := conn.Start(ctx, smpp.DeliverSM, sm)
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
	for i := b.N; i < b.N+warmup; i++ {
		send(i)
	}
	done.Wait()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		send(i)
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
		if _, err := mstore.LoadMessage(ctx, st, mstore.Key{Bucket: "MADR-12345", ID: fmt.Sprintf("r%d", b.N-1)}); err == nil {
			b.Fatal("the hook did not delete the stored copy")
		}
	}
}

// BenchmarkSubmits measures submits per second through the daemon's
// assembly to the SMSC simulator it starts (SMSC_Simulator, receipts
// held back by an hour's delay): message → channel → submit_sm →
// submit_sm_resp, 64 senders, 2 binds, window 64. "untracked" asks for
// no receipt (nothing stored); "tracked" runs the example store hook
// and saves the durable copy before Deliver returns.
func BenchmarkSubmits(b *testing.B) {
	for _, tracked := range []bool{false, true} {
		name := "untracked"
		extra := ""
		if tracked {
			name, extra = "tracked", `smpp_registered_delivery = "SMSC_Delivery"`
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			host, port, _ := net.SplitHostPort(addr)
			p := benchDaemon(b, fmt.Sprintf(`SMSC_Simulator { listen = %q  delay = 1h }
Domain %q { delivery_method = smpp  smpp_smsc_server = %q smpp_smsc_port = %s
  smpp_esme_address = "12345" smpp_command_window_size = 64 max_outbound_connections = 2 %s }
`, addr, domain, host, port, extra), tracked)
			c, _ := p.Channel("smpp")
			ch := c.(*smppclient.Channel)
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := ch.Client(domain).WaitBound(wctx, 2); err != nil {
				b.Fatal(err)
			}
			m := sms("15551234@"+domain, "hello from the benchmark")
			b.SetParallelism(32) // 64 senders on 2 cores
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
