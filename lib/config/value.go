package config

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Kind says which of the three value forms an option has.
type Kind int

const (
	Scalar Kind = iota // `a`, `"a b"`
	List               // `( a "b" c )`
	Dict               // `[ k = "v" k2 = w ]`
)

// Pair is one entry of a dictionary value.
type Pair struct {
	Key, Value string
}

// Value is an option's value. The conversions report a malformed value as an
// *Error naming the option and where it was set.
type Value struct {
	kind   Kind
	text   string
	items  []string
	pairs  []Pair
	option string
	pos    Pos
}

// Kind returns the form the value was written in.
func (v Value) Kind() Kind { return v.kind }

// Pos returns where the option holding the value was set.
func (v Value) Pos() Pos { return v.pos }

// String returns a scalar's text; a list or dictionary comes back in config
// syntax.
func (v Value) String() string {
	if v.kind == Scalar {
		return v.text
	}
	return v.syntax()
}

// List returns a list's items. A scalar is a list of one, so
// `servers = "h:8098"` and `servers = ( "h:8098" )` read the same. A
// dictionary gives nil.
func (v Value) List() []string {
	switch v.kind {
	case Scalar:
		return []string{v.text}
	case List:
		return append([]string(nil), v.items...)
	}
	return nil
}

// Dict returns a dictionary's entries; a repeated key keeps its last value.
// Scalars and lists give nil.
func (v Value) Dict() map[string]string {
	if v.kind != Dict {
		return nil
	}
	m := make(map[string]string, len(v.pairs))
	for _, p := range v.pairs {
		m[p.Key] = p.Value
	}
	return m
}

// Pairs returns a dictionary's entries in the order written.
func (v Value) Pairs() []Pair { return append([]Pair(nil), v.pairs...) }

// Bool accepts what Momentum's ec_atobool accepts, in any case:
// true/false, on/off, enabled/disabled, 1/0.
func (v Value) Bool() (bool, error) {
	s, err := v.scalar("a boolean (true/false, on/off, enabled/disabled, 1/0)")
	if err != nil {
		return false, err
	}
	switch strings.ToLower(s) {
	case "true", "on", "enabled", "1":
		return true, nil
	case "false", "off", "disabled", "0":
		return false, nil
	}
	return false, v.errorf("expected a boolean (true/false, on/off, enabled/disabled, 1/0), found %q", s)
}

// Int reads an integer written as C would write it, the prefixes of
// strtol with base 0, which is how Momentum reads `File_Mode = 0666`:
// an optional + or -, then 0x or 0X and hexadecimal digits, or 0 and octal
// digits, or decimal digits. Unlike strtol it reads the whole value or
// fails: trailing text ("12a"), a digit outside the base ("08", "0x"
// alone), spaces, underscores and values outside int's range are errors
// rather than being cut short or clamped. With a 64-bit int the range is
// -9223372036854775808 to 9223372036854775807.
func (v Value) Int() (int, error) {
	s, err := v.scalar("an integer")
	if err != nil {
		return 0, err
	}
	digits, neg := s, false
	if len(digits) > 0 && (digits[0] == '-' || digits[0] == '+') {
		neg = digits[0] == '-'
		digits = digits[1:]
	}
	base := 10
	switch {
	case len(digits) > 2 && (digits[:2] == "0x" || digits[:2] == "0X"):
		base, digits = 16, digits[2:]
	case len(digits) > 1 && digits[0] == '0':
		base, digits = 8, digits[1:]
	}
	// ParseUint with an explicit base takes neither a sign nor underscores.
	u, err := strconv.ParseUint(digits, base, 64)
	if err != nil {
		return 0, v.errorf("expected an integer, found %q", s)
	}
	var n int64
	switch {
	case !neg && u <= math.MaxInt64:
		n = int64(u)
	case neg && u <= 1<<63:
		n = int64(-u) // -(1<<63) wraps to math.MinInt64 itself
	default:
		return 0, v.errorf("integer %q is out of range", s)
	}
	if int64(int(n)) != n {
		return 0, v.errorf("integer %q is out of range", s)
	}
	return int(n), nil
}

var durationUnits = map[string]time.Duration{
	"": time.Second, "ms": time.Millisecond, "s": time.Second, "m": time.Minute,
	"h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour,
}

// Duration reads a whole number with an optional unit: ms, s, m, h, d or w
// (`14d`, `36h`, `90m`, `3600s`, `500ms`). A bare number is seconds, as in
// Momentum's own options. Negative durations are rejected.
func (v Value) Duration() (time.Duration, error) {
	const want = "a duration (a whole number with an optional unit ms, s, m, h, d or w; bare numbers are seconds)"
	s, err := v.scalar(want)
	if err != nil {
		return 0, err
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	unit, ok := durationUnits[strings.ToLower(s[i:])]
	if i == 0 || !ok {
		return 0, v.errorf("expected %s, found %q", want, s)
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil || n > int64(math.MaxInt64/unit) {
		return 0, v.errorf("duration %q is out of range", s)
	}
	return time.Duration(n) * unit, nil
}

func (v Value) scalar(want string) (string, error) {
	if v.kind != Scalar {
		return "", v.errorf("expected %s, found a %s", want, [...]string{"scalar", "list", "dictionary"}[v.kind])
	}
	return v.text, nil
}

func (v Value) errorf(format string, args ...any) error {
	e := errorf(v.pos, format, args...)
	if v.option != "" {
		e.Msg = v.option + ": " + e.Msg
	}
	return e
}

// syntax renders the value as config text with every scalar quoted.
func (v Value) syntax() string {
	switch v.kind {
	case List:
		var b strings.Builder
		b.WriteString("(")
		for _, it := range v.items {
			b.WriteString(" " + strconv.Quote(it))
		}
		b.WriteString(" )")
		return b.String()
	case Dict:
		var b strings.Builder
		b.WriteString("[")
		for _, p := range v.pairs {
			b.WriteString(" " + strconv.Quote(p.Key) + " = " + strconv.Quote(p.Value))
		}
		b.WriteString(" ]")
		return b.String()
	}
	return strconv.Quote(v.text)
}
