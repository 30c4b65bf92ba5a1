package smtpserver

import (
	"bytes"
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"msyshost/lib/message"
	"msyshost/lib/spool"
	"msyshost/lib/status"
)

// session is one EHLO..QUIT of a connection, as go-smtp drives it; a
// STARTTLS starts a new one on the same connection.
type session struct {
	l    *listener
	c    *smtp.Conn
	cc   *clientConn
	st   *Conn
	m    *message.Message // the transaction, from MAIL FROM
	size int64            // the SIZE MAIL FROM declared, 0 when none
	// greeting is the policy's refusal of a greeting after the first
	// (see Reset), which answers MAIL FROM until a greeting it accepts.
	greeting error
	// greets is how many greeting lines the policy has been asked about
	// (clientConn.greets when it last was).
	greets int
}

var (
	_ smtp.Session     = (*session)(nil)
	_ smtp.AuthSession = (*session)(nil)
)

// newSession runs at EHLO/HELO: the policy's ehlo phase.
func (l *listener) newSession(c *smtp.Conn) (smtp.Session, error) {
	cc := clientOf(c)
	if cc == nil {
		return nil, errors.New("connection of unknown type")
	}
	st := cc.state
	if st.Disconnect {
		// A greeting the client pipelined after policy disconnected it.
		return nil, errClosedByPolicy
	}
	st.Helo = c.Hostname()
	_, tlsOn := c.TLSConnectionState()
	if tlsOn && !st.TLS {
		// RFC 3207 4.2: what was learnt before STARTTLS is forgotten.
		st.AuthUser, st.CanRelay = "", cc.relayHost
		for _, k := range []string{"auth_user", "auth_name", "auth_status", "can_relay"} {
			delete(st.Context, k)
		}
		if tc, ok := c.Conn().(*tls.Conn); ok {
			cc.mu.Lock()
			cc.tls = tc
			cc.mu.Unlock()
		}
	}
	st.TLS = tlsOn
	if err := l.s.policy.Ehlo(l.s.ctx, st, st.Helo); err != nil {
		return nil, l.refuse(c, st, err)
	}
	return &session{l: l, c: c, cc: cc, st: st, greets: cc.greets}, nil
}

// refuse is the reply to a policy's refusal. When the policy asked to
// disconnect, the reply is written here and the connection closed: go-smtp
// then writes into a closed connection, and the commands the client
// pipelined after it reach no policy (closing reports them).
func (l *listener) refuse(c *smtp.Conn, st *Conn, err error) error {
	r := replyOf(err)
	if r.Code == 421 && !st.Disconnect {
		// RFC 5321 4.2.2 / 3.8: a 421 closes the connection, whether
		// or not the policy asked to disconnect.
		st.Disconnect = true
	}
	if st.Disconnect {
		closeWith(c, r)
		l.s.log.Info("smtp in: disconnected by policy", "conn", st.ID, "remote", st.Remote.String(), "reply", r.Code)
	}
	return r
}

// closeWith writes r to the client and closes the connection: go-smtp then
// writes its own reply into a closed connection.
func closeWith(c *smtp.Conn, r *smtp.SMTPError) {
	nc := c.Conn()
	nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	writeReply(nc, r)
	nc.Close()
}

// closing answers what a client sends after policy disconnected it (read
// from go-smtp's buffer, never from the connection).
func (s *session) closing() error {
	if s.st.Disconnect {
		return errClosedByPolicy
	}
	return nil
}

var errClosedByPolicy = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "connection closed by policy"}

