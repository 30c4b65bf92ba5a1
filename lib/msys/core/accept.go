package core

import (
	"net/netip"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/message"
	"msyshost/luahost"
)

// Accept is an accept construct (the `accept`/`ac` argument of the
// validate_* hooks): the inbound session a message arrives on. The SMTP
// layer that dispatches a validate_* hook makes one and passes it as a hook
// argument.
type Accept struct {
	RemoteAddr string // "ip:port" of the client
	LocalAddr  string // "ip:port" of the listener
	Protocol   int    // P_ESMTP, P_SMTP, ...
	// Capabilities are the ESMTP extensions a script added (msys.extended.ac's
	// esmtp_capability_add/remove edit them); the EHLO reply does not
	// follow them.
	Capabilities []string
	// What the session has learnt so far, for reception policy (msyshost's
	// fields: Momentum's Lua pages name only remote_addr and protocol).
	Ehlo     string // the name given in EHLO or HELO, "" before
	AuthUser string // the SMTP AUTH identity, "" before or without
	TLS      bool   // the session runs over TLS (STARTTLS)
}

// String names an accept construct in scenario reports.
func (a *Accept) String() string { return "ac" }

// AcceptClass is the class of an accept construct.
var AcceptClass = luahost.NewClass[Accept]("msys.core:_accept_construct", "accept_construct")

func openAccept(L *lua.LState, t *lua.LTable) {
	t.RawSetString("protocol_string", L.NewFunction(luahost.Func("protocol_string", protocolString)))
	MessageClass.Field(L, "recv_method", recvMethod, nil)
	AcceptClass.Field(L, "remote_addr", func(L *lua.LState, a *Accept) lua.LValue { return lua.LString(a.RemoteAddr) }, nil)
	AcceptClass.Field(L, "local_addr", func(L *lua.LState, a *Accept) lua.LValue { return lua.LString(a.LocalAddr) }, nil)
	AcceptClass.Field(L, "protocol", func(L *lua.LState, a *Accept) lua.LValue { return lua.LNumber(a.Protocol) }, nil)
	AcceptClass.Field(L, "ehlo", func(L *lua.LState, a *Accept) lua.LValue { return lua.LString(a.Ehlo) }, nil)
	AcceptClass.Field(L, "auth_user", func(L *lua.LState, a *Accept) lua.LValue { return lua.LString(a.AuthUser) }, nil)
	AcceptClass.Field(L, "tls", func(L *lua.LState, a *Accept) lua.LValue { return lua.LBool(a.TLS) }, nil)
}

// Peer returns the client address of the session the running hook is
// about: its accept construct's, else its vctx's or message's reception
// peer. ok is false outside a session.
func Peer(L *lua.LState) (netip.Addr, bool) {
	for _, v := range luahost.CallArgs(L) {
		if a := AcceptClass.To(v); a != nil {
			if ip, ok := ParseIP(a.RemoteAddr); ok {
				return ip, true
			}
		}
	}
	for _, v := range luahost.CallArgs(L) {
		var m *message.Message
		if vc := VctxClass.To(v); vc != nil {
			m = vc.Msg
		} else {
			m = MessageClass.To(v)
		}
		if m != nil {
			if ip, ok := ParseIP(m.ConnValue(message.KeyReceptionPeer)); ok {
				return ip, true
			}
		}
	}
	return netip.Addr{}, false
}

// ParseIP reads an address with or without a port ("10.0.0.1",
// "10.0.0.1:25", "[::1]:25", "::1").
func ParseIP(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if ip, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return ip.Unmap(), true
	}
	return netip.Addr{}, false
}

// KeyRecvMethod is the connection context key under which the component
// that received a message records how ("smtp", "esmtp", "smpp", "mm7"):
// msg.recv_method reads it as a msys.core.P_* number.
const KeyRecvMethod = "msyshost:recv_method"

var protocols = []string{PSMTP: "SMTP", PESMTP: "ESMTP", PSMPP: "SMPP", PMM7: "MM7"}

// recvMethod is msg.recv_method: msys.core.P_* of the protocol the
// message arrived by, 0 when unknown (made by a script, say).
func recvMethod(_ *lua.LState, m *message.Message) lua.LValue {
	v := strings.ToUpper(m.ConnValue(KeyRecvMethod))
	for i, p := range protocols {
		if p != "" && p == v {
			return lua.LNumber(i)
		}
	}
	return lua.LNumber(0)
}

// msys.core.protocol_string(p) → the name of a msys.core.P_* protocol
// ("ESMTP", "MM7", ...), "UNKNOWN" for any other number.
func protocolString(a luahost.Args) int {
	p := a.Int(1)
	if p > 0 && p < len(protocols) {
		return a.Push(lua.LString(protocols[p]))
	}
	return a.Push(lua.LString("UNKNOWN"))
}
