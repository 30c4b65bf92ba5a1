package puc

import (
	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc/internal/lauxlib"
	"msyshost/luahost/puc/number"
)

// ArgError raises PUC's "chunk:line: bad argument #n to 'name' (msg)" from
// a Go function called by Lua, numbering arguments as PUC does for method
// calls. For Go bindings whose errors must read like Momentum's C ones;
// gopher-lua's LState.ArgError leaves the quotes out.
func ArgError(L *lua.LState, n int, msg string) {
	lauxlib.ArgError(L, n, msg)
}

// TypeError raises PUC's "bad argument #n to 'name' (expected expected,
// got type)", where type is "no value" past the last argument.
func TypeError(L *lua.LState, n int, expected string) {
	lauxlib.TypeError(L, n, expected)
}

// FormatNumber formats n as PUC Lua 5.1's tostring does (LUA_NUMBER_FMT
// "%.14g"), for Go bindings that turn Lua numbers into text.
func FormatNumber(n float64) string { return number.Format(n) }
