package smtpclient

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"msyshost/lib/message"
	"msyshost/lib/smtpclient/smtpsink"
	"msyshost/lib/spool"
)

// BenchmarkSpoolToSMTPOut measures messages delivered per second from the
// spool through SMTP out to a receiving server on loopback: 1 KiB
// messages, the spool's 16 delivery workers, each message removed from
// the spool (durably) once the server accepted it. The messages are queued
// before the timer starts.
func BenchmarkSpoolToSMTPOut(b *testing.B) {
	sink, err := smtpsink.Start(smtpsink.Options{Discard: true})
	if err != nil {
		b.Fatal(err)
	}
	defer sink.Close()
	c := New(Options{Smarthost: sink.Addr, Hostname: "bench.test"})
	sp, err := spool.Open(filepath.Join(b.TempDir(), "spool.db"), spool.Options{Router: c})
	if err != nil {
		b.Fatal(err)
	}
	defer sp.Close()
	body := "From: load@example.com\r\nSubject: load\r\n\r\n" + strings.Repeat(strings.Repeat("x", 62)+"\r\n", 15)
	for i := 0; i < b.N; {
		var batch []*message.Message
		for ; i < b.N && len(batch) < 500; i++ {
			batch = append(batch, message.FromRaw("load@example.com", fmt.Sprintf("r%d@example.net", i), []byte(body)))
		}
		if err := sp.Enqueue(context.Background(), batch...); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	if err := sp.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	for sink.Count() < b.N {
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
	b.StopTimer()
	sp.Stop(context.Background())
}
