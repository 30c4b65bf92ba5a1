package core

import (
	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

// ECString is the Go value of an ec_string: a mutable byte string that
// Momentum hands to callbacks and that msg:get_envelope2 fills.
type ECString struct{ B []byte }

// NewString returns a new ec_string userdata holding s.
func NewString(L *lua.LState, s string) *lua.LUserData {
	return luahost.NewObject(L, luahost.StringClass, &ECString{B: []byte(s)})
}

// ToString returns v as an ECString, or nil.
func ToString(v lua.LValue) *ECString {
	if ud, ok := v.(*lua.LUserData); ok {
		if s, ok := ud.Value.(*ECString); ok {
			return s
		}
	}
	return nil
}

// ECString returns argument n as an ec_string.
func (a Args) ECString(n int) *ECString {
	s := ToString(a.L.Get(n))
	if s == nil {
		a.TypeError(n, "ec_string")
	}
	return s
}

// msys.core.string_new() → an empty ec_string.
func stringNew(a Args) int { return a.Push(NewString(a.L, "")) }

func openString(L *lua.LState) {
	SetFuncs(L, luahost.ClassMethods(L, luahost.StringClass), map[string]lua.LGFunction{
		"set":   Method("set", strSet),
		"write": Method("write", strWrite),
	})
	SetFuncs(L, luahost.ClassMeta(L, luahost.StringClass), map[string]lua.LGFunction{
		"__tostring": Func("tostring", strToString),
		"__len":      Func("__len", strLen),
		"__concat":   Func("concat", strConcat),
		"__eq":       Func("__eq", strEq),
	})
}

// s:set(str): replaces the content.
func strSet(a Args) int {
	s := a.ECString(1)
	s.B = []byte(a.String(2))
	return 0
}

// s:write(str[, len]): appends the first len bytes of str (all
// of it without len); returns the number of bytes written.
func strWrite(a Args) int {
	s := a.ECString(1)
	v := a.String(2)
	n := a.OptInt(3, len(v))
	if n < 0 {
		a.Error(3, "length must not be negative")
	}
	if n > len(v) {
		n = len(v)
	}
	s.B = append(s.B, v[:n]...)
	return a.Push(lua.LNumber(n))
}

// tostring(s).
func strToString(a Args) int { return a.Push(lua.LString(a.ECString(1).B)) }

// #s.
func strLen(a Args) int { return a.Push(lua.LNumber(len(a.ECString(1).B))) }

// s .. x and x .. s: the result is a plain Lua string.
func strConcat(a Args) int {
	part := func(n int) string {
		if s := ToString(a.L.Get(n)); s != nil {
			return string(s.B)
		}
		v := a.L.Get(n)
		if _, ok := v.(lua.LString); !ok {
			if _, ok := v.(lua.LNumber); !ok {
				a.Raise("attempt to concatenate a %s value", v.Type().String())
			}
		}
		return a.String(n)
	}
	return a.Push(lua.LString(part(1) + part(2)))
}

// s1 == s2 for two ec_strings: equal content.
func strEq(a Args) int {
	x, y := ToString(a.L.Get(1)), ToString(a.L.Get(2))
	return a.Push(lua.LBool(x != nil && y != nil && string(x.B) == string(y.B)))
}
