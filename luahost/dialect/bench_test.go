package dialect

import (
	"os"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// BenchmarkConcat compares .. lowered to the host's concat with gopher-lua's
// native OP_CONCAT; ns/op is per concatenation expression.
func BenchmarkConcat(b *testing.B) {
	cases := []struct{ name, expr string }{
		{"two-strings", `a .. b`},
		{"string-number-string", `a .. i .. b`},
		{"five-strings", `a .. b .. a .. b .. a`},
	}
	for _, c := range cases {
		src := "local a, b = 'key:', 'value'\n" +
			"return function(n) local s for i = 1, n do s = " + c.expr + " end return s end\n"
		b.Run(c.name+"/native", func(b *testing.B) {
			L := lua.NewState()
			defer L.Close()
			fn, err := L.Load(strings.NewReader(src), "bench")
			if err != nil {
				b.Fatal(err)
			}
			runConcatBench(b, L, fn)
		})
		b.Run(c.name+"/dialect", func(b *testing.B) {
			L := lua.NewState()
			defer L.Close()
			proto, err := Compile([]byte(src), "bench")
			if err != nil {
				b.Fatal(err)
			}
			fn, err := Load(L, proto)
			if err != nil {
				b.Fatal(err)
			}
			runConcatBench(b, L, fn)
		})
	}
}

func runConcatBench(b *testing.B, L *lua.LState, chunk *lua.LFunction) {
	b.Helper()
	L.Push(chunk)
	L.Call(0, 1)
	loop := L.Get(-1)
	L.Pop(1)
	b.ReportAllocs()
	b.ResetTimer()
	L.Push(loop)
	L.Push(lua.LNumber(b.N))
	L.Call(1, 0)
}

// BenchmarkBitwise measures a lowered a & b (a Go call per operation)
// against native addition, for scale.
func BenchmarkBitwise(b *testing.B) {
	for _, c := range []struct{ name, expr string }{{"and", "x & 255"}, {"add-native", "x + 255"}} {
		b.Run(c.name, func(b *testing.B) {
			src := "return function(n) local s = 0 for x = 1, n do s = " + c.expr + " end return s end\n"
			L := lua.NewState()
			defer L.Close()
			proto, err := Compile([]byte(src), "bench")
			if err != nil {
				b.Fatal(err)
			}
			fn, err := Load(L, proto)
			if err != nil {
				b.Fatal(err)
			}
			runConcatBench(b, L, fn)
		})
	}
}

// BenchmarkCompile measures parsing and compiling testdata/operators.lua.
func BenchmarkCompile(b *testing.B) {
	src, err := os.ReadFile("testdata/operators.lua")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := Compile(src, "operators.lua"); err != nil {
			b.Fatal(err)
		}
	}
}
