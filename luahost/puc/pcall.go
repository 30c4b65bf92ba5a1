package puc

import (
	"strings"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc/internal/lauxlib"
)

// errorValue is the Lua value an error returned by LState.PCall carries.
func errorValue(err error) lua.LValue {
	if aerr, ok := err.(*lua.ApiError); ok {
		return aerr.Object
	}
	return lua.LString(err.Error())
}

// protected holds what pcall and xpcall share: error handlers that run
// while the failing frame is still on the stack, so VM messages can be
// put in PUC's words and debug.traceback sees the failing frames.
type protected struct {
	h         *host
	closer    *lua.LFunction // an empty Lua function, see unlinkUpvalues
	pcallFn   *lua.LFunction // the pcall and xpcall functions themselves
	xpcallFn  *lua.LFunction
	traces    int            // PCalls running that want a traceback of their error
	trace     string         // the traceback of the last error caught meanwhile
	translate *lua.LFunction // pcall's handler
	xhandler  *lua.LFunction // xpcall's handler, calling the user's
	handlers  []lua.LValue   // the user handlers of the running xpcalls
}

func newProtected(L *lua.LState, h *host) *protected {
	p := &protected{h: h}
	p.translate = L.NewFunction(func(L *lua.LState) int {
		msg := translateVMError(L, L.Get(1), 1)
		if p.traces > 0 {
			p.trace = "stack traceback:\n\t" + strings.Join(stackFrames(L, L, p.pcallFn)[1:], "\n\t")
		}
		p.closeUnwound(L)
		L.Push(msg)
		return 1
	})
	p.xhandler = L.NewFunction(p.callHandler)
	fn, err := L.LoadString("return function() end")
	if err != nil {
		panic("puc: compiling an empty function: " + err.Error())
	}
	L.Push(fn)
	L.Call(0, 1)
	p.closer = L.Get(-1).(*lua.LFunction)
	L.Pop(1)
	h.hidden[p.xhandler] = true
	return p
}

// Upvalues of the frames an error unwinds must be closed with the values
// they had, as PUC's luaF_close does. gopher-lua closes them when no error
// handler is set, but then closes the upvalues of every live frame too (a
// closure stops sharing its variable with the function still running),
// and with a handler it closes none (a closure made in the failed call
// keeps pointing at registers later calls reuse). pcall and xpcall run
// with a handler, which closes the unwound frames' upvalues while their
// registers still hold the values (closeUnwound); once gopher-lua has
// reset the stack, unlinkUpvalues drops them from its list of open ones.

// closeUnwound runs in an error handler: it closes the open upvalues of
// the frames between the handler and the pcall or xpcall catching the
// error.
func (p *protected) closeUnwound(L *lua.LState) {
	low := -1
	for level := 1; ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		v, err := L.GetInfo("f", dbg, nil)
		if fn, isFn := v.(*lua.LFunction); err != nil || !isFn || fn == p.pcallFn || fn == p.xpcallFn {
			break
		}
		if lauxlib.TailLevel(L, level) {
			continue
		}
		if base, _, ok := lauxlib.FrameInfo(dbg); ok && (low < 0 || base < low) {
			low = base
		}
	}
	ups, regs, ok := lauxlib.OpenUpvalues(L)
	if !ok || low < 0 {
		return
	}
	for i, uv := range ups {
		if regs[i] >= low {
			uv.Close()
		}
	}
}

// unlinkUpvalues runs after a failed LState.PCall, with the stack top
// where the called function stood: an empty Lua function called there
// closes, on return, every open upvalue from its base up and drops it from
// gopher-lua's list, so no later closure shares it.
func (p *protected) unlinkUpvalues(L *lua.LState) {
	L.Push(p.closer)
	L.Call(0, 0)
}

// pcall is pcall(f, ...); calling what cannot be called fails with PUC's
// text and no position, since pcall itself is not Lua code.
func (p *protected) pcall(L *lua.LState) int {
	f := lauxlib.CheckAny(L, 1)
	if !lauxlib.Callable(L, f) {
		L.Push(lua.LFalse)
		L.Push(lua.LString("attempt to call a " + f.Type().String() + " value"))
		return 2
	}
	if err := L.PCall(L.GetTop()-1, lua.MultRet, p.translate); err != nil {
		p.unlinkUpvalues(L)
		L.Push(lua.LFalse)
		L.Push(errorValue(err))
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

// callHandler runs the innermost xpcall's handler on the (translated)
// error; a handler that fails, or is not a function, gives "error in
// error handling". Tracebacks do not show this function's frame.
func (p *protected) callHandler(L *lua.LState) int {
	msg := translateVMError(L, L.Get(1), 1)
	p.closeUnwound(L)
	L.Push(p.handlers[len(p.handlers)-1])
	L.Push(msg)
	if err := L.PCall(1, 1, nil); err != nil {
		L.Push(lua.LString("error in error handling"))
	}
	return 1
}

// xpcall is xpcall(f, handler): f runs without arguments, and the handler
// runs where the error happened.
func (p *protected) xpcall(L *lua.LState) int {
	lauxlib.CheckAny(L, 2)
	L.SetTop(2)
	f := L.Get(1)
	p.handlers = append(p.handlers, L.Get(2))
	defer func() { p.handlers = p.handlers[:len(p.handlers)-1] }()
	if !lauxlib.Callable(L, f) {
		L.Push(p.xhandler)
		L.Push(lua.LString("attempt to call a " + f.Type().String() + " value"))
		L.Call(1, 1)
		msg := L.Get(-1)
		L.SetTop(0)
		L.Push(lua.LFalse)
		L.Push(msg)
		return 2
	}
	L.SetTop(1)
	if err := L.PCall(0, lua.MultRet, p.xhandler); err != nil {
		p.unlinkUpvalues(L)
		L.SetTop(0)
		L.Push(lua.LFalse)
		L.Push(errorValue(err))
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

// PCall is LState.PCall for a host calling into scripts, behaving as PUC's
// lua_pcall: runtime errors are worded as PUC words them (naming the
// variable involved), the upvalues of the frames the error unwinds are
// closed with their values, and the returned *lua.ApiError carries a
// traceback in PUC's layout as its StackTrace. The function and its nargs
// arguments are on the stack; nret results (lua.MultRet: all) replace them.
func PCall(L *lua.LState, nargs, nret int) error {
	p := hostOf(L).prot
	base := L.GetTop() - nargs
	L.Insert(p.pcallFn, base)
	p.traces++
	L.Call(nargs+1, lua.MultRet)
	p.traces--
	if L.Get(base) != lua.LTrue {
		err := &lua.ApiError{Type: lua.ApiErrorRun, Object: L.Get(base + 1), StackTrace: p.trace}
		p.trace = ""
		L.SetTop(base - 1)
		return err
	}
	L.Remove(base)
	if nret != lua.MultRet {
		for L.GetTop()-base+1 < nret {
			L.Push(lua.LNil)
		}
		L.SetTop(base - 1 + nret)
	}
	return nil
}

// ErrorHandler returns the message handler a host passes to LState.PCall
// when it calls into scripts: it puts VM errors in PUC's words while the
// failing frame is still on the stack and closes the upvalues of the frames
// the error unwinds. It costs nothing when the call succeeds. After a
// failed call the host must call AfterError.
func ErrorHandler(L *lua.LState) *lua.LFunction { return hostOf(L).prot.translate }

// AfterError finishes a failed LState.PCall made with ErrorHandler: it
// drops the closed upvalues from gopher-lua's list of open ones, so no
// later closure shares them.
func AfterError(L *lua.LState) { hostOf(L).prot.unlinkUpvalues(L) }
