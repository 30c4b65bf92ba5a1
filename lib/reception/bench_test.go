package reception_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"msyshost/lib/message"
	"msyshost/lib/reception"
	"msyshost/lib/smtpserver"
	"msyshost/luahost"
)

// countQueue is a Queue that counts and drops what it is given, so the
// benchmark measures SMTP in and its policy, not a disk.
type countQueue struct{ n atomic.Int64 }

func (q *countQueue) NewID() string { return message.NewID() }
func (q *countQueue) Enqueue(_ context.Context, msgs ...*message.Message) error {
	q.n.Add(int64(len(msgs)))
	return nil
}

// benchServer starts SMTP in on loopback, with the reception policy over
// scripts when any are given, and without any policy otherwise.
func benchServer(b *testing.B, scripts []luahost.Script) (string, *countQueue) {
	q := &countQueue{}
	opts := smtpserver.Options{
		Listens: []smtpserver.Listen{{Addr: "127.0.0.1:0", RelayHosts: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
			MaxMessageSize: 1 << 20, MaxLineLength: 4096, IdleTime: 30 * time.Second}},
		Queue: q, Hostname: "bench.test",
	}
	if scripts != nil {
		h := luahost.New(luahost.Options{SearchPath: []string{"../../examples"}}, nil)
		b.Cleanup(h.Close)
		if err := h.Load(context.Background(), scripts); err != nil {
			b.Fatal(err)
		}
		opts.Policy = &reception.Policy{Host: h, Log: discard()}
	}
	s := smtpserver.New(opts)
	if err := s.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Stop(context.Background()) })
	return s.Listeners()[0], q
}

var benchMessage = "From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nSubject: weekly report\r\n" +
	"Date: Thu, 1 Jan 2026 00:00:00 +0000\r\nMessage-ID: <bench@example.com>\r\n\r\n" +
	strings.Repeat("A line of the weekly report, long enough to look like mail.\r\n", 16)

// session plays one SMTP session: three recipients, one of them refused
// by the policy (nobody@), and a 1 KiB message.
func session(addr string, policy bool) error {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer nc.Close()
	tp := textproto.NewConn(nc)
	do := func(code int, line string) error {
		if line != "" {
			if err := tp.PrintfLine("%s", line); err != nil {
				return err
			}
		}
		if _, _, err := tp.ReadResponse(code); err != nil {
			return fmt.Errorf("%s: %w", line, err)
		}
		return nil
	}
	nobody := 250
	if policy {
		nobody = 550
	}
	steps := []struct {
		code int
		line string
	}{
		{220, ""}, {250, "EHLO client.example"}, {250, "MAIL FROM:<alice@example.com>"},
		{250, "RCPT TO:<bob@example.com>"}, {nobody, "RCPT TO:<nobody@example.com>"},
		{250, "RCPT TO:<carol@example.com>"}, {354, "DATA"},
	}
	for _, s := range steps {
		if err := do(s.code, s.line); err != nil {
			return err
		}
	}
	w := tp.DotWriter()
	w.Write([]byte(benchMessage))
	w.Close()
	if err := do(250, ""); err != nil {
		return err
	}
	return do(221, "QUIT")
}

// BenchmarkSessions runs whole SMTP sessions over loopback through every
// phase, with examples/reception.lua (a header check, a context set, a
// 550 for one recipient, a header on each copy) and with no policy, in
// alternating rounds of the same size so machine load hits both sides.
func BenchmarkSessions(b *testing.B) {
	const clients, round = 8, 64
	withPolicy, _ := benchServer(b, []luahost.Script{{Name: "reception", Path: "../../examples/reception.lua"}})
	without, _ := benchServer(b, nil)
	run := func(addr string, policy bool, n int) time.Duration {
		start := time.Now()
		var next atomic.Int64
		var wg sync.WaitGroup
		var failed atomic.Value
		for range clients {
			wg.Go(func() {
				for next.Add(1) <= int64(n) {
					if err := session(addr, policy); err != nil {
						failed.Store(err)
						return
					}
				}
			})
		}
		wg.Wait()
		if err, ok := failed.Load().(error); ok {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	var tPolicy, tNone time.Duration
	b.ResetTimer()
	for done := 0; done < b.N; done += round {
		n := min(round, b.N-done)
		tPolicy += run(withPolicy, true, n)
		tNone += run(without, false, n)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/tPolicy.Seconds(), "sessions/s-policy")
	b.ReportMetric(float64(b.N)/tNone.Seconds(), "sessions/s-none")
	b.ReportMetric(tPolicy.Seconds()/tNone.Seconds(), "policy/none")
	b.ReportMetric(0, "ns/op")
}
