package puc

import (
	"weak"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc/internal/lauxlib"
)

// bodyMaker is compiled once per state: it wraps a coroutine's body so
// that the thread, once running, raises errors through translatingPanic.
// The body is called through a table so that it has no name, as in PUC,
// and not as a tail call, so that the wrapper's frame stays (tracebacks
// skip it) and the body's frame is not a tail call.
const bodyMaker = `local setpanic, select = ...
return function(f)
  local fs = {f}
  return function(...)
    setpanic()
    return select(1, fs[1](...))
  end
end`

// translatingPanic puts VM errors raised in a coroutine in PUC's words
// while the failing frame is still there, then panics as before. A Go
// function that raised the error (error, assert) is remembered: PUC keeps
// its frame on the dead coroutine's stack, gopher-lua drops it.
func translatingPanic(h *host, orig func(*lua.LState)) func(*lua.LState) {
	return func(L *lua.LState) {
		L.Replace(-1, translateVMError(L, L.Get(-1), 0))
		if dbg, ok := L.GetStack(0); ok {
			if fn, err := L.GetInfo("f", dbg, nil); err == nil {
				if f, ok := fn.(*lua.LFunction); ok && f.IsG && !h.hidden[f] {
					h.raisedBy[weak.Make(L)] = frameText(L, dbg)
				}
			}
		}
		orig(L)
	}
}

// maxCCalls is LUAI_MAXCCALLS, PUC's bound on nested C calls, which
// bounds nested coroutine resumes.
const maxCCalls = 200

// threadRegistrySize is a coroutine's first value stack, in slots.
const threadRegistrySize = 256

// growingStackOverflow is the panic of gopher-lua's growing call stack when
// it is full (its IsFull never says so, so the VM's "stack overflow" error
// is not raised); resume reports PUC's message at the overflowing call.
const growingStackOverflow = "lua callstack overflow"

// openCoroutine wraps gopher-lua's coroutine functions with PUC's checks
// and messages; the thread machinery itself stays gopher-lua's.
func openCoroutine(L *lua.LState, h *host) {
	co, ok := L.GetGlobal("coroutine").(*lua.LTable)
	if !ok {
		return
	}
	orig := func(name string) lua.LGFunction {
		if fn, ok := co.RawGetString(name).(*lua.LFunction); ok && fn.IsG {
			return fn.GFunction
		}
		return nil
	}
	create, resume, yield := orig("create"), orig("resume"), orig("yield")
	if create == nil || resume == nil || yield == nil {
		return // not gopher-lua's library: nothing to wrap
	}
	maker, err := L.LoadString(bodyMaker)
	if err != nil {
		panic("puc: compiling the coroutine body wrapper: " + err.Error())
	}
	L.Push(maker)
	L.Push(L.NewFunction(func(L *lua.LState) int {
		L.Panic = translatingPanic(h, L.Panic)
		return 0
	}))
	L.Push(L.GetGlobal("select"))
	L.Call(2, 1)
	wrapBody := L.Get(-1)
	L.Pop(1)
	checkCo := func(L *lua.LState) *lua.LState {
		th, ok := L.Get(1).(*lua.LState)
		if !ok {
			lauxlib.ArgError(L, 1, "coroutine expected")
		}
		return th
	}
	newThread := func(L *lua.LState) *lua.LState {
		fn, ok := L.Get(1).(*lua.LFunction)
		if !ok || fn.IsG {
			lauxlib.ArgError(L, 1, "Lua function expected")
		}
		L.SetTop(0)
		L.Push(wrapBody)
		L.Push(fn)
		L.Call(1, 1)
		h.hiddenProtos[L.Get(1).(*lua.LFunction).Proto] = true
		// A thread copies its creator's options. Its stacks start small
		// and grow, as PUC's do: a fixed call stack of the host's depth
		// would cost every coroutine megabytes.
		saved := L.Options
		L.Options.MinimizeStackMemory = true
		L.Options.RegistrySize = threadRegistrySize
		create(L)
		L.Options = saved
		return L.Get(-1).(*lua.LState)
	}
	// resumeAux resumes th with the values above index 1 and returns
	// whether it succeeded; the results or the error value are left on
	// top, n of them.
	resumeAux := func(L *lua.LState, th *lua.LState) (ok bool, n int) {
		if st := L.Status(th); st != "suspended" {
			L.Push(lua.LString("cannot resume " + st + " coroutine"))
			return false, 1
		}
		// Each resume nests the Go stack; PUC stops nested C calls at
		// LUAI_MAXCCALLS (lua_resume's "C stack overflow").
		if CCalls(L) >= maxCCalls {
			L.Push(lua.LString("C stack overflow"))
			return false, 1
		}
		L.Replace(1, th)
		n = resume(L)
		ok = L.Get(-n) == lua.LTrue
		L.Remove(-n)
		if !ok && L.Get(-1) == lua.LString(growingStackOverflow) {
			L.Replace(-1, lua.LString(lauxlib.Where(th, 0)+"stack overflow"))
		}
		return ok, n - 1
	}
	lauxlib.SetFuncs(L, "coroutine", map[string]lua.LGFunction{
		"create": func(L *lua.LState) int {
			newThread(L)
			return 1
		},
		"resume": func(L *lua.LState) int {
			th := checkCo(L)
			ok, n := resumeAux(L, th)
			L.Insert(lua.LBool(ok), L.GetTop()-n+1)
			return n + 1
		},
		"status": func(L *lua.LState) int {
			th := checkCo(L)
			L.Push(lua.LString(L.Status(th)))
			return 1
		},
		"yield": func(L *lua.LState) int {
			if L.Parent == nil {
				L.Error(lua.LString("attempt to yield across metamethod/C-call boundary"), 0)
			}
			return yield(L)
		},
		"wrap": func(L *lua.LState) int {
			th := newThread(L)
			// The thread is also the closure's upvalue, which the
			// collector (lgc) sees.
			L.Push(L.NewClosure(func(L *lua.LState) int {
				L.Insert(lua.LNil, 1)
				ok, n := resumeAux(L, th)
				if !ok {
					v := L.Get(-1)
					if s, isStr := lauxlib.ToString(v); isStr {
						v = lua.LString(lauxlib.Where(L, 1) + s)
					}
					L.Error(v, 0)
				}
				return n
			}, th))
			return 1
		},
	})
}
