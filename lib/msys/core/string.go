package core

import (
	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

// ECString is the Go value of an ec_string: a mutable byte string that
// Momentum hands to callbacks and that msg:get_envelope2 fills.
type ECString struct{ B []byte }

// String returns the content (a validate_* hook's str argument, as
// scenario reports show it).
func (s *ECString) String() string { return string(s.B) }

// StringClass is the class of ec_string.
var StringClass = luahost.NewClass[ECString]("msys.core:_ec_string", "ec_string")

// NewString returns a new ec_string holding s.
func NewString(L *lua.LState, s string) lua.LValue {
	return StringClass.Push(L, &ECString{B: []byte(s)})
}

// msys.core.string_new() → an empty ec_string.
func stringNew(a luahost.Args) int { return a.Push(NewString(a.L, "")) }

func openString(L *lua.LState) {
	// s.buffer: the content, as the C struct's field (the mobile guide reads
	// smpp_read_msg_text_blob(...).buffer).
	StringClass.Field(L, "buffer", func(L *lua.LState, s *ECString) lua.LValue { return lua.LString(s.B) }, nil)
	luahost.SetFuncs(L, StringClass.Methods(L), map[string]lua.LGFunction{
		"set":   luahost.Method("set", strSet),
		"write": luahost.Method("write", strWrite),
	})
	luahost.SetFuncs(L, StringClass.Meta(L), map[string]lua.LGFunction{
		"__tostring": luahost.Func("tostring", strToString),
		"__len":      luahost.Func("__len", strLen),
		"__concat":   luahost.Func("concat", strConcat),
		"__eq":       luahost.Func("__eq", strEq),
	})
}

// s:set(str): replaces the content.
func strSet(a luahost.Args) int {
	s := StringClass.Check(a, 1)
	s.B = []byte(a.String(2))
	return 0
}

// s:write(str[, len]): appends the first len bytes of str (all
// of it without len); returns the number of bytes written.
func strWrite(a luahost.Args) int {
	s := StringClass.Check(a, 1)
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
func strToString(a luahost.Args) int { return a.Push(lua.LString(StringClass.Check(a, 1).B)) }

// #s.
func strLen(a luahost.Args) int { return a.Push(lua.LNumber(len(StringClass.Check(a, 1).B))) }

// s .. x and x .. s: the result is a plain Lua string.
func strConcat(a luahost.Args) int {
	part := func(n int) string {
		if s := StringClass.To(a.L.Get(n)); s != nil {
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
func strEq(a luahost.Args) int {
	x, y := StringClass.To(a.L.Get(1)), StringClass.To(a.L.Get(2))
	return a.Push(lua.LBool(x != nil && y != nil && string(x.B) == string(y.B)))
}
