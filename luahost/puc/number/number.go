// Package number converts between numbers and text as PUC Lua 5.1 does
// on glibc/x86-64: tostring's "%.14g", strtod and strtoul (what
// tonumber and the VM accept), C's printf conversions (string.format),
// and the operators whose C results differ from Go's (%, ^, NaN signs).
package number

import (
	"math"
	"strconv"
	"strings"
)

// FormatNumber formats n as PUC Lua 5.1 does (LUA_NUMBER_FMT "%.14g").
func Format(n float64) string {
	if n == math.Trunc(n) && math.Abs(n) < 1e14 {
		if n == 0 && math.Signbit(n) {
			return "-0"
		}
		return strconv.FormatInt(int64(n), 10)
	}
	return FormatG(n, 14, false, false)
}

// IsSpace is C's isspace in the C locale.
func IsSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

// CString cuts s at its first NUL: PUC hands Lua strings to C functions
// (strtod, strtoul, sprintf) that stop there.
func CString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// ToNumber is luaO_str2d: what the whole string reads as under strtod,
// surrounding whitespace allowed. Like glibc's strtod it takes hex
// (with or without a binary exponent), inf, infinity and nan.
func ToNumber(s string) (float64, bool) {
	s = CString(s)
	f, end := Strtod(s)
	if end == 0 {
		return 0, false
	}
	for end < len(s) && IsSpace(s[end]) {
		end++
	}
	return f, end == len(s)
}

// Strtod parses the longest prefix of s that C's strtod accepts and
// returns its value and length; length 0 means no conversion.
func Strtod(s string) (float64, int) {
	i := 0
	for i < len(s) && IsSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	sign := func(f float64) float64 {
		if neg {
			return -f
		}
		return f
	}
	rest := strings.ToLower(s[i:min(len(s), i+8)])
	switch {
	case strings.HasPrefix(rest, "infinity"):
		return sign(math.Inf(1)), i + 8
	case strings.HasPrefix(rest, "inf"):
		return sign(math.Inf(1)), i + 3
	case strings.HasPrefix(rest, "nan"):
		end := i + 3
		if end < len(s) && s[end] == '(' {
			j := end + 1
			for j < len(s) && (IsAlnum(s[j]) || s[j] == '_') {
				j++
			}
			if j < len(s) && s[j] == ')' {
				end = j + 1
			}
		}
		return sign(math.NaN()), end
	}
	if i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') {
		if f, n := hexFloat(s[i+2:]); n > 0 {
			return sign(f), i + 2 + n
		}
		return sign(0), i + 1
	}
	start := i
	i, digits := mantissa(s, i, IsDigit)
	if digits == 0 {
		return 0, 0
	}
	i = exponent(s, i, 'e')
	f, _ := strconv.ParseFloat(s[start:i], 64) // range errors give ±Inf or 0, as strtod
	return sign(f), i
}

// mantissa scans digits, an optional point and more digits from i; it
// returns where they end and how many digits it saw.
func mantissa(s string, i int, digit func(byte) bool) (end, digits int) {
	for i < len(s) && digit(s[i]) {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && digit(s[i]) {
			i++
			digits++
		}
	}
	return i, digits
}

// exponent extends a number ending at i over an exponent introduced by
// mark, if one with at least one digit follows.
func exponent(s string, i int, mark byte) int {
	if i < len(s) && (s[i]|0x20) == mark {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && IsDigit(s[j]) {
			for j < len(s) && IsDigit(s[j]) {
				j++
			}
			return j
		}
	}
	return i
}

// hexFloat parses the part of a C hex float after "0x".
func hexFloat(s string) (float64, int) {
	i, digits := mantissa(s, 0, IsXDigit)
	if digits == 0 {
		return 0, 0
	}
	mant := s[:i]
	i = exponent(s, i, 'p')
	exp := "p0"
	if i > len(mant) {
		exp = s[len(mant):i]
	}
	if mant[0] == '.' {
		mant = "0" + mant
	}
	f, _ := strconv.ParseFloat("0x"+mant+exp, 64)
	return f, i
}

// Strtoul is C's strtoul as tonumber(s, base) uses it: it returns the value,
// wrapped like C's unsigned long for a minus sign and saturated on overflow,
// and the length read (0: no conversion).
func Strtoul(s string, base int) (uint64, int) {
	i := 0
	for i < len(s) && IsSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if base == 16 && i+2 < len(s) && s[i] == '0' && (s[i+1]|0x20) == 'x' && IsXDigit(s[i+2]) {
		i += 2
	}
	start := i
	var n uint64
	overflow := false
	for ; i < len(s); i++ {
		d := DigitValue(s[i])
		if d >= base {
			break
		}
		hi, lo := bitsMulAdd(n, uint64(base), uint64(d))
		if hi != 0 {
			overflow = true
		}
		n = lo
	}
	if i == start {
		return 0, 0
	}
	if overflow {
		return math.MaxUint64, i
	}
	if neg {
		n = -n
	}
	return n, i
}

func bitsMulAdd(a, b, c uint64) (hi, lo uint64) {
	if a != 0 && a > (math.MaxUint64-c)/b {
		return 1, 0
	}
	return 0, a*b + c
}

func DigitValue(c byte) int {
	switch {
	case IsDigit(c):
		return int(c - '0')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return 99
}

func IsDigit(c byte) bool  { return c >= '0' && c <= '9' }
func IsXDigit(c byte) bool { return DigitValue(c) < 16 }
func IsAlpha(c byte) bool  { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func IsAlnum(c byte) bool  { return IsAlpha(c) || IsDigit(c) }

// ToInteger converts as a C cast from double does on amd64 (cvttsd2si):
// truncation, and the "integer indefinite" value for NaN and overflow.
func ToInteger(f float64) int64 {
	if f != f || f >= 1<<63 || f < -(1<<63) {
		return math.MinInt64
	}
	return int64(f)
}
