package luahost

import (
	"fmt"
	"math"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc"
	"msyshost/luahost/puc/number"
)

// Args checks the arguments of one call the way PUC's lauxlib does, so
// error texts match Momentum's C bindings: "bad argument #1 to 'header'
// (string expected, got nil)" with the caller's position in front. For a
// method the receiver is not counted, and a bad receiver reads "calling
// 'header' on bad self (...)". Numbers are read as PUC reads them
// (puc/number.ToNumber) and narrowed as C narrows them.
//
// Every Lua-facing function of lib/msys is written against Args and
// wrapped by Func or Method, so all of them share the argument checks, the
// panic containment and the `nil, "message"` convention for runtime
// failures (Fail).
type Args struct {
	L    *lua.LState
	Name string
}

// Func wraps a plain function; Method wraps a method. Both contain Go
// panics: a panic becomes a Lua error naming the function, so it never
// escapes a binding, and the state, which the panic may have left half
// changed, is replaced after the call. A function that acts on or reads
// the world outside Lua says so with Effect or Replay, so that the states
// replaying a generation's build do not act again (journal.go).
func Func(name string, f func(a Args) int, opts ...FuncOption) lua.LGFunction {
	return wrap(Args{Name: name}, f, opts)
}

// Method wraps a method (msg:foo, msgpart:foo, s:foo); see Func. Whether
// self counts in an argument error's number is read from the call, as PUC
// does (Error), so a method is wrapped as a function is.
func Method(name string, f func(a Args) int, opts ...FuncOption) lua.LGFunction {
	return wrap(Args{Name: name}, f, opts)
}

func wrap(a Args, f func(a Args) int, opts []FuncOption) lua.LGFunction {
	call := func(L *lua.LState) (n int) {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(*lua.ApiError); ok {
					panic(r)
				}
				stateOf(L).broken = true
				L.RaiseError("internal error in '%s': %v", a.Name, r)
			}
		}()
		a.L = L
		return f(a)
	}
	if len(opts) == 0 {
		return call
	}
	kind, name := opts[0], a.Name
	return func(L *lua.LState) int { return journaled(L, name, kind, call) }
}

// contain wraps a plain gopher-lua function as Func wraps a binding: a Go
// panic becomes a Lua error naming it, and the state is replaced after the
// call.
func contain(name string, f lua.LGFunction) lua.LGFunction {
	return wrap(Args{Name: name}, func(a Args) int { return f(a.L) }, nil)
}

