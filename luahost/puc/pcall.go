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
	handled   int            // handler runs so far, to tell whether one ran
	// runner calls an xpcall's function with a panic function that keeps
	// the traceback of a stack overflow (overflowTrace), for a handler
	// that cannot run on the full stack.
	runner        *lua.LFunction
	overflowTrace string
	traceback     *lua.LFunction // the library's debug.traceback
	withTrace     *lua.LFunction // TracebackHandler's
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
	p.runner = L.NewFunction(p.run)
	h.hidden[p.runner] = true
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
	p.handled++
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
	L.Insert(p.runner, 1)
	handled := p.handled
	if err := L.PCall(1, lua.MultRet, p.xhandler); err != nil {
		p.unlinkUpvalues(L)
		msg := errorValue(err)
		if p.handled == handled {
			msg = p.lateHandler(L, msg)
		}
		p.overflowTrace = ""
		L.SetTop(0)
		L.Push(lua.LFalse)
		L.Push(msg)
		return 2
	}
	p.overflowTrace = ""
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

// run is xpcall's function runner: it calls its argument with a panic
// function that, on a stack overflow, records the traceback while the
// frames are still there. gopher-lua then fails to call the handler,
// which needs a frame of the full stack; PUC grows its stack for it.
func (p *protected) run(L *lua.LState) int {
	prev := L.Panic
	L.Panic = func(L *lua.LState) {
		if s, ok := L.Get(-1).(lua.LString); ok && strings.HasSuffix(string(s), "stack overflow") {
			// As debug.traceback called as the handler of the error
			// sees it: its own frame first, then this one.
			var b strings.Builder
			b.WriteString("stack traceback:")
			writeFrames(&b, append([]string{""}, stackFrames(L, L, nil)...), 1)
			p.overflowTrace = b.String()
		}
		prev(L)
	}
	L.Call(0, lua.MultRet)
	L.Panic = prev
	return L.GetTop()
}

// lateHandler runs the innermost xpcall's handler after the error unwound
// the stack, when it could not run where the error happened (a stack
// overflow): the library's debug.traceback gives the traceback recorded
// at the overflow, another handler runs at xpcall's level.
func (p *protected) lateHandler(L *lua.LState, msg lua.LValue) lua.LValue {
	h := p.handlers[len(p.handlers)-1]
	if h == lua.LValue(p.traceback) && p.overflowTrace != "" {
		if s, ok := lauxlib.ToString(msg); ok {
			return lua.LString(s + "\n" + p.overflowTrace)
		}
		return msg
	}
	L.Push(h)
	L.Push(msg)
	if err := L.PCall(1, 1, nil); err != nil {
		return lua.LString("error in error handling")
	}
	r := L.Get(-1)
	L.Pop(1)
	return r
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

// TracebackHandler returns the message handler of lua.c's docall, for a
// stand-alone interpreter: VM errors in PUC's words, the upvalues of the
// unwound frames closed (call AfterError after the failed call), and a
// string message followed by the traceback that the global
// debug.traceback gives (as lua.c's traceback function does; without
// one, the message alone).
func TracebackHandler(L *lua.LState) *lua.LFunction {
	p := hostOf(L).prot
	if p.withTrace == nil {
		p.withTrace = L.NewFunction(func(L *lua.LState) int {
			msg := translateVMError(L, L.Get(1), 1)
			p.closeUnwound(L)
			if _, ok := msg.(lua.LString); !ok {
				if _, isNum := msg.(lua.LNumber); !isNum {
					L.Push(msg)
					return 1
				}
			}
			tb := L.GetField(L.GetGlobal("debug"), "traceback")
			if tb.Type() != lua.LTFunction {
				L.Push(msg)
				return 1
			}
			L.Push(tb)
			L.Push(msg)
			L.Push(lua.LNumber(2))
			L.Call(2, 1)
			return 1
		})
	}
	return p.withTrace
}
