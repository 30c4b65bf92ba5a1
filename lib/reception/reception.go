// Package reception is SMTP reception policy as Momentum runs it: the
// scripts' validate_* hooks on every session of SMTP in (lib/smtpserver),
// in Momentum's order and with its argument orders: validate_connect(ac,
// vctx), validate_ehlo(str, ac, vctx), validate_mailfrom(str, ac, vctx),
// validate_rcptto(msg, str, ac, vctx) per recipient, validate_data,
// validate_data_spool and validate_data_spool_each_rcpt(msg, ac, vctx),
// validate_set_binding(msg), core_final_validation(msg, ac, vctx), and
// validate_dealloc() when the session ends. It reaches Lua only through
// luahost's Host API, passing Go values the class registry converts
// (core.Accept, core.Vctx, core.ECString, *message.Message).
//
// What a hook returns decides (Momentum's scriptlet chapter): VALIDATE_CONT
// lets the rest of the phase run, VALIDATE_DONE ends the phase,
// VALIDATE_AGAIN calls the same module again after a pause (bounded). The
// reply a script set with vctx:set_code answers the command once the phase
// ends; a 4xx or 5xx refuses. A hook that raises, returns nil or anything
// but a VALIDATE_* code, or runs past its deadline answers 421 4.3.0 and
// closes the connection: no message is accepted that policy did not see.
package reception

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"msyshost/lib/hook"
	"msyshost/lib/message"
	"msyshost/lib/msys/audit"
	"msyshost/lib/msys/core"
	"msyshost/lib/smtpserver"
	"msyshost/lib/status"
	"msyshost/luahost"
)

// The hooks reception calls, in phase order.
const (
	HookConnect     = "validate_connect"
	HookEhlo        = "validate_ehlo"
	HookMailFrom    = "validate_mailfrom"
	HookRcptTo      = "validate_rcptto"
	HookData        = "validate_data"
	HookDataSpool   = "validate_data_spool"
	HookEachRcpt    = "validate_data_spool_each_rcpt"
	HookSetBinding  = "validate_set_binding"
	HookFinal       = "core_final_validation"
	HookDealloc     = "validate_dealloc"
	protocolESMTP   = core.PESMTP
	temporaryIssue  = "temporary issue, please retry your message later"
	undecidedPrefix = "policy did not decide"
)

func init() {
	hook.CalledBy("smtp reception", HookConnect, HookEhlo, HookMailFrom, HookRcptTo, HookData, HookDataSpool,
		HookEachRcpt, HookSetBinding, HookFinal, HookDealloc)
}

// Policy runs the validate_* hooks; it is SMTP in's smtpserver.Policy.
type Policy struct {
	Host *luahost.Host
	Log  *slog.Logger
	// Hostname goes in the 421 of a failed hook, as Momentum's.
	Hostname string
	// Observe, when set, sees every dispatch and its result (scenarios).
	Observe func(hook string, args []any, res luahost.Result)
	// Auditor, when inbound_audit is configured, counts the connections,
	// messages received and refusals per client and the SMTP sessions
	// open now (msys.audit, ac:inbound_session_count).
	Auditor *audit.Auditor
}

var (
	_ smtpserver.Policy = (*Policy)(nil)
	_ smtpserver.Ender  = (*Policy)(nil)
)

// conn is what reception keeps for one SMTP connection.
type conn struct {
	mu   sync.Mutex // a phase, or End at shutdown
	lua  *luahost.Session
	ac   *core.Accept
	vctx *core.Vctx // the session's: its Msg is the transaction's message
	// tx is the message of the transaction the script has seen so far:
	// the one made at MAIL FROM, then smtpserver's from the first RCPT.
	tx      *message.Message
	tarpit  time.Duration // held so far
	audited bool          // counted as an open session
	// ended: End ran; a phase after it (a command go-smtp read from its
	// buffer after the connection closed) runs no hook and is refused.
	ended    bool
	messages int
	rcpts    int // RCPTs on the connection
	txRcpts  int // RCPTs since MAIL FROM
}

func (p *Policy) state(c *smtpserver.Conn) *conn {
	if st, ok := c.PolicyState.(*conn); ok {
		return st
	}
	st := &conn{lua: p.Host.NewSession(), ac: &core.Accept{Protocol: protocolESMTP}}
	st.vctx = core.NewVctx(nil)
	c.PolicyState = st
	return st
}

