package reception

import "testing"

func TestParseReply(t *testing.T) {
	for _, c := range []struct {
		in, enh, text string
		code          int
	}{
		{"550 5.1.1 No such address", "5.1.1", "No such address", 550},
		{"550 No such address", "", "No such address", 550},
		{"451 4.7.1 Try later", "4.7.1", "Try later", 451},
		{"550 4.7.1 wrong class", "", "4.7.1 wrong class", 550},
		{"550-5.7.1 Not here\r\n550 5.7.1 nor there", "5.7.1", "Not here\nnor there", 550},
		{"550-Not here\r\n550 nor there", "", "Not here\nnor there", 550},
		{"250", "", "", 250},
	} {
		code, enh, text := parseReply(c.in)
		if code != c.code || enh != c.enh || text != c.text {
			t.Errorf("parseReply(%q) = %d %q %q, want %d %q %q", c.in, code, enh, text, c.code, c.enh, c.text)
		}
	}
	if reply("250 fine", false) != nil {
		t.Error("a 2xx refused")
	}
	if err := reply("421 4.7.0 bye", false); err == nil {
		t.Error("a 4xx accepted")
	}
}

// FuzzParseReply: whatever reply text a script's code produced, reading it
// back never panics, and a refusal keeps its code.
func FuzzParseReply(f *testing.F) {
	for _, s := range []string{"550 5.1.1 No such address", "550-a\r\n550 b", "421", "", "5", "550 5.", "451 4.999.1 x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, _, _ := parseReply(s)
		if err := reply(s, false); err != nil && code < 400 {
			t.Fatalf("%q refused with code %d", s, code)
		}
	})
}
