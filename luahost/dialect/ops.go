package dialect

import (
	"errors"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc"
	"msyshost/luahost/puc/number"
)

// The operators lowered to calls of hidden locals. The order is the order
// of the upvalues every compiled chunk is bound to.
const (
	opConcat = iota
	opBand
	opBor
	opBxor
	opShl
	opShr
	opBnot
	opIntDiv
	opPow
	opForNum
	opFill
	numOps
)

// opLocals are the names of the hidden locals. They are not identifiers,
// so no script can name, shadow or assign them.
var opLocals = [numOps]string{
	"(concat)", "(band)", "(bor)", "(bxor)", "(shl)", "(shr)", "(bnot)", "(intdiv)", "(pow)", "(fornum)", "(fill)",
}

var opFuncs = [numOps]lua.LGFunction{
	opConcat: concatOp,
	opBand:   bitwise("__and", func(a, b int64) int64 { return a & b }),
	opBor:    bitwise("__or", func(a, b int64) int64 { return a | b }),
	opBxor:   bitwise("__xor", func(a, b int64) int64 { return a ^ b }),
	opShl:    bitwise("__shl", func(a, b int64) int64 { return int64(uint64(a) << (uint64(b) & 63)) }),
	opShr:    bitwise("__shr", func(a, b int64) int64 { return a >> (uint64(b) & 63) }),
	opBnot:   bnotOp,
	opIntDiv: intDivOp,
	opPow:    powOp,
	opForNum: forNumOp,
	opFill:   fillOp,
}

// toInteger is lua_number2integer on x86-64: a C cast to int64_t, which
// truncates toward zero and yields INT64_MIN for NaN and out-of-range
// values (cvttsd2si).
func toInteger(f float64) int64 {
	if f != f || f >= 1<<63 || f < -(1<<63) {
		return math.MinInt64
	}
	return int64(f)
}

// toNumber is luaV_tonumber: numbers, and strings that convert.
func toNumber(v lua.LValue) (float64, bool) {
	switch v := v.(type) {
	case lua.LNumber:
		return float64(v), true
	case lua.LString:
		return str2d(string(v))
	}
	return 0, false
}

// descAt returns operand i's name ("global 'x'") from the descriptor
// argument the parser added, or "".
func descAt(desc lua.LValue, i int) string {
	s, ok := desc.(lua.LString)
	if !ok {
		return ""
	}
	parts := strings.Split(string(s), "\x00")
	if i < len(parts) {
		return parts[i]
	}
	return ""
}

// typeError is luaG_typeerror: "attempt to <op> global 'x' (a nil value)"
// when the operand has a name, "attempt to <op> a nil value" otherwise.
func typeError(L *lua.LState, v lua.LValue, desc, op string) {
	if desc != "" {
		L.RaiseError("attempt to %s %s (a %s value)", op, desc, v.Type().String())
	}
	L.RaiseError("attempt to %s a %s value", op, v.Type().String())
}

// callBinTM is call_binTM: the first operand's metamethod, else the
// second's; the result is left on the stack.
func callBinTM(L *lua.LState, event string, a, b lua.LValue) bool {
	tm := L.GetMetaField(a, event)
	if tm == lua.LNil {
		tm = L.GetMetaField(b, event)
	}
	if tm == lua.LNil {
		return false
	}
	L.Push(tm)
	L.Push(a)
	L.Push(b)
	L.Call(2, 1)
	return true
}

// bitwise implements a binary bitwise operator as thrlua's Logic(): both
// operands converted to int64, else the metamethod, else an error naming
// the first operand that is not a number.
func bitwise(event string, f func(a, b int64) int64) lua.LGFunction {
	return func(L *lua.LState) int {
		a, b := L.Get(1), L.Get(2)
		if x, ok := a.(lua.LNumber); ok {
			if y, ok := b.(lua.LNumber); ok {
				L.Push(lua.LNumber(f(toInteger(float64(x)), toInteger(float64(y)))))
				return 1
			}
		}
		x, okx := toNumber(a)
		y, oky := toNumber(b)
		switch {
		case okx && oky:
			L.Push(lua.LNumber(f(toInteger(x), toInteger(y))))
		case !callBinTM(L, event, a, b):
			if !okx {
				typeError(L, a, descAt(L.Get(3), 0), "perform bitwise operation on")
			}
			typeError(L, b, descAt(L.Get(3), 1), "perform bitwise operation on")
		}
		return 1
	}
}

// bnotOp is unary ~; the metamethod gets the operand twice, as __unm does.
func bnotOp(L *lua.LState) int {
	a := L.Get(1)
	if x, ok := toNumber(a); ok {
		L.Push(lua.LNumber(^toInteger(x)))
		return 1
	}
	if !callBinTM(L, "__not", a, a) {
		typeError(L, a, descAt(L.Get(2), 0), "perform bitwise operation on")
	}
	return 1
}