// sync copies what the session learnt into the accept construct and the
// connection context.
func (st *conn) sync(c *smtpserver.Conn) {
	st.ac.RemoteAddr, st.ac.LocalAddr = c.Remote.String(), c.Local.String()
	st.ac.Ehlo, st.ac.AuthUser, st.ac.TLS = c.Helo, c.AuthUser, c.TLS
	// msg.recv_method and ac.protocol: ESMTP, SMTP after a HELO.
	st.ac.Protocol = core.PESMTP
	c.Context[core.KeyRecvMethod] = "esmtp"
	if c.HELO {
		st.ac.Protocol = core.PSMTP
		c.Context[core.KeyRecvMethod] = "smtp"
	}
	if c.CanRelay {
		c.Context["can_relay"] = "true"
	} else {
		delete(c.Context, "can_relay")
	}
	if c.TLS {
		c.Context["tls"] = "true"
	} else {
		delete(c.Context, "tls")
	}
}

// relay takes back what the script left in can_relay (VCTX_CONN): a
// policy grants relaying by setting it, withdraws it by unsetting it or
// setting "false" or "0".
func relay(c *smtpserver.Conn) {
	v, ok := c.Context["can_relay"]
	c.CanRelay = ok && v != "" && v != "false" && v != "0"
}

// Connect runs validate_connect(ac, vctx).
func (p *Policy) Connect(ctx context.Context, c *smtpserver.Conn) error {
	st := p.state(c)
	st.mu.Lock()
	defer st.mu.Unlock()
	c.Context[message.KeyReceptionPeer] = c.Remote.String()
	c.Context[message.KeyListenerAddr] = c.Local.String()
	st.vctx.Msg.ConnContext = c.Context
	st.sync(c)
	if p.Auditor != nil {
		st.audited = true
		p.Auditor.SessionOpened(auditService, c.Remote.Addr().Unmap())
		p.Auditor.Record(audit.Connection, c.Remote.Addr().Unmap())
	}
	return p.audit(c, p.run(ctx, c, st, HookConnect, st.vctx, st.ac, st.vctx))
}

// auditService is the service SMTP sessions count under
// (ac:inbound_session_count's default).
const auditService = "SMTP"

// audit counts a refusal, and passes it on.
func (p *Policy) audit(c *smtpserver.Conn, err error) error {
	if err != nil && p.Auditor != nil {
		p.Auditor.Record(audit.Rejection, c.Remote.Addr().Unmap())
	}
	return err
}

// Ehlo runs validate_ehlo(str, ac, vctx); str is the name the client gave.
func (p *Policy) Ehlo(ctx context.Context, c *smtpserver.Conn, name string) error {
	st := p.state(c)
	st.mu.Lock()
	defer st.mu.Unlock()
	c.Context["ehlo_domain"] = name
	c.Context["ehlo_string"] = "EHLO " + name
	// A greeting (again, or after STARTTLS) starts over: no transaction,
	// so no message context of an earlier one (RFC 5321 4.1.4).
	st.tx, st.vctx.Msg = nil, core.NewVctx(nil).Msg
	st.vctx.Msg.ConnContext = c.Context
	st.sync(c)
	return p.audit(c, p.run(ctx, c, st, HookEhlo, st.vctx, str(name), st.ac, st.vctx))
}

// MailFrom runs validate_mailfrom(str, ac, vctx) on a new transaction:
// str is the sender's address ("" for the null sender); what the script
// sets in VCTX_MESS is the message's context from here on.
func (p *Policy) MailFrom(ctx context.Context, c *smtpserver.Conn, from string) error {
	st := p.state(c)
	st.mu.Lock()
	defer st.mu.Unlock()
	tx := message.New()
	tx.MailFrom, tx.ConnID, tx.ConnContext = from, c.ID, c.Context
	local, domain := splitAddr(from)
	tx.Context["mailfrom_string"] = "MAIL FROM:<" + from + ">"
	tx.Context["mailfrom_localpart"], tx.Context["mailfrom_domain"] = local, domain
	st.tx, st.vctx.Msg, st.vctx.Recipients = tx, tx, nil
	st.messages++
	st.txRcpts = 0
	c.Context["connection_message_count"] = strconv.Itoa(st.messages)
	st.sync(c)
	return p.audit(c, p.run(ctx, c, st, HookMailFrom, st.vctx, str(from), st.ac, st.vctx))
}

