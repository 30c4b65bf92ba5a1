// Package tablelib is PUC Lua 5.1's table library for gopher-lua: PUC's
// sort (its quicksort, so comparators see the same calls, and "invalid
// order function for sorting"), getn/setn/maxn/foreach, and its error
// texts.
package tablelib

import (
	"strings"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc/internal/lauxlib"
)

// Open replaces the table library of L.
func Open(L *lua.LState) {
	lauxlib.SetFuncs(L, "table", map[string]lua.LGFunction{
		"concat":   tabConcat,
		"foreach":  tabForeach,
		"foreachi": tabForeachi,
		"getn":     tabGetn,
		"insert":   tabInsert,
		"maxn":     tabMaxn,
		"remove":   tabRemove,
		"setn":     tabSetn,
		"sort":     tabSort,
	})
}

// getn is aux_getn: the table argument's length (#t).
func getn(L *lua.LState, n int) (*lua.LTable, int) {
	tb := lauxlib.CheckTable(L, n)
	return tb, tb.Len()
}

func tabConcat(L *lua.LState) int {
	sep := lauxlib.OptString(L, 2, "")
	tb := lauxlib.CheckTable(L, 1)
	i := lauxlib.OptInt(L, 3, 1)
	var last int
	if lauxlib.IsNoneOrNil(L, 4) {
		last = tb.Len()
	} else {
		last = lauxlib.CheckInt(L, 4)
	}
	var b strings.Builder
	check := 1 << 20
	for ; i <= last; i++ {
		v := tb.RawGetInt(i)
		s, ok := lauxlib.ToString(v)
		if !ok {
			lauxlib.Raise(L, "invalid value (%s) at index %d in table for 'concat'", v.Type().String(), i)
		}
		if b.Len()+len(s) >= check {
			// The builder doubles as it grows: ask before it does.
			lauxlib.CheckAlloc(L, 2*(b.Len()+len(s)))
			check = 2 * (b.Len() + len(s))
		}
		b.WriteString(s)
		if i != last {
			b.WriteString(sep)
		}
	}
	L.Push(lua.LString(b.String()))
	return 1
}

func tabForeach(L *lua.LState) int {
	tb := lauxlib.CheckTable(L, 1)
	fn := L.Get(2)
	if fn.Type() != lua.LTFunction {
		lauxlib.TypeError(L, 2, "function")
	}
	for k, v := tb.Next(lua.LNil); k != lua.LNil; k, v = tb.Next(k) {
		L.Push(fn)
		L.Push(k)
		L.Push(v)
		L.Call(2, 1)
		if r := L.Get(-1); r != lua.LNil {
			return 1
		}
		L.Pop(1)
	}
	return 0
}

func tabForeachi(L *lua.LState) int {
	tb, n := getn(L, 1)
	fn := L.Get(2)
	if fn.Type() != lua.LTFunction {
		lauxlib.TypeError(L, 2, "function")
	}
	for i := 1; i <= n; i++ {
		L.Push(fn)
		L.Push(lua.LNumber(i))
		L.Push(tb.RawGetInt(i))
		L.Call(2, 1)
		if r := L.Get(-1); r != lua.LNil {
			return 1
		}
		L.Pop(1)
	}
	return 0
}

func tabGetn(L *lua.LState) int {
	_, n := getn(L, 1)
	L.Push(lua.LNumber(n))
	return 1
}

func tabSetn(L *lua.LState) int {
	lauxlib.CheckTable(L, 1)
	lauxlib.Raise(L, "'setn' is obsolete")
	return 0
}

// tabMaxn is table.maxn: the largest positive numeric key, or 0.
func tabMaxn(L *lua.LState) int {
	tb := lauxlib.CheckTable(L, 1)
	best := 0.0
	for k, _ := tb.Next(lua.LNil); k != lua.LNil; k, _ = tb.Next(k) {
		if n, ok := k.(lua.LNumber); ok && float64(n) > best {
			best = float64(n)
		}
	}
	L.Push(lua.LNumber(best))
	return 1
}

func tabInsert(L *lua.LState) int {
	tb, e := getn(L, 1)
	e++
	var pos int
	switch L.GetTop() {
	case 2:
		pos = e
	case 3:
		pos = lauxlib.CheckInt(L, 2)
		if pos > e {
			e = pos
		}
		for i := e; i > pos; i-- {
			tb.RawSetInt(i, tb.RawGetInt(i-1))
		}
	default:
		lauxlib.Raise(L, "wrong number of arguments to 'insert'")
	}
	tb.RawSetInt(pos, L.Get(L.GetTop()))
	return 0
}

