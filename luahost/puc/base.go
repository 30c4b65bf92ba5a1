package puc

import (
	"io"
	"runtime"
	"strings"
	"weak"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc/internal/lauxlib"
	"msyshost/luahost/puc/internal/lgc"
	"msyshost/luahost/puc/iolib"
	"msyshost/luahost/puc/number"
)

// base holds the replacement base functions that need each other: print
// calls the global tostring, pairs hands out next.
type base struct {
	h          *host
	proxyMetas map[weak.Pointer[lua.LTable]]bool // metatables newproxy(true) made; weak, as in PUC
	pause      float64                           // what collectgarbage("setpause") last set
	stepMul    float64
	tostring   *lua.LFunction
	next       *lua.LFunction
	inext      *lua.LFunction
}

func openBase(L *lua.LState, h *host) {
	b := &base{h: h, pause: 200, stepMul: 200, proxyMetas: map[weak.Pointer[lua.LTable]]bool{}}
	b.tostring = L.NewFunction(baseToString)
	// pairs hands out a next of its own, as PUC's does: pairs{} ~= next.
	b.next = L.NewFunction(baseNext)
	b.inext = L.NewFunction(baseINext)
	g := L.G.Global
	g.RawSetString("tostring", b.tostring)
	g.RawSetString("next", L.NewFunction(baseNext))
	g.RawSetString("pairs", L.NewFunction(b.pairs))
	g.RawSetString("ipairs", L.NewFunction(b.ipairs))
	g.RawSetString("print", L.NewFunction(b.print))
	p := newProtected(L, h)
	h.prot = p
	p.pcallFn, p.xpcallFn = L.NewFunction(p.pcall), L.NewFunction(p.xpcall)
	g.RawSetString("pcall", p.pcallFn)
	g.RawSetString("xpcall", p.xpcallFn)
	g.RawSetString("_printregs", lua.LNil)
	lauxlib.SetFuncs(L, "", map[string]lua.LGFunction{
		"assert":         baseAssert,
		"collectgarbage": b.collectGarbage,
		"error":          baseError,
		"gcinfo":         baseGCInfo,
		"getfenv":        baseGetfenv,
		"setfenv":        baseSetfenv,
		"getmetatable":   baseGetMetatable,
		"newproxy":       b.newProxy,
		"rawequal":       baseRawEqual,
		"rawget":         baseRawGet,
		"rawset":         baseRawSet,
		"select":         baseSelect,
		"setmetatable":   baseSetMetatable,
		"tonumber":       baseToNumber,
		"type":           baseType,
		"unpack":         baseUnpack,
	})
}

// tostringValue is luaB_tostring without the __tostring lookup.
func tostringValue(v lua.LValue) string {
	switch x := v.(type) {
	case lua.LNumber:
		return number.Format(float64(x))
	case lua.LString:
		return string(x)
	}
	return v.String()
}

// baseToString is tostring(v).
func baseToString(L *lua.LState) int {
	v := lauxlib.CheckAny(L, 1)
	if mm := L.GetMetaField(v, "__tostring"); mm != lua.LNil {
		L.Push(mm)
		L.Push(v)
		lauxlib.Call(L, 1, 1)
		return 1
	}
	L.Push(lua.LString(tostringValue(v)))
	return 1
}

// print(...) calls the global tostring on each argument, as PUC does, so a
// script that redefines tostring changes what print writes.
func (b *base) print(L *lua.LState) int {
	top := L.GetTop()
	fn := L.GetGlobal("tostring")
	var sb strings.Builder
	for i := 1; i <= top; i++ {
		if i > 1 {
			sb.WriteByte('\t')
		}
		v := L.Get(i)
		// Each piece goes through C's fputs, which stops at a NUL.
		if fn == b.tostring && L.GetMetaField(v, "__tostring") == lua.LNil {
			sb.WriteString(number.CString(tostringValue(v)))
			continue
		}
		L.Push(fn)
		L.Push(v)
		lauxlib.Call(L, 1, 1)
		s, ok := L.Get(-1).(lua.LString)
		if !ok {
			if n, isNum := L.Get(-1).(lua.LNumber); isNum {
				s, ok = lua.LString(number.Format(float64(n))), true
			}
		}
		L.Pop(1)
		if !ok {
			lauxlib.Raise(L, "'tostring' must return a string to 'print'")
		}
		sb.WriteString(number.CString(string(s)))
	}
	sb.WriteByte('\n')
	io.WriteString(iolib.Output(L), sb.String())
	return 0
}

