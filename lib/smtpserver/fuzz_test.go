package smtpserver

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// pipeListener is a net.Listener that never accepts by itself: the fuzz
// target hands connections straight to the gate.
type pipeListener struct{ closed chan struct{} }

func (p pipeListener) Accept() (net.Conn, error) { <-p.closed; return nil, net.ErrClosed }
func (p pipeListener) Close() error              { return nil }
func (p pipeListener) Addr() net.Addr            { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2525} }

var (
	fuzzOnce sync.Once
	fuzzL    *listener
	fuzzQ    = &queue{}
)

// fuzzListener is one server for the whole fuzzing process, with small
// limits so every input ends quickly.
func fuzzListener() *listener {
	fuzzOnce.Do(func() {
		s := New(Options{Queue: fuzzQ, Hostname: "fuzz.test"})
		s.Start(context.Background()) // no listens: sets up the server's context only
		cfg := listen()
		cfg.MaxMessageSize, cfg.MaxRecipients, cfg.MaxLineLength, cfg.IdleTime = 4096, 5, 512, 200*time.Millisecond
		cfg.Users, cfg.Mechanisms = map[string]string{"u": "p"}, []string{"PLAIN", "LOGIN"}
		fuzzL = newListener(s, cfg, pipeListener{closed: make(chan struct{})})
		go fuzzL.serve()
	})
	return fuzzL
}

// FuzzSession plays arbitrary client input against SMTP in: whatever a
// client sends, the session answers and ends without a panic (go-smtp
// would turn one into "421 4.0.0 Internal server error"), and queues only
// whole messages.
func FuzzSession(f *testing.F) {
	for _, s := range []string{
		"EHLO x\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nSubject: s\r\n\r\nbody\r\n.\r\n",
		"HELO x\r\nAUTH LOGIN\r\ndQ==\r\ncA==\r\nMAIL FROM:<>\r\nRCPT TO:<x@y>\r\nBDAT 5 LAST\r\nhello",
		"EHLO x\r\nAUTH PLAIN AHUAcA==\r\nRCPT TO:<a@b>\r\nRSET\r\nVRFY x\r\nNOOP\r\n",
		"EHLO x\r\nMAIL FROM:<a@b.c> SIZE=999999\r\nMAIL FROM:<a@b.c> BODY=8BITMIME\r\nRCPT TO:<noat>\r\n",
		"EHLO x\r\nSTARTTLS\r\nDATA\r\n\x00\xff\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		l := fuzzListener()
		client, server := net.Pipe()
		l.active.Add(1)
		l.admitted <- l.newClientConn(server)
		var out bytes.Buffer
		done := make(chan struct{})
		go func() {
			io.Copy(&out, client)
			close(done)
		}()
		client.SetWriteDeadline(time.Now().Add(2 * time.Second))
		client.Write(in)
		client.Write([]byte("\r\n.\r\nQUIT\r\n"))
		select {
		case <-done:
		case <-time.After(3 * time.Second):
		}
		client.Close()
		<-done
		if bytes.Contains(out.Bytes(), []byte("Internal server error")) {
			t.Fatalf("session panicked on %q:\n%s", in, out.Bytes())
		}
		for _, m := range fuzzQ.all() {
			if m.RcptTo == "" || m.BatchID == "" || !bytes.HasPrefix(m.Raw(), []byte("Received: ")) {
				t.Fatalf("queued a message without envelope or trace: %+v", m)
			}
		}
	})
}

// FuzzGreetings: however the command stream is cut into reads, the
// greeting verb noted is the one of the last HELO or EHLO line before any
// STARTTLS line, as when the stream is read whole, line by line (a line
// is judged by its first 9 bytes, once it has them or ends).
func FuzzGreetings(f *testing.F) {
	for _, s := range []string{"HELO a\r\nMAIL FROM:<x@y>\r\n", "EHLO a\r\nhelo b\r\n", "HELO a\r\nSTARTTLS\r\nEHLO b\r\n", "HEL", "\r\nhElO \n"} {
		f.Add(s, uint8(3))
	}
	f.Fuzz(func(t *testing.T, s string, cut uint8) {
		want, enc := false, false
		for _, l := range strings.SplitAfter(s, "\n") {
			if enc || len(l) < 9 && !strings.HasSuffix(l, "\n") {
				break
			}
			switch v := strings.ToUpper(l[:min(9, len(l))]); {
			case strings.HasPrefix(v, "HELO "):
				want = true
			case strings.HasPrefix(v, "EHLO "):
				want = false
			case strings.TrimRight(v, "\r\n") == "STARTTLS":
				enc = true
			}
		}
		c := &clientConn{state: &Conn{}, lineStart: true}
		b := []byte(s)
		for len(b) > 0 {
			n := min(len(b), int(cut%16)+1)
			c.greetings(b[:n])
			b = b[n:]
		}
		if c.state.HELO != want {
			t.Fatalf("%q cut every %d: HELO %v, want %v", s, cut%16+1, c.state.HELO, want)
		}
	})
}
