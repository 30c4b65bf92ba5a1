package json_test

import (
	"testing"

	"msyshost/lib/msys/json"
	"msyshost/luahost/luatest"

	_ "msyshost/lib/msys/core"
)

func TestLua(t *testing.T) {
	luatest.Run(t, "api_test.lua", nil)
}

// FuzzParse: any input either fails with a json.ERROR_* code, or decodes
// to a value whose text decodes again to the same text.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"a": [1, 2.5, "x\u00e9", null, true]}`, `[`, `'q'`, `/* c */ 1`, `{"a":1,}`, `"\ud83d\ude00"`, `1e400`, `-`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := json.Parse(s)
		if err != nil {
			se, ok := err.(*json.SyntaxError)
			if !ok || se.Code < json.ErrDepth || se.Code > json.ErrParseComment {
				t.Fatalf("error of unexpected form: %#v", err)
			}
			return
		}
		text, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("marshal of a parsed value: %v", err)
		}
		v2, err := json.Parse(text)
		if err != nil {
			t.Fatalf("our own output %q does not parse: %v", text, err)
		}
		text2, _ := json.Marshal(v2)
		if text2 != text {
			t.Fatalf("round trip changed %q into %q", text, text2)
		}
	})
}