// baseToNumber is tonumber(e [, base]).
func baseToNumber(L *lua.LState) int {
	base := lauxlib.OptInt(L, 2, 10)
	if base == 10 {
		lauxlib.CheckAny(L, 1)
		if f, ok := lauxlib.ToNumber(L.Get(1)); ok {
			L.Push(lua.LNumber(f))
			return 1
		}
		L.Push(lua.LNil)
		return 1
	}
	s := number.CString(lauxlib.CheckString(L, 1))
	if base < 2 || base > 36 {
		lauxlib.ArgError(L, 2, "base out of range")
	}
	n, end := number.Strtoul(s, base)
	if end > 0 {
		for end < len(s) && number.IsSpace(s[end]) {
			end++
		}
		if end == len(s) {
			L.Push(lua.LNumber(float64(n)))
			return 1
		}
	}
	L.Push(lua.LNil)
	return 1
}

// baseError is error(message [, level]): a string or number message gets
// the position of the function at level in front.
func baseError(L *lua.LState) int {
	level := lauxlib.OptInt(L, 2, 1)
	L.SetTop(1)
	v := L.Get(1)
	if s, ok := lauxlib.ToString(v); ok && level > 0 {
		v = lua.LString(lauxlib.Where(L, level) + s)
	}
	L.Error(v, 0)
	return 0
}

func baseAssert(L *lua.LState) int {
	lauxlib.CheckAny(L, 1)
	if !lua.LVAsBool(L.Get(1)) {
		lauxlib.Raise(L, "%s", lauxlib.OptString(L, 2, "assertion failed!"))
	}
	return L.GetTop()
}

// collectGarbage is collectgarbage([opt [, arg]]) with 5.1's options and
// result types; Go's collector does the work.
func (b *base) collectGarbage(L *lua.LState) int {
	opt := lauxlib.OptString(L, 1, "collect")
	arg := lauxlib.OptNumber(L, 2, 0)
	switch opt {
	case "collect":
		collect(L)
		L.Push(lua.LNumber(0))
	case "count":
		L.Push(lua.LNumber(float64(lgc.Count(L)) / 1024))
	case "step":
		done, err := lgc.Step(L, arg, b.stepMul)
		if err != nil {
			L.Error(errorValue(err), 0)
		}
		L.Push(lua.LBool(done))

	case "stop", "restart":
		L.Push(lua.LNumber(0))
	case "setpause":
		L.Push(lua.LNumber(b.pause))
		b.pause = arg
	case "setstepmul":
		L.Push(lua.LNumber(b.stepMul))
		b.stepMul = arg
	default:
		lauxlib.ArgError(L, 1, "invalid option '"+opt+"'")
	}
	return 1
}

// newProxy is newproxy([false | true | proxy]): a userdata without a
// metatable, with a new one, or sharing another proxy's.
func (b *base) newProxy(L *lua.LState) int {
	ud := L.NewUserData()
	switch v := L.Get(1).(type) {
	case lua.LBool:
		if v {
			mt := L.NewTable()
			b.proxyMetas[weak.Make(mt)] = true
			ud.Metatable = mt
			lgc.Track(L, ud)
		}
	case *lua.LNilType:
	default:
		other, ok := v.(*lua.LUserData)
		var mt *lua.LTable
		if ok {
			mt, _ = other.Metatable.(*lua.LTable)
		}
		if mt == nil || !b.proxyMetas[weak.Make(mt)] {
			lauxlib.ArgError(L, 1, "boolean or proxy expected")
		}
		ud.Metatable = mt
		lgc.Track(L, ud)
	}
	L.Push(ud)
	return 1
}

// baseGCInfo is gcinfo(): the kilobytes in use, as an integer.
func baseGCInfo(L *lua.LState) int {
	L.Push(lua.LNumber(lgc.Count(L) / 1024))
	return 1
}

// collect runs Go's collector and then Collect, raising a finalizer's
// error as collectgarbage's.
func collect(L *lua.LState) {
	runtime.GC()
	if err := lgc.Collect(L); err != nil {
		L.Error(errorValue(err), 0)
	}
}

func baseGetMetatable(L *lua.LState) int {
	lauxlib.CheckAny(L, 1)
	L.Push(L.GetMetatable(L.Get(1)))
	return 1
}

