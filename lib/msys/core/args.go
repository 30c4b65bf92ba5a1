package core

import (
	"fmt"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/message"
	"msyshost/luahost"
	"msyshost/luahost/puc"
)

// Args checks the arguments of one call the way PUC's lauxlib does, so
// error texts match Momentum's: "bad argument #1 to 'header' (string
// expected, got nil)". For a method the receiver is not counted, and a bad
// receiver reads "calling 'header' on bad self (...)".
type Args struct {
	L      *lua.LState
	Name   string
	Method bool
}

// Func wraps a plain function; Method wraps a method. Both contain Go
// panics: a panic becomes a Lua error naming the function, so it never
// escapes a binding or breaks the state.
func Func(name string, f func(a Args) int) lua.LGFunction {
	return wrap(Args{Name: name}, f)
}

// Method wraps a method (msg:foo, msgpart:foo, s:foo); see Func.
func Method(name string, f func(a Args) int) lua.LGFunction {
	return wrap(Args{Name: name, Method: true}, f)
}

func wrap(a Args, f func(a Args) int) lua.LGFunction {
	return func(L *lua.LState) (n int) {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(*lua.ApiError); ok {
					panic(r)
				}
				L.RaiseError("internal error in '%s': %v", a.Name, r)
			}
		}()
		a.L = L
		return f(a)
	}
}

// where is luaL_where(L, 1): the calling Lua position.
func (a Args) where() string {
	dbg, ok := a.L.GetStack(1)
	if !ok {
		return ""
	}
	if _, err := a.L.GetInfo("Sl", dbg, nil); err != nil || dbg.CurrentLine <= 0 {
		return ""
	}
	return fmt.Sprintf("%s:%d: ", dbg.Source, dbg.CurrentLine)
}

// Raise raises a runtime error with the caller's position in front.
func (a Args) Raise(format string, args ...any) {
	a.L.Error(lua.LString(a.where()+fmt.Sprintf(format, args...)), 0)
}

// Error raises a bad-argument error for stack index n.
func (a Args) Error(n int, msg string) {
	if a.Method {
		if n == 1 {
			a.Raise("calling '%s' on bad self (%s)", a.Name, msg)
		}
		n--
	}
	a.Raise("bad argument #%d to '%s' (%s)", n, a.Name, msg)
}

// TypeName is luaL_typename: "no value" past the last argument.
func (a Args) TypeName(n int) string {
	if n > a.L.GetTop() {
		return "no value"
	}
	return a.L.Get(n).Type().String()
}

// TypeError raises "<expected> expected, got <type>".
func (a Args) TypeError(n int, expected string) {
	a.Error(n, expected+" expected, got "+a.TypeName(n))
}

// IsNone reports whether argument n is absent or nil.
func (a Args) IsNone(n int) bool { return a.L.Get(n) == lua.LNil }

// String is luaL_checkstring: strings, and numbers as PUC formats them.
func (a Args) String(n int) string {
	switch v := a.L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return puc.FormatNumber(float64(v))
	}
	a.TypeError(n, "string")
	return ""
}

// OptString is luaL_optstring.
func (a Args) OptString(n int, def string) string {
	if a.IsNone(n) {
		return def
	}
	return a.String(n)
}

// Number is luaL_checknumber: numbers, and strings that read as one.
func (a Args) Number(n int) float64 {
	switch v := a.L.Get(n).(type) {
	case lua.LNumber:
		return float64(v)
	case lua.LString:
		if f, err := parseNumber(string(v)); err == nil {
			return f
		}
	}
	a.TypeError(n, "number")
	return 0
}

// Int is luaL_checkint.
func (a Args) Int(n int) int { return int(a.Number(n)) }

// OptInt is luaL_optint.
func (a Args) OptInt(n int, def int) int {
	if a.IsNone(n) {
		return def
	}
	return a.Int(n)
}

// Table is luaL_checktable.
func (a Args) Table(n int) *lua.LTable {
	t, ok := a.L.Get(n).(*lua.LTable)
	if !ok {
		a.TypeError(n, "table")
	}
	return t
}

// Message returns argument n as an ec_message.
func (a Args) Message(n int) *message.Message {
	m := luahost.ToMessage(a.L.Get(n))
	if m == nil {
		a.TypeError(n, "ec_message")
	}
	return m
}

// Fail returns the runtime-failure convention: nil, "message".
func (a Args) Fail(err error) int {
	a.L.Push(lua.LNil)
	a.L.Push(lua.LString(err.Error()))
	return 2
}

// Push pushes values and returns how many.
func (a Args) Push(vs ...lua.LValue) int {
	for _, v := range vs {
		a.L.Push(v)
	}
	return len(vs)
}

func parseNumber(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") {
		u, err := strconv.ParseUint(s[2:], 16, 64)
		return float64(u), err
	}
	return strconv.ParseFloat(s, 64)
}

// SetFuncs sets fns into t.
func SetFuncs(L *lua.LState, t *lua.LTable, fns map[string]lua.LGFunction) {
	for k, f := range fns {
		t.RawSetString(k, L.NewFunction(f))
	}
}