func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	if err := s.closing(); err != nil {
		return err
	}
	if s.greeting != nil {
		return s.greeting
	}
	if err := s.l.s.policy.MailFrom(s.l.s.ctx, s.st, from); err != nil {
		return s.l.refuse(s.c, s.st, err)
	}
	m := message.New()
	m.MailFrom, m.ConnID, m.ConnContext = from, s.st.ID, s.st.Context
	s.m, s.st.Rcpts, s.size = m, nil, 0
	if opts != nil {
		s.size = opts.Size
	}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := s.closing(); err != nil {
		return err
	}
	if err := checkAddress(to); err != nil {
		return err
	}
	if s.size > 0 && s.size*int64(len(s.st.Rcpts)+1) > maxTransactionBytes {
		// Each recipient's copy may come to be its own (a policy edits
		// it): past this, the client sends the rest in another
		// transaction (RFC 5321 4.5.3.1.10).
		return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 5, 3}, Message: "Too many recipients for a message of this size"}
	}
	if len(s.st.Rcpts) == 0 {
		s.m.RcptTo = to
	}
	if err := s.l.s.policy.RcptTo(s.l.s.ctx, s.st, s.m, to); err != nil {
		return s.l.refuse(s.c, s.st, err)
	}
	if err := s.l.relay(s.st, to); err != nil {
		return err
	}
	s.st.Rcpts = append(s.st.Rcpts, to)
	return nil
}

// checkAddress refuses a recipient no RCPT TO could carry: one without a
// domain, or with a control character (CR and LF above all: an address a
// policy added goes into header fields and SMTP commands). Spaces and
// angle brackets can be in one (go-smtp unquotes a quoted local part).
func checkAddress(to string) error {
	if strings.ContainsFunc(to, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: fmt.Sprintf("recipient %q has a control character", to)}
	}
	if message.DomainOf(to) == "" {
		return &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "recipient <" + to + "> needs a domain"}
	}
	return nil
}

// relay refuses a recipient the client may not send to: another domain
// than Relay_Domains, unless the client may relay.
func (l *listener) relay(st *Conn, to string) error {
	if st.CanRelay || l.relayDomain(to) {
		return nil
	}
	l.s.log.Info("smtp in: relaying denied", "conn", st.ID, "remote", st.Remote.String(), "to", to)
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "relaying denied for <" + to + ">"}
}

// checkRecipient is Conn.CheckRecipient's listener part: relaying and
// Max_Recipients_Per_Message.
func (l *listener) checkRecipient(st *Conn, to string, have int) error {
	if err := l.relay(st, to); err != nil {
		return err
	}
	if l.cfg.MaxRecipients > 0 && have >= l.cfg.MaxRecipients {
		return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 5, 3}, Message: fmt.Sprintf("Maximum limit of %d recipients reached", l.cfg.MaxRecipients)}
	}
	return nil
}

// relayDomain reports a recipient domain of Relay_Domains ("*.x" matches
// the subdomains of x, not x itself, as Momentum's left globs).
func (l *listener) relayDomain(to string) bool {
	d := message.DomainOf(to)
	for _, r := range l.cfg.RelayDomains {
		if suffix, ok := strings.CutPrefix(r, "*"); ok {
			if strings.HasSuffix(d, suffix) && len(d) > len(suffix) {
				return true
			}
		} else if d == r {
			return true
		}
	}
	return false
}

