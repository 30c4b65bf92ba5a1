package puc

import (
	lua "github.com/yuin/gopher-lua"
)

// callable reports whether calling v can work: a function or a value
// with __call.
func callable(L *lua.LState, v lua.LValue) bool {
	return v.Type() == lua.LTFunction || L.GetMetaField(v, "__call").Type() == lua.LTFunction
}

// errorValue is the Lua value an error returned by LState.PCall carries.
func errorValue(err error) lua.LValue {
	if aerr, ok := err.(*lua.ApiError); ok {
		return aerr.Object
	}
	return lua.LString(err.Error())
}

// basePCall is pcall(f, ...); calling what cannot be called fails with
// PUC's text and no position, since pcall itself is not Lua code.
func basePCall(L *lua.LState) int {
	f := checkAny(L, 1)
	if !callable(L, f) {
		L.Push(lua.LFalse)
		L.Push(lua.LString("attempt to call a " + f.Type().String() + " value"))
		return 2
	}
	if err := L.PCall(L.GetTop()-1, lua.MultRet, nil); err != nil {
		L.Push(lua.LFalse)
		L.Push(errorValue(err))
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

// baseXPCall is xpcall(f, handler): f runs without arguments, and the
// handler runs where the error happened, so debug.traceback sees the
// failing frames. A handler that fails itself, or is not a function,
// gives "error in error handling".
func baseXPCall(L *lua.LState) int {
	checkAny(L, 2)
	L.SetTop(2)
	f := L.Get(1)
	handler, _ := L.Get(2).(*lua.LFunction)
	if !callable(L, f) {
		msg := lua.LValue(lua.LString("error in error handling"))
		if handler != nil {
			L.Push(handler)
			L.Push(lua.LString("attempt to call a " + f.Type().String() + " value"))
			if err := L.PCall(1, 1, nil); err == nil {
				msg = L.Get(-1)
			}
		}
		L.SetTop(0)
		L.Push(lua.LFalse)
		L.Push(msg)
		return 2
	}
	L.SetTop(1)
	if err := L.PCall(0, lua.MultRet, handler); err != nil {
		L.SetTop(0)
		L.Push(lua.LFalse)
		if handlerFailed(err, handler) {
			L.Push(lua.LString("error in error handling"))
		} else {
			L.Push(errorValue(err))
		}
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

// handlerFailed tells, from what LState.PCall returned, whether the error
// handler itself raised: a handler's result comes back as a fresh error
// without a stack trace, an error raised inside it with one.
func handlerFailed(err error, handler *lua.LFunction) bool {
	if handler == nil {
		return true
	}
	aerr, ok := err.(*lua.ApiError)
	return !ok || aerr.Type == lua.ApiErrorPanic || aerr.StackTrace != ""
}
