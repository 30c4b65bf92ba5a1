package puc_test

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc"
)

// The fuzz targets feed arbitrary strings to the parsers of this package
// (patterns, format strings, numerals) and fail when a Go runtime error
// escapes instead of a Lua error or a result.

func fuzzState(t *testing.T) *lua.LState {
	L := lua.NewState()
	puc.Open(L)
	puc.SetOutput(L, &strings.Builder{})
	t.Cleanup(L.Close)
	return L
}

// callLua calls lib.name (a global when lib is "_G") with args and
// fails the test on a Go runtime error.
func callLua(t *testing.T, L *lua.LState, lib, name string, args ...lua.LValue) {
	t.Helper()
	fn := L.GetField(L.GetGlobal(lib), name)
	if lib == "_G" {
		fn = L.GetGlobal(name)
	}
	err := L.CallByParam(lua.P{Fn: fn, NRet: lua.MultRet, Protect: true}, args...)
	if err != nil && strings.Contains(err.Error(), "runtime error") {
		t.Fatalf("%s.%s(%q): %v", lib, name, args, err)
	}
	L.SetTop(0)
}

func FuzzPattern(f *testing.F) {
	for _, seed := range [][2]string{
		{"hello world", "(%w+) (%w+)"}, {"f(a(b)c)", "%b()"}, {"THE (quick)", "%f[%a]%a+"},
		{"abc", "[a-"}, {"abc", "%"}, {"aaa", "(a*(.)%w(%s*))"}, {"x", "((((((((((x))))))))))%10"},
		{"a\x00b", "%z"}, {"", "()"}, {"abab", "(ab)%1$"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, s, p string) {
		L := fuzzState(t)
		for _, name := range []string{"find", "match"} {
			callLua(t, L, "string", name, lua.LString(s), lua.LString(p))
		}
		callLua(t, L, "string", "gsub", lua.LString(s), lua.LString(p), lua.LString("<%0%1>"))
		it, err := L.LoadString(`local s, p = ... local n = 0 for a in s:gmatch(p) do n = n + 1 if n > 50 then break end end`)
		if err != nil {
			t.Fatal(err)
		}
		if err := L.CallByParam(lua.P{Fn: it, Protect: true}, lua.LString(s), lua.LString(p)); err != nil &&
			strings.Contains(err.Error(), "runtime error") {
			t.Fatalf("gmatch(%q, %q): %v", s, p, err)
		}
	})
}

func FuzzFormat(f *testing.F) {
	for _, seed := range []string{"%d", "%5.2s", "%-+ #0x", "%q", "%.99f", "%c%c", "%", "%10.3g|%e", "%i%u%o%X"} {
		f.Add(seed, 3.25)
	}
	f.Fuzz(func(t *testing.T, format string, n float64) {
		L := fuzzState(t)
		callLua(t, L, "string", "format", lua.LString(format), lua.LNumber(n), lua.LNumber(n), lua.LString("s"))
	})
}

func FuzzToNumber(f *testing.F) {
	for _, seed := range []string{"0x1p4", " 10 ", "1e", "inf", "nan(1)", "-0x", "zz", ".5e-3", "0x.8P+1"} {
		f.Add(seed, 16)
	}
	f.Fuzz(func(t *testing.T, s string, base int) {
		L := fuzzState(t)
		callLua(t, L, "_G", "tonumber", lua.LString(s))
		callLua(t, L, "_G", "tonumber", lua.LString(s), lua.LNumber(base))
	})
}
