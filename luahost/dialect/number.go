package dialect

import (
	"math"
	"strconv"
	"strings"
)

// str2d converts s to a number as thrlua's luaO_str2d does, for numerals in
// source and for strings used as operands of the extended operators: a
// leading "0" not followed by "." is read by C strtol with base 0 (so 0660
// is octal 432, 0x1F is hex, 08 is malformed), anything else by strtod; a
// conversion that stops at an 'x' is retried with strtoul base 16; only
// white space may follow. Like C, the string ends at its first NUL.
func str2d(s string) (float64, bool) {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	p := strings.TrimPrefix(s, "-")
	var v float64
	var end int
	if len(p) > 0 && p[0] == '0' && (len(p) == 1 || p[1] != '.') {
		v, end = strtol(s)
	} else {
		v, end = strtod(s)
	}
	if end == 0 {
		return 0, false
	}
	if end < len(s) && (s[end] == 'x' || s[end] == 'X') {
		v, end = strtoul16(s)
	}
	for ; end < len(s); end++ {
		if !isSpace(int(s[end])) {
			return 0, false
		}
	}
	return v, true
}

func skipSpaceSign(s string) (i int, neg bool) {
	for i < len(s) && isSpace(int(s[i])) {
		i++
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	return i, neg
}

func hasHexPrefix(s string, i int) bool {
	return i+2 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && isXDigit(int(s[i+2]))
}

// strtol is C strtol(s, &end, 0) on a 64-bit long, clamping on overflow;
// end is 0 when nothing was converted.
func strtol(s string) (float64, int) {
	i, neg := skipSpaceSign(s)
	base := uint64(10)
	switch {
	case hasHexPrefix(s, i):
		base, i = 16, i+2
	case i < len(s) && s[i] == '0':
		base = 8
	}
	var mag uint64
	overflow := false
	start := i
	for ; i < len(s); i++ {
		c := int(s[i])
		if !isXDigit(c) || uint64(hexVal(c)) >= base {
			break
		}
		if mag > (math.MaxUint64-uint64(hexVal(c)))/base {
			overflow = true
		}
		mag = mag*base + uint64(hexVal(c))
	}
	if i == start {
		return 0, 0
	}
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	if overflow || mag > limit {
		mag = limit
	}
	if neg {
		return -float64(mag), i
	}
	return float64(mag), i
}

// strtoul16 is C strtoul(s, &end, 16): an optional 0x prefix, wrapping
// negation, clamping to ULONG_MAX on overflow.
func strtoul16(s string) (float64, int) {
	i, neg := skipSpaceSign(s)
	if hasHexPrefix(s, i) {
		i += 2
	}
	var mag uint64
	overflow := false
	start := i
	for ; i < len(s) && isXDigit(int(s[i])); i++ {
		d := uint64(hexVal(int(s[i])))
		if mag > (math.MaxUint64-d)/16 {
			overflow = true
		}
		mag = mag*16 + d
	}
	if i == start {
		return 0, 0
	}
	if overflow {
		mag = math.MaxUint64
	}
	if neg {
		mag = -mag
	}
	return float64(mag), i
}

// strtod is glibc strtod: decimal and hexadecimal floats, inf, infinity
// and nan, after optional white space and sign.
func strtod(s string) (float64, int) {
	i, neg := skipSpaceSign(s)
	sign := func(v float64) float64 {
		if neg {
			return math.Copysign(v, -1)
		}
		return v
	}
	rest := strings.ToLower(s[i:])
	switch {
	case strings.HasPrefix(rest, "infinity"):
		return sign(math.Inf(1)), i + 8
	case strings.HasPrefix(rest, "inf"):
		return sign(math.Inf(1)), i + 3
	case strings.HasPrefix(rest, "nan"):
		end := i + 3
		if j := strings.IndexByte(s[end:], ')'); end < len(s) && s[end] == '(' && j > 0 {
			ok := true
			for _, c := range s[end+1 : end+j] {
				if !(isAlnum(int(c)) || c == '_') {
					ok = false
				}
			}
			if ok {
				end += j + 1
			}
		}
		return sign(math.NaN()), end
	}
	digits := isDigit
	hex := i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') &&
		(i+2 < len(s) && isXDigit(int(s[i+2])) || i+3 < len(s) && s[i+2] == '.' && isXDigit(int(s[i+3])))
	j := i
	if hex {
		digits = isXDigit
		j += 2
	}
	mant := j
	n := 0
	for ; j < len(s) && digits(int(s[j])); j++ {
		n++
	}
	intEnd := j
	fracStart := j
	if j < len(s) && s[j] == '.' {
		j++
		fracStart = j
		for ; j < len(s) && digits(int(s[j])); j++ {
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	fracEnd := j
	exp := "0"
	expChar := byte('e')
	if hex {
		expChar = 'p'
	}
	if j < len(s) && (s[j]|0x20) == expChar {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && isDigit(int(s[k])) {
			for k < len(s) && isDigit(int(s[k])) {
				k++
			}
			exp = s[j+1 : k]
			j = k
		}
	}
	var text string
	if hex {
		text = "0x" + s[mant:intEnd] + "." + s[fracStart:fracEnd]
		if intEnd == mant {
			text = "0x0." + s[fracStart:fracEnd]
		}
		text += "p" + exp
	} else {
		text = s[mant:intEnd] + "." + s[fracStart:fracEnd] + "e" + exp
		if intEnd == mant {
			text = "0" + text
		}
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil && !isRangeErr(err) {
		return 0, 0
	}
	return sign(v), j
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}
