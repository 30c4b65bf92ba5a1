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

// Strtod is glibc's strtod: the value of the longest prefix of s that
// reads as a number (decimal or hexadecimal float, inf, infinity, nan,
// after optional white space and sign) and that prefix's length, 0 when
// nothing converts. For a front end whose Lua converts numerals its own
// way around strtod (thrlua's luaO_str2d reads a leading 0 as octal).
func Strtod(s string) (float64, int) {
	return strtod(s)
}

// Strtoul is C's strtoul(s, &end, base) on a 64-bit unsigned long: the
// value (wrapped for a minus sign, saturated on overflow) and the length
// read, 0 when nothing converts. Base 16 skips a 0x prefix.
func Strtoul(s string, base int) (uint64, int) {
	return strtoul(s, base)
}
