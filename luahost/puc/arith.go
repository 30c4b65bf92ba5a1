package puc

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
	return cNaN(math.Pow(a, b), a, b, true)
}

// ToNumber is how PUC 5.1 reads a string as a number in arithmetic and in
// library arguments (luaO_str2d: strtod, surrounding whitespace allowed,
// hex and inf/nan accepted, the string cut at a NUL).
func ToNumber(s string) (float64, bool) {
	return str2number(s)
}
