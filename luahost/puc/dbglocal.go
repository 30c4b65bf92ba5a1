package puc

import (
	"strings"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc/internal/lauxlib"
)

// debug.getlocal and setlocal as ldebug.c's lua_getlocal: the n-th local
// active at the instruction the frame executes (gopher-lua's count is off
// by one at both ends of a local's scope), else "(*temporary)" for a
// register in use below the next frame, on the given thread. The hidden
// locals luahost/dialect declares are not Lua's and are not counted.

// pucLocalNames are the names PUC's own compiler gives hidden locals.
var pucLocalNames = map[string]bool{
	"(for index)": true, "(for limit)": true, "(for step)": true,
	"(for generator)": true, "(for state)": true, "(for control)": true,
}

// visibleLocal reports whether PUC would have a local of that name.
func visibleLocal(name string) bool {
	return !strings.HasPrefix(name, "(") || pucLocalNames[name]
}

// threadArg is getthread in ldblib.c: an optional thread first argument.
func threadArg(L *lua.LState) (*lua.LState, int) {
	if th, ok := L.Get(1).(*lua.LState); ok {
		return th, 1
	}
	return L, 0
}

// threadLevel maps PUC's level in L1 to gopher-lua's: a suspended
// coroutine has no frame for the coroutine.yield it is in, which is
// PUC's level 0 (then ok is false: it is a C function without locals
// worth reading).
func threadLevel(L, L1 *lua.LState, level int) (int, bool) {
	if L1 == L || L.Status(L1) != "suspended" {
		return level, true
	}
	return level - 1, level > 0
}

// findLocal returns the name and the register of local n of the frame at
// level of L1, when there is one.
func findLocal(L, L1 *lua.LState, level, n int) (string, int, bool) {
	dbg, ok := L1.GetStack(level)
	if !ok {
		return "", 0, false
	}
	base, pc, ok := lauxlib.FrameInfo(dbg)
	if !ok {
		return "", 0, false
	}
	fv, err := L1.GetInfo("f", dbg, nil)
	fn, isFn := fv.(*lua.LFunction)
	if err == nil && isFn && !fn.IsG && n > 0 {
		reg, seen := 0, 0
		for _, lv := range fn.Proto.DbgLocals {
			if lv.StartPc > pc || pc > lv.EndPc {
				continue
			}
			if visibleLocal(lv.Name) {
				seen++
				if seen == n {
					return lv.Name, base + reg, true
				}
			}
			reg++
		}
	}
	// A temporary: below the next frame's function, or the top.
	limit := 0
	if level > 0 || L1 != L {
		if next, ok := L1.GetStack(level - 1); ok && level > 0 {
			limit, ok = lauxlib.FrameBase(next)
			if !ok {
				return "", 0, false
			}
		} else if regs, ok := lauxlib.Registers(L1); ok {
			limit = len(regs)
		}
	} else if regs, ok := lauxlib.Registers(L1); ok {
		limit = len(regs)
	}
	if n > 0 && base+n-1 < limit {
		return "(*temporary)", base + n - 1, true
	}
	return "", 0, false
}

func dbgGetlocal(L *lua.LState) int {
	L1, arg := threadArg(L)
	level := lauxlib.CheckInt(L, arg+1)
	n := lauxlib.CheckInt(L, arg+2)
	level, ok := threadLevel(L, L1, level)
	if _, found := L1.GetStack(level); !ok || !found {
		lauxlib.ArgError(L, arg+1, "level out of range")
	}
	name, reg, ok := findLocal(L, L1, level, n)
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	regs, _ := lauxlib.Registers(L1)
	var v lua.LValue = lua.LNil
	if reg < len(regs) {
		v = regs[reg]
	}
	L.Push(lua.LString(name))
	L.Push(v)
	return 2
}

func dbgSetlocal(L *lua.LState) int {
	L1, arg := threadArg(L)
	level := lauxlib.CheckInt(L, arg+1)
	n := lauxlib.CheckInt(L, arg+2)
	v := lauxlib.CheckAny(L, arg+3)
	level, ok := threadLevel(L, L1, level)
	if _, found := L1.GetStack(level); !ok || !found {
		lauxlib.ArgError(L, arg+1, "level out of range")
	}
	name, reg, ok := findLocal(L, L1, level, n)
	regs, _ := lauxlib.Registers(L1)
	if !ok || reg >= len(regs) {
		L.Push(lua.LNil)
		return 1
	}
	regs[reg] = v
	L.Push(lua.LString(name))
	return 1
}

