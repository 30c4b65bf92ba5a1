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
	// Capabilities are the ESMTP extensions the session offers;
	// msys.extended.ac's esmtp_capability_add/remove edit them.
	Capabilities []string
}

// AcceptClass is the class of an accept construct.
var AcceptClass = luahost.NewClass[Accept]("msys.core:_accept_construct", "accept_construct")

func openAccept(L *lua.LState) {
	AcceptClass.Field(L, "remote_addr", func(L *lua.LState, a *Accept) lua.LValue { return lua.LString(a.RemoteAddr) }, nil)
	AcceptClass.Field(L, "local_addr", func(L *lua.LState, a *Accept) lua.LValue { return lua.LString(a.LocalAddr) }, nil)
	AcceptClass.Field(L, "protocol", func(L *lua.LState, a *Accept) lua.LValue { return lua.LNumber(a.Protocol) }, nil)
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
