// Package smtpsink is a receiving MTA for tests and benchmarks: an SMTP
// server on 127.0.0.1 (emersion/go-smtp's, independent of msyshost's own
// SMTP code) that keeps every message it accepted and can be told to answer
// as real servers do when they refuse, defer, stall or offer STARTTLS.
package smtpsink

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one accepted message.
type Message struct {
	From string
	To   []string
	Data []byte
	Helo string
	TLS  bool // received over a STARTTLS session
	Conn int  // the connection it came on, counted from 1
}

// Options shape the sink's answers. The zero value accepts everything.
type Options struct {
	// TLS, when set, makes the sink advertise STARTTLS (RFC 3207) with
	// this configuration, as most MTAs on the Internet do.
	TLS *tls.Config
	// Mail decides MAIL FROM; a non-nil error (an *smtp.SMTPError for a
	// chosen reply) refuses the sender, as a server with sender policy does.
	Mail func(from string) error
	// Rcpt decides each RCPT TO, as a server that knows its mailboxes:
	// 550 5.1.1 for an unknown user, 452 4.2.2 for a full mailbox.
	Rcpt func(to string) error
	// Data decides the message after the final dot, as a content filter
	// does (554 5.7.1), or sleeps to model a server that stalls.
	Data func(m *Message) error
	// Size is the SIZE the sink advertises and enforces (RFC 1870); zero
	// means no limit.
	Size int64
	// Discard counts accepted messages without keeping them (benchmarks).
	Discard bool
}

// Sink is a running receiving server.
type Sink struct {
	Addr string

	l       net.Listener
	srv     *smtp.Server
	opts    Options
	mu      sync.Mutex
	msgs    []Message
	count   int
	arrived chan struct{}
	conns   atomic.Int32
	done    chan struct{}
}

// Start listens on a free loopback port and serves until Close.
func Start(opts Options) (*Sink, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Sink{Addr: l.Addr().String(), l: l, opts: opts, arrived: make(chan struct{}, 1), done: make(chan struct{})}
	s.srv = smtp.NewServer(smtp.BackendFunc(s.newSession))
	s.srv.Domain = "sink.test"
	s.srv.TLSConfig = opts.TLS
	s.srv.MaxMessageBytes = opts.Size
	s.srv.ReadTimeout = time.Minute
	s.srv.WriteTimeout = time.Minute
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	go func() {
		defer close(s.done)
		s.srv.Serve(countingListener{l, s})
	}()
	return s, nil
}

// Close stops the server and drops its connections. The listener is
// closed here too: go-smtp's Close closes only the listeners Serve has
// registered, and a Close right after Start can come first.
func (s *Sink) Close() {
	s.srv.Close()
	s.l.Close()
	<-s.done
}

// Messages returns what was accepted so far, in order.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Count returns how many messages were accepted.
func (s *Sink) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// Wait returns once n messages were accepted, or false after timeout.
func (s *Sink) Wait(n int, timeout time.Duration) ([]Message, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if s.Count() >= n {
			return s.Messages(), true
		}
		select {
		case <-s.arrived:
		case <-deadline.C:
			return s.Messages(), false
		}
	}
}

// Connections returns how many connections were accepted.
func (s *Sink) Connections() int { return int(s.conns.Load()) }

type countingListener struct {
	net.Listener
	s *Sink
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.s.conns.Add(1)
	}
	return c, err
}

type session struct {
	s    *Sink
	c    *smtp.Conn
	conn int
	msg  Message
}

func (s *Sink) newSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: s, c: c, conn: int(s.conns.Load())}, nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.opts.Mail != nil {
		if err := x.s.opts.Mail(from); err != nil {
			return err
		}
	}
	_, tlsOn := x.c.TLSConnectionState()
	x.msg = Message{From: from, Helo: x.c.Hostname(), TLS: tlsOn, Conn: x.conn}
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if x.s.opts.Rcpt != nil {
		if err := x.s.opts.Rcpt(to); err != nil {
			return err
		}
	}
	x.msg.To = append(x.msg.To, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	var b bytes.Buffer
	if _, err := io.Copy(&b, r); err != nil {
		return err
	}
	m := x.msg
	m.Data = b.Bytes()
	if x.s.opts.Data != nil {
		if err := x.s.opts.Data(&m); err != nil {
			return err
		}
	}
	x.s.mu.Lock()
	x.s.count++
	if !x.s.opts.Discard {
		x.s.msgs = append(x.s.msgs, m)
	}
	x.s.mu.Unlock()
	select {
	case x.s.arrived <- struct{}{}:
	default:
	}
	return nil
}

func (x *session) Reset()        { x.msg = Message{} }
func (x *session) Logout() error { return nil }

// Reply is an SMTP reply for Options hooks to return.
func Reply(code int, enhanced [3]int, text string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode(enhanced), Message: text}
}

// Stall blocks until the sink is closed, modelling a server that never
// answers: a Data hook returning s.Stall() holds the final dot's reply.
func (s *Sink) Stall() error {
	<-s.done
	return errors.New("stalled")
}
