package dialect

import (
	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc/number"
)

// Plain Lua operations whose gopher-lua version differs from PUC's, run
// by the host with puc's arithmetic.

// arithNumber is luaV_tonumber for arithmetic: numbers as they are,
// strings read by PUC's luaO_str2d (strtod), not thrlua's octal reading
// or gopher-lua's own reader.
func arithNumber(v lua.LValue) (float64, bool) {
	switch v := v.(type) {
	case lua.LNumber:
		return float64(v), true
	case lua.LString:
		return number.ToNumber(string(v))
	}
	return 0, false
}

// powOp is a ^ b as PUC's OP_POW runs it: C's pow on numbers (number.Pow,
// whose NaN is negative as glibc's is), numeric strings converted, else
// __pow, else "attempt to perform arithmetic on" the first operand that
// is not a number.
func powOp(L *lua.LState) int {
	a, b := L.Get(1), L.Get(2)
	if x, ok := a.(lua.LNumber); ok {
		if y, ok := b.(lua.LNumber); ok {
			L.Push(lua.LNumber(number.Pow(float64(x), float64(y))))
			return 1
		}
	}
	x, okx := arithNumber(a)
	y, oky := arithNumber(b)
	switch {
	case okx && oky:
		L.Push(lua.LNumber(number.Pow(x, y)))
	case !callBinTM(L, "__pow", a, b):
		if !okx {
			typeError(L, a, descAt(L.Get(3), 0), "perform arithmetic on")
		}
		typeError(L, b, descAt(L.Get(3), 1), "perform arithmetic on")
	}
	return 1
}

var forBoundMessages = [3]string{
	"'for' initial value must be a number",
	"'for' limit must be a number",
	"'for' step must be a number",
}

// forNumOp is OP_FORPREP's check: forNum(first, bounds...) converts the
// bounds of a numeric for, the first of which is at position first
// (0 init, 1 limit, 2 step), and returns them as numbers; they were all
// evaluated before the first is checked, as in PUC.
func forNumOp(L *lua.LState) int {
	first := int(L.CheckNumber(1))
	top := L.GetTop()
	for i := 2; i <= top; i++ {
		v := L.Get(i)
		if _, ok := v.(lua.LNumber); ok {
			continue
		}
		n, ok := arithNumber(v)
		if !ok {
			L.RaiseError("%s", forBoundMessages[first+i-2])
		}
		L.Replace(i, lua.LNumber(n))
	}
	return top - 1
}
