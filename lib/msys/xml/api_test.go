package xml_test

import (
	"testing"

	"msyshost/lib/msys/xml"
	"msyshost/luahost/luatest"

	_ "msyshost/lib/msys/core"
)

func TestLua(t *testing.T) {
	luatest.Run(t, "api_test.lua", nil)
}

// FuzzParse: any input parses or fails with an error (never a panic or a
// hang), and a parsed document prints as text that parses again to the
// same text.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`<a x="1"><b>t</b><!--c--><?pi d?></a>`,
		`<!DOCTYPE r [<!ENTITY e "v&#33;">]><r>&e;</r>`,
		"<a>\n <b/> text <c/>\n</a>",
		`<?xml version="1.0" encoding="ISO-8859-1"?><r>caf` + "\xe9" + `</r>`,
		`<a><![CDATA[<x>]]></a>`,
	} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, keep bool) {
		doc, err := xml.Parse(s, keep)
		if err != nil {
			return
		}
		out := doc.String()
		doc2, err := xml.Parse(out, keep)
		if err != nil {
			t.Fatalf("our output does not parse: %v\n%s", err, out)
		}
		if out2 := doc2.String(); out2 != out {
			t.Fatalf("printing is not stable:\n%s\n---\n%s", out, out2)
		}
	})
}
