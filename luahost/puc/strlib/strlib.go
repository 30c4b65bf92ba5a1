// Package strlib is PUC Lua 5.1's string library for gopher-lua: Lua
// patterns matched as lstrlib.c matches them, string.format with glibc's
// printf conversions, and PUC's error texts.
package strlib

import (
	"strings"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc/internal/lauxlib"
	"msyshost/luahost/puc/number"
)

// Open replaces the string library of L and the strings' metatable.
func Open(L *lua.LState) {
	str := lauxlib.SetFuncs(L, "string", map[string]lua.LGFunction{
		"byte":    strByte,
		"char":    strChar,
		"dump":    strDump,
		"find":    strFind,
		"format":  strFormat,
		"gmatch":  strGmatch,
		"gsub":    strGsub,
		"len":     strLen,
		"lower":   strLower,
		"match":   strMatch,
		"rep":     strRep,
		"reverse": strReverse,
		"sub":     strSub,
		"upper":   strUpper,
	})
	str.RawSetString("gfind", str.RawGetString("gmatch"))
	// PUC's string metatable is a table of its own whose __index is the
	// string library; gopher-lua uses the library table itself.
	str.RawSetString("__index", lua.LNil)
	mt := L.NewTable()
	mt.RawSetString("__index", str)
	L.SetMetatable(lua.LString(""), mt)
}

// maxString bounds what string.rep builds: PUC would try to allocate any
// size, a host serving many scripts had better not.
const maxString = 1 << 30

// posrelat turns a negative string position into one from the start.
func posrelat(pos int64, n int) int64 {
	if pos < 0 {
		pos += int64(n) + 1
	}
	if pos >= 0 {
		return pos
	}
	return 0
}

func strLen(L *lua.LState) int {
	L.Push(lua.LNumber(len(lauxlib.CheckString(L, 1))))
	return 1
}

func strSub(L *lua.LState) int {
	s := lauxlib.CheckString(L, 1)
	start := posrelat(lauxlib.CheckInteger(L, 2), len(s))
	end := posrelat(lauxlib.OptInteger(L, 3, -1), len(s))
	start = max(start, 1)
	end = min(end, int64(len(s)))
	if start > end {
		L.Push(lua.LString(""))
	} else {
		L.Push(lua.LString(s[start-1 : end]))
	}
	return 1
}

func strReverse(L *lua.LState) int {
	s := lauxlib.CheckString(L, 1)
	b := make([]byte, len(s))
	for i := range len(s) {
		b[len(s)-1-i] = s[i]
	}
	L.Push(lua.LString(b))
	return 1
}

// strLower and strUpper map ASCII letters only, as C's tolower and
// toupper do in the C locale.
func strLower(L *lua.LState) int {
	s := lauxlib.CheckString(L, 1)
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	L.Push(lua.LString(b))
	return 1
}

func strUpper(L *lua.LState) int {
	s := lauxlib.CheckString(L, 1)
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	L.Push(lua.LString(b))
	return 1
}

func strRep(L *lua.LState) int {
	s := lauxlib.CheckString(L, 1)
	n := int64(lauxlib.CheckInt(L, 2)) // luaL_checkint: 2^32+2 repeats twice
	if n <= 0 || s == "" {
		L.Push(lua.LString(""))
		return 1
	}
	if n > maxString/int64(len(s)) {
		// PUC's allocation error: a message without position.
		L.Error(lua.LString("not enough memory"), 0)
	}
	lauxlib.CheckAlloc(L, len(s)*int(n))
	L.Push(lua.LString(strings.Repeat(s, int(n))))
	return 1
}

func strByte(L *lua.LState) int {
	s := lauxlib.CheckString(L, 1)
	posi := posrelat(lauxlib.OptInteger(L, 2, 1), len(s))
	pose := posrelat(lauxlib.OptInteger(L, 3, posi), len(s))
	posi = max(posi, 1)
	pose = min(pose, int64(len(s)))
	if posi > pose {
		return 0
	}
	n := int(pose - posi + 1)
	if n+L.GetTop() > 8000 { // LUAI_MAXCSTACK
		lauxlib.Raise(L, "string slice too long")
	}
	for i := posi - 1; i < pose; i++ {
		L.Push(lua.LNumber(s[i]))
	}
	return n
}

