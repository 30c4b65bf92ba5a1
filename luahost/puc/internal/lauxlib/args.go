// Package lauxlib is what PUC's lauxlib.c and the C API give the library
// functions of luahost/puc: argument checks and error texts worded as
// PUC's ("bad argument #1 to 'rep' (number expected, got no value)"), the
// caller's position (luaL_where), calls from Go with PUC's "attempt to call"
// text, and the two pieces of gopher-lua's VM state that its API does not
// expose (internals.go).
package lauxlib

import (
	"fmt"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc/number"
)

// The helpers below check arguments the way PUC's lauxlib does, so that
// error texts match: "bad argument #1 to 'rep' (number expected, got no
// value)", with the caller's position in front (luaL_where(L, 1)).

// FuncName is the name PUC's debug info gives the running Go function:
// the global, local or field it was called through, or "?".
func FuncName(L *lua.LState) string {
	dbg, ok := L.GetStack(0)
	if !ok {
		return "?"
	}
	if _, err := L.GetInfo("n", dbg, nil); err != nil {
		return "?"
	}
	if dbg.Name == "" || dbg.Name[0] == '(' || dbg.Name[0] == '<' {
		return "?"
	}
	return dbg.Name
}

// Where is luaL_where: "chunk:line: " of the function at level, or "" when
// that function is not Lua code.
func Where(L *lua.LState, level int) string {
	dbg, ok := L.GetStack(level)
	if !ok || TailLevel(L, level) {
		return ""
	}
	if _, err := L.GetInfo("Sl", dbg, nil); err != nil {
		return ""
	}
	if dbg.CurrentLine > 0 {
		return fmt.Sprintf("%s:%d: ", dbg.Source, dbg.CurrentLine)
	}
	return ""
}

// TailLevel reports whether level is where a tail call was: gopher-lua
// counts it as a level, as PUC does, but answers for it with the bottom
// frame of the stack. The bottom frame has a level of its own too, below
// the tail-call levels of the tail calls made in it: that one is no tail
// level (a function the host called that made a tail call, as a hook's
// "return helper()", is exactly that frame).
func TailLevel(L *lua.LState, level int) bool {
	dbg, ok := L.GetStack(level)
	if !ok {
		return false
	}
	last := level
	for {
		if _, ok := L.GetStack(last + 1); !ok {
			break
		}
		last++
	}
	bottom, _ := L.GetStack(last)
	f, _, ok1 := FrameOf(dbg)
	b, tailCalls, ok2 := FrameOf(bottom)
	if ok1 && ok2 {
		return f == b && level != last-tailCalls
	}
	// gopher-lua's fields changed (TestInternals says so): the same
	// function at the same line as the bottom frame is taken for it.
	if last == level {
		return false
	}
	f1, err1 := L.GetInfo("fl", dbg, nil)
	f2, err2 := L.GetInfo("fl", bottom, nil)
	return err1 == nil && err2 == nil && f1 == f2 && dbg.CurrentLine == bottom.CurrentLine
}

// Raise is luaL_error: the message with the caller's position in front.
func Raise(L *lua.LState, format string, args ...any) {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	L.Error(lua.LString(Where(L, 1)+msg), 0)
}

func ArgError(L *lua.LState, n int, msg string) {
	name := FuncName(L)
	if name != "?" && IsMethodCall(L, name) {
		n--
		if n == 0 {
			Raise(L, "calling '%s' on bad self (%s)", name, msg)
		}
	}
	Raise(L, "bad argument #%d to '%s' (%s)", n, name, msg)
}

// TypeName is luaL_typename, which says "no value" past the last argument.
func TypeName(L *lua.LState, n int) string {
	if n > L.GetTop() {
		return "no value"
	}
	return L.Get(n).Type().String()
}

func TypeError(L *lua.LState, n int, expected string) {
	ArgError(L, n, expected+" expected, got "+TypeName(L, n))
}