// Data reads the message, runs the data phases and queues one copy per
// recipient in one transaction; only then does go-smtp answer 250. The
// copies share the bytes read (message.Clone) until a policy edits one.
func (s *session) Data(r io.Reader) error {
	if err := s.closing(); err != nil {
		return err
	}
	_, tlsOn := s.c.TLSConnectionState()
	s.cc.startData(s.l.cfg.DataTimeout, tlsOn)
	defer s.cc.endData()
	ctx, pol, m := s.l.s.ctx, s.l.s.policy, s.m
	m.BatchID = s.l.s.opts.Queue.NewID()
	raw, err := readMessage(r, s.received(m.BatchID), s.size, s.l.cfg.MaxMessageSize)
	var refusal *smtp.SMTPError
	switch {
	case errors.Is(err, errBareLineEndOfData):
		s.st.Disconnect = true // whatever go-smtp still has buffered reaches no policy
		closeWith(s.c, errBareLineEndOfData)
		s.l.s.log.Info("smtp in: message ended with a bare LF; refused, nothing queued, disconnected", "conn", s.st.ID, "remote", s.st.Remote.String())
		return errBareLineEndOfData
	case errors.As(err, &refusal):
		s.l.s.log.Info("smtp in: message refused; nothing queued", "conn", s.st.ID, "remote", s.st.Remote.String(), "reply", refusal.Error())
		return dataError(err, s.l.cfg.MaxLineLength)
	case err != nil:
		s.l.s.log.Info("smtp in: message not received in full; nothing queued", "conn", s.st.ID, "remote", s.st.Remote.String(), "error", err)
		return dataError(err, s.l.cfg.MaxLineLength)
	}
	m.AdoptRaw(raw)
	if err := pol.Data(ctx, s.st, m); err != nil {
		return s.l.refuse(s.c, s.st, err)
	}
	if err := pol.DataSpool(ctx, s.st, m); err != nil {
		return s.l.refuse(s.c, s.st, err)
	}
	if len(s.st.Rcpts) == 0 && !m.Discarded {
		// Policy removed every recipient (vctx:remove_recipient): RFC
		// 5321 3.3's answer to DATA without a valid recipient.
		s.l.s.log.Info("smtp in: no recipient left after policy; nothing queued", "batch", m.BatchID, "conn", s.st.ID)
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "No valid recipients"}
	}
	var accepted, dsns []*message.Message
	var refused []error
	for _, rcpt := range s.st.Rcpts {
		c := m.Clone()
		c.RcptTo, c.BatchID = rcpt, m.BatchID
		err := pol.DataSpoolEachRcpt(ctx, s.st, c)
		if err == nil {
			err = pol.SetBinding(ctx, s.st, c)
		}
		if err == nil {
			err = pol.FinalValidation(ctx, s.st, c)
		}
		if err != nil && (status.IsTemporary(err) || s.st.Disconnect) {
			// One reply answers DATA: a temporary refusal of any copy
			// refuses them all, and the client sends the message again.
			s.l.s.log.Info("smtp in: message refused for a recipient's temporary refusal; nothing queued", "batch", m.BatchID, "to", rcpt, "error", err)
			return s.l.refuse(s.c, s.st, err)
		}
		switch {
		case err != nil:
			refused = append(refused, err)
			if d, err := s.refusedBounce(ctx, c, err); err != nil {
				return replyOf(err)
			} else if d != nil {
				dsns = append(dsns, d)
			}
		case c.Discarded:
			s.l.s.log.Info("smtp in: discarded by policy", "batch", m.BatchID, "to", rcpt)
		default:
			accepted = append(accepted, c)
		}
	}
	if len(accepted) == 0 && len(refused) > 0 {
		return s.l.refuse(s.c, s.st, refused[0])
	}
	if len(accepted) > 0 {
		// The id the Received header names is the first copy's.
		accepted[0].ID = m.BatchID
	}
	if err := s.l.s.opts.Queue.Enqueue(ctx, append(accepted, dsns...)...); err != nil {
		s.l.s.log.Error("smtp in: message not queued; answered with a temporary failure", "batch", m.BatchID, "error", err)
		r := replyOf(err)
		if r.Code == 421 {
			s.cc.hangUp() // RFC 5321 3.8: a 421 closes the connection
		}
		return r
	}
	s.l.s.log.Info("smtp in: accepted", "batch", m.BatchID, "conn", s.st.ID, "from", m.MailFrom,
		"recipients", len(accepted), "refused", len(refused), "size", len(raw))
	return nil
}

