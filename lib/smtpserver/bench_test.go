package smtpserver

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	bolt "go.etcd.io/bbolt"

	"msyshost/lib/message"
	"msyshost/lib/spool"
)

// naiveQueue is the baseline: a durable queue without group commit, one
// bbolt transaction, so one fsync, per message.
type naiveQueue struct {
	db  *bolt.DB
	seq atomic.Uint64
}

func (q *naiveQueue) NewID() string { return strconv.FormatUint(q.seq.Add(1), 10) }

func (q *naiveQueue) Enqueue(_ context.Context, msgs ...*message.Message) error {
	return q.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("messages"))
		for _, m := range msgs {
			id, _ := b.NextSequence()
			key := []byte{byte(id >> 56), byte(id >> 48), byte(id >> 40), byte(id >> 32), byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id)}
			if err := b.Put(key, append([]byte(m.MailFrom+"\x00"+m.RcptTo+"\x00"), m.Raw()...)); err != nil {
				return err
			}
		}
		return nil
	})
}

// BenchmarkSMTPInToSpool measures messages accepted per second over SMTP
// (1 KiB messages, 16 connections each sending one after another, every
// 250 given only once the message is durable): into the spool (group
// commit), and into the naive baseline that fsyncs every message, side by
// side in one run; ratio is spool over baseline.
func BenchmarkSMTPInToSpool(b *testing.B) {
	const conns = 16
	body := "From: load@example.com\r\nSubject: load\r\n\r\n" + strings.Repeat(strings.Repeat("x", 62)+"\r\n", 15)
	sp, err := spool.Open(filepath.Join(b.TempDir(), "spool.db"), spool.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer sp.Close()
	db, err := bolt.Open(filepath.Join(b.TempDir(), "naive.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("messages")); return err })

	run := func(q Queue) float64 {
		l := listen()
		l.MaxMessageSize = 1 << 20
		srv := New(Options{Listens: []Listen{l}, Queue: q, Hostname: "bench.test"})
		if err := srv.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		defer srv.Stop(context.Background())
		addr := srv.Listeners()[0]
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range conns {
			wg.Go(func() {
				c, err := smtp.Dial(addr)
				if err != nil {
					b.Error(err)
					return
				}
				defer c.Close()
				for next.Add(1) <= int64(b.N) {
					if err := c.SendMail("load@example.com", []string{"rcpt@example.net"}, strings.NewReader(body)); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		return float64(b.N) / time.Since(start).Seconds()
	}
	b.ResetTimer()
	group := run(sp)
	naive := run(&naiveQueue{db: db})
	b.ReportMetric(group, "spool-msgs/s")
	b.ReportMetric(naive, "fsync-each-msgs/s")
	b.ReportMetric(group/naive, "ratio")
}
