package puc_test

import (
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc"
)

// benchLoop is how many calls one Lua loop makes; each benchmark
// iteration runs the loop once on plain gopher-lua and once with puc.Open,
// so both see the same machine load, and reports both costs per call and
// their ratio.
const benchLoop = 1000

func benchPair(b *testing.B, body string) {
	src := "local n = ... for i = 1, n do " + body + " end"
	load := func(withPUC bool) (*lua.LState, *lua.LFunction) {
		L := lua.NewState()
		if withPUC {
			puc.Open(L)
		}
		fn, err := L.LoadString(src)
		if err != nil {
			b.Fatal(err)
		}
		return L, fn
	}
	Lg, fg := load(false)
	defer Lg.Close()
	Lp, fp := load(true)
	defer Lp.Close()
	run := func(L *lua.LState, fn *lua.LFunction) time.Duration {
		start := time.Now()
		if err := L.CallByParam(lua.P{Fn: fn, Protect: true}, lua.LNumber(benchLoop)); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	var tg, tp time.Duration
	b.ResetTimer()
	for range b.N {
		tg += run(Lg, fg)
		tp += run(Lp, fp)
	}
	calls := float64(b.N) * benchLoop
	b.ReportMetric(float64(tg.Nanoseconds())/calls, "gopher-ns/call")
	b.ReportMetric(float64(tp.Nanoseconds())/calls, "puc-ns/call")
	b.ReportMetric(float64(tp)/float64(tg), "puc/gopher")
}

func BenchmarkToStringInteger(b *testing.B) { benchPair(b, "local s = tostring(i)") }

func BenchmarkToStringFraction(b *testing.B) { benchPair(b, "local s = tostring(i / 7)") }

func BenchmarkToStringString(b *testing.B) { benchPair(b, `local s = tostring("abc")`) }

func BenchmarkFormatMixed(b *testing.B) {
	benchPair(b, `local s = string.format("%d %s %5.2f %x", i, "abc", i / 3, i)`)
}

func BenchmarkFormatFloat(b *testing.B) {
	benchPair(b, `local s = string.format("%.3f %g", i / 7, i / 3)`)
}

func BenchmarkFormatString(b *testing.B) {
	benchPair(b, `local s = string.format("%s=%s", "key", "value")`)
}

func BenchmarkFind(b *testing.B) {
	benchPair(b, `local a, e, k, v = string.find("  key = value  ", "^%s*(%w+)%s*=%s*(%w+)")`)
}

func BenchmarkGsub(b *testing.B) {
	benchPair(b, `local s = string.gsub("hello world from lua", "(%w+)", "<%1>")`)
}
