// Package message is the Lua module msys.extended.message: the msg methods
// of Momentum's ec_message (envelope, injection, headers, body, text, MIME
// tree, policy state) and the msgpart methods. The module adds methods
// only; require returns true.
//
// Where Momentum's documentation is silent or contradicts itself,
// msyshost chooses:
//   - msg:header(name, value) replaces by default (the page's prose and
//     msgpart:header), not appends (the page's example); msg:header(name,
//     nil) reads, msgpart:header(name, nil) unsets.
//   - Messages are kept without the SMTP end-of-data line and are never
//     dot-stuffed: msg:body() has no CRLF.CRLF (as in Momentum), a body set
//     with the terminator Momentum requires loses it, one set without is
//     taken as is. msg:text_replace on a single-part message lets a pattern
//     that matches the whole terminator line see it after the text, so
//     Momentum's documented disclaimer idiom works; any other pattern runs
//     over the text alone.
//   - MIME parts whose tree the message replaced (msg:raw(x), msg:body(x),
//     a re-parsed container's old children) are detached: reading them
//     works, editing them returns nil, "MIME part is detached from its
//     message". A part added to another message's tree joins that message;
//     the top of a message cannot be added anywhere.
//   - Text in a charset the host cannot convert (anything but UTF-8,
//     US-ASCII, ISO-8859-1, Windows-1252) is returned as its bytes.
//   - msg:binding and msg:binding_group check the name against the
//     configured bindings and binding groups (Config); msg:binding_group
//     picks the group's first binding (msyshost has no adaptive delivery
//     and no suspended bindings to prefer or avoid). Without a
//     configuration (msyshost lua) names are recorded as given.
//   - Phase restrictions (rcptto settable only from
//     validate_data_spool_each_rcpt, binding only in validate_set_binding,
//     no discard/code in set_binding) are not enforced: the host does not
//     track phases.
package message

import (
	"context"
	"errors"
	"fmt"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/msys/core"
	"msyshost/luahost"
)

// Config is the configuration in force, whose Binding and Binding_Group
// scopes msg:binding and msg:binding_group choose from (core.Config).
var Config = core.Config

func init() {
	luahost.Register(luahost.Binding{Name: "msys.extended.message", Open: open, Notes: map[string]string{
		"ec_message:binding":       "allowed in every phase",
		"ec_message:binding_group": "picks the group's first binding: no adaptive choice among the group's bindings",
		"ec_message:rcptto":        "settable in every phase, not only from validate_data_spool_each_rcpt on",
		"ec_message:discard":       "allowed in every phase, validate_set_binding included",
		"ec_message:code":          "allowed in every phase, validate_set_binding included",
		"ec_message:text":          "text in charsets other than UTF-8, US-ASCII, ISO-8859-1 and Windows-1252 comes back as its bytes",
		"ec_message:header":        "header(name, value) replaces by default (the doc's prose), not appends (its example)",
	}})
}

func open(L *lua.LState) lua.LValue {
	methods := core.MessageClass.Methods(L)
	luahost.SetFuncs(L, methods, map[string]lua.LGFunction{
		"mailfrom":       luahost.Method("mailfrom", mailfrom),
		"rcptto":         luahost.Method("rcptto", rcptto),
		"inject":         luahost.Method("inject", inject, luahost.Effect),
		"forward":        luahost.Method("forward", forward),
		"discard":        luahost.Method("discard", discard),
		"code":           luahost.Method("code", code),
		"binding":        luahost.Method("binding", binding),
		"binding_group":  luahost.Method("binding_group", bindingGroup),
		"get_envelope2":  luahost.Method("get_envelope2", getEnvelope2),
		"listener_addr":  luahost.Method("listener_addr", listenerAddr),
		"reception_peer": luahost.Method("reception_peer", receptionPeer),
	})
	openContent(L, methods)
	openMIME(L, methods)

	ro := func(get func(m *message.Message) string) func(*lua.LState, *message.Message) lua.LValue {
		return func(L *lua.LState, m *message.Message) lua.LValue { return lua.LString(get(m)) }
	}
	core.MessageClass.Field(L, "id", ro(func(m *message.Message) string { return m.ID }), nil)
	core.MessageClass.Field(L, "conn_id", ro(func(m *message.Message) string { return m.ConnID }), nil)
	core.MessageClass.Field(L, "batch_id", ro(func(m *message.Message) string { return m.BatchID }), nil)
	core.MessageClass.Field(L, "priority", getPriority, setPriority)
	return nil
}

