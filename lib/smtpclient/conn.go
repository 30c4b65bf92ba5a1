package smtpclient

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"msyshost/lib/message"
	"msyshost/lib/status"
)

// reply is an SMTP reply (RFC 5321 4.2) with its RFC 2034 enhanced code.
type reply struct {
	Code     int
	Enhanced string // "2.0.0"; empty when the server sent none
	Text     string // the text, lines joined by "\n", enhanced codes removed
}

func (r reply) String() string {
	s := strconv.Itoa(r.Code)
	if r.Enhanced != "" {
		s += " " + r.Enhanced
	}
	if r.Text != "" {
		s += " " + strings.ReplaceAll(r.Text, "\n", " / ")
	}
	return s
}

// readReply reads one reply, multi-line or not (RFC 5321 4.2.1).
func readReply(r *textproto.Reader) (reply, error) {
	code, msg, err := r.ReadResponse(0)
	if err != nil {
		var pe textproto.ProtocolError
		if errors.As(err, &pe) {
			return reply{}, fmt.Errorf("malformed reply: %w", err)
		}
		return reply{}, err
	}
	if code < 200 || code > 599 {
		return reply{}, fmt.Errorf("malformed reply: code %d", code)
	}
	return parseReply(code, msg), nil
}

// parseReply splits the enhanced code (RFC 2034: "class.subject.detail"
// at the start of each line, its class that of the reply) from the text.
func parseReply(code int, msg string) reply {
	lines := strings.Split(msg, "\n")
	r := reply{Code: code}
	first, _, _ := strings.Cut(lines[0], " ")
	if isEnhanced(first, code) {
		r.Enhanced = first
		for i, l := range lines {
			if rest, ok := strings.CutPrefix(l, first); ok && (rest == "" || rest[0] == ' ') {
				lines[i] = strings.TrimPrefix(rest, " ")
			}
		}
	}
	r.Text = strings.Join(lines, "\n")
	return r
}

func isEnhanced(s string, code int) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || parts[0] != strconv.Itoa(code/100) {
		return false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || p == "" || p[0] == '+' || p[0] == '-' || n < 0 || n > 999 || (i == 0 && len(p) != 1) {
			return false
		}
	}
	return true
}

// session is one SMTP connection to a receiving server.
type session struct {
	nc      net.Conn
	tp      *textproto.Conn
	host    string // the server's name: MX host or gateway
	addr    string // ip:port dialled
	ext     map[string]string
	tls     bool
	used    time.Time
	idleFor time.Duration // how long it may wait in the pool
	timeout timeouts
}

type timeouts struct {
	connect, command, body time.Duration
}

// dial connects to addr, reads the greeting, says EHLO (HELO when EHLO is
// refused) and, per the TLS policy, STARTTLS (RFC 3207) and EHLO again.
// tlsCfg nil means no TLS; required makes a server without STARTTLS, or a
// failed handshake, an error.
func dial(ctx context.Context, addr, host, ehlo string, tlsCfg *tls.Config, required bool, t timeouts) (*session, error) {
	d := net.Dialer{Timeout: t.connect}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, connError(host, addr, "connecting", err)
	}
	s := &session{nc: nc, tp: textproto.NewConn(nc), host: host, addr: addr, timeout: t}
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	fail := func(err error) (*session, error) {
		nc.Close()
		return nil, err
	}
	s.deadline(t.command)
	greet, err := readReply(&s.tp.Reader)
	if err != nil {
		return fail(connError(host, addr, "reading the greeting", err))
	}
	if greet.Code != 220 {
		return fail(s.status(greet, "greeting"))
	}
	if err := s.hello(ehlo); err != nil {
		return fail(err)
	}
	if tlsCfg == nil {
		return s, nil
	}
	if _, ok := s.ext["STARTTLS"]; !ok {
		if required {
			return fail(&status.Error{Protocol: status.SMTP, Code: 451, Enhanced: "4.7.5", Temporary: true,
				Text: "TLS = required, but the server does not offer STARTTLS", Component: s.component()})
		}
		return s, nil
	}
	r, err := s.cmd(t.command, "STARTTLS")
	if err != nil {
		return fail(err)
	}
	if r.Code != 220 {
		return fail(&tlsError{s.status(r, "STARTTLS")})
	}
	tc := tls.Client(nc, tlsCfg)
	s.deadline(t.command)
	if err := tc.HandshakeContext(ctx); err != nil {
		return fail(&tlsError{&status.Error{Protocol: status.SMTP, Code: 451, Enhanced: "4.7.5", Temporary: true,
			Text: "TLS handshake failed", Component: s.component(), Err: err}})
	}
	s.nc, s.tp, s.tls = tc, textproto.NewConn(tc), true
	if err := s.hello(ehlo); err != nil {
		return fail(err)
	}
	return s, nil
}

