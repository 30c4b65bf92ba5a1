// Package message_routing is the Lua module msys.extended.message_routing:
// msg:routing_domain. The module adds the method only; require returns
// true.
package message_routing

import (
	"strings"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/msys/core"
	"msyshost/luahost"
)

func init() {
	luahost.Register(luahost.Binding{Name: "msys.extended.message_routing", Open: open})
}

func open(L *lua.LState) lua.LValue {
	luahost.SetFuncs(L, core.MessageClass.Methods(L), map[string]lua.LGFunction{
		"routing_domain": luahost.Method("routing_domain", routingDomain),
	})
	return nil
}

// msg:routing_domain([domain]) → the routing domain,
// lower case: the one set (domain, when given, is set first), else the
// envelope recipient's domain. An empty domain clears the setting. The
// router sends the message to the channel of this domain.
func routingDomain(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	if !a.IsNone(2) {
		d := strings.TrimSpace(a.String(2))
		if strings.ContainsAny(d, " \t\r\n@") {
			a.Error(2, "domain expected, got '"+d+"'")
		}
		m.RoutingDomain = d
	}
	return a.Push(lua.LString(m.RoutingDomainOf()))
}