// msg.priority → 0 or 1.
func getPriority(L *lua.LState, m *message.Message) lua.LValue {
	return lua.LNumber(m.Priority)
}

// msg.priority = n: a one-bit field, as Momentum's, so only
// the lowest bit of n is kept; 1 makes the message leave its queue first.
func setPriority(L *lua.LState, m *message.Message, v lua.LValue) {
	n, ok := v.(lua.LNumber)
	if !ok {
		L.RaiseError("msg.priority must be a number (0 or 1), got %s", v.Type().String())
		return
	}
	m.Priority = int(n) & 1
}

// msg:mailfrom([addr]) → the envelope sender, set to addr first
// when it is given; an address with a line break is a bad argument.
func mailfrom(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	if !a.IsNone(2) {
		m.MailFrom = address(a, 2)
	}
	return a.Push(lua.LString(m.MailFrom))
}

// msg:rcptto([addr]) → the envelope recipient, set to addr first
// when it is given; an address with a line break is a bad argument.
func rcptto(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	if !a.IsNone(2) {
		m.RcptTo = address(a, 2)
	}
	return a.Push(lua.LString(m.RcptTo))
}

// address returns argument n as an envelope address.
func address(a luahost.Args, n int) string {
	s := a.String(n)
	if err := message.CheckAddress(s); err != nil {
		a.Error(n, err.Error())
	}
	return s
}

