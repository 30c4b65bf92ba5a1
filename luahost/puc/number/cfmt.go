package number

import (
	"math"
	"strconv"
	"strings"
)

// Spec is one parsed printf conversion as glibc interprets it.
type Spec struct {
	Minus, Plus, Space, Alt, Zero bool
	Width                         int
	Prec                          int // -1: not given
	Conv                          byte
}

// Pad lays out sign, prefix and body in the field width, zero-filling
// between prefix and body when the 0 flag applies.
func (sp *Spec) Pad(sign, prefix, body string, zeroOK bool) string {
	n := len(sign) + len(prefix) + len(body)
	if sp.Width <= n {
		return sign + prefix + body
	}
	fill := sp.Width - n
	switch {
	case sp.Minus:
		return sign + prefix + body + strings.Repeat(" ", fill)
	case sp.Zero && zeroOK:
		return sign + prefix + strings.Repeat("0", fill) + body
	}
	return strings.Repeat(" ", fill) + sign + prefix + body
}

func (sp *Spec) sign(neg bool) string {
	switch {
	case neg:
		return "-"
	case sp.Plus:
		return "+"
	case sp.Space:
		return " "
	}
	return ""
}

// FormatInt is %d and %i of a C long.
func (sp *Spec) FormatInt(v int64) string {
	var digits string
	if v < 0 {
		digits = strconv.FormatUint(-uint64(v), 10)
	} else {
		digits = strconv.FormatInt(v, 10)
	}
	digits = sp.precision(digits, v == 0)
	return sp.Pad(sp.sign(v < 0), "", digits, sp.Prec < 0)
}

// precision applies an integer conversion's precision: a minimum number of
// digits, and no digits at all for zero with precision 0.
func (sp *Spec) precision(digits string, zero bool) string {
	if sp.Prec < 0 {
		return digits
	}
	if sp.Prec == 0 && zero {
		return ""
	}
	if len(digits) < sp.Prec {
		digits = strings.Repeat("0", sp.Prec-len(digits)) + digits
	}
	return digits
}

// FormatUint is %o, %u, %x and %X of a C unsigned long.
func (sp *Spec) FormatUint(u uint64) string {
	var digits, prefix string
	switch sp.Conv {
	case 'o':
		digits = sp.precision(strconv.FormatUint(u, 8), u == 0)
		if sp.Alt && !strings.HasPrefix(digits, "0") {
			digits = "0" + digits
		}
	case 'x', 'X':
		digits = sp.precision(strconv.FormatUint(u, 16), u == 0)
		if sp.Alt && u != 0 {
			prefix = "0x"
		}
		if sp.Conv == 'X' {
			digits, prefix = strings.ToUpper(digits), strings.ToUpper(prefix)
		}
	default:
		digits = sp.precision(strconv.FormatUint(u, 10), u == 0)
	}
	return sp.Pad("", prefix, digits, sp.Prec < 0)
}

// FormatFloat is %e, %E, %f, %g and %G of a double.
func (sp *Spec) FormatFloat(f float64) string {
	upper := sp.Conv == 'E' || sp.Conv == 'G'
	neg := math.Signbit(f)
	if math.IsInf(f, 0) || math.IsNaN(f) {
		body := "inf"
		if math.IsNaN(f) {
			body = "nan"
		}
		if upper {
			body = strings.ToUpper(body)
		}
		return sp.Pad(sp.sign(neg), "", body, false)
	}
	prec := sp.Prec
	if prec < 0 {
		prec = 6
	}
	a := math.Abs(f)
	var body string
	switch sp.Conv {
	case 'e', 'E':
		body = strconv.FormatFloat(a, 'e', prec, 64)
		if sp.Alt && prec == 0 {
			body = strings.Replace(body, "e", ".e", 1)
		}
		if upper {
			body = strings.ToUpper(body)
		}
	case 'f':
		body = strconv.FormatFloat(a, 'f', prec, 64)
		if sp.Alt && prec == 0 {
			body += "."
		}
	default:
		body = FormatG(a, prec, sp.Alt, upper)
	}
	return sp.Pad(sp.sign(neg), "", body, true)
}

// FormatG is C's %g (with the # flag when alt) of a finite or infinite
// double: %e or %f by the exponent, then trailing zeros removed.
func FormatG(f float64, prec int, alt, upper bool) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		sp := Spec{Conv: 'g', Prec: prec}
		if upper {
			sp.Conv = 'G'
		}
		return sp.FormatFloat(f)
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

// FormatString is %s, which stops at a NUL like C.
func (sp *Spec) FormatString(s string) string {
	s = CString(s)
	if sp.Prec >= 0 && len(s) > sp.Prec {
		s = s[:sp.Prec]
	}
	return sp.Pad("", "", s, false)
}

// ToUnsigned converts as a C cast from double to unsigned long does on
// amd64: values below 2^63 go through a signed conversion (so -1 becomes
// 2^64-1), larger ones are offset by 2^63 first.
func ToUnsigned(f float64) uint64 {
	if f >= 1<<63 {
		return uint64(ToInteger(f-(1<<63))) ^ (1 << 63)
	}
	return uint64(ToInteger(f))
}
