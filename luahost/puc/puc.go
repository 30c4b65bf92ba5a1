// Package puc makes gopher-lua behave as PUC Lua 5.1 (the Lua Momentum
// embeds) wherever a script can see the difference, so that its output is
// byte-identical to lua5.1's.
//
// Open replaces, in a state gopher-lua has opened, the library functions
// that differ: tostring, tonumber, print and the rest of the base library,
// the string library with a PUC-compatible pattern matcher and a C-style
// string.format, table, math (glibc's rand and NaN signs), os (strftime,
// mktime, system), io (files of its own), coroutine, debug.traceback and
// debug.getinfo, with PUC's error texts. pcall and xpcall also put the VM's
// own runtime errors in PUC's words, naming the variable involved, and
// close upvalues as PUC does; PCall offers the same to a host.
//
// The string library is in strlib, io and os in iolib, math in mathlib,
// table in tablelib, number conversions in number (which luahost/dialect also calls for the operators it lowers);
// internal/lauxlib holds what they share. What only the compiler or VM can
// fix is listed in DIFFERENCES.md with the differential test
// (testdata/diff) that shows it.
package puc

import (
	"io"
	"weak"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc/iolib"
	"msyshost/luahost/puc/mathlib"
	"msyshost/luahost/puc/strlib"
	"msyshost/luahost/puc/tablelib"
)

// registryKey holds the per-state host data in the Lua registry.
const registryKey = "msyshost.puc"

// host is what the replacement functions of one Lua state share.
type host struct {
	hidden       map[*lua.LFunction]bool     // Go functions tracebacks leave out
	hiddenProtos map[*lua.FunctionProto]bool // and Lua ones
	prot         *protected
	// raisedBy is, for a coroutine that died with an error a Go function
	// raised, that function's traceback line.
	raisedBy map[weak.Pointer[lua.LState]]string
}

// Open replaces, in a state whose standard libraries gopher-lua has
// already opened, every library function whose behaviour a script can tell
// apart from PUC Lua 5.1's. The script's standard output is os.Stdout until
// SetOutput says otherwise.
func Open(L *lua.LState) {
	h := &host{hidden: map[*lua.LFunction]bool{}, hiddenProtos: map[*lua.FunctionProto]bool{}, raisedBy: map[weak.Pointer[lua.LState]]string{}}
	ud := L.NewUserData()
	ud.Value = h
	L.SetField(L.Get(lua.RegistryIndex), registryKey, ud)
	openBase(L, h)
	openPackage(L)
	strlib.Open(L)
	tablelib.Open(L)
	mathlib.Open(L)
	iolib.Open(L)
	openCoroutine(L, h)
	openDebug(L)
}

// SetOutput sends the script's standard output in L and its coroutines
// (print, io.write, io.stdout, and the output of os.execute and
// io.popen(cmd, "w") children) to w. It panics if Open has not been
// applied to L.
func SetOutput(L *lua.LState, w io.Writer) {
	iolib.SetOutput(L, w)
}

func hostOf(L *lua.LState) *host {
	ud, ok := L.GetField(L.Get(lua.RegistryIndex), registryKey).(*lua.LUserData)
	if !ok {
		panic("puc: Open was not applied to this Lua state")
	}
	return ud.Value.(*host)
}