// splitRcpts splits a comma-separated recipient list.
func splitRcpts(s string) []string {
	var out []string
	for _, r := range strings.Split(s, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

var errNoInjector = errors.New("no injector: this host cannot send messages")

// injectCopies sends a copy of m from mailfrom to every recipient of the
// list, each with its own envelope and fresh policy state. Every address
// is checked before the first copy goes; when the injector fails after
// taking some copies, the error says how many.
func injectCopies(L *lua.LState, m *message.Message, from, to string) error {
	rcpts := splitRcpts(to)
	if len(rcpts) == 0 {
		return errors.New("no recipients")
	}
	for _, addr := range append([]string{from}, rcpts...) {
		if err := message.CheckAddress(addr); err != nil {
			return err
		}
	}
	inj, ok := core.Injector.Get(L)
	if !ok || inj == nil {
		return errNoInjector
	}
	ctx := L.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	for i, r := range rcpts {
		c := m.Clone()
		c.MailFrom, c.RcptTo = from, r
		c.RoutingDomain, c.Code, c.Discarded = "", "", false
		if err := inj.Inject(ctx, c); err != nil {
			if i == 0 {
				return err
			}
			return fmt.Errorf("%w (the copies for the first %d of %d recipients were injected)", err, i, len(rcpts))
		}
	}
	return nil
}

// msg:inject(mailfrom, rcptto) → true, or nil and an error. It
// injects a copy of the message with the new envelope, routed by the
// recipient's domain; a comma-separated rcptto injects one copy per
// recipient. A bad address (a line break in it) injects nothing; an
// injector failure part way leaves the copies before it injected, and the
// error says how many. The message itself is unchanged.
func inject(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	from := a.String(2)
	to := a.String(3)
	if err := injectCopies(a.L, m, from, to); err != nil {
		return a.Fail(err)
	}
	return a.Push(lua.LTrue)
}

// msg:forward(sender, rcptto, text[, subject[, charset]]) →
// true, or nil and an error. It builds a new message from sender holding
// text and the original as message/rfc822, and injects it to every
// recipient of the comma-separated rcptto. subject defaults to "Fwd: " and
// the original subject.
func forward(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	sender, rcpt, text := a.String(2), a.String(3), a.String(4)
	subject, charset := a.OptString(5, ""), a.OptString(6, "")
	f, err := m.Forward(sender, rcpt, text, subject, charset)
	if err != nil {
		return a.Fail(err)
	}
	if err := injectCopies(a.L, f, sender, rcpt); err != nil {
		return a.Fail(err)
	}
	return a.Push(lua.LTrue)
}

// msg:discard([reason]): drops the message silently (the sender
// sees success) and records the code: reason when it starts with an SMTP
// code, "550 5.7.0 discarded by policy" without one, "550 5.7.1 [internal]
// discarded by policy" for other text. The script goes on running.
func discard(a luahost.Args) int {
	core.MessageClass.Check(a, 1).Discard(a.OptString(2, ""))
	return 0
}

// msg:code([num[, str]]) → the code string (nil when none is set).
// With num 0 the number is read from str, which must then start with one;
// otherwise num is prefixed to str, on every line of a multi-line text.
func code(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	if !a.IsNone(2) {
		num := a.Int(2)
		if num != 0 && (num < 200 || num > 599) {
			a.Error(2, "SMTP reply code (200-599) or 0 expected")
		}
		text := a.OptString(3, "")
		if num == 0 {
			if text = a.String(3); !message.HasReplyCode(text) {
				a.Error(3, "text starting with an SMTP reply code expected (code 0 reads it from the text)")
			}
		}
		m.Code = message.FormatCode(num, text)
	}
	if m.Code == "" {
		return a.Push(lua.LNil)
	}
	return a.Push(lua.LString(m.Code))
}

// msg:binding([name]) → the binding name, nil for an empty name or one
// the config does not declare (the binding stays as it was). Setting takes
// a single string ("default" allowed). Unset, the binding is "default".
func binding(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	if !a.IsNone(2) {
		name := a.String(2)
		if name == "" {
			return a.Push(lua.LNil)
		}
		if cfg, ok := configOf(a); ok && !cfg.HasBinding(name) {
			return a.Push(lua.LNil)
		}
		m.Binding = name
	}
	if m.Binding == "" {
		return a.Push(lua.LString("default"))
	}
	return a.Push(lua.LString(m.Binding))
}

// msg:binding_group([name]) → the binding group name, nil for an empty
// name, a group the config does not declare, or when none was set. Setting
// a group sets the binding to its first one.
func bindingGroup(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	if !a.IsNone(2) {
		name := a.String(2)
		if name == "" {
			return a.Push(lua.LNil)
		}
		if cfg, ok := configOf(a); ok {
			bindings, found := cfg.BindingGroup(name)
			if !found {
				return a.Push(lua.LNil)
			}
			if len(bindings) > 0 {
				m.Binding = bindings[0]
			}
		}
		m.BindingGroup = name
	}
	if m.BindingGroup == "" {
		return a.Push(lua.LNil)
	}
	return a.Push(lua.LString(m.BindingGroup))
}

// configOf returns the configuration in force, when the host has one.
func configOf(a luahost.Args) (*config.Config, bool) {
	f, ok := Config.Get(a.L)
	if !ok || f == nil {
		return nil, false
	}
	cfg := f()
	return cfg, cfg != nil
}

// msg:get_envelope2(flags, localpart_str, domain_str) →
// true: fills two ec_strings from the envelope sender (EC_MSG_ENV_FROM) or
// recipient (EC_MSG_ENV_TO); with EC_MSG_ENV_COMPLETE the bare address
// goes into localpart_str and domain_str is emptied.
func getEnvelope2(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	flags := a.Int(2)
	lp, dom := core.StringClass.Check(a, 3), core.StringClass.Check(a, 4)
	local, domain, err := m.Envelope(flags)
	if err != nil {
		a.Error(2, err.Error())
	}
	lp.B, dom.B = []byte(local), []byte(domain)
	return a.Push(lua.LTrue)
}

// msg:listener_addr([flag]) → the local listener's address
// ("10.1.2.3:25"), its "ip" or its "port" ("all", the default, gives both);
// nil when the message did not arrive over a listener. The host records
// it in the connection context under message.KeyListenerAddr.
func listenerAddr(a luahost.Args) int { return addrOf(a, message.KeyListenerAddr) }

// msg:reception_peer([flag]) → the remote peer's address,
// as listener_addr (context key message.KeyReceptionPeer).
func receptionPeer(a luahost.Args) int { return addrOf(a, message.KeyReceptionPeer) }

func addrOf(a luahost.Args, key string) int {
	m := core.MessageClass.Check(a, 1)
	flag := a.OptString(2, "all")
	addr := m.ConnValue(key)
	v, err := message.HostPort(addr, flag)
	if err != nil {
		a.Error(2, err.Error())
	}
	if addr == "" {
		return a.Push(lua.LNil)
	}
	return a.Push(lua.LString(v))
}
