package main_test

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"msyshost/lib/smtpclient/smtpsink"
)

// spoolWorkers is the spool's default number of concurrent deliveries:
// FORMAT.md bounds the duplicates of one crash by it.
const spoolWorkers = 16

var smtpListen = regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)

// TestSIGKILLKeepsEveryAcceptedMessage kills the daemon at random points
// while clients send it mail and it relays to a receiving server. Every
// message SMTP in answered 250 must reach that server once the daemon
// runs again, and a message may arrive twice only within the stated
// window: at most one per delivery worker per kill.
func TestSIGKILLKeepsEveryAcceptedMessage(t *testing.T) {
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	dir := t.TempDir()
	write(t, dir, "msyshost.conf", `Data_Directory = "data"
ESMTP_Listener { Listen "127.0.0.1:0" { } }
Gateway = "`+sink.Addr+`"
Retry_Interval = 1s
`)
	var (
		mu       sync.Mutex
		accepted = map[string]bool{}
		seq      atomic.Int64
	)
	const kills = 3
	for round := range kills + 1 {
		d := startDaemon(t, dir)
		addr := smtpListen.FindString(d.logText()[strings.Index(d.logText(), "msyshost started"):])
		if addr == "" {
			t.Fatalf("no SMTP listener in the start line:\n%s", d.logText())
		}
		if round == kills {
			break // the last run only delivers what is left
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					rcpt := fmt.Sprintf("m%d@example.net", seq.Add(1))
					if sendOne(addr, rcpt) == nil {
						mu.Lock()
						accepted[rcpt] = true
						mu.Unlock()
					}
				}
			})
		}
		time.Sleep(time.Duration(300+rand.IntN(700)) * time.Millisecond)
		d.cmd.Process.Kill()
		<-d.exited
		close(stop)
		wg.Wait()
	}
	mu.Lock()
	n := len(accepted)
	mu.Unlock()
	if n == 0 {
		t.Fatal("no message was accepted before the kills")
	}
	got := map[string]int{}
	deadline := time.Now().Add(20 * time.Second)
	for missing := n; missing > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d accepted messages never delivered", missing, n)
		}
		time.Sleep(50 * time.Millisecond)
		got, missing = map[string]int{}, 0
		for _, m := range sink.Messages() {
			got[m.To[0]]++
		}
		for rcpt := range accepted {
			if got[rcpt] == 0 {
				missing++
			}
		}
	}
	dups := 0
	for _, c := range got {
		dups += c - 1
	}
	t.Logf("%d messages accepted over %d kills, all delivered; %d delivered twice", n, kills, dups)
	if dups > kills*spoolWorkers {
		t.Fatalf("%d duplicates after %d kills: more than %d per kill", dups, kills, spoolWorkers)
	}
}

// sendOne sends one message; nil means SMTP in answered 250.
func sendOne(addr, rcpt string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.SendMail("load@example.com", []string{rcpt}, strings.NewReader("Subject: "+rcpt+"\r\n\r\nload\r\n"))
}
