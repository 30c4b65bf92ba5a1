package number_test

import (
	"math"
	"testing"

	"msyshost/luahost/puc/number"
)

// The corpus covers Mod, Pow and ToNumber through Lua (math.pow, the
// library's argument coercion); these check the exported forms the
// dialect front-end calls directly, against lua5.1's printed values.
func TestArith(t *testing.T) {
	for _, c := range []struct {
		name string
		got  float64
		want string
	}{
		{"5 % 3", number.Mod(5, 3), "2"},
		{"-5 % 3", number.Mod(-5, 3), "1"},
		{"5.5 % -2", number.Mod(5.5, -2), "-0.5"},
		{"5 % inf", number.Mod(5, math.Inf(1)), "-nan"},
		{"1 % 0", number.Mod(1, 0), "-nan"},
		{"2 ^ 10", number.Pow(2, 10), "1024"},
		{"(-8) ^ (1/3)", number.Pow(-8, 1.0/3), "-nan"},
		{"2 ^ 0.5", number.Pow(2, 0.5), "1.4142135623731"},
	} {
		if got := number.Format(c.got); got != c.want {
			t.Errorf("%s = %s, lua5.1 prints %s", c.name, got, c.want)
		}
	}
	for s, want := range map[string]string{
		" 0x10 ": "16", "1e5000": "inf", "0x1.8": "1.5", "\v5": "5", "5\x00x": "5", ".5": "0.5", "-nan": "-nan",
	} {
		f, ok := number.ToNumber(s)
		if !ok || number.Format(f) != want {
			t.Errorf("ToNumber(%q) = %v, %v; want %s", s, f, ok, want)
		}
	}
	for _, s := range []string{"1_0", "0b1", "1e", "", " ", "0x", "1 2"} {
		if f, ok := number.ToNumber(s); ok {
			t.Errorf("ToNumber(%q) = %v, want no number", s, f)
		}
	}
}