// RcptTo runs validate_rcptto(msg, str, ac, vctx); msg:rcptto() is the
// recipient asked about while it runs.
func (p *Policy) RcptTo(ctx context.Context, c *smtpserver.Conn, m *message.Message, rcpt string) error {
	st := p.state(c)
	st.mu.Lock()
	defer st.mu.Unlock()
	st.adopt(m)
	st.rcpts++
	st.txRcpts++
	c.Context["connection_rcpt_count"] = strconv.Itoa(st.rcpts)
	c.Context["message_rcpt_count"] = strconv.Itoa(st.txRcpts)
	setRcptVars(m, rcpt)
	prev := m.RcptTo
	m.RcptTo = rcpt
	defer func() { m.RcptTo = prev }()
	st.sync(c)
	return p.audit(c, p.withRecipients(c, st, func() error {
		return p.run(ctx, c, st, HookRcptTo, st.vctx, m, str(rcpt), st.ac, st.vctx)
	}))
}

// lastRcptVars sets the recipient variables of the transaction's message
// to its last recipient accepted (they were a refused one's, the RCPT
// asked about last), or none.
func lastRcptVars(c *smtpserver.Conn, m *message.Message) {
	if len(c.Rcpts) > 0 {
		setRcptVars(m, c.Rcpts[len(c.Rcpts)-1])
		return
	}
	for _, k := range []string{"rcptto_string", "rcptto_localpart", "rcptto_domain"} {
		delete(m.Context, k)
	}
}

// adopt makes m, smtpserver's message of the transaction, the one the
// script sees, with what the script set in the message context so far.
func (st *conn) adopt(m *message.Message) {
	if st.tx == m {
		return
	}
	if st.tx != nil {
		for k, v := range st.tx.Context {
			if _, set := m.Context[k]; !set {
				m.Context[k] = v
			}
		}
		m.Priority, m.Binding, m.BindingGroup, m.RoutingDomain = st.tx.Priority, st.tx.Binding, st.tx.BindingGroup, st.tx.RoutingDomain
		if st.tx.Discarded {
			m.Discard(st.tx.Code)
		}
	}
	st.tx, st.vctx.Msg = m, m
}

// withRecipients lets the phase's script see and change the transaction's
// recipient list (msys.extended.vctx): an address it adds passes the
// checks of RCPT TO, and the edits hold only when the phase accepts.
func (p *Policy) withRecipients(c *smtpserver.Conn, st *conn, run func() error) error {
	st.vctx.Recipients = append([]string{}, c.Rcpts...)
	st.vctx.CheckRecipient = c.CheckRecipient
	err := run()
	if err == nil {
		c.Rcpts = st.vctx.Recipients
	} else if !slices.Equal(c.Rcpts, st.vctx.Recipients) {
		p.Log.Info("reception: recipient list edits of a refused phase dropped", "conn", c.ID, "recipients", st.vctx.Recipients)
	}
	st.vctx.Recipients, st.vctx.CheckRecipient = nil, nil
	return err
}

// Data runs validate_data(msg, ac, vctx).
func (p *Policy) Data(ctx context.Context, c *smtpserver.Conn, m *message.Message) error {
	return p.message(ctx, c, m, HookData)
}

// DataSpool runs validate_data_spool(msg, ac, vctx).
func (p *Policy) DataSpool(ctx context.Context, c *smtpserver.Conn, m *message.Message) error {
	return p.message(ctx, c, m, HookDataSpool)
}

func (p *Policy) message(ctx context.Context, c *smtpserver.Conn, m *message.Message, name string) error {
	st := p.state(c)
	st.mu.Lock()
	defer st.mu.Unlock()
	st.adopt(m)
	lastRcptVars(c, m)
	st.sync(c)
	err := p.audit(c, p.withRecipients(c, st, func() error {
		return p.run(ctx, c, st, name, st.vctx, m, st.ac, st.vctx)
	}))
	if err == nil && name == HookDataSpool && p.Auditor != nil {
		// The message passed the phases that judge it whole: received.
		p.Auditor.Record(audit.Reception, c.Remote.Addr().Unmap())
	}
	return err
}

// DataSpoolEachRcpt runs validate_data_spool_each_rcpt(msg, ac, vctx) on
// one recipient's copy, which is what is queued: edits made here are
// queued. Its vctx reads and writes that copy's context.
func (p *Policy) DataSpoolEachRcpt(ctx context.Context, c *smtpserver.Conn, m *message.Message) error {
	return p.copy(ctx, c, m, HookEachRcpt, true)
}

// SetBinding runs validate_set_binding(msg), where msg:binding and
// msg:binding_group choose the binding; only CONT and DONE are valid.
func (p *Policy) SetBinding(ctx context.Context, c *smtpserver.Conn, m *message.Message) error {
	return p.copy(ctx, c, m, HookSetBinding, false)
}