// tlsError marks a failure of STARTTLS, after which TLS = ifavailable
// tries the same server without TLS.
type tlsError struct{ st *status.Error }

func (e *tlsError) Error() string { return e.st.Error() }
func (e *tlsError) Unwrap() error { return e.st }

// brokenError marks a connection that failed (refused, timed out, closed)
// rather than a server's refusal. early says it failed before the server
// answered MAIL FROM: no message can have been taken, so a fresh
// connection may carry it at once. After that, a break may have come
// after the server took the message (RFC 5321 6.1, RFC 1047): the attempt
// fails temporarily instead, and the spool decides when to try again.
type brokenError struct {
	st    *status.Error
	early bool
}

func (e *brokenError) Error() string { return e.st.Error() }
func (e *brokenError) Unwrap() error { return e.st }

func (s *session) hello(name string) error {
	r, err := s.cmd(s.timeout.command, "EHLO %s", name)
	if err != nil {
		return err
	}
	if r.Code == 250 {
		s.ext = map[string]string{}
		for _, line := range strings.Split(r.Text, "\n")[1:] {
			kw, params, _ := strings.Cut(line, " ")
			s.ext[strings.ToUpper(kw)] = params
		}
		return nil
	}
	if r.Code != 500 && r.Code != 502 {
		return s.status(r, "EHLO")
	}
	// An RFC 821 server: HELO, and no extensions.
	if r, err = s.cmd(s.timeout.command, "HELO %s", name); err != nil {
		return err
	}
	if r.Code != 250 {
		return s.status(r, "HELO")
	}
	s.ext = map[string]string{}
	return nil
}

func (s *session) deadline(d time.Duration) {
	if d > 0 {
		s.nc.SetDeadline(time.Now().Add(d))
	} else {
		s.nc.SetDeadline(time.Time{})
	}
}

// cmd sends one command and reads its reply.
func (s *session) cmd(timeout time.Duration, format string, args ...any) (reply, error) {
	s.deadline(timeout)
	if err := s.tp.PrintfLine(format, args...); err != nil {
		return reply{}, connError(s.host, s.addr, "sending "+verb(format), err)
	}
	r, err := readReply(&s.tp.Reader)
	if err != nil {
		return reply{}, connError(s.host, s.addr, "reading the reply to "+verb(format), err)
	}
	return r, nil
}

// early marks a connection failure as one before MAIL FROM was answered.
func early(err error) error {
	var b *brokenError
	if errors.As(err, &b) {
		b.early = true
	}
	return err
}

func verb(format string) string {
	v, _, _ := strings.Cut(format, " ")
	return strings.TrimSuffix(v, ":")
}

// transaction is one message for one recipient.
type transaction struct {
	from, to string
	raw      []byte
}

// send runs MAIL, RCPT and DATA for t. With PIPELINING (RFC 2920) the
// three commands go in one write and their replies are read in order;
// without it each waits for its reply. It returns the server's status
// for a refusal, or a connection error.
func (s *session) send(ctx context.Context, t transaction) error {
	stop := context.AfterFunc(ctx, func() { s.nc.Close() })
	defer stop()
	raw := crlfOnly(t.raw)
	mail := "MAIL FROM:<" + t.from + ">"
	if _, ok := s.ext["SIZE"]; ok {
		mail += " SIZE=" + strconv.Itoa(len(raw))
	}
	if message.Has8Bit(raw) {
		if _, ok := s.ext["8BITMIME"]; !ok {
			// RFC 6152 3: 8-bit data only to a server that says it takes
			// it; msyshost does not convert.
			return &status.Error{Protocol: status.SMTP, Code: 554, Enhanced: "5.6.3", Component: s.component(),
				Text: "the message holds 8-bit data and the server does not offer 8BITMIME"}
		}
		mail += " BODY=8BITMIME"
	}
	if !isASCII(t.from) || !isASCII(t.to) {
		if _, ok := s.ext["SMTPUTF8"]; !ok {
			return &status.Error{Protocol: status.SMTP, Code: 553, Enhanced: "5.6.7", Component: s.component(),
				Text: "the envelope holds non-ASCII addresses and the server does not offer SMTPUTF8"}
		}
		mail += " SMTPUTF8"
	}
	rcpt := "RCPT TO:<" + t.to + ">"
	var replies [3]reply
	if _, ok := s.ext["PIPELINING"]; ok {
		s.deadline(s.timeout.command)
		w := s.tp.Writer.W
		for _, c := range []string{mail, rcpt, "DATA"} {
			w.WriteString(c + "\r\n")
		}
		if err := w.Flush(); err != nil {
			return early(connError(s.host, s.addr, "sending MAIL, RCPT and DATA", err))
		}
		for i, v := range []string{"MAIL", "RCPT", "DATA"} {
			r, err := readReply(&s.tp.Reader)
			if err != nil {
				err = connError(s.host, s.addr, "reading the reply to "+v, err)
				if i == 0 {
					err = early(err)
				}
				return err
			}
			replies[i] = r
		}
	} else {
		for i, c := range []string{mail, rcpt, "DATA"} {
			r, err := s.cmd(s.timeout.command, "%s", c)
			if err != nil {
				if i == 0 {
					err = early(err)
				}
				return err
			}
			replies[i] = r
			if r.Code/100 != 2 && r.Code != 354 {
				break
			}
		}
	}
	switch {
	case replies[0].Code != 250:
		return s.abandon(replies[2], s.status(replies[0], "MAIL FROM"))
	case replies[1].Code != 250 && replies[1].Code != 251:
		return s.abandon(replies[2], s.status(replies[1], "RCPT TO"))
	case replies[2].Code != 354:
		return s.status(replies[2], "DATA")
	}
	s.deadline(s.timeout.body)
	w := s.tp.DotWriter()
	if _, err := w.Write(raw); err != nil {
		return connError(s.host, s.addr, "sending the message", err)
	}
	if err := w.Close(); err != nil {
		return connError(s.host, s.addr, "sending the message", err)
	}
	r, err := readReply(&s.tp.Reader)
	if err != nil {
		return connError(s.host, s.addr, "reading the reply to the message", err)
	}
	if r.Code != 250 {
		return s.status(r, "end of data")
	}
	return nil
}