func tabRemove(L *lua.LState) int {
	tb, e := getn(L, 1)
	pos := lauxlib.OptInt(L, 2, e)
	if pos < 1 || pos > e {
		return 0
	}
	v := tb.RawGetInt(pos)
	for ; pos < e; pos++ {
		tb.RawSetInt(pos, tb.RawGetInt(pos+1))
	}
	tb.RawSetInt(e, lua.LNil)
	L.Push(v)
	return 1
}

// tabSort is table.sort with PUC 5.1's quicksort (median of three, then
// partition around a[u-1]), so that elements the order function cannot
// tell apart end up where PUC puts them, and with its error texts.
func tabSort(L *lua.LState) int {
	tb, n := getn(L, 1)
	if !lauxlib.IsNoneOrNil(L, 2) && L.Get(2).Type() != lua.LTFunction {
		lauxlib.TypeError(L, 2, "function")
	}
	s := sorter{L: L, t: tb}
	if fn, ok := L.Get(2).(*lua.LFunction); ok {
		s.fn = fn
	}
	s.sort(1, n)
	return 0
}

type sorter struct {
	L  *lua.LState
	t  *lua.LTable
	fn *lua.LFunction
}

func (s *sorter) less(a, b lua.LValue) bool {
	if s.fn == nil {
		return lessThan(s.L, a, b)
	}
	s.L.Push(s.fn)
	s.L.Push(a)
	s.L.Push(b)
	s.L.Call(2, 1)
	r := lua.LVAsBool(s.L.Get(-1))
	s.L.Pop(1)
	return r
}

func (s *sorter) get(i int) lua.LValue { return s.t.RawGetInt(i) }

func (s *sorter) set2(i, j int, vi, vj lua.LValue) {
	s.t.RawSetInt(i, vi)
	s.t.RawSetInt(j, vj)
}

func (s *sorter) sort(l, u int) {
	for l < u {
		a, b := s.get(l), s.get(u)
		if s.less(b, a) {
			s.set2(l, u, b, a)
		}
		if u-l == 1 {
			return
		}
		i := (l + u) / 2
		a, b = s.get(i), s.get(l)
		if s.less(a, b) {
			s.set2(i, l, b, a)
		} else {
			c := s.get(u)
			if s.less(c, a) {
				s.set2(i, u, c, a)
			}
		}
		if u-l == 2 {
			return
		}
		pivot := s.get(i)
		s.set2(i, u-1, s.get(u-1), pivot)
		i, j := l, u-1
		for {
			for i++; s.less(s.get(i), pivot); i++ {
				if i > u {
					lauxlib.Raise(s.L, "invalid order function for sorting")
				}
			}
			for j--; s.less(pivot, s.get(j)); j-- {
				if j < l {
					lauxlib.Raise(s.L, "invalid order function for sorting")
				}
			}
			if j < i {
				break
			}
			s.set2(i, j, s.get(j), s.get(i))
		}
		s.set2(u-1, i, s.get(i), s.get(u-1))
		if i-l < u-i {
			s.sort(l, i-1)
			l = i + 1
		} else {
			s.sort(i+1, u)
			u = i - 1
		}
	}
}

// lessThan is the VM's < as lua_lessthan runs it from C code: numbers,
// strings, or a __lt metamethod shared by both operands; the error has no
// position because the running function is not Lua code.
func lessThan(L *lua.LState, a, b lua.LValue) bool {
	switch x := a.(type) {
	case lua.LNumber:
		if y, ok := b.(lua.LNumber); ok {
			return x < y
		}
	case lua.LString:
		if y, ok := b.(lua.LString); ok {
			return x < y
		}
	}
	if a.Type() == b.Type() {
		mm := L.GetMetaField(a, "__lt")
		if mm != lua.LNil && lauxlib.RawEqual(mm, L.GetMetaField(b, "__lt")) {
			L.Push(mm)
			L.Push(a)
			L.Push(b)
			lauxlib.Call(L, 2, 1)
			r := lua.LVAsBool(L.Get(-1))
			L.Pop(1)
			return r
		}
	}
	t1, t2 := a.Type().String(), b.Type().String()
	if t1 == t2 {
		L.Error(lua.LString("attempt to compare two "+t1+" values"), 0)
	}
	L.Error(lua.LString("attempt to compare "+t1+" with "+t2), 0)
	return false
}
