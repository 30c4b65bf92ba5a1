// Package ac is the Lua module msys.extended.ac: the accept construct's
// methods (ESMTP capabilities of the session, sessions open from a
// network). The module adds methods only; require returns true.
package ac

import (
	"strings"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/msys/audit"
	"msyshost/lib/msys/core"
	"msyshost/luahost"
)

func init() {
	// go-smtp writes the EHLO reply itself, after STARTTLS through a TLS
	// connection of its own that msyshost cannot rewrite: the edited list
	// stays on the accept construct.
	const notApplied = "recorded on the accept construct; the EHLO reply does not change (go-smtp writes it)"
	luahost.Register(luahost.Binding{Name: "msys.extended.ac", Open: open, Notes: map[string]string{
		"accept_construct:esmtp_capability_add":    notApplied,
		"accept_construct:esmtp_capability_remove": notApplied,
	}})
}

func open(L *lua.LState) lua.LValue {
	luahost.SetFuncs(L, core.AcceptClass.Methods(L), map[string]lua.LGFunction{
		"esmtp_capability_add":    luahost.Method("esmtp_capability_add", capabilityAdd),
		"esmtp_capability_remove": luahost.Method("esmtp_capability_remove", capabilityRemove),
		"inbound_session_count":   luahost.Method("inbound_session_count", sessionCount),
	})
	return nil
}

func smtp(a luahost.Args) *core.Accept {
	ac := core.AcceptClass.Check(a, 1)
	if ac.Protocol != core.PSMTP && ac.Protocol != core.PESMTP {
		a.Raise("ac:%s: the session is not attached to an SMTP listener", a.Name)
	}
	return ac
}

// ac:esmtp_capability_add(name): adds name to the accept construct's list
// of extensions (a second add of the same name changes nothing); the EHLO
// reply is not changed.
func capabilityAdd(a luahost.Args) int {
	ac := smtp(a)
	name := strings.TrimSpace(a.String(2))
	for _, c := range ac.Capabilities {
		if strings.EqualFold(c, name) {
			return 0
		}
	}
	ac.Capabilities = append(ac.Capabilities, name)
	return 0
}

// ac:esmtp_capability_remove(name): takes name off the accept construct's
// list (its keyword compared without case, parameters ignored); the EHLO
// reply is not changed.
func capabilityRemove(a luahost.Args) int {
	ac := smtp(a)
	name := strings.ToUpper(strings.Fields(a.String(2) + " x")[0])
	kept := ac.Capabilities[:0]
	for _, c := range ac.Capabilities {
		if strings.ToUpper(strings.Fields(c + " x")[0]) != name {
			kept = append(kept, c)
		}
	}
	ac.Capabilities = kept
	return 0
}

// ac:inbound_session_count([cidr[, service]]) → the sessions of service
// (default "SMTP") open now from cidr; "/bits" and nothing mean this
// construct's client.
func sessionCount(a luahost.Args) int {
	ip, _ := core.ParseIP(core.AcceptClass.Check(a, 1).RemoteAddr)
	return audit.Sessions(a, 2, ip)
}
