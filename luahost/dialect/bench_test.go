package dialect

import (
	"os"
	"strconv"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"msyshost/luahost/puc/number"
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

// runConcatBench runs chunk, which returns function(n) looping n times,
// and times that function.
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

// BenchmarkLowered compares plain-Lua constructs the dialect lowers (or
// could lower) with gopher-lua compiling them natively; ns/op is per loop
// iteration, the loop itself included. "hostcall" runs the body with a
// Go function standing for a lowered operator: what lowering % or + or #
// would cost.
func BenchmarkLowered(b *testing.B) {
	mod := func(L *lua.LState) int {
		L.Push(lua.LNumber(number.Mod(float64(L.CheckNumber(1)), float64(L.CheckNumber(2)))))
		return 1
	}
	add := func(L *lua.LState) int {
		L.Push(L.CheckNumber(1) + L.CheckNumber(2))
		return 1
	}
	length := func(L *lua.LState) int {
		L.Push(lua.LNumber(L.CheckTable(1).Len()))
		return 1
	}
	for _, c := range []struct {
		name, body string
		lower      bool // dialect.Compile; else gopher-lua's own compiler
		hostcall   lua.LGFunction
	}{
		{"assign2/native", "a, b = b, a", false, nil},
		{"assign2/dialect", "a, b = b, a", true, nil},
		{"assign-indexed/native", "t[x], x = x, 1", false, nil},
		{"assign-indexed/dialect", "t[x], x = x, 1", true, nil},
		{"for-entry/native", "for j = 1, x do end", false, nil},
		{"for-entry/dialect", "for j = 1, x do end", true, nil},
		{"for-entry2/native", "for j = a, x do end", false, nil},
		{"for-entry2/dialect", "for j = a, x do end", true, nil},
		{"pow/native", "s = x ^ 2", false, nil},
		{"pow/dialect", "s = x ^ 2", true, nil},
		{"mod/native", "s = x % 7", false, nil},
		{"mod/hostcall", "s = op(x, 7)", false, mod},
		{"add/native", "s = x + 7", false, nil},
		{"add/hostcall", "s = op(x, 7)", false, add},
		{"len/native", "s = #t", false, nil},
		{"len/hostcall", "s = op(t)", false, length},
	} {
		b.Run(c.name, func(b *testing.B) {
			src := "local op = op\n" +
				"return function(n) local a, b, x, s, t = 1, 2, 3, 0, {1, 2, 3}\n" +
				"for i = 1, n do " + c.body + " end return s end\n"
			L := lua.NewState()
			defer L.Close()
			var fn *lua.LFunction
			var err error
			if c.lower {
				var proto *lua.FunctionProto
				if proto, err = Compile([]byte(src), "bench"); err == nil {
					fn, err = Load(L, proto)
				}
			} else {
				fn, err = L.Load(strings.NewReader(src), "bench")
			}
			if err != nil {
				b.Fatal(err)
			}
			if c.hostcall != nil {
				L.SetGlobal("op", L.NewFunction(c.hostcall))
			}
			runConcatBench(b, L, fn)
		})
	}
}

// BenchmarkCompileBigConstructor compiles a chunk returning a table
// constructor of n keyed fields ("k1 = 1, k2 = 2, ..."), with gopher-lua's
// own parser and compiler ("native") and with Compile, which builds such
// a constructor with chunk functions; ns/op is per compilation.
func BenchmarkCompileBigConstructor(b *testing.B) {
	for _, n := range []int{2000, 20000} {
		var sb strings.Builder
		sb.WriteString("return {")
		for i := 1; i <= n; i++ {
			sb.WriteString("k" + strconv.Itoa(i) + " = " + strconv.Itoa(i) + ", ")
		}
		sb.WriteString("}")
		src := sb.String()
		b.Run(strconv.Itoa(n)+"/native", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				stmts, err := parse.Parse(strings.NewReader(src), "bench")
				if err != nil {
					b.Fatal(err)
				}
				if _, err := lua.Compile(stmts, "bench"); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(strconv.Itoa(n)+"/dialect", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := Compile([]byte(src), "bench"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
