package puc

import (
	"fmt"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// The helpers below check arguments the way PUC's lauxlib does, so that
// error texts match: "bad argument #1 to 'rep' (number expected, got no
// value)", with the caller's position in front (luaL_where(L, 1)).

// funcName is the name PUC's debug info gives the running Go function:
// the global, local or field it was called through, or "?".
func funcName(L *lua.LState) string {
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

// where is luaL_where: "chunk:line: " of the function at level, or "" when
// that function is not Lua code.
func where(L *lua.LState, level int) string {
	dbg, ok := L.GetStack(level)
	if !ok || tailLevel(L, level) {
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

// tailLevel reports whether level is where a tail call was: gopher-lua
// counts it as a level, as PUC does, but answers for it with the bottom
// frame of the stack.
func tailLevel(L *lua.LState, level int) bool {
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
	if last == level {
		return false
	}
	bottom, _ := L.GetStack(last)
	f1, err1 := L.GetInfo("fl", dbg, nil)
	f2, err2 := L.GetInfo("fl", bottom, nil)
	return err1 == nil && err2 == nil && f1 == f2 && dbg.CurrentLine == bottom.CurrentLine
}

// raise is luaL_error: the message with the caller's position in front.
func raise(L *lua.LState, format string, args ...any) {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	L.Error(lua.LString(where(L, 1)+msg), 0)
}

func argError(L *lua.LState, n int, msg string) {
	name := funcName(L)
	if name != "?" && isMethodCall(L, name) {
		n--
		if n == 0 {
			raise(L, "calling '%s' on bad self (%s)", name, msg)
		}
	}
	raise(L, "bad argument #%d to '%s' (%s)", n, name, msg)
}

// typeName is luaL_typename, which says "no value" past the last argument.
func typeName(L *lua.LState, n int) string {
	if n > L.GetTop() {
		return "no value"
	}
	return L.Get(n).Type().String()
}

func typeError(L *lua.LState, n int, expected string) {
	argError(L, n, expected+" expected, got "+typeName(L, n))
}

func isNoneOrNil(L *lua.LState, n int) bool {
	return n > L.GetTop() || L.Get(n) == lua.LNil
}

func checkAny(L *lua.LState, n int) lua.LValue {
	if n > L.GetTop() {
		argError(L, n, "value expected")
	}
	return L.Get(n)
}

// toNumber is lua_tonumber: numbers and strings that read as numbers.
func toNumber(v lua.LValue) (float64, bool) {
	switch x := v.(type) {
	case lua.LNumber:
		return float64(x), true
	case lua.LString:
		return str2number(string(x))
	}
	return 0, false
}

func checkNumber(L *lua.LState, n int) float64 {
	f, ok := toNumber(L.Get(n))
	if !ok {
		typeError(L, n, "number")
	}
	return f
}

func optNumber(L *lua.LState, n int, def float64) float64 {
	if isNoneOrNil(L, n) {
		return def
	}
	return checkNumber(L, n)
}

// toInteger converts as a C cast from double does on amd64 (cvttsd2si):
// truncation, and the "integer indefinite" value for NaN and overflow.
func toInteger(f float64) int64 {
	if f != f || f >= 1<<63 || f < -(1<<63) {
		return math.MinInt64
	}
	return int64(f)
}

func checkInteger(L *lua.LState, n int) int64 {
	return toInteger(checkNumber(L, n))
}

func optInteger(L *lua.LState, n int, def int64) int64 {
	if isNoneOrNil(L, n) {
		return def
	}
	return checkInteger(L, n)
}

// checkInt is luaL_checkint: luaL_checkinteger narrowed to a C int.
func checkInt(L *lua.LState, n int) int {
	return int(int32(checkInteger(L, n)))
}

func optInt(L *lua.LState, n int, def int) int {
	if isNoneOrNil(L, n) {
		return def
	}
	return checkInt(L, n)
}

// toString is lua_tolstring: strings, and numbers formatted with %.14g.
func toString(v lua.LValue) (string, bool) {
	switch x := v.(type) {
	case lua.LString:
		return string(x), true
	case lua.LNumber:
		return FormatNumber(float64(x)), true
	}
	return "", false
}

func checkString(L *lua.LState, n int) string {
	s, ok := toString(L.Get(n))
	if !ok {
		typeError(L, n, "string")
	}
	return s
}

func optString(L *lua.LState, n int, def string) string {
	if isNoneOrNil(L, n) {
		return def
	}
	return checkString(L, n)
}

func checkTable(L *lua.LState, n int) *lua.LTable {
	t, ok := L.Get(n).(*lua.LTable)
	if !ok {
		typeError(L, n, "table")
	}
	return t
}

// ArgError raises PUC's "chunk:line: bad argument #n to 'name' (msg)" from
// a Go function called by Lua, numbering arguments as PUC does for method
// calls. For Go bindings whose errors must read like Momentum's C ones;
// gopher-lua's LState.ArgError leaves the quotes out.
func ArgError(L *lua.LState, n int, msg string) {
	argError(L, n, msg)
}

// TypeError raises PUC's "bad argument #n to 'name' (expected expected,
// got type)", where type is "no value" past the last argument.
func TypeError(L *lua.LState, n int, expected string) {
	typeError(L, n, expected)
}
