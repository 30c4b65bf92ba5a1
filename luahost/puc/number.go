// Package puc makes gopher-lua behave as PUC Lua 5.1 where a script can see
// the difference: number formatting and parsing and the library functions
// that depend on them.
package puc

import (
	"math"
	"strconv"
)

// FormatNumber formats n as PUC Lua 5.1 does (LUA_NUMBER_FMT "%.14g").
func FormatNumber(n float64) string {
	switch {
	case math.IsInf(n, 1):
		return "inf"
	case math.IsInf(n, -1):
		return "-inf"
	case math.IsNaN(n):
		if math.Signbit(n) {
			return "-nan"
		}
		return "nan"
	}
	if n == math.Trunc(n) && math.Abs(n) < 1e14 {
		if n == 0 && math.Signbit(n) {
			return "-0"
		}
		return strconv.FormatInt(int64(n), 10)
	}
	// Go's 'g' with a precision picks %e or %f by the same rule as C and,
	// like C, writes at least two exponent digits.
	return strconv.FormatFloat(n, 'g', 14, 64)
}
