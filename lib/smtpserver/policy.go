package smtpserver

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/emersion/go-smtp"

	"msyshost/lib/message"
)

// Conn is what a policy sees of one SMTP connection. Phases run on the
// connection's own goroutine, one at a time, so a policy may change it
// (CanRelay, Context) without locking.
type Conn struct {
	ID     string
	Remote netip.AddrPort
	Local  netip.AddrPort
	// Helo is the name the client gave in EHLO or HELO.
	Helo string
	// HELO says the client greeted with HELO (plain SMTP, RFC 5321
	// 4.1.1.1) rather than EHLO; the policy may read it from the Ehlo
	// phase on.
	HELO bool
	TLS  bool
	// AuthUser is the user SMTP AUTH authenticated, "" before.
	AuthUser string
	// CanRelay says the client may send to any domain: a Relay_Hosts
	// address, Open_Relay, an authenticated user, or a policy's say
	// (Momentum's can_relay).
	CanRelay bool
	// Context is the connection context (ECMESS_CTX_CONN); every message
	// of the connection shares it.
	Context map[string]string
	// Rcpts are the transaction's accepted recipients, from the first
	// RCPT on. A policy may change the list up to the data_spool phase
	// (Momentum's vctx:add_recipient); one copy per recipient is queued.
	Rcpts []string
	// Disconnect, set by a policy that refuses, closes the connection
	// right after the refusal's reply (Momentum's vctx:disconnect). No
	// further command of the client reaches the policy.
	Disconnect bool
	// PolicyState is the policy's own state for the connection.
	PolicyState any

	// recipient is the listener's check of a recipient against its
	// Relay_Domains and Max_Recipients_Per_Message.
	recipient func(c *Conn, addr string, have int) error
}

// CheckRecipient refuses an address a policy would add to the
// transaction's recipients (Momentum's vctx:add_recipient) as RCPT TO
// refuses it: a control character, space or angle bracket (501 5.1.3), no
// domain (501 5.1.3), relaying denied (550 5.7.1), or have recipients on
// the list already, Max_Recipients_Per_Message (452 4.5.3).
// The error reads as the reply RCPT TO would have had.
func (c *Conn) CheckRecipient(addr string, have int) error {
	err := checkAddress(addr)
	if err == nil && c.recipient != nil {
		err = c.recipient(c, addr, have)
	}
	var r *smtp.SMTPError
	if errors.As(err, &r) {
		return replyError{r}
	}
	return err
}

// replyError is an SMTP reply as an error that reads as the reply.
type replyError struct{ r *smtp.SMTPError }

func (e replyError) Error() string {
	return fmt.Sprintf("%d %s %s", e.r.Code, enhancedString(e.r.EnhancedCode), e.r.Message)
}

func (e replyError) Unwrap() error { return e.r }

// Policy is asked at each phase of an SMTP session, in Momentum's order
// (connect, ehlo, mailfrom, rcptto, data, data_spool,
// data_spool_each_rcpt, set_binding, final_validation), with the state so
// far. A nil error accepts. An error refuses: a *status.Error with an SMTP
// code gives the reply (Momentum's vctx:set_code), any other error 451
// 4.3.0. A phase may also change the message (headers, context, routing
// domain, binding) or discard it (m.Discarded: answered 250, not queued).
// A temporary refusal of one recipient's copy after DATA refuses the
// whole message (SMTP has one reply to DATA; the client tries every
// recipient again); a permanent one refuses that recipient, who is
// bounced when others were accepted.
//
// The message of rcptto, data and data_spool is the transaction's, with
// the envelope so far (RcptTo is the first recipient); data_spool_each_rcpt,
// set_binding and final_validation see each recipient's own copy, which is
// what is queued.
type Policy interface {
	Connect(ctx context.Context, c *Conn) error
	Ehlo(ctx context.Context, c *Conn, name string) error
	MailFrom(ctx context.Context, c *Conn, from string) error
	RcptTo(ctx context.Context, c *Conn, m *message.Message, rcpt string) error
	Data(ctx context.Context, c *Conn, m *message.Message) error
	DataSpool(ctx context.Context, c *Conn, m *message.Message) error
	DataSpoolEachRcpt(ctx context.Context, c *Conn, m *message.Message) error
	SetBinding(ctx context.Context, c *Conn, m *message.Message) error
	FinalValidation(ctx context.Context, c *Conn, m *message.Message) error
}

// Ender is a Policy that wants to know when a connection ends, however it
// ends (QUIT, the client leaving, a refusal, shutdown): End runs once, after
// the last phase, to release what the policy kept for the connection
// (Momentum's validate_dealloc).
type Ender interface {
	End(ctx context.Context, c *Conn)
}

// AcceptAll is the policy without scripts: every phase accepts. Embed it
// to implement only some phases.
type AcceptAll struct{}

var _ Policy = AcceptAll{}

func (AcceptAll) Connect(context.Context, *Conn) error                             { return nil }
func (AcceptAll) Ehlo(context.Context, *Conn, string) error                        { return nil }
func (AcceptAll) MailFrom(context.Context, *Conn, string) error                    { return nil }
func (AcceptAll) RcptTo(context.Context, *Conn, *message.Message, string) error    { return nil }
func (AcceptAll) Data(context.Context, *Conn, *message.Message) error              { return nil }
func (AcceptAll) DataSpool(context.Context, *Conn, *message.Message) error         { return nil }
func (AcceptAll) DataSpoolEachRcpt(context.Context, *Conn, *message.Message) error { return nil }
func (AcceptAll) SetBinding(context.Context, *Conn, *message.Message) error        { return nil }
func (AcceptAll) FinalValidation(context.Context, *Conn, *message.Message) error   { return nil }
