package puc

import (
	"math"
	"strconv"
	"strings"
)

// cSpec is one parsed printf conversion as glibc interprets it.
type cSpec struct {
	minus, plus, space, alt, zero bool
	width                         int
	prec                          int // -1: not given
	conv                          byte
}

// pad lays out sign, prefix and body in the field width, zero-filling
// between prefix and body when the 0 flag applies.
func (sp *cSpec) pad(sign, prefix, body string, zeroOK bool) string {
	n := len(sign) + len(prefix) + len(body)
	if sp.width <= n {
		return sign + prefix + body
	}
	fill := sp.width - n
	switch {
	case sp.minus:
		return sign + prefix + body + strings.Repeat(" ", fill)
	case sp.zero && zeroOK:
		return sign + prefix + strings.Repeat("0", fill) + body
	}
	return strings.Repeat(" ", fill) + sign + prefix + body
}

func (sp *cSpec) sign(neg bool) string {
	switch {
	case neg:
		return "-"
	case sp.plus:
		return "+"
	case sp.space:
		return " "
	}
	return ""
}

// formatInt is %d and %i of a C long.
func (sp *cSpec) formatInt(v int64) string {
	var digits string
	if v < 0 {
		digits = strconv.FormatUint(-uint64(v), 10)
	} else {
		digits = strconv.FormatInt(v, 10)
	}
	digits = sp.precision(digits, v == 0)
	return sp.pad(sp.sign(v < 0), "", digits, sp.prec < 0)
}

// precision applies an integer conversion's precision: a minimum number of
// digits, and no digits at all for zero with precision 0.
func (sp *cSpec) precision(digits string, zero bool) string {
	if sp.prec < 0 {
		return digits
	}
	if sp.prec == 0 && zero {
		return ""
	}
	if len(digits) < sp.prec {
		digits = strings.Repeat("0", sp.prec-len(digits)) + digits
	}
	return digits
}

// formatUint is %o, %u, %x and %X of a C unsigned long.
func (sp *cSpec) formatUint(u uint64) string {
	var digits, prefix string
	switch sp.conv {
	case 'o':
		digits = sp.precision(strconv.FormatUint(u, 8), u == 0)
		if sp.alt && !strings.HasPrefix(digits, "0") {
			digits = "0" + digits
		}
	case 'x', 'X':
		digits = sp.precision(strconv.FormatUint(u, 16), u == 0)
		if sp.alt && u != 0 {
			prefix = "0x"
		}
		if sp.conv == 'X' {
			digits, prefix = strings.ToUpper(digits), strings.ToUpper(prefix)
		}
	default:
		digits = sp.precision(strconv.FormatUint(u, 10), u == 0)
	}
	return sp.pad("", prefix, digits, sp.prec < 0)
}

// formatFloat is %e, %E, %f, %g and %G of a double.
func (sp *cSpec) formatFloat(f float64) string {
	upper := sp.conv == 'E' || sp.conv == 'G'
	neg := math.Signbit(f)
	if math.IsInf(f, 0) || math.IsNaN(f) {
		body := "inf"
		if math.IsNaN(f) {
			body = "nan"
		}
		if upper {
			body = strings.ToUpper(body)
		}
		return sp.pad(sp.sign(neg), "", body, false)
	}
	prec := sp.prec
	if prec < 0 {
		prec = 6
	}
	a := math.Abs(f)
	var body string
	switch sp.conv {
	case 'e', 'E':
		body = strconv.FormatFloat(a, 'e', prec, 64)
		if sp.alt && prec == 0 {
			body = strings.Replace(body, "e", ".e", 1)
		}
		if upper {
			body = strings.ToUpper(body)
		}
	case 'f':
		body = strconv.FormatFloat(a, 'f', prec, 64)
		if sp.alt && prec == 0 {
			body += "."
		}
	default:
		body = formatG(a, prec, sp.alt, upper)
	}
	return sp.pad(sp.sign(neg), "", body, true)
}

// formatG is C's %g (with the # flag when alt) of a finite or infinite
// double: %e or %f by the exponent, then trailing zeros removed.
func formatG(f float64, prec int, alt, upper bool) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		sp := cSpec{conv: 'g', prec: prec}
		if upper {
			sp.conv = 'G'
		}
		return sp.formatFloat(f)
	}
	if prec == 0 {
		prec = 1
	}
	e := strconv.FormatFloat(f, 'e', prec-1, 64)
	x, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	var s, exp string
	if x >= -4 && x < prec {
		s = strconv.FormatFloat(f, 'f', prec-1-x, 64)
	} else {
		i := strings.IndexByte(e, 'e')
		s, exp = e[:i], e[i:]
	}
	if alt {
		if !strings.Contains(s, ".") {
			s += "."
		}
	} else if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	s += exp
	if upper {
		s = strings.ToUpper(s)
	}
	return s
}

// formatString is %s, which stops at a NUL like C.
func (sp *cSpec) formatString(s string) string {
	s = cString(s)
	if sp.prec >= 0 && len(s) > sp.prec {
		s = s[:sp.prec]
	}
	return sp.pad("", "", s, false)
}

// toUnsigned converts as a C cast from double to unsigned long does on
// amd64: values below 2^63 go through a signed conversion (so -1 becomes
// 2^64-1), larger ones are offset by 2^63 first.
func toUnsigned(f float64) uint64 {
	if f >= 1<<63 {
		return uint64(toInteger(f-(1<<63))) ^ (1 << 63)
	}
	return uint64(toInteger(f))
}
