// Package smsctest runs SMSCs nobody here wrote, for interop tests: the
// npm package smpp (node-smpp 0.5.1) and Debian's Net::SMPP
// (libnet-smpp-perl), each scripted as an SMSC in testdata/ and started
// as a child process on a free loopback port. `make deps` installs both.
//
// Both scripts behave alike by destination address, so one test serves
// all of them and the built-in simulator (smsc.Options.OutcomeFor):
//
//	1666...  the receipt says UNDELIV (otherwise DELIVRD)
//	1777...  the receipt is sent before the submit_sm_resp
//	1888...  the first submit is left unanswered; at three held the
//	         connection drops (the peer failing mid-window)
package smsctest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Peer is one SMSC implementation.
type Peer struct {
	Name string
	// Extra is config for an SMPP domain binding to it: the id formats
	// it writes.
	Extra string
	start func(t testing.TB, dir string) *exec.Cmd
}

// here is this package's folder, where the scripts are.
func here() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// NodeSMPP is node-smpp 0.5.1 scripted as an SMSC; its receipted_message_id
// TLV ends in a NUL.
var NodeSMPP = Peer{
	Name: "node-smpp 0.5.1",
	start: func(t testing.TB, dir string) *exec.Cmd {
		mods := filepath.Join(dir, "..", "..", "..", ".ci", "peers", "node_modules")
		if _, err := exec.LookPath("node"); err != nil {
			t.Fatal("node is not installed; install it (apt-get install nodejs npm) and run `make deps`")
		}
		if _, err := os.Stat(filepath.Join(mods, "smpp", "package.json")); err != nil {
			t.Fatalf("the npm package smpp is not installed in %s; run `make deps` (npm ci --prefix .ci/peers)", mods)
		}
		cmd := exec.Command("node", filepath.Join(dir, "testdata", "node_smsc.js"))
		cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
		return cmd
	},
}

// NetSMPP is Net::SMPP scripted as an SMSC answering with decimal ids.
var NetSMPP = Peer{
	Name: "Net::SMPP (libnet-smpp-perl)",
	Extra: `smpp_submit_response_message_id_format = "decimal"
  smpp_delivery_receipt_message_id_format = "decimal"`,
	start: func(t testing.TB, dir string) *exec.Cmd {
		if err := exec.Command("perl", "-MNet::SMPP", "-e", "1").Run(); err != nil {
			t.Fatal("Net::SMPP is not installed; run `make deps` (apt-get install libnet-smpp-perl)")
		}
		return exec.Command("perl", filepath.Join(dir, "testdata", "perl_smsc.pl"))
	},
}

// Peers are both.
var Peers = []Peer{NodeSMPP, NetSMPP}

// Run starts the peer and returns its address; it stops when t ends, and
// its stderr is logged when t failed.
func (p Peer) Run(t testing.TB) string {
	t.Helper()
	cmd := p.start(t, here())
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
		// The scripts exit when their stdin closes.
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
			t.Logf("%s stderr:\n%s", p.Name, stderr.String())
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
			t.Fatalf("%s did not start: %q", p.Name, l)
		}
		return fmt.Sprintf("127.0.0.1:%d", port)
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not start in 10s", p.Name)
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
