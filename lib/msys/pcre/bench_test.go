package pcre_test

import (
	"context"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

// The same searches written for msys.pcre.match and for Lua's string.find,
// over a 1 KiB subject: a literal, a character class run, an anchored
// header line, and an alternation (which string.find cannot express in one
// pattern, so its side tries each word).
var patterns = []struct {
	name, pcre, find string
	alternatives     bool
}{
	{"literal", `unsubscribe`, `unsubscribe`, false},
	{"digits", `\d{5,}`, `%d%d%d%d%d+`, false},
	{"anchored", `^Subject: .*free`, `^Subject: .*free`, false},
	{"alternation", `viagra|casino|lottery`, "viagra|casino|lottery", true},
}

const subject = `Subject: win a free cruise today
` + `Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum. Order number 8675309 ships tomorrow; reply to the lottery office or click to unsubscribe at any time. Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident.`

const benchScript = `
function pcre_match(s, p) return msys.pcre.match(s, p) ~= nil end
function str_find(s, p) return string.find(s, p) ~= nil end
function str_find_any(s, words)
  for w in string.gmatch(words, "[^|]+") do
    if string.find(s, w, 1, true) then return true end
  end
  return false
end
`

// BenchmarkPcreVsStringFind runs each search as one Lua call from Go, so
// both sides pay the same call overhead; the ratio of the two sub-benchmarks
// of a pattern is what a policy author trades for PCRE semantics.
func BenchmarkPcreVsStringFind(b *testing.B) {
	h := luahost.New(luahost.Options{PoolSize: 1}, nil)
	defer h.Close()
	if err := h.Run(context.Background(), "bench", benchScript); err != nil {
		b.Fatal(err)
	}
	h.WithState(context.Background(), func(L *lua.LState) error {
		call := func(b *testing.B, fn string, p string) {
			f := L.GetGlobal(fn)
			s, pl := lua.LString(subject), lua.LString(p)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := L.CallByParam(lua.P{Fn: f, NRet: 1, Protect: true}, s, pl); err != nil {
					b.Fatal(err)
				}
				if L.Get(-1) != lua.LTrue {
					b.Fatalf("%s(%q) found nothing", fn, p)
				}
				L.Pop(1)
			}
		}
		for _, p := range patterns {
			b.Run(p.name+"/pcre.match", func(b *testing.B) { call(b, "pcre_match", p.pcre) })
			if p.alternatives {
				b.Run(p.name+"/string.find", func(b *testing.B) { call(b, "str_find_any", p.find) })
			} else {
				b.Run(p.name+"/string.find", func(b *testing.B) { call(b, "str_find", p.find) })
			}
		}
		return nil
	})
}
