package number

import (
	"math"
)

// Mod is PUC 5.1's a % b (luai_nummod): a - floor(a/b)*b, so 5 % math.huge
// and 1 % 0 are NaN, negative as x86 makes them. For a dialect front-end
// that lowers % to keep gopher-lua's VM out of it.
func Mod(a, b float64) float64 {
	return a - math.Floor(a/b)*b
}

// Pow is PUC 5.1's a ^ b and math.pow: C's pow, whose NaN for a negative
// base and a fractional exponent is negative.
func Pow(a, b float64) float64 {
	return CNaN(math.Pow(a, b), a, b, true)
}

// CNaN gives a NaN that a libm function made from non-NaN arguments the
// sign glibc gives it on x86-64: mostly the negative "default NaN" (log(-1)
// prints as -nan), positive for a few functions. Go's math package always
// returns a positive NaN, and does not always pass a NaN argument through
// with its sign as C does.
func CNaN(r, x, y float64, negative bool) float64 {
	switch {
	case r == r:
		return r
	case x != x:
		return x
	case y != y:
		return y
	case negative:
		return math.Copysign(math.NaN(), -1)
	}
	return r
}
