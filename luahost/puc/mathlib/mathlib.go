// Package mathlib is PUC Lua 5.1's math library for gopher-lua: C's libm
// results with glibc's NaN signs, and math.random as glibc's rand() drives
// it, so seeded sequences match lua5.1 on Debian.
package mathlib

import (
	"math"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc/internal/lauxlib"
	"msyshost/luahost/puc/number"
)

// Open replaces the math library of L; each state has its own random
// sequence.
func Open(L *lua.LState) {
	var rand glibcRand
	fn1 := func(f func(float64) float64) lua.LGFunction {
		return func(L *lua.LState) int {
			x := lauxlib.CheckNumber(L, 1)
			L.Push(lua.LNumber(number.CNaN(f(x), x, 0, true)))
			return 1
		}
	}
	// glibc's acos, asin and log10 return a positive NaN out of domain.
	fn1p := func(f func(float64) float64) lua.LGFunction {
		return func(L *lua.LState) int {
			x := lauxlib.CheckNumber(L, 1)
			L.Push(lua.LNumber(number.CNaN(f(x), x, 0, false)))
			return 1
		}
	}
	fn2 := func(f func(float64, float64) float64) lua.LGFunction {
		return func(L *lua.LState) int {
			x, y := lauxlib.CheckNumber(L, 1), lauxlib.CheckNumber(L, 2)
			L.Push(lua.LNumber(number.CNaN(f(x, y), x, y, true)))
			return 1
		}
	}
	const radiansPerDegree = math.Pi / 180
	m := lauxlib.SetFuncs(L, "math", map[string]lua.LGFunction{
		"abs": func(L *lua.LState) int {
			L.Push(lua.LNumber(math.Abs(lauxlib.CheckNumber(L, 1)))) // fabs clears a NaN's sign too
			return 1
		},
		"acos":  fn1p(math.Acos),
		"asin":  fn1p(math.Asin),
		"atan":  fn1(math.Atan),
		"atan2": fn2(math.Atan2),
		"ceil":  fn1(math.Ceil),
		"cos":   fn1(math.Cos),
		"cosh":  fn1(math.Cosh),
		"deg":   fn1(func(x float64) float64 { return x / radiansPerDegree }),
		"exp":   fn1(math.Exp),
		"floor": fn1(math.Floor),
		"fmod":  fn2(math.Mod),
		"frexp": mathFrexp,
		"ldexp": mathLdexp,
		"log":   fn1(math.Log),
		"log10": fn1p(math.Log10),
		"max":   mathMax,
		"min":   mathMin,
		"modf":  mathModf,
		"pow":   fn2(number.Pow),
		"rad":   fn1(func(x float64) float64 { return x * radiansPerDegree }),
		"sin":   fn1(math.Sin),
		"sinh":  fn1(math.Sinh),
		"sqrt":  fn1(math.Sqrt),
		"tan":   fn1(math.Tan),
		"tanh":  fn1(math.Tanh),
		"random": func(L *lua.LState) int {
			return mathRandom(L, &rand)
		},
		"randomseed": func(L *lua.LState) int {
			rand.seed(uint32(lauxlib.CheckInt(L, 1)))
			return 0
		},
	})
	m.RawSetString("mod", m.RawGetString("fmod"))
	m.RawSetString("huge", lua.LNumber(math.Inf(1)))
	m.RawSetString("pi", lua.LNumber(math.Pi))
}

func mathFrexp(L *lua.LState) int {
	f, e := math.Frexp(lauxlib.CheckNumber(L, 1))
	L.Push(lua.LNumber(f))
	L.Push(lua.LNumber(e))
	return 2
}

func mathLdexp(L *lua.LState) int {
	x := lauxlib.CheckNumber(L, 1)
	L.Push(lua.LNumber(math.Ldexp(x, lauxlib.CheckInt(L, 2))))
	return 1
}

// mathModf is C's modf, whose fraction of an infinity is a zero (Go's
// math.Modf gives NaN).
func mathModf(L *lua.LState) int {
	x := lauxlib.CheckNumber(L, 1)
	ip, fp := math.Modf(x)
	if math.IsInf(x, 0) {
		fp = math.Copysign(0, x)
	}
	L.Push(lua.LNumber(ip))
	L.Push(lua.LNumber(fp))
	return 2
}

func mathMin(L *lua.LState) int {
	n := L.GetTop()
	best := lauxlib.CheckNumber(L, 1)
	for i := 2; i <= n; i++ {
		if d := lauxlib.CheckNumber(L, i); d < best {
			best = d
		}
	}
	L.Push(lua.LNumber(best))
	return 1
}

func mathMax(L *lua.LState) int {
	n := L.GetTop()
	best := lauxlib.CheckNumber(L, 1)
	for i := 2; i <= n; i++ {
		if d := lauxlib.CheckNumber(L, i); d > best {
			best = d
		}
	}
	L.Push(lua.LNumber(best))
	return 1
}

// mathRandom is math.random as 5.1 computes it from C's rand().
func mathRandom(L *lua.LState, g *glibcRand) int {
	const randMax = 2147483647
	r := float64(g.next()%randMax) / randMax
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(r))
	case 1:
		u := lauxlib.CheckInt(L, 1)
		if u < 1 {
			lauxlib.ArgError(L, 1, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u)) + 1))
	case 2:
		l, u := lauxlib.CheckInt(L, 1), lauxlib.CheckInt(L, 2)
		if l > u {
			lauxlib.ArgError(L, 2, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u-l+1)) + float64(l)))
	default:
		lauxlib.Raise(L, "wrong number of arguments")
	}
	return 1
}

// glibcRand reproduces glibc's rand() (the default TYPE_3 additive
// feedback generator), so seeded sequences match lua5.1 on Debian.
type glibcRand struct {
	r      [34]int32 // the last 34 values, oldest at k
	k      int
	seeded bool
}

func (g *glibcRand) seed(s uint32) {
	if s == 0 {
		s = 1
	}
	var r [344]int32
	r[0] = int32(s)
	for i := 1; i < 31; i++ {
		// 16807 * r[i-1] % 2147483647 without overflow (Schrage).
		hi, lo := int64(r[i-1])/127773, int64(r[i-1])%127773
		w := 16807*lo - 2836*hi
		if w < 0 {
			w += 2147483647
		}
		r[i] = int32(w)
	}
	for i := 31; i < 34; i++ {
		r[i] = r[i-31]
	}
	for i := 34; i < 344; i++ {
		r[i] = int32(uint32(r[i-31]) + uint32(r[i-3]))
	}
	copy(g.r[:], r[310:]) // the next output is r[344]
	g.k = 0
	g.seeded = true
}

func (g *glibcRand) next() uint32 {
	if !g.seeded {
		g.seed(1)
	}
	// The window holds the last 34 values; the new one is r[-31] + r[-3].
	v := uint32(g.r[(g.k+3)%34]) + uint32(g.r[(g.k+31)%34])
	g.r[g.k] = int32(v)
	g.k = (g.k + 1) % 34
	return v >> 1
}
