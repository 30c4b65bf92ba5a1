package qp_test

import (
	"strings"
	"testing"

	"msyshost/lib/msys/qp"
	"msyshost/luahost/luatest"

	_ "msyshost/lib/msys"
)

func TestLua(t *testing.T) { luatest.Run(t, "api_test.lua", nil) }

// FuzzDecode: whatever the text, Decode returns or errs without panicking,
// and what the encoder writes decodes back to the input.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{"caf=C3=A9", "a=\r\nb", "x=", "=4", "line  \r\nnext", "=zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		qp.Decode(s)
		enc := qp.Encode([]byte(s))
		for _, line := range strings.Split(enc, "\r\n") {
			if len(line) > 76 {
				t.Fatalf("line of %d characters in %q", len(line), enc)
			}
		}
		back, err := qp.Decode(enc)
		if err != nil {
			t.Fatalf("decoding the encoder's output %q: %v", enc, err)
		}
		// The encoder writes every line break as CRLF.
		if want := strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n"); string(back) != want {
			t.Fatalf("round trip of %q gave %q", s, back)
		}
	})
}
