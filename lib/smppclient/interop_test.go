package smppclient_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"msyshost/lib/mstore"
	"msyshost/lib/retry"
	"msyshost/lib/spool"
)

// peer is an SMSC nobody here wrote, run as a child process.
type peer struct {
	name  string
	extra string // config lines for its id formats
	start func(t *testing.T) *exec.Cmd
}

var repoRoot = filepath.Join("..", "..")

var peers = []peer{
	{
		name: "node-smpp 0.5.1",
		start: func(t *testing.T) *exec.Cmd {
			mods, _ := filepath.Abs(filepath.Join(repoRoot, ".ci", "peers", "node_modules"))
			if _, err := exec.LookPath("node"); err != nil {
				t.Fatal("node is not installed; install it (apt-get install nodejs npm) and run `make deps`")
			}
			if _, err := os.Stat(filepath.Join(mods, "smpp", "package.json")); err != nil {
				t.Fatalf("the npm package smpp is not installed in %s; run `make deps` (npm ci --prefix .ci/peers)", mods)
			}
			cmd := exec.Command("node", filepath.Join("testdata", "interop", "node_smsc.js"))
			cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
			return cmd
		},
	},
	{
		name: "Net::SMPP (libnet-smpp-perl)",
		extra: `smpp_submit_response_message_id_format = "decimal"
  smpp_delivery_receipt_message_id_format = "decimal"`,
		start: func(t *testing.T) *exec.Cmd {
			if err := exec.Command("perl", "-MNet::SMPP", "-e", "1").Run(); err != nil {
				t.Fatal("Net::SMPP is not installed; run `make deps` (apt-get install libnet-smpp-perl)")
			}
			return exec.Command("perl", filepath.Join("testdata", "interop", "perl_smsc.pl"))
		},
	},
}

// run starts the peer and returns its address; it stops with the test.
func (p peer) run(t *testing.T) string {
	t.Helper()
	cmd := p.start(t)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &syncWriter{w: &stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("%s stderr:\n%s", p.name, stderr.String())
		}
	})
	lines := bufio.NewReader(out)
	ready := make(chan string, 1)
	go func() {
		l, _ := lines.ReadString('\n')
		ready <- l
		io.Copy(io.Discard, lines)
	}()
	select {
	case l := <-ready:
		var port int
		if _, err := fmt.Sscanf(l, "LISTENING %d", &port); err != nil {
			t.Fatalf("%s did not start: %q", p.name, l)
		}
		return fmt.Sprintf("127.0.0.1:%d", port)
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not start in 10s", p.name)
	}
	return ""
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

func TestInterop(t *testing.T) {
	for _, p := range peers {
		t.Run(p.name, func(t *testing.T) {
			t.Run("positive and negative receipts", func(t *testing.T) {
				hooks := newRecHooks()
				r := newRigAt(t, p.run(t), p.extra, func(mstore.Store, *spool.Recorder) retry.Hooks { return hooks })
				ctx := context.Background()
				for _, to := range []string{"15550001", "16660001"} {
					if err := r.ch.Deliver(ctx, sms(to+"@"+domain, "hello")); err != nil {
						t.Fatal(err)
					}
				}
				hooks.await(t, "smpp_handle_DR_positive", 1)
				hooks.await(t, "smpp_handle_DR_negative", 1)
				waitFor(t, func() bool { _, b := r.rec.Take(); return len(b) == 1 })
				hooks.mu.Lock()
				defer hooks.mu.Unlock()
				stored := map[string]bool{}
				for _, c := range hooks.calls {
					if c.hook == "smpp_store_submit" {
						stored[c.args[1]] = true
					} else if !stored[c.args[1]] {
						t.Errorf("%s for %s, which was never stored (stored %v)", c.hook, c.args[1], stored)
					}
				}
			})
			t.Run("receipt before submit_sm_resp", func(t *testing.T) {
				hooks := newRecHooks()
				r := newRigAt(t, p.run(t), p.extra, func(mstore.Store, *spool.Recorder) retry.Hooks { return hooks })
				if err := r.ch.Deliver(context.Background(), sms("17770001@"+domain, "early")); err != nil {
					t.Fatal(err)
				}
				hooks.await(t, "smpp_handle_DR_positive", 1)
				hooks.mu.Lock()
				calls := append([]hookCall(nil), hooks.calls...)
				hooks.mu.Unlock()
				if calls[0].hook != "smpp_store_submit" || calls[1].args[1] != calls[0].args[1] {
					t.Fatalf("the early receipt must wait for the store: %+v", calls)
				}
			})
			t.Run("drop mid-window loses nothing", func(t *testing.T) {
				hooks := newRecHooks()
				r := newRigAt(t, p.run(t), p.extra+"\n  smpp_command_window_size = 5",
					func(mstore.Store, *spool.Recorder) retry.Hooks { return hooks })
				var wg sync.WaitGroup
				const n = 8
				for i := 0; i < n; i++ {
					to := fmt.Sprintf("1555%04d@%s", i, domain)
					if i < 3 {
						to = fmt.Sprintf("1888%04d@%s", i, domain)
					}
					wg.Add(1)
					go func() {
						defer wg.Done()
						deliverRetrying(t, r.ch, sms(to, "x"))
					}()
				}
				wg.Wait()
				hooks.await(t, "smpp_handle_DR_positive", n)
				if got := hooks.count("smpp_store_submit"); got != n {
					t.Fatalf("%d messages stored, want %d", got, n)
				}
				reconnected := false
				for _, s := range r.ch.Client(domain).Statuses() {
					reconnected = reconnected || s.LastError != ""
				}
				if !reconnected {
					t.Fatal("the peer's drop left no trace in the bind status")
				}
			})
			t.Run("example hooks in the real host", func(t *testing.T) {
				out := &printed{}
				r := newRigAt(t, p.run(t), p.extra, realHost(t, out))
				ctx := context.Background()
				for _, to := range []string{"15550002", "16660002"} {
					if err := r.ch.Deliver(ctx, sms(to+"@"+domain, "hello")); err != nil {
						t.Fatal(err)
					}
				}
				waitFor(t, func() bool { return out.has("negative SMPP receipt") && out.has("positive SMPP receipt") })
				waitFor(t, func() bool {
					inj, _ := r.rec.Take()
					return len(inj) == 1 && inj[0].RcptTo == "john@example.messagesystems.com"
				})
			})
		})
	}
}
