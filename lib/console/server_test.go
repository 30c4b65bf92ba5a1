package console

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func serve(t *testing.T, path string) (*Server, *Listener) {
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
	// Without the lock (another daemon's, which holds it), a socket a
	// live daemon answers on is still refused.
	if err := CheckFree(stale); err == nil || !strings.Contains(err.Error(), "in use by a running daemon") {
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

// Idle sessions end after IdleTimeout; when every place is taken, the one
// idle longest makes room, so idle clients cannot lock an operator out.
func TestIdleSessionsEndAndMakeRoom(t *testing.T) {
	path := filepath.Join(t.TempDir(), "control.sock")
	c := New()
	c.Add(Command{Name: "ping", Usage: "ping", Run: func(context.Context, []string) (string, error) { return "pong\n", nil }})
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Console: c, MaxSessions: 2, IdleTimeout: 300 * time.Millisecond}
	go s.Serve(l)
	defer func() {
		l.Close()
		s.Shutdown(context.Background())
	}()
	first, err := Dial(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if _, err := first.Exec("ping"); err != nil {
		t.Fatal(err)
	}
	second, err := Dial(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if _, err := second.Exec("ping"); err != nil {
		t.Fatal(err)
	}
	// Both places are taken by idle sessions: a third client evicts the
	// one idle longest (the first) and is served.
	third, err := Dial(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	if out, err := third.Exec("ping"); err != nil || out != "pong\n" {
		t.Fatalf("third client: %q %v", out, err)
	}
	if _, err := first.Exec("ping"); err == nil {
		t.Fatal("the session idle longest was not closed to make room")
	}
	// An idle session ends by itself after IdleTimeout.
	time.Sleep(600 * time.Millisecond)
	if _, err := second.Exec("ping"); err == nil {
		t.Fatal("an idle session outlived IdleTimeout")
	}
}

// Shutdown ends idle sessions at once and lets a command in flight finish.
func TestShutdownFinishesCommandsInFlight(t *testing.T) {
	path := filepath.Join(t.TempDir(), "control.sock")
	started, release := make(chan struct{}), make(chan struct{})
	c := New()
	c.Add(Command{Name: "slow", Usage: "slow", Run: func(ctx context.Context, _ []string) (string, error) {
		close(started)
		<-release
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "done\n", nil
	}})
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Console: c}
	go s.Serve(l)
	idle, err := Dial(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	busy, err := Dial(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	answer := make(chan string)
	go func() {
		out, err := busy.Exec("slow")
		answer <- fmt.Sprint(out, err)
	}()
	<-started
	stopped := make(chan error)
	go func() {
		l.Close()
		stopped <- s.Shutdown(context.Background())
	}()
	close(release)
	if got := <-answer; got != "done\n<nil>" {
		t.Fatalf("the command in flight answered %q", got)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if _, err := idle.Exec("slow"); err == nil {
		t.Fatal("an idle session survived the shutdown")
	}
}