// refusedBounce is the bounce owed for a recipient policy refused after
// DATA while others were accepted: rendered to go in the same transaction
// when the bouncer can, else sent now.
func (s *session) refusedBounce(ctx context.Context, c *message.Message, why error) (*message.Message, error) {
	b := s.l.s.opts.Bouncer
	if b == nil || c.MailFrom == "" || !s.l.cfg.BounceRejected {
		return nil, nil
	}
	r := replyOf(why)
	bn := spool.Bounce{To: c.MailFrom, Message: c, Reason: r.Message,
		Err: &status.Error{Protocol: status.Policy, Code: r.Code, Enhanced: enhancedString(r.EnhancedCode), Text: r.Message}}
	if rd, ok := b.(spool.Renderer); ok {
		return rd.Render(ctx, bn)
	}
	return nil, b.Bounce(ctx, bn)
}

// received is the trace header of RFC 5321 4.4, with the transaction id
// and RFC 3848's protocol names.
func (s *session) received(id string) []byte {
	proto := "ESMTP"
	if s.st.TLS {
		proto += "S"
	}
	if s.st.AuthUser != "" {
		proto += "A"
	}
	if s.st.HELO && proto == "ESMTP" {
		proto = "SMTP"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "Received: from %s ([%s])\r\n\tby %s (msyshost) with %s id %s", oneWord(s.st.Helo), s.st.Remote.Addr().Unmap(), s.l.s.opts.Hostname, proto, id)
	if len(s.st.Rcpts) == 1 {
		fmt.Fprintf(&b, "\r\n\tfor <%s>", s.st.Rcpts[0])
	}
	fmt.Fprintf(&b, ";\r\n\t%s\r\n", time.Now().Format(time.RFC1123Z))
	return b.Bytes()
}

func oneWord(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\r\n()") {
		return "unknown"
	}
	return s
}

// Reset ends the transaction: at RSET, after DATA, and at a greeting
// after the first (RFC 5321 4.1.4: EHLO again resets as RSET), for which
// go-smtp makes no new session. A greeting goes through the policy's ehlo
// phase here: go-smtp does not say which Reset is one, so it is one that
// comes with another name, or after a greeting line was read that the
// policy was not asked about (before STARTTLS; after it, the same name
// again keeps the last answer). go-smtp answers the greeting 250 whatever
// the policy says; a refusal answers the next MAIL FROM instead, or, when
// the policy disconnects, is the reply and the connection closes.
func (s *session) Reset() {
	s.m, s.st.Rcpts = nil, nil
	name := s.c.Hostname()
	if name == "" || s.st.Disconnect || name == s.st.Helo && s.cc.greets <= s.greets {
		return
	}
	s.st.Helo, s.greets = name, s.cc.greets
	s.greeting = nil
	if err := s.l.s.policy.Ehlo(s.l.s.ctx, s.st, name); err != nil {
		s.greeting = s.l.refuse(s.c, s.st, err)
		s.l.s.log.Info("smtp in: a second greeting refused by policy", "conn", s.st.ID, "remote", s.st.Remote.String(), "helo", name)
	}
}

func (s *session) Logout() error { return nil }

// AuthMechanisms offers AUTH over TLS or to a loopback client only: PLAIN
// and LOGIN send the password as it is.
func (s *session) AuthMechanisms() []string {
	if !s.authSafe() {
		return nil
	}
	return s.l.cfg.Mechanisms
}

// maxAuthFailures is how many failed AUTH attempts end a connection.
const maxAuthFailures = 3

func (s *session) authSafe() bool { return s.st.TLS || s.st.Remote.Addr().Unmap().IsLoopback() }

