package puc_test

import (
	"testing"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc"
)

// TestArgErrors runs Lua that calls Go bindings using puc.ArgError and
// puc.TypeError, and checks the messages from Lua.
func TestArgErrors(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	puc.Open(L)
	obj := L.NewTable()
	obj.RawSetString("set", L.NewFunction(func(L *lua.LState) int {
		if L.Get(2).Type() != lua.LTString {
			puc.TypeError(L, 2, "string")
		}
		puc.ArgError(L, 3, "invalid mode")
		return 0
	}))
	L.SetGlobal("obj", obj)
	err := L.DoString(`
		local ok, e = pcall(function() obj.set(obj) end)
		assert(e == "<string>:2: bad argument #2 to 'set' (string expected, got no value)", e)
		ok, e = pcall(function() obj:set() end)
		assert(e == "<string>:4: bad argument #1 to 'set' (string expected, got no value)", e)
		ok, e = pcall(function() obj:set("x") end)
		assert(e == "<string>:6: bad argument #2 to 'set' (invalid mode)", e)
		local set = obj.set
		ok, e = pcall(function() set(obj, 1) end)
		assert(e == "<string>:9: bad argument #2 to 'set' (string expected, got number)", e)
		ok, e = pcall(set, obj, "x")
		assert(e == "bad argument #3 to '?' (invalid mode)", e)
	`)
	if err != nil {
		t.Fatal(err)
	}
}
