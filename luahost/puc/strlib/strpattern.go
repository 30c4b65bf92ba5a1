package strlib

import (
	"strings"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc/internal/lauxlib"
	"msyshost/luahost/puc/number"
)

func newMatcher(L *lua.LState, src, pat string) *matcher {
	return &matcher{L: L, src: src, pat: number.CString(pat)}
}

func strFind(L *lua.LState) int  { return findAux(L, true) }
func strMatch(L *lua.LState) int { return findAux(L, false) }

// findAux is string.find (find) and string.match.
func findAux(L *lua.LState, find bool) int {
	s := lauxlib.CheckString(L, 1)
	p := lauxlib.CheckString(L, 2)
	init := posrelat(lauxlib.OptInteger(L, 3, 1), len(s)) - 1
	if init < 0 {
		init = 0
	} else if init > int64(len(s)) {
		init = int64(len(s))
	}
	if find && (lua.LVAsBool(L.Get(4)) || !strings.ContainsAny(number.CString(p), specials)) {
		if i := strings.Index(s[init:], p); i >= 0 {
			L.Push(lua.LNumber(int(init) + i + 1))
			L.Push(lua.LNumber(int(init) + i + len(p)))
			return 2
		}
		L.Push(lua.LNil)
		return 1
	}
	m := newMatcher(L, s, p)
	pi := 0
	anchor := m.patAt(0) == '^'
	if anchor {
		pi = 1
	}
	for s1 := int(init); ; s1++ {
		m.level = 0
		if e := m.match(s1, pi); e != -1 {
			if find {
				L.Push(lua.LNumber(s1 + 1))
				L.Push(lua.LNumber(e))
				return m.pushCaptures(-1, -1, false) + 2
			}
			return m.pushCaptures(s1, e, true)
		}
		if s1 >= len(s) || anchor {
			break
		}
	}
	L.Push(lua.LNil)
	return 1
}

// strGmatch is string.gmatch; in 5.1 a leading '^' is an ordinary
// character here.
func strGmatch(L *lua.LState) int {
	s := lauxlib.CheckString(L, 1)
	p := lauxlib.CheckString(L, 2)
	pos := 0
	L.Push(L.NewFunction(func(L *lua.LState) int {
		m := newMatcher(L, s, p)
		for src := pos; src <= len(s); src++ {
			m.level = 0
			if e := m.match(src, 0); e != -1 {
				pos = e
				if e == src {
					pos++
				}
				return m.pushCaptures(src, e, true)
			}
		}
		pos = len(s) + 1
		return 0
	}))
	return 1
}

// strGsub is string.gsub(s, pattern, repl [, n]).
func strGsub(L *lua.LState) int {
	src := lauxlib.CheckString(L, 1)
	p := lauxlib.CheckString(L, 2)
	switch L.Get(3).Type() {
	case lua.LTNumber, lua.LTString, lua.LTFunction, lua.LTTable:
	default:
		lauxlib.ArgError(L, 3, "string/function/table expected")
	}
	maxN := int64(lauxlib.OptInt(L, 4, len(src)+1))
	m := newMatcher(L, src, p)
	pi := 0
	anchor := m.patAt(0) == '^'
	if anchor {
		pi = 1
	}
	var b strings.Builder
	s, n := 0, int64(0)
	for n < maxN {
		m.level = 0
		e := m.match(s, pi)
		if e != -1 {
			n++
			m.addValue(&b, s, e)
		}
		switch {
		case e != -1 && e > s:
			s = e
		case s < len(src):
			b.WriteByte(src[s])
			s++
		default:
			s = len(src) + 1
		}
		if s > len(src) || anchor {
			break
		}
	}
	if s < len(src) {
		b.WriteString(src[s:])
	}
	L.Push(lua.LString(b.String()))
	L.Push(lua.LNumber(n))
	return 2
}

// addValue appends the replacement for the match src[s:e].
func (m *matcher) addValue(b *strings.Builder, s, e int) {
	L := m.L
	repl := L.Get(3)
	var v lua.LValue
	switch r := repl.(type) {
	case lua.LString, lua.LNumber:
		rs, _ := lauxlib.ToString(r)
		m.addString(b, rs, s, e)
		return
	case *lua.LFunction:
		L.Push(r)
		n := m.pushCaptures(s, e, true)
		L.Call(n, 1)
		v = L.Get(-1)
		L.Pop(1)
	case *lua.LTable:
		v = L.GetTable(r, m.captureValue(0, s, e))
	}
	if !lua.LVAsBool(v) {
		b.WriteString(m.src[s:e])
		return
	}
	str, ok := lauxlib.ToString(v)
	if !ok {
		lauxlib.Raise(L, "invalid replacement value (a %s)", v.Type().String())
	}
	b.WriteString(str)
}

// addString expands a replacement string: %0 is the whole match, %1..%9
// captures, and % before anything else stands for that byte (a trailing
// % adds a NUL, as the C code reads the terminator).
func (m *matcher) addString(b *strings.Builder, repl string, s, e int) {
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		if c != escape {
			b.WriteByte(c)
			continue
		}
		i++
		var d byte
		if i < len(repl) {
			d = repl[i]
		}
		switch {
		case !number.IsDigit(d):
			b.WriteByte(d)
		case d == '0':
			b.WriteString(m.src[s:e])
		default:
			v := m.captureValue(int(d-'1'), s, e)
			str, _ := lauxlib.ToString(v)
			b.WriteString(str)
		}
	}
}
