// Package mms is the Lua module msys.mms: the return values of the MM7
// delivery report hooks.
package mms

import (
	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/hook"
	"msyshost/luahost"
)

func init() {
	luahost.Register(luahost.Binding{Name: "msys.mms", Open: open})
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	t.RawSetString("MM7_CONTINUE", lua.LNumber(hook.MM7Continue))
	t.RawSetString("MM7_DELIVERED", lua.LNumber(hook.MM7Delivered))
	return t
}
