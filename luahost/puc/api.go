package puc

import (
	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc/internal/lauxlib"
	"msyshost/luahost/puc/internal/lgc"
	"msyshost/luahost/puc/iolib"
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

// Collect runs a collection of L's weak tables and userdata finalizers,
// which gopher-lua does not have: entries of weak tables whose weak key or
// value Lua can no longer reach are removed, and unreachable userdata with
// a __gc metamethod (newproxy's, files) are finalized. An error a
// finalizer raises is returned.
func Collect(L *lua.LState) error { return lgc.Collect(L) }

// Sweep is Collect's Go part, which runs no Lua code and so needs no
// deadline: it marks, removes unreachable weak entries and queues the
// finalizers of unreachable userdata for Finalize; it returns how many
// are queued.
func Sweep(L *lua.LState) int { return lgc.Sweep(L) }

// Finalize runs the finalizers Sweep queued (Lua code: a host runs it
// under its deadline). An error a finalizer raises is returned; the
// others stay queued.
func Finalize(L *lua.LState) error { return lgc.Finalize(L) }

// CollectDue returns L's check whether a state that has weak tables or
// userdata to finalize is due a collection: every 256 checks, after Go's
// collector ran while the state concatenated, after 256 new files or
// proxies, and never sooner than 20 times the last marking's duration
// after it. A host asks between calls into the state and collects off its
// callers' path (Sweep, then Finalize under its deadline). A check costs a
// counter increment.
func CollectDue(L *lua.LState) func() bool { return lgc.DueFunc(L) }

// SetInline makes L collect where it allocates, as PUC's collector runs
// while a script allocates: at a concatenation after Go's collector ran,
// and at io.open after many new files (lua5.1's command line). A host
// serving hooks leaves it off and collects between calls (CollectDue).
func SetInline(L *lua.LState, inline bool) { lgc.SetInline(L, inline) }

// SetRoots tells Collect about the Lua values the host holds in Go (hook
// module tables): what they reach keeps its place in weak tables.
func SetRoots(L *lua.LState, roots func() []lua.LValue) { lgc.SetRoots(L, roots) }

// FinalizeAll calls the finalizers of every userdata that has one, as
// lua_close does before a state goes: a host calls it before LState.Close.
func FinalizeAll(L *lua.LState) { lgc.FinalizeAll(L) }

// Poll notes that Go's collector ran since the last Poll, for a state with
// weak tables or userdata to finalize: one that collects inline
// (SetInline) runs Collect now, one in a host is due a collection at the
// end of the call. It costs an atomic load when nothing is due.
// Operations that allocate call it, as PUC's collector runs while a script
// allocates (luahost/dialect's concatenation).
func Poll(L *lua.LState) error { return lgc.Poll(L) }

// CCalls estimates PUC's count of nested C calls (nCcalls) where the
// running Go function runs, which PUC bounds at LUAI_MAXCCALLS (200) and
// whose parser counts its syntax levels on top of: one for lua.c's start, plus one for each
// Go function below on the stack that called back into Lua (lua.c's
// pcall of the script, pcall, require calling its loader), as PUC's
// lua_call and luaD_call count them; a coroutine counts from its resumer's
// count plus one, as lua_resume does. A metamethod gopher-lua's VM calls
// has no Go frame to count.
func CCalls(L *lua.LState) int {
	n := 1 + callbacks(L)
	for p := L.Parent; p != nil; p = p.Parent {
		n += 1 + callbacks(p)
	}
	return n
}

// callbacks counts the Go functions on L's stack below the running one.
func callbacks(L *lua.LState) int {
	n := 0
	for level := 1; ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			return n
		}
		if fn, err := L.GetInfo("f", dbg, nil); err == nil {
			if f, ok := fn.(*lua.LFunction); ok && f.IsG {
				n++
			}
		}
	}
}

// SetAllowance gives L the function that says how many more bytes the
// running code may allocate (ok false: no limit): string.rep,
// table.concat and a large concatenation (CheckAlloc) refuse a block
// larger than that with "not enough memory" before making it.
func SetAllowance(L *lua.LState, f func() (n uint64, ok bool)) { lauxlib.SetAllowance(L, f) }

// CheckAlloc raises "not enough memory" when size bytes are more than L's
// running code may still allocate (SetAllowance); sizes below 1 MiB are
// not checked.
func CheckAlloc(L *lua.LState, size int) { lauxlib.CheckAlloc(L, size) }

// SetReplaying makes L's io library write nowhere while on (a file opened
// for writing is the null device, io.popen runs nothing): a host sets it
// while a state replays the code another state ran, so that the scripts'
// load writes a file once.
func SetReplaying(L *lua.LState, on bool) { iolib.SetReplaying(L, on) }
