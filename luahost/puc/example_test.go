package puc_test

import (
	"fmt"
	"os"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/dialect"
	"msyshost/luahost/puc"
)

// A host opens gopher-lua's libraries, applies puc.Open (then
// dialect.Open, so loadstring compiles Momentum Lua), sends the script's
// output where it wants, and calls hooks with puc.PCall.
func Example() {
	L := lua.NewState()
	defer L.Close()
	puc.Open(L)
	dialect.Open(L)
	puc.SetOutput(L, os.Stdout)
	proto, err := dialect.Compile([]byte(`
		print(0.1 + 0.2, 1e15, tonumber("0x1p4"), ("%5.1f|%q"):format(math.pi, "a\n"))
		function hook(msg) return msg.headers.subject end
	`), "hooks.lua")
	if err != nil {
		panic(err)
	}
	fn, _ := dialect.Load(L, proto)
	L.Push(fn)
	if err := puc.PCall(L, 0, 0); err != nil {
		panic(err)
	}
	L.Push(L.GetGlobal("hook"))
	L.Push(L.NewTable())
	err = puc.PCall(L, 1, 1)
	fmt.Println(err.(*lua.ApiError).Object)
	// Output:
	// 0.3	1e+15	16	  3.1|"a\
	// "
	// hooks.lua:3: attempt to index field 'headers' (a nil value)
}