// SetFuncs sets fns into t (functions made with Func or Method).
func SetFuncs(L *lua.LState, t *lua.LTable, fns map[string]lua.LGFunction) {
	for k, f := range fns {
		t.RawSetString(k, L.NewFunction(f))
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

// Raise raises a runtime error (luaL_error) with the caller's position in
// front.
func (a Args) Raise(format string, args ...any) {
	a.L.Error(lua.LString(a.where()+fmt.Sprintf(format, args...)), 0)
}

// Error raises a bad-argument error for stack index n (luaL_argerror),
// as PUC words it: the function is named as its caller called it (a
// field, a local, or '?' when called through pcall), and only a method
// call (obj:f()) leaves self uncounted.
func (a Args) Error(n int, msg string) { puc.ArgError(a.L, n, msg) }

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

// Top is the number of arguments.
func (a Args) Top() int { return a.L.GetTop() }

// Get returns argument n as it is.
func (a Args) Get(n int) lua.LValue { return a.L.Get(n) }

// Any is luaL_checkany: any value, nil included, but present.
func (a Args) Any(n int) lua.LValue {
	if n > a.L.GetTop() {
		a.Error(n, "value expected")
	}
	return a.L.Get(n)
}

// ToString is lua_tolstring: strings, and numbers as PUC formats them.
func ToString(v lua.LValue) (string, bool) {
	switch x := v.(type) {
	case lua.LString:
		return string(x), true
	case lua.LNumber:
		return puc.FormatNumber(float64(x)), true
	}
	return "", false
}

// String is luaL_checkstring: strings, and numbers as PUC formats them.
func (a Args) String(n int) string {
	s, ok := ToString(a.L.Get(n))
	if !ok {
		a.TypeError(n, "string")
	}
	return s
}

// OptString is luaL_optstring.
func (a Args) OptString(n int, def string) string {
	if a.IsNone(n) {
		return def
	}
	return a.String(n)
}

// ToNumber is lua_tonumber: numbers, and strings that read as one the way
// PUC reads them (whitespace around, hex, inf and nan accepted).
func ToNumber(v lua.LValue) (float64, bool) {
	switch x := v.(type) {
	case lua.LNumber:
		return float64(x), true
	case lua.LString:
		return number.ToNumber(string(x))
	}
	return 0, false
}

// Number is luaL_checknumber.
func (a Args) Number(n int) float64 {
	f, ok := ToNumber(a.L.Get(n))
	if !ok {
		a.TypeError(n, "number")
	}
	return f
}

// OptNumber is luaL_optnumber.
func (a Args) OptNumber(n int, def float64) float64 {
	if a.IsNone(n) {
		return def
	}
	return a.Number(n)
}

// Integer is luaL_checkinteger: the number truncated as a C cast from
// double does on amd64, NaN and overflow giving the "integer indefinite"
// value.
func (a Args) Integer(n int) int64 { return toInteger(a.Number(n)) }

// OptInteger is luaL_optinteger.
func (a Args) OptInteger(n int, def int64) int64 {
	if a.IsNone(n) {
		return def
	}
	return a.Integer(n)
}

// Int is luaL_checkint: the integer narrowed to a C int.
func (a Args) Int(n int) int { return int(int32(a.Integer(n))) }

// OptInt is luaL_optint.
func (a Args) OptInt(n int, def int) int {
	if a.IsNone(n) {
		return def
	}
	return a.Int(n)
}

func toInteger(f float64) int64 {
	if f != f || f >= 1<<63 || f < -(1<<63) {
		return math.MinInt64
	}
	return int64(f)
}

// Bool is lua_toboolean: nil and false are false, anything else true.
func (a Args) Bool(n int) bool { return lua.LVAsBool(a.L.Get(n)) }

// Table is luaL_checktable.
func (a Args) Table(n int) *lua.LTable {
	t, ok := a.L.Get(n).(*lua.LTable)
	if !ok {
		a.TypeError(n, "table")
	}
	return t
}

// OptTable returns argument n as a table, or nil when it is absent or nil.
func (a Args) OptTable(n int) *lua.LTable {
	if a.IsNone(n) {
		return nil
	}
	return a.Table(n)
}

// Function is luaL_checktype(L, n, LUA_TFUNCTION).
func (a Args) Function(n int) *lua.LFunction {
	f, ok := a.L.Get(n).(*lua.LFunction)
	if !ok {
		a.TypeError(n, "function")
	}
	return f
}

// Option is luaL_checkoption: argument n (def when absent, unless def is
// "") must be one of opts; it returns the index of the match.
func (a Args) Option(n int, def string, opts ...string) int {
	var s string
	if def != "" {
		s = a.OptString(n, def)
	} else {
		s = a.String(n)
	}
	for i, o := range opts {
		if o == s {
			return i
		}
	}
	a.Error(n, "invalid option '"+s+"'")
	return -1
}

// Fail returns the runtime-failure convention: nil, "message".
func (a Args) Fail(err error) int {
	a.L.Push(lua.LNil)
	a.L.Push(lua.LString(err.Error()))
	return 2
}

// Failf is Fail with a formatted message.
func (a Args) Failf(format string, args ...any) int {
	a.L.Push(lua.LNil)
	a.L.Push(lua.LString(fmt.Sprintf(format, args...)))
	return 2
}

// Push pushes values and returns how many.
func (a Args) Push(vs ...lua.LValue) int {
	for _, v := range vs {
		a.L.Push(v)
	}
	return len(vs)
}