func IsNoneOrNil(L *lua.LState, n int) bool {
	return n > L.GetTop() || L.Get(n) == lua.LNil
}

func CheckAny(L *lua.LState, n int) lua.LValue {
	if n > L.GetTop() {
		ArgError(L, n, "value expected")
	}
	return L.Get(n)
}

// ToNumber is lua_tonumber: numbers and strings that read as numbers.
func ToNumber(v lua.LValue) (float64, bool) {
	switch x := v.(type) {
	case lua.LNumber:
		return float64(x), true
	case lua.LString:
		return number.ToNumber(string(x))
	}
	return 0, false
}

func CheckNumber(L *lua.LState, n int) float64 {
	f, ok := ToNumber(L.Get(n))
	if !ok {
		TypeError(L, n, "number")
	}
	return f
}

func OptNumber(L *lua.LState, n int, def float64) float64 {
	if IsNoneOrNil(L, n) {
		return def
	}
	return CheckNumber(L, n)
}

func CheckInteger(L *lua.LState, n int) int64 {
	return number.ToInteger(CheckNumber(L, n))
}

func OptInteger(L *lua.LState, n int, def int64) int64 {
	if IsNoneOrNil(L, n) {
		return def
	}
	return CheckInteger(L, n)
}

// CheckInt is luaL_checkint: luaL_checkinteger narrowed to a C int.
func CheckInt(L *lua.LState, n int) int {
	return int(int32(CheckInteger(L, n)))
}

func OptInt(L *lua.LState, n int, def int) int {
	if IsNoneOrNil(L, n) {
		return def
	}
	return CheckInt(L, n)
}

// ToString is lua_tolstring: strings, and numbers formatted with %.14g.
func ToString(v lua.LValue) (string, bool) {
	switch x := v.(type) {
	case lua.LString:
		return string(x), true
	case lua.LNumber:
		return number.Format(float64(x)), true
	}
	return "", false
}

func CheckString(L *lua.LState, n int) string {
	s, ok := ToString(L.Get(n))
	if !ok {
		TypeError(L, n, "string")
	}
	return s
}

func OptString(L *lua.LState, n int, def string) string {
	if IsNoneOrNil(L, n) {
		return def
	}
	return CheckString(L, n)
}

func CheckTable(L *lua.LState, n int) *lua.LTable {
	t, ok := L.Get(n).(*lua.LTable)
	if !ok {
		TypeError(L, n, "table")
	}
	return t
}

// Callable reports whether calling v can work: a function or a value
// with __call.
func Callable(L *lua.LState, v lua.LValue) bool {
	return v.Type() == lua.LTFunction || L.GetMetaField(v, "__call").Type() == lua.LTFunction
}

// Call is lua_call from Go code: calling what cannot be called fails with
// PUC's text and no position, as the running function is not Lua code.
func Call(L *lua.LState, nargs, nret int) {
	if f := L.Get(-nargs - 1); !Callable(L, f) {
		L.Error(lua.LString("attempt to call a "+f.Type().String()+" value"), 0)
	}
	L.Call(nargs, nret)
}

// SetFuncs installs fns into the table global name (nil: the globals).
func SetFuncs(L *lua.LState, name string, fns map[string]lua.LGFunction) *lua.LTable {
	var tb *lua.LTable
	if name == "" {
		tb = L.G.Global
	} else {
		t, ok := L.GetGlobal(name).(*lua.LTable)
		if !ok {
			t = L.NewTable()
			L.SetGlobal(name, t)
		}
		tb = t
	}
	for k, f := range fns {
		tb.RawSetString(k, L.NewFunction(f))
	}
	return tb
}

// RawEqual is lua_rawequal: numbers by value, the rest by identity.
func RawEqual(a, b lua.LValue) bool {
	if x, ok := a.(lua.LNumber); ok {
		y, ok := b.(lua.LNumber)
		return ok && x == y
	}
	return a == b
}
