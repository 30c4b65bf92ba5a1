// Package smpp is the Lua module msys.smpp: the return values of the SMPP
// receipt hooks.
package smpp

import (
	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/hook"
	"msyshost/luahost"
)

func init() {
	luahost.Register(luahost.Binding{Name: "msys.smpp", Open: open})
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	t.RawSetString("SMPP_CONTINUE", lua.LNumber(hook.SMPPContinue))
	t.RawSetString("SMPP_DELIVERED", lua.LNumber(hook.SMPPDelivered))
	return t
}
