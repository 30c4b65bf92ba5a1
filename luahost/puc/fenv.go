package puc

import (
	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc/internal/lauxlib"
)

// envFunc is getfunc in lbaselib: the function argument itself, or the
// function running at the given stack level (nil for level 0).
func envFunc(L *lua.LState, optional bool) (*lua.LFunction, int) {
	if fn, ok := L.Get(1).(*lua.LFunction); ok {
		return fn, -1
	}
	var level int
	if optional {
		level = lauxlib.OptInt(L, 1, 1)
	} else {
		level = lauxlib.CheckInt(L, 1)
	}
	if level < 0 {
		lauxlib.ArgError(L, 1, "level must be non-negative")
	}
	if level == 0 {
		return nil, 0
	}
	dbg, ok := L.GetStack(level)
	if !ok {
		lauxlib.ArgError(L, 1, "invalid level")
	}
	v, err := L.GetInfo("f", dbg, nil)
	fn, isFn := v.(*lua.LFunction)
	if err != nil || !isFn || lauxlib.TailLevel(L, level) {
		lauxlib.Raise(L, "no function environment for tail call at level %d", level)
	}
	return fn, level
}

func baseGetfenv(L *lua.LState) int {
	fn, _ := envFunc(L, true)
	if fn == nil || fn.IsG || fn.Env == nil {
		L.Push(L.Env)
		return 1
	}
	L.Push(fn.Env)
	return 1
}

func baseSetfenv(L *lua.LState) int {
	env := lauxlib.CheckTable(L, 2)
	fn, level := envFunc(L, false)
	if level == 0 && fn == nil {
		L.Env = env
		return 0
	}
	if fn.IsG {
		lauxlib.Raise(L, "'setfenv' cannot change environment of given object")
	}
	fn.Env = env
	L.Push(fn)
	return 1
}