// intDivOp is \ as thrlua's VM runs OP_INTDIV: arith_op(luai_numintdiv,
// TM_DIV). Two numbers give floor(a/b) (so 1\0 is inf, not an error); any
// other operands take Arith's TM_DIV path, which divides without flooring
// and tries __div (never __intdiv, which thrlua registers but never
// consults), else "attempt to perform arithmetic on".
func intDivOp(L *lua.LState) int {
	a, b := L.Get(1), L.Get(2)
	if x, ok := a.(lua.LNumber); ok {
		if y, ok := b.(lua.LNumber); ok {
			L.Push(lua.LNumber(math.Floor(float64(x) / float64(y))))
			return 1
		}
	}
	x, okx := toNumber(a)
	y, oky := toNumber(b)
	switch {
	case okx && oky:
		L.Push(lua.LNumber(x / y))
	case !callBinTM(L, "__div", a, b):
		if !okx {
			typeError(L, a, descAt(L.Get(3), 0), "perform arithmetic on")
		}
		typeError(L, b, descAt(L.Get(3), 1), "perform arithmetic on")
	}
	return 1
}

// writeNumber appends n as PUC's tostring does ("%.14g").
func writeNumber(b *strings.Builder, n float64) {
	if n == math.Trunc(n) && math.Abs(n) < 1e14 && !(n == 0 && math.Signbit(n)) {
		var buf [24]byte
		b.Write(strconv.AppendInt(buf[:0], int64(n), 10))
		return
	}
	b.WriteString(number.Format(n))
}

// concatOp is a lowered a .. b .. c: concat(desc, a, b, c). Strings and
// numbers are joined in one pass; anything else goes through luaV_concat's
// right-to-left algorithm.
func concatOp(L *lua.LState) int {
	// Concatenation allocates: PUC's collector may run here (OP_CONCAT's
	// luaC_checkGC), and so does the host's weak-table collection.
	if err := puc.Poll(L); err != nil {
		var ae *lua.ApiError
		if errors.As(err, &ae) {
			L.Error(ae.Object, 0)
		}
		L.Error(lua.LString(err.Error()), 0)
	}
	top := L.GetTop()
	if top == 3 {
		if a, ok := L.Get(2).(lua.LString); ok {
			if b, ok := L.Get(3).(lua.LString); ok {
				checkSize(L, len(a)+len(b))
				L.Push(a + b)
				return 1
			}
		}
	}
	size := 0
	for i := 2; i <= top; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			size += len(v)
		case lua.LNumber:
			size += 14
		default:
			return concatSlow(L, top)
		}
	}
	checkSize(L, size)
	var b strings.Builder
	b.Grow(size)
	for i := 2; i <= top; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			b.WriteString(string(v))
		case lua.LNumber:
			writeNumber(&b, float64(v))
		}
	}
	L.Push(lua.LString(b.String()))
	return 1
}

// maxConcat bounds what one concatenation builds, as puc's string.rep
// does: PUC would try any size; a host serving many scripts, where one
// allocation of gigabytes would starve the others, had better not.
const maxConcat = 1 << 30

// checkSize raises PUC's memory error for a result over maxConcat.
func checkSize(L *lua.LState, size int) {
	if size > maxConcat {
		L.Error(lua.LString("not enough memory"), 0)
	}
	puc.CheckAlloc(L, size)
}

func isStrNum(v lua.LValue) bool {
	switch v.(type) {
	case lua.LString, lua.LNumber:
		return true
	}
	return false
}

// toStr is luaV_tostring: converts a number in place.
func toStr(v *lua.LValue) bool {
	switch n := (*v).(type) {
	case lua.LString:
		return true
	case lua.LNumber:
		*v = lua.LString(number.Format(float64(n)))
		return true
	}
	return false
}

// concatSlow is luaV_concat over the operands at stack slots 2..top:
// from the right, a run of strings and numbers is joined at once; a pair
// with anything else goes to __concat (first operand's, else second's).
func concatSlow(L *lua.LState, top int) int {
	desc := L.Get(1)
	vals := make([]lua.LValue, top-1)
	for i := range vals {
		vals[i] = L.Get(i + 2)
	}
	n := len(vals)
	for n > 1 {
		a, b := vals[n-2], vals[n-1]
		if !isStrNum(a) || !toStr(&vals[n-1]) {
			if !callBinTM(L, "__concat", a, b) {
				bad := n - 2
				if isStrNum(a) {
					bad = n - 1
				}
				typeError(L, vals[bad], descAt(desc, bad), "concatenate")
			}
			vals[n-2] = L.Get(-1)
			L.Pop(1)
			n--
			continue
		}
		k := 1
		for k < n && toStr(&vals[n-k-1]) {
			k++
		}
		var sb strings.Builder
		for _, v := range vals[n-k : n] {
			sb.WriteString(string(v.(lua.LString)))
		}
		vals[n-k] = lua.LString(sb.String())
		n -= k - 1
	}
	L.Push(vals[0])
	return 1
}