// FinalValidation runs core_final_validation(msg, ac, vctx).
func (p *Policy) FinalValidation(ctx context.Context, c *smtpserver.Conn, m *message.Message) error {
	return p.copy(ctx, c, m, HookFinal, true)
}

func (p *Policy) copy(ctx context.Context, c *smtpserver.Conn, m *message.Message, name string, withCtx bool) error {
	st := p.state(c)
	st.mu.Lock()
	defer st.mu.Unlock()
	setRcptVars(m, m.RcptTo)
	v := core.NewVctx(m)
	v.Recipients, v.RcptListFinal = append([]string{}, c.Rcpts...), true
	st.sync(c)
	if !withCtx {
		return p.audit(c, p.run(ctx, c, st, name, v, m))
	}
	return p.audit(c, p.run(ctx, c, st, name, v, m, st.ac, v))
}

// End runs validate_dealloc() in the modules that ran on the connection.
func (p *Policy) End(ctx context.Context, c *smtpserver.Conn) {
	st, ok := c.PolicyState.(*conn)
	if !ok {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.ended {
		return
	}
	st.ended = true
	if st.audited {
		p.Auditor.SessionClosed(auditService, c.Remote.Addr().Unmap())
	}
	res := st.lua.Close(ctx)
	if len(res.Calls) > 0 {
		p.observe(HookDealloc, nil, res.Result)
	}
}

func (p *Policy) observe(name string, args []any, res luahost.Result) {
	if p.Observe != nil {
		p.Observe(name, args, res)
	}
}

// str is a hook's str argument: an ec_string, which behaves as a string
// under tostring, .. and #.
func str(s string) *core.ECString { return &core.ECString{B: []byte(s)} }

// setRcptVars sets the recipient variables of Momentum's message context.
func setRcptVars(m *message.Message, rcpt string) {
	local, domain := splitAddr(rcpt)
	m.Context["rcptto_string"] = "RCPT TO:<" + rcpt + ">"
	m.Context["rcptto_localpart"], m.Context["rcptto_domain"] = local, domain
}

func splitAddr(addr string) (local, domain string) {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[:i], addr[i+1:]
	}
	return addr, ""
}

// maxTarpit bounds the hold of a whole session (vctx:tarpit), so a script
// cannot keep a connection forever.
const maxTarpit = 5 * time.Minute

func (p *Policy) hold(ctx context.Context, c *smtpserver.Conn, st *conn, name string, v *core.Vctx) {
	d := min(v.Tarpit, maxTarpit-st.tarpit)
	v.Tarpit = 0
	if d <= 0 {
		return
	}
	st.tarpit += d
	p.Log.Info("reception: reply held by vctx:tarpit", "hook", name, "held", d, "conn", c.ID)
	wait(ctx, d)
}

// reply is the refusal for the reply a script set (vctx:set_code), or
// nil for a 2xx. An RFC 3463 enhanced code of the reply's class at the
// start of the text is its enhanced code, taken off every line that
// starts with it.
func reply(code int, text string) error {
	if code < 400 {
		return nil
	}
	enh, text := splitEnhanced(code, text)
	return &status.Error{Protocol: status.Policy, Code: code, Enhanced: enh, Text: text, Temporary: code < 500}
}

func splitEnhanced(code int, text string) (enhanced, rest string) {
	first, _, _ := strings.Cut(text, "\n")
	f := strings.Fields(first)
	if len(f) == 0 || !status.ValidEnhanced(f[0], code) {
		return "", text
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if r, ok := strings.CutPrefix(l, f[0]); ok && (r == "" || r[0] == ' ') {
			lines[i] = strings.TrimSpace(r)
		}
	}
	return f[0], strings.Join(lines, "\n")
}

func (p *Policy) failure(c *smtpserver.Conn) error {
	c.Disconnect = true
	text := temporaryIssue
	if p.Hostname != "" {
		text = p.Hostname + " " + text
	}
	return status.Temporaryf(status.Policy, 421, "4.3.0", "%s", text)
}

// undecided answers a phase whose module asked VALIDATE_AGAIN too often:
// 451 4.3.0, or 421 at connect, which closes.
func undecided(c *smtpserver.Conn, name, module string, calls int) error {
	code := 451
	if name == HookConnect {
		code = 421
		c.Disconnect = true
	}
	return status.Temporaryf(status.Policy, code, "4.3.0", "%s (module %s returned VALIDATE_AGAIN %d times in %s); try again later", undecidedPrefix, module, calls, name)
}

func describe(c luahost.HookCall) string {
	if c.Err != "" {
		return c.Err
	}
	return c.Returned.String()
}
