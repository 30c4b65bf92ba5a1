package spool

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"msyshost/lib/crashtest"
	"msyshost/lib/message"
	"msyshost/lib/status"
)

// The crash and disk-full tests re-execute this test binary; these variables
// switch the child into its role and name its spool file.
const (
	crashChildEnv    = "MSYSHOST_SPOOL_CRASH_CHILD"
	diskFullChildEnv = "MSYSHOST_SPOOL_DISKFULL_CHILD"
)

const crashWorkers = 4

// TestCrashAtLeastOnce SIGKILLs a child that queues and delivers in a
// loop. Every message whose Enqueue returned must be delivered, before the
// kill or by the next run of the same file, and a message is delivered
// twice only inside the stated window: at most one per worker. (SIGKILL
// keeps the page cache: this proves the order of writes and commits, not
// durability against a power loss; FORMAT.md.)
func TestCrashAtLeastOnce(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path)
		return
	}
	path := filepath.Join(t.TempDir(), "spool.db")
	c := crashtest.Start(t, "TestCrashAtLeastOnce", crashChildEnv, path)
	cmd, lines := c.Cmd, c.Lines
	queued, delivered := map[string]bool{}, map[string]int{}
	timer := time.AfterFunc(1500*time.Millisecond, func() { cmd.Process.Signal(syscall.SIGKILL) })
	defer timer.Stop()
	for lines.Scan() {
		verb, rcpt, _ := strings.Cut(lines.Text(), " ")
		switch verb {
		case "queued":
			queued[rcpt] = true
		case "delivered":
			delivered[rcpt]++
		}
	}
	cmd.Wait()
	if len(queued) == 0 || len(delivered) == 0 {
		t.Fatalf("child queued %d and delivered %d before the kill; want both", len(queued), len(delivered))
	}
	again := newRouter(nil)
	s := openTest(t, path, Options{Router: again, Workers: crashWorkers})
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	left := st.Active + st.Delayed
	start(t, s)
	if left > 0 {
		again.wait(t, left)
	}
	dups := 0
	for _, m := range again.got {
		if delivered[m.RcptTo] > 0 {
			dups++
		}
		delivered[m.RcptTo]++
	}
	for rcpt := range queued {
		if delivered[rcpt] == 0 {
			t.Errorf("%s was queued (Enqueue returned) but never delivered", rcpt)
		}
	}
	for rcpt, n := range delivered {
		if n > 2 {
			t.Errorf("%s delivered %d times", rcpt, n)
		}
	}
	t.Logf("%d queued before the kill, %d delivered before it, %d after the restart, %d of them again", len(queued), len(delivered)-len(again.got)+dups, len(again.got), dups)
	if dups > crashWorkers {
		t.Errorf("%d duplicates after one crash, more than the bound of one per worker (%d)", dups, crashWorkers)
	}
}

// printingRouter accepts every message and says so on stdout before it
// returns: what the peer saw, the moment before the spool removes it.
type printingRouter struct{ p *crashtest.Printer }

func (r printingRouter) Deliver(_ context.Context, m *message.Message) error {
	r.p.Line("delivered %s", m.RcptTo)
	return nil
}

func crashChild(path string) {
	var p crashtest.Printer
	s, err := Open(path, Options{Router: printingRouter{&p}, Workers: crashWorkers})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := s.Start(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				rcpt := fmt.Sprintf("r%d-%d@example.net", g, i)
				if err := s.Enqueue(context.Background(), msg("a@example.com", rcpt)); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				p.Line("queued %s", rcpt)
			}
		})
	}
	wg.Wait()
}

// TestDiskFull runs a child whose file size limit (RLIMIT_FSIZE) stands in
// for a full disk: writes past it fail with EFBIG as they would with
// ENOSPC. Every refused enqueue must be a temporary 452 4.3.1; every
// accepted one must be there after reopening, and no refused one.
func TestDiskFull(t *testing.T) {
	if path := os.Getenv(diskFullChildEnv); path != "" {
		diskFullChild(path)
		return
	}
	path := filepath.Join(t.TempDir(), "spool.db")
	c := crashtest.Start(t, "TestDiskFull", diskFullChildEnv, path)
	cmd, lines := c.Cmd, c.Lines
	var queued, refused []string
	for lines.Scan() {
		verb, rest, _ := strings.Cut(lines.Text(), " ")
		switch verb {
		case "queued":
			queued = append(queued, rest)
		case "refused":
			rcpt, msg, _ := strings.Cut(rest, " ")
			refused = append(refused, rcpt)
			if !strings.HasPrefix(msg, "452 4.3.1 temporary ") || !strings.Contains(msg, path) {
				t.Errorf("refusal %q: want a temporary 452 4.3.1 naming %s", msg, path)
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	if len(queued) == 0 || len(refused) == 0 {
		t.Fatalf("child queued %d and was refused %d; want both", len(queued), len(refused))
	}
	s := openTest(t, path, Options{})
	all, err := s.List("all")
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]bool{}
	for _, e := range all {
		in[e.RcptTo] = true
	}
	for _, r := range queued {
		if !in[r] {
			t.Errorf("%s accepted before the disk filled, missing after reopening", r)
		}
	}
	for _, r := range refused {
		if in[r] {
			t.Errorf("%s refused, yet queued", r)
		}
	}
	t.Logf("%d accepted, %d refused with a full disk", len(queued), len(refused))
}

func diskFullChild(path string) {
	s, err := Open(path, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	limit := &syscall.Rlimit{Cur: 2 << 20, Max: 2 << 20}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, limit); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var p crashtest.Printer
	var wg sync.WaitGroup
	body := strings.Repeat("x", 1000) + "\r\n"
	for g := range 4 {
		wg.Go(func() {
			for i := range 400 {
				rcpt := fmt.Sprintf("r%d-%d@example.net", g, i)
				m := message.FromRaw("a@example.com", rcpt, []byte("Subject: fill\r\n\r\n"+strings.Repeat(body, 4)))
				err := s.Enqueue(context.Background(), m)
				if err == nil {
					p.Line("queued %s", rcpt)
					continue
				}
				st, ok := status.Of(err)
				if !ok {
					p.Line("refused %s without a status: %v", rcpt, err)
					continue
				}
				kind := "permanent"
				if st.Temporary {
					kind = "temporary"
				}
				p.Line("refused %s %d %s %s %v", rcpt, st.Code, st.Enhanced, kind, err)
			}
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(0)
}
