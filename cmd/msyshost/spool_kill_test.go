package main_test

import (
	"bytes"
	"crypto/sha256"
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
// runs again, with the body it was sent with, and a message may arrive
// twice only within the stated window: at most one per delivery worker
// per kill. SIGKILL leaves the operating system's page cache as it was:
// this proves the order of writes and commits, not what fsync guarantees
// against a power loss (lib/spool/FORMAT.md).
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
		accepted = map[string]string{} // recipient → digest of the body sent
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
					if digest, err := sendDigested(addr, rcpt); err == nil {
						mu.Lock()
						accepted[rcpt] = digest
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
			if want, ok := accepted[m.To[0]]; ok && bodyDigest(m.Data) != want {
				t.Fatalf("%s arrived with another body than was sent: %q", m.To[0], m.Data)
			}
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

// sendDigested sends one message with a body of its own and returns the
// body's digest; a nil error means SMTP in answered 250.
func sendDigested(addr, rcpt string) (string, error) {
	c, err := smtp.Dial(addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	var body strings.Builder
	for i := range 1 + rand.IntN(40) {
		fmt.Fprintf(&body, "line %d of the message for %s: %x\r\n", i, rcpt, rand.Uint64())
	}
	raw := "Subject: " + rcpt + "\r\n\r\n" + body.String()
	return bodyDigest([]byte(raw)), c.SendMail("load@example.com", []string{rcpt}, strings.NewReader(raw))
}

// bodyDigest is the SHA-256 of a message's body, after its header
// section: the spool adds a Received field, the body must arrive as sent.
func bodyDigest(raw []byte) string {
	_, body, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	return fmt.Sprintf("%x", sha256.Sum256(body))
}