func baseSetMetatable(L *lua.LState) int {
	t := L.Get(2).Type()
	tb := lauxlib.CheckTable(L, 1)
	if L.GetTop() < 2 || (t != lua.LTNil && t != lua.LTTable) {
		lauxlib.ArgError(L, 2, "nil or table expected")
	}
	if L.GetMetaField(tb, "__metatable") != lua.LNil {
		lauxlib.Raise(L, "cannot change a protected metatable")
	}
	if mt, ok := L.Get(2).(*lua.LTable); ok && mt.RawGetString("__mode") != lua.LNil {
		lgc.TrackedOf(L).Weak = true
	}
	L.SetMetatable(tb, L.Get(2))
	L.SetTop(1)
	return 1
}

func baseRawEqual(L *lua.LState) int {
	a, b := lauxlib.CheckAny(L, 1), lauxlib.CheckAny(L, 2)
	L.Push(lua.LBool(lauxlib.RawEqual(a, b)))
	return 1
}

func baseRawGet(L *lua.LState) int {
	tb := lauxlib.CheckTable(L, 1)
	L.Push(tb.RawGet(lauxlib.CheckAny(L, 2)))
	return 1
}

func baseRawSet(L *lua.LState) int {
	tb := lauxlib.CheckTable(L, 1)
	k := lauxlib.CheckAny(L, 2)
	v := lauxlib.CheckAny(L, 3)
	if k == lua.LNil {
		lauxlib.Raise(L, "table index is nil")
	}
	if n, ok := k.(lua.LNumber); ok && n != n {
		lauxlib.Raise(L, "table index is NaN")
	}
	tb.RawSet(k, v)
	L.SetTop(1)
	return 1
}

// baseSelect is select(n, ...) and select('#', ...).
func baseSelect(L *lua.LState) int {
	n := L.GetTop()
	if s, ok := L.Get(1).(lua.LString); ok && strings.HasPrefix(string(s), "#") {
		L.Push(lua.LNumber(n - 1))
		return 1
	}
	i := lauxlib.CheckInt(L, 1)
	if i < 0 {
		i = n + i
	} else if i > n {
		i = n
	}
	if i < 1 {
		lauxlib.ArgError(L, 1, "index out of range")
	}
	return n - i
}

func baseType(L *lua.LState) int {
	L.Push(lua.LString(lauxlib.CheckAny(L, 1).Type().String()))
	return 1
}

// baseUnpack is unpack(t [, i [, j]]).
func baseUnpack(L *lua.LState) int {
	tb := lauxlib.CheckTable(L, 1)
	i := lauxlib.OptInt(L, 2, 1)
	var e int
	if lauxlib.IsNoneOrNil(L, 3) {
		e = tb.Len()
	} else {
		e = lauxlib.CheckInt(L, 3)
	}
	if i > e {
		return 0
	}
	n := int64(e) - int64(i) + 1
	if n+int64(L.GetTop()) > 8000 { // LUAI_MAXCSTACK
		lauxlib.Raise(L, "too many results to unpack")
	}
	for k := i; k <= e; k++ {
		L.Push(tb.RawGetInt(k))
	}
	return int(n)
}

func baseNext(L *lua.LState) int {
	tb := lauxlib.CheckTable(L, 1)
	L.SetTop(2)
	// PUC raises "invalid key to 'next'" for a key that was never in the
	// table; LTable.Next cannot tell one from a key cleared during the
	// traversal, which must work, so no check is made.
	k, v := tb.Next(L.Get(2))
	if k == lua.LNil {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(k)
	L.Push(v)
	return 2
}

func (b *base) pairs(L *lua.LState) int {
	tb := lauxlib.CheckTable(L, 1)
	L.Push(b.next)
	L.Push(tb)
	L.Push(lua.LNil)
	return 3
}

func (b *base) ipairs(L *lua.LState) int {
	tb := lauxlib.CheckTable(L, 1)
	L.Push(b.inext)
	L.Push(tb)
	L.Push(lua.LNumber(0))
	return 3
}

func baseINext(L *lua.LState) int {
	i := lauxlib.CheckInt(L, 2)
	tb := lauxlib.CheckTable(L, 1)
	i++
	v := tb.RawGetInt(i)
	if v == lua.LNil {
		return 0
	}
	L.Push(lua.LNumber(i))
	L.Push(v)
	return 2
}
