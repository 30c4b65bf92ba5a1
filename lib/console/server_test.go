package console

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func serve(t *testing.T, path string) (*Server, net.Listener) {
	t.Helper()
	c := New()
	c.Add(Command{Name: "echo", Usage: "echo WORDS...", Run: func(_ context.Context, args []string) (string, error) {
		return strings.Join(args, " ") + "\n", nil
	}})
	c.Add(Command{Name: "fail", Usage: "fail", Run: func(context.Context, []string) (string, error) {
		return "", errors.New("it failed")
	}})
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Console: c, WriteTimeout: 200 * time.Millisecond}
	go s.Serve(l)
	t.Cleanup(func() {
		l.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return s, l
}

func TestSessionCommandsErrorsAndQuit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "control.sock")
	serve(t, path)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	c, err := Dial(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if out, err := c.Exec(`echo "a  b" c`); err != nil || out != "a  b c\n" {
		t.Fatalf("echo = %q, %v", out, err)
	}
	_, err = c.Exec("fail")
	var re *RemoteError
	if !errors.As(err, &re) || re.Text != "it failed" {
		t.Fatalf("fail = %v", err)
	}
	if _, err := c.Exec("ehco x"); err == nil || !strings.Contains(err.Error(), "did you mean: echo WORDS...") {
		t.Fatalf("typo = %v", err)
	}
	if _, err := c.Exec(strings.Repeat("x", MaxLine+10)); err == nil || !strings.Contains(err.Error(), "line too long") {
		t.Fatalf("long line = %v", err)
	}
	// The session survives a long line.
	if out, err := c.Exec("echo still here"); err != nil || out != "still here\n" {
		t.Fatalf("after long line = %q, %v", out, err)
	}
	if out, err := c.Exec("quit"); err != nil || out != "" {
		t.Fatalf("quit = %q, %v", out, err)
	}
	if _, err := c.Exec("echo x"); err == nil {
		t.Fatal("the session answered after quit")
	}
}

func TestHungClientDoesNotStallOthers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "control.sock")
	serve(t, path)
	// One client sends half a line and never more; another never reads
	// its answers.
	hung, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer hung.Close()
	hung.Write([]byte("echo half a li"))
	deaf, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer deaf.Close()
	big := "echo " + strings.Repeat("y ", 30000) + "\n"
	for i := 0; i < 50; i++ {
		deaf.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		if _, err := deaf.Write([]byte(big)); err != nil {
			break
		}
	}
	c, err := Dial(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if out, err := c.Exec("echo ok"); err != nil || out != "ok\n" {
		t.Fatalf("a third client got %q, %v", out, err)
	}
}

func TestListenStaleLiveAndForeign(t *testing.T) {
	dir := t.TempDir()
	// A socket file nobody listens on: a killed daemon's. It is replaced.
	stale := filepath.Join(dir, "stale.sock")
	l, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	if _, err := os.Stat(stale); err != nil {
		t.Fatalf("setup: %v", err)
	}
	l2, err := Listen(stale)
	if err != nil {
		t.Fatalf("stale socket not taken over: %v", err)
	}
	defer l2.Close()
	// A live one is refused and left alone.
	if _, err := Listen(stale); err == nil || !strings.Contains(err.Error(), "in use by a running daemon") {
		t.Fatalf("live socket: %v", err)
	}
	if _, err := os.Stat(stale); err != nil {
		t.Fatalf("the live socket was removed: %v", err)
	}
	// A regular file is not a socket and is not deleted.
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, []byte("keep"), 0o644)
	if _, err := Listen(plain); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("plain file: %v", err)
	}
	if b, _ := os.ReadFile(plain); string(b) != "keep" {
		t.Fatal("a plain file was touched")
	}
}