func (s *session) Auth(mech string) (sasl.Server, error) {
	if len(s.l.cfg.Mechanisms) > 0 && !s.authSafe() {
		return nil, &smtp.SMTPError{Code: 538, EnhancedCode: smtp.EnhancedCode{5, 7, 11}, Message: "Encryption required for requested authentication mechanism"}
	}
	if !slices.Contains(s.l.cfg.Mechanisms, mech) {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	verify := func(user, pass string) error {
		want, ok := s.l.cfg.Users[user]
		if !ok || subtle.ConstantTimeCompare([]byte(want), []byte(pass)) != 1 {
			s.l.s.log.Warn("smtp in: authentication failed", "conn", s.st.ID, "remote", s.st.Remote.String(), "user", user, "mechanism", mech)
			if s.cc.authFailures++; s.cc.authFailures >= maxAuthFailures {
				// Guessing passwords on one connection ends it.
				s.cc.hangUp()
				return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Too many failed authentication attempts, closing connection"}
			}
			return smtp.ErrAuthFailed
		}
		s.st.AuthUser, s.st.CanRelay = user, true
		s.st.Context["auth_user"], s.st.Context["auth_name"], s.st.Context["auth_status"] = user, mech, "ok"
		s.st.Context["can_relay"] = "true"
		return nil
	}
	if mech == "PLAIN" {
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			if identity != "" && identity != user {
				return smtp.ErrAuthFailed
			}
			return verify(user, pass)
		}), nil
	}
	return &loginServer{verify: verify}, nil
}

// loginServer is the server side of the LOGIN mechanism
// (draft-murchison-sasl-login): it asks for the user name, then the
// password; go-sasl has only the client side.
type loginServer struct {
	verify func(user, pass string) error
	state  int
	user   string
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch l.state {
	case 0:
		l.state = 1
		if resp == nil {
			return []byte("Username:"), false, nil
		}
		fallthrough
	case 1:
		l.user, l.state = string(resp), 2
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.verify(l.user, string(resp))
	}
}

// dataError answers a message that could not be read in full.
func dataError(err error, maxLine int) error {
	var se *smtp.SMTPError
	var ne net.Error
	switch {
	case errors.As(err, &se):
		return se // go-smtp's 552 5.3.4 for a message over Max_Message_Size
	case errors.Is(err, smtp.ErrTooLongLine):
		return &smtp.SMTPError{Code: 500, EnhancedCode: smtp.EnhancedCode{5, 5, 2}, Message: "line too long (the limit is " + strconv.Itoa(maxLine) + " bytes)"}
	case errors.As(err, &ne) && ne.Timeout():
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "Idle timeout, closing connection"}
	}
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "message not received in full"}
}

// replyOf is the SMTP reply of a refusal: its own for a go-smtp reply, a
// policy's code, or a spool failure (452 4.3.1 for a full disk); 451 4.3.0
// for anything that says nothing.
func replyOf(err error) *smtp.SMTPError {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se
	}
	code, enh, text := status.SMTPReply(err)
	if st, ok := status.Of(err); ok && st.Protocol == status.Spool && st.Code >= 400 && st.Code < 600 {
		code, enh = st.Code, st.Enhanced
	}
	if text == "" {
		text = "refused"
	}
	return &smtp.SMTPError{Code: code, EnhancedCode: parseEnhanced(enh, code), Message: text}
}

func parseEnhanced(s string, code int) smtp.EnhancedCode {
	if status.ValidEnhanced(s, code) {
		var e smtp.EnhancedCode
		for i, p := range strings.Split(s, ".") {
			e[i], _ = strconv.Atoi(p)
		}
		return e
	}
	return smtp.EnhancedCode{code / 100, 0, 0}
}

// writeReply writes r as go-smtp writes a reply: a multi-line text with
// the code on every line and the enhanced code on the last.
func writeReply(w io.Writer, r *smtp.SMTPError) {
	lines := strings.Split(strings.ReplaceAll(r.Message, "\r\n", "\n"), "\n")
	var b strings.Builder
	for _, l := range lines[:len(lines)-1] {
		fmt.Fprintf(&b, "%d-%s\r\n", r.Code, l)
	}
	fmt.Fprintf(&b, "%d %d.%d.%d %s\r\n", r.Code, r.EnhancedCode[0], r.EnhancedCode[1], r.EnhancedCode[2], lines[len(lines)-1])
	io.WriteString(w, b.String())
}

func enhancedString(e smtp.EnhancedCode) string {
	return fmt.Sprintf("%d.%d.%d", e[0], e[1], e[2])
}