// dbgGetregistry is debug.getregistry().
func dbgGetregistry(L *lua.LState) int {
	L.Push(L.G.Registry)
	return 1
}

// dbgGethook is debug.gethook([thread]): no hook is ever set.
func dbgGethook(L *lua.LState) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(""))
	L.Push(lua.LNumber(0))
	return 3
}

// dbgSethook is debug.sethook([thread,] [hook, mask [, count]]). gopher-lua's
// VM has no point where a call, return, line or count hook could run
// (DIFFERENCES.md), so only removing hooks, which never are, succeeds;
// setting one is an error rather than a hook that silently never runs.
func dbgSethook(L *lua.LState) int {
	_, arg := threadArg(L)
	if lauxlib.IsNoneOrNil(L, arg+1) {
		return 0
	}
	lauxlib.CheckAny(L, arg+2)
	lauxlib.Raise(L, "hooks are not available: gopher-lua's VM has no hook points")
	return 0
}

// upvalue is lua_getupvalue's lookup: the n-th upvalue of fn, named ""
// for a Go function's, skipping the hidden ones luahost/dialect binds to
// its lowered operators (PUC has no such upvalues).
func upvalue(fn *lua.LFunction, n int) (string, *lua.Upvalue, bool) {
	if n < 1 {
		return "", nil, false
	}
	if fn.IsG {
		if n <= len(fn.Upvalues) {
			return "", fn.Upvalues[n-1], true
		}
		return "", nil, false
	}
	seen := 0
	for i, name := range fn.Proto.DbgUpvalues {
		if strings.HasPrefix(name, "(") || i >= len(fn.Upvalues) {
			continue
		}
		seen++
		if seen == n {
			return name, fn.Upvalues[i], true
		}
	}
	return "", nil, false
}

func checkFunction(L *lua.LState, n int) *lua.LFunction {
	fn, ok := L.Get(n).(*lua.LFunction)
	if !ok {
		lauxlib.TypeError(L, n, "function")
	}
	return fn
}

// dbgGetupvalue is debug.getupvalue(f, n): its name and value, or nothing.
func dbgGetupvalue(L *lua.LState) int {
	fn := checkFunction(L, 1)
	name, uv, ok := upvalue(fn, lauxlib.CheckInt(L, 2))
	if !ok {
		return 0
	}
	L.Push(lua.LString(name))
	L.Push(uv.Value())
	return 2
}

// dbgSetupvalue is debug.setupvalue(f, n, v): the name, or nothing.
func dbgSetupvalue(L *lua.LState) int {
	lauxlib.CheckAny(L, 3)
	fn := checkFunction(L, 1)
	name, uv, ok := upvalue(fn, lauxlib.CheckInt(L, 2))
	if !ok {
		return 0
	}
	uv.SetValue(L.Get(3))
	L.Push(lua.LString(name))
	return 1
}

// dbgGetfenv is debug.getfenv(o): the environment of a function,
// userdata or thread, else nil.
func dbgGetfenv(L *lua.LState) int {
	var env *lua.LTable
	switch o := lauxlib.CheckAny(L, 1).(type) {
	case *lua.LFunction:
		env = o.Env
	case *lua.LUserData:
		env = o.Env
	case *lua.LState:
		env = o.Env
	}
	if env == nil {
		L.Push(lua.LNil)
	} else {
		L.Push(env)
	}
	return 1
}

// dbgSetfenv is debug.setfenv(o, table), which unlike setfenv changes Go
// functions' too; it returns o.
func dbgSetfenv(L *lua.LState) int {
	env := lauxlib.CheckTable(L, 2)
	switch o := L.Get(1).(type) {
	case *lua.LFunction:
		o.Env = env
	case *lua.LUserData:
		o.Env = env
	case *lua.LState:
		o.Env = env
	default:
		lauxlib.Raise(L, "'setfenv' cannot change environment of given object")
	}
	L.SetTop(1)
	return 1
}

// dbgSetmetatable is debug.setmetatable(o, mt), for any type; true.
func dbgSetmetatable(L *lua.LState) int {
	if t := L.Get(2).Type(); t != lua.LTNil && t != lua.LTTable {
		lauxlib.ArgError(L, 2, "nil or table expected")
	}
	L.SetMetatable(L.Get(1), L.Get(2))
	L.Push(lua.LTrue)
	return 1
}