// abandon returns refusal, first ending a DATA a server wrongly accepted
// after refusing MAIL or RCPT (RFC 2920 3.1) with an empty message.
func (s *session) abandon(data reply, refusal error) error {
	if data.Code == 354 {
		s.deadline(s.timeout.body)
		s.tp.PrintfLine(".")
		readReply(&s.tp.Reader)
	}
	return refusal
}

// reset ends a failed transaction so the connection can carry the next.
func (s *session) reset() error {
	r, err := s.cmd(s.timeout.command, "RSET")
	if err != nil {
		return err
	}
	if r.Code != 250 {
		return s.status(r, "RSET")
	}
	return nil
}

// quit says goodbye and closes, without waiting long for the reply.
func (s *session) quit() {
	s.deadline(2 * time.Second)
	s.tp.PrintfLine("QUIT")
	readReply(&s.tp.Reader)
	s.nc.Close()
}

func (s *session) close() { s.nc.Close() }

func (s *session) component() string {
	return fmt.Sprintf("smtp out %s [%s]", s.host, s.addr)
}

// status maps a refusal to the status the spool reads: 4xx temporary,
// 5xx permanent, the server's enhanced code and text kept.
func (s *session) status(r reply, after string) *status.Error {
	return &status.Error{
		Protocol:  status.SMTP,
		Code:      r.Code,
		Enhanced:  r.Enhanced,
		Text:      strings.ReplaceAll(r.Text, "\n", " "),
		Temporary: r.Code/100 != 5,
		Component: s.component() + " after " + after,
	}
}

// connError is a network failure talking to a server: temporary, 4.4.1
// when it could not be reached, 4.4.2 when the connection broke.
func connError(host, addr, doing string, err error) error {
	enh, text := "4.4.2", "connection to "+host+" broke while "+doing
	if doing == "connecting" {
		enh, text = "4.4.1", "no answer from "+host
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		text = "timed out " + doing + " with " + host
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		text = host + " closed the connection while " + doing
	}
	return &brokenError{st: &status.Error{Protocol: status.SMTP, Code: 451, Enhanced: enh, Text: text, Temporary: true,
		Component: fmt.Sprintf("smtp out %s [%s]", host, addr), Err: err}}
}

// crlfOnly ends every line with CRLF: a bare CR becomes CRLF before the
// message is dot-stuffed, so "\r.\r\n" inside it cannot end the message
// early at a server that takes a bare CR for a line end (SMTP smuggling).
// Bare LFs are the dot writer's to fix. Without a bare CR, raw is returned
// as it is.
func crlfOnly(raw []byte) []byte {
	bare := func(i int) bool { return raw[i] == '\r' && (i+1 == len(raw) || raw[i+1] != '\n') }
	first := -1
	for i := range raw {
		if bare(i) {
			first = i
			break
		}
	}
	if first < 0 {
		return raw
	}
	out := make([]byte, 0, len(raw)+16)
	out = append(out, raw[:first]...)
	for i := first; i < len(raw); i++ {
		out = append(out, raw[i])
		if bare(i) {
			out = append(out, '\n')
		}
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
