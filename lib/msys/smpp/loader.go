// Package smpp is the Lua module msys.smpp: the return values of the SMPP
// receipt hooks.
package smpp

import (
	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/retry"
	"msyshost/luahost"
)

func init() {
	luahost.Register(luahost.Binding{Name: "msys.smpp", Open: open})
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	t.RawSetString("SMPP_CONTINUE", lua.LNumber(retry.SMPPContinue))
	t.RawSetString("SMPP_DELIVERED", lua.LNumber(retry.SMPPDelivered))
	return t
}
