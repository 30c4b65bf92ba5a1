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

// baseXPCall is xpcall(f, handler): f runs without arguments; a handler
// that fails itself gives "error in error handling".
func baseXPCall(L *lua.LState) int {
	checkAny(L, 2)
	L.SetTop(2)
	f, handler := L.Get(1), L.Get(2)
	handle := func(L *lua.LState, msg lua.LValue) lua.LValue {
		L.Push(handler)
		L.Push(msg)
		if err := L.PCall(1, 1, nil); err != nil {
			return lua.LString("error in error handling")
		}
		v := L.Get(-1)
		L.Pop(1)
		return v
	}
	if !callable(L, f) {
		msg := handle(L, lua.LString("attempt to call a "+f.Type().String()+" value"))
		L.SetTop(0)
		L.Push(lua.LFalse)
		L.Push(msg)
		return 2
	}
	wrapped := L.NewFunction(func(L *lua.LState) int {
		L.Push(handle(L, L.Get(1)))
		return 1
	})
	L.SetTop(1)
	if err := L.PCall(0, lua.MultRet, wrapped); err != nil {
		L.SetTop(0)
		L.Push(lua.LFalse)
		L.Push(errorValue(err))
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}
