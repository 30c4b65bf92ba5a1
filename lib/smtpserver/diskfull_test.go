package smtpserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/emersion/go-smtp"

	"msyshost/lib/crashtest"
	"msyshost/lib/spool"
)

const diskFullChildEnv = "MSYSHOST_SMTPIN_DISKFULL_CHILD"

// TestDiskFullOverSMTP fills the spool's disk under SMTP in: a child serves
// SMTP into a real spool whose file may not grow past 2 MiB (RLIMIT_FSIZE,
// failing writes with EFBIG as a full disk fails them with ENOSPC). Every
// message is answered 250 or 452 4.3.1; every 250 is in the spool when it
// is opened again, and no 452.
func TestDiskFullOverSMTP(t *testing.T) {
	if dir := os.Getenv(diskFullChildEnv); dir != "" {
		diskFullServer(dir)
		return
	}
	dir := t.TempDir()
	c := crashtest.Start(t, "TestDiskFullOverSMTP", diskFullChildEnv, dir)
	cmd, stdin, sc := c.Cmd, c.Stdin, c.Lines
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "addr ") {
		t.Fatalf("child did not say where it listens: %q", sc.Text())
	}
	addr := strings.TrimPrefix(sc.Text(), "addr ")
	body := "Subject: fill\r\n\r\n" + strings.Repeat(strings.Repeat("x", 78)+"\r\n", 50)
	var (
		mu                sync.Mutex
		accepted, refused []string
	)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			c, err := smtp.Dial(addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			for i := range 300 {
				rcpt := fmt.Sprintf("r%d-%d@example.net", g, i)
				err := c.SendMail("a@example.com", []string{rcpt}, strings.NewReader(body))
				mu.Lock()
				var se *smtp.SMTPError
				switch {
				case err == nil:
					accepted = append(accepted, rcpt)
				case errors.As(err, &se) && se.Code == 452 && se.EnhancedCode == smtp.EnhancedCode{4, 3, 1}:
					refused = append(refused, rcpt)
				default:
					t.Errorf("%s: %v, want 250 or 452 4.3.1", rcpt, err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	if len(accepted) == 0 || len(refused) == 0 {
		t.Fatalf("%d accepted, %d refused; want both", len(accepted), len(refused))
	}
	sp, err := spool.Open(filepath.Join(dir, "spool.db"), spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	all, err := sp.List("all")
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]bool{}
	for _, e := range all {
		in[e.RcptTo] = true
	}
	for _, r := range accepted {
		if !in[r] {
			t.Errorf("%s answered 250 but not in the spool", r)
		}
	}
	for _, r := range refused {
		if in[r] {
			t.Errorf("%s answered 452 but queued", r)
		}
	}
	t.Logf("%d answered 250, %d answered 452 4.3.1 once the disk was full", len(accepted), len(refused))
}

func diskFullServer(dir string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	sp, err := spool.Open(filepath.Join(dir, "spool.db"), spool.Options{})
	if err != nil {
		fail(err)
	}
	l := listen()
	s := New(Options{Listens: []Listen{l}, Queue: sp, Hostname: "full.test"})
	if err := s.Start(context.Background()); err != nil {
		fail(err)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 2 << 20, Max: 2 << 20}); err != nil {
		fail(err)
	}
	fmt.Printf("addr %s\n", s.Listeners()[0])
	bufio.NewReader(os.Stdin).ReadString('\n') // until the parent closes stdin
	s.Stop(context.Background())
	if err := sp.Close(); err != nil {
		fail(err)
	}
	os.Exit(0)
}