// strDump fails as PUC does for a function it cannot dump: gopher-lua
// has no PUC bytecode to offer.
func strDump(L *lua.LState) int {
	if L.Get(1).Type() != lua.LTFunction {
		lauxlib.TypeError(L, 1, "function")
	}
	lauxlib.Raise(L, "unable to dump given function")
	return 0
}

func strChar(L *lua.LState) int {
	n := L.GetTop()
	b := make([]byte, n)
	for i := 1; i <= n; i++ {
		c := lauxlib.CheckInt(L, i)
		if c < 0 || c > 255 {
			lauxlib.ArgError(L, i, "invalid value")
		}
		b[i-1] = byte(c)
	}
	L.Push(lua.LString(b))
	return 1
}

// strFormat is string.format as PUC 5.1 runs it: each conversion goes
// through C's sprintf, whose output stops at a NUL, except %q and long
// %s arguments without a precision, which are copied whole.
func strFormat(L *lua.LState) int {
	top := L.GetTop()
	fs := lauxlib.CheckString(L, 1)
	var b strings.Builder
	arg := 1
	for i := 0; i < len(fs); {
		c := fs[i]
		i++
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i < len(fs) && fs[i] == '%' {
			b.WriteByte('%')
			i++
			continue
		}
		arg++
		if arg > top {
			lauxlib.ArgError(L, arg, "no value")
		}
		var sp number.Spec
		i = scanFormat(L, fs, i, &sp)
		switch sp.Conv {
		case 'c':
			sp.Prec = -1
			out := sp.Pad("", "", string([]byte{byte(int32(number.ToInteger(lauxlib.CheckNumber(L, arg))))}), false)
			b.WriteString(number.CString(out))
		case 'd', 'i':
			b.WriteString(sp.FormatInt(number.ToInteger(lauxlib.CheckNumber(L, arg))))
		case 'o', 'u', 'x', 'X':
			b.WriteString(sp.FormatUint(number.ToUnsigned(lauxlib.CheckNumber(L, arg))))
		case 'e', 'E', 'f', 'g', 'G':
			b.WriteString(sp.FormatFloat(lauxlib.CheckNumber(L, arg)))
		case 'q':
			addQuoted(&b, lauxlib.CheckString(L, arg))
		case 's':
			s := lauxlib.CheckString(L, arg)
			if sp.Prec < 0 && len(s) >= 100 {
				b.WriteString(s)
			} else {
				b.WriteString(sp.FormatString(s))
			}
		default:
			lauxlib.Raise(L, "invalid option '%%%s' to 'format'", number.CString(string(sp.Conv)))
		}
	}
	L.Push(lua.LString(b.String()))
	return 1
}

// scanFormat reads flags, width and precision (two digits each at most)
// and the conversion letter of the spec that starts at fs[i].
func scanFormat(L *lua.LState, fs string, i int, sp *number.Spec) int {
	at := func(k int) byte {
		if k < len(fs) {
			return fs[k]
		}
		return 0
	}
	start := i
	for strings.IndexByte("-+ #0", at(i)) >= 0 && at(i) != 0 {
		switch at(i) {
		case '-':
			sp.Minus = true
		case '+':
			sp.Plus = true
		case ' ':
			sp.Space = true
		case '#':
			sp.Alt = true
		case '0':
			sp.Zero = true
		}
		i++
	}
	if i-start >= len("-+ #0")+1 {
		lauxlib.Raise(L, "invalid format (repeated flags)")
	}
	digits := func() int {
		n := 0
		for k := 0; k < 2 && number.IsDigit(at(i)); k++ {
			n = n*10 + int(at(i)-'0')
			i++
		}
		return n
	}
	sp.Width = digits()
	sp.Prec = -1
	if at(i) == '.' {
		i++
		sp.Prec = digits()
	}
	if number.IsDigit(at(i)) {
		lauxlib.Raise(L, "invalid format (width or precision too long)")
	}
	sp.Conv = at(i)
	return i + 1
}

// addQuoted is %q: PUC 5.1 escapes only the quote, backslash, newline
// (as a backslash before a real newline), carriage return and NUL.
func addQuoted(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\', '\n':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\r':
			b.WriteString(`\r`)
		case 0:
			b.WriteString(`\000`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}
