package dialect

import (
	"math"
	"strings"

	"msyshost/luahost/puc/number"
)

// str2d converts s to a number as thrlua's luaO_str2d does (src/lobject.c),
// for numerals in source and for strings used as operands of the extended
// operators: a leading "0" not followed by "." is read by C strtol with
// base 0 (so 0660 is octal 432, 0x1F is hex, 08 and 0010.5 are malformed),
// anything else by strtod; a conversion that stops at an 'x' is retried
// with strtoul base 16; only white space may follow. Like C, the string
// ends at its first NUL. strtod and strtoul are puc's, which PUC's own
// luaO_str2d (without the octal step) uses too.
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
		v, end = number.Strtod(s)
	}
	if end == 0 {
		return 0, false
	}
	if end < len(s) && (s[end] == 'x' || s[end] == 'X') {
		var u uint64
		u, end = number.Strtoul(s, 16)
		v = float64(u)
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
