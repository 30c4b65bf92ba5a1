package config

import (
	"fmt"
	"strings"
	"testing"
)

// levelConfig sets option oK at every fallback level from K down, to the
// value naming the level, so Eval(oK) must answer level K when every level
// applies.
func levelConfig() string {
	levels := []string{"L1", "L2", "L3", "L4a", "L4b", "L5", "L6", "L7"}
	opts := func(level int) string {
		var b strings.Builder
		for k := 0; k <= level; k++ {
			fmt.Fprintf(&b, " o%d = %s", k+1, levels[level])
		}
		return b.String()
	}
	return fmt.Sprintf(`
%s
Binding_Group "bg" {
  %s
  Domain "d.example.com" { %s }
  Binding "b" {
    %s
    Domain "d.example.com" { %s }
  }
}
Binding "b" {
  %s
  Domain "d.example.com" { %s }
}
Domain "d.example.com" { %s }
`, opts(7), opts(5), opts(2), opts(3), opts(0), opts(4), opts(1), opts(6))
}

func TestEvalFallbackOrder(t *testing.T) {
	c, err := Parse("levels.conf", []byte(levelConfig()))
	if err != nil {
		t.Fatal(err)
	}
	full := Scope{BindingGroup: "bg", Binding: "b", Domain: "d.example.com"}
	want := []string{"L1", "L2", "L3", "L4a", "L4b", "L5", "L6", "L7"}
	for k, w := range want {
		opt := fmt.Sprintf("o%d", k+1)
		v, ok := c.Eval(full, opt)
		if !ok || v.String() != w {
			t.Errorf("Eval(full, %s) = %q, %v; want %q", opt, v.String(), ok, w)
		}
	}
	tests := []struct {
		name  string
		scope Scope
		opt   string
		want  string
	}{
		{"domain only", Scope{Domain: "d.example.com"}, "o1", "L6"},
		{"domain case-insensitive", Scope{Domain: "D.Example.COM"}, "o1", "L6"},
		{"option name case-insensitive", Scope{Domain: "d.example.com"}, "O1", "L6"},
		{"global only", Scope{}, "o1", "L7"},
		{"unknown domain", Scope{BindingGroup: "bg", Binding: "b", Domain: "x.example.com"}, "o1", "L4a"},
		{"group inferred from binding", Scope{Binding: "b", Domain: "d.example.com"}, "o1", "L1"},
		{"group only", Scope{BindingGroup: "bg", Domain: "d.example.com"}, "o1", "L3"},
		{"group without domain", Scope{BindingGroup: "bg"}, "o1", "L5"},
		{"unknown group keeps global binding", Scope{BindingGroup: "nope", Binding: "b", Domain: "d.example.com"}, "o1", "L2"},
		{"binding names are exact", Scope{BindingGroup: "nope", Binding: "B", Domain: "d.example.com"}, "o1", "L6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := c.Eval(tt.scope, tt.opt)
			if !ok || v.String() != tt.want {
				t.Errorf("Eval(%+v, %s) = %q, %v; want %q", tt.scope, tt.opt, v.String(), ok, tt.want)
			}
		})
	}
	if v, ok := c.Eval(full, "nowhere"); ok {
		t.Errorf("Eval(nowhere) = %q, want not found", v.String())
	}
}

func TestEvalRegexDomains(t *testing.T) {
	const src = `
Domain "/^mx\.example\.com$/" { a = regex1 b = regex1 }
Domain "/example\.com$/" { b = regex2 c = regex2 }
Domain "/^MX\./" { c = regex3 d = regex3 }
Domain "mx.example.com" { a = exact }
Domain "MX.example.com" { e = exact-second-stanza }
Domain "/^mx\.example\.com$/" { e = regex-loses }
Binding "b" {
  Domain "/^mx\./" { a = binding-regex }
}
Domain "/[/" { }
`
	_, err := Parse("regex.conf", []byte(src))
	if err == nil {
		t.Fatal("a bad regex parsed")
	}
	if want := "regex.conf:11:8: regex domain"; !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error %q, want prefix %q", err, want)
	}
	c, err := Parse("regex.conf", []byte(strings.Replace(src, `Domain "/[/" { }`, "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		scope Scope
		opt   string
		want  string // "" for not found
	}{
		{Scope{Domain: "mx.example.com"}, "a", "exact"},
		{Scope{Domain: "mx.example.com"}, "b", "regex1"},
		{Scope{Domain: "mx.example.com"}, "c", "regex2"},
		{Scope{Domain: "mx.example.com"}, "d", "regex3"},
		{Scope{Domain: "Mx.Example.Com"}, "d", "regex3"},
		{Scope{Domain: "mx.example.com"}, "e", "exact-second-stanza"},
		{Scope{Domain: "www.example.com"}, "b", "regex2"},
		{Scope{Domain: "www.example.com"}, "a", ""},
		{Scope{Domain: "example.org"}, "b", ""},
		{Scope{Domain: "mx.example.comx"}, "a", ""},
		{Scope{Binding: "b", Domain: "mx.example.com"}, "a", "binding-regex"},
		{Scope{Binding: "b", Domain: "mx.example.org"}, "a", "binding-regex"},
		{Scope{Binding: "b", Domain: "mx.example.org"}, "c", "regex3"},
	}
	for _, tt := range tests {
		v, ok := c.Eval(tt.scope, tt.opt)
		if got := v.String(); ok != (tt.want != "") || got != tt.want {
			t.Errorf("Eval(%+v, %s) = %q, %v; want %q", tt.scope, tt.opt, got, ok, tt.want)
		}
	}
}

func TestEvalLastSettingWins(t *testing.T) {
	c, err := Parse("dup.conf", []byte(`
x = first
Domain "a.example" { y = first }
x = second
domain "A.EXAMPLE" { y = second }
`))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Eval(Scope{}, "x"); v.String() != "second" {
		t.Errorf("x = %q, want second", v.String())
	}
	if v, _ := c.Eval(Scope{Domain: "a.example"}, "y"); v.String() != "second" {
		t.Errorf("y = %q, want second", v.String())
	}
	v, _ := c.Eval(Scope{}, "X")
	if p := v.Pos(); p.Line != 4 || p.File != "dup.conf" {
		t.Errorf("x position %v, want dup.conf:4", p)
	}
}

func TestEvalMomentumOptions(t *testing.T) {
	c, err := Parse("mobile.conf", []byte(`
mm7_mstore_bucket_use_shortcode = false
Domain "smpp.example.com" {
  smpp_registered_delivery = "SMSC_Delivery"
  smpp_submit_response_message_id_format = hexadecimal
  smpp_delivery_receipt_message_id_format = decimal
}
Domain "mm7.example.com" { mm7_delivery_report = enabled mm7_mstore_save_message = off }
`))
	if err != nil {
		t.Fatal(err)
	}
	smpp := Scope{Domain: "smpp.example.com"}
	mm7 := Scope{Domain: "mm7.example.com"}
	str := func(s Scope, opt string) string { v, _ := c.Eval(s, opt); return v.String() }
	boolean := func(s Scope, opt string) bool {
		v, ok := c.Eval(s, opt)
		if !ok {
			t.Fatalf("%s not set", opt)
		}
		b, err := v.Bool()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if got := str(smpp, "smpp_registered_delivery"); got != "SMSC_Delivery" {
		t.Errorf("registered delivery %q", got)
	}
	if got := str(smpp, "smpp_submit_response_message_id_format"); got != "hexadecimal" {
		t.Errorf("submit id format %q", got)
	}
	if got := str(smpp, "smpp_delivery_receipt_message_id_format"); got != "decimal" {
		t.Errorf("receipt id format %q", got)
	}
	if !boolean(mm7, "mm7_delivery_report") || boolean(mm7, "mm7_mstore_save_message") || boolean(Scope{}, "mm7_mstore_bucket_use_shortcode") {
		t.Error("wrong MM7 booleans")
	}
	if _, ok := c.Eval(smpp, "mm7_mstore_save_message"); ok {
		t.Error("mm7_mstore_save_message set for the SMPP domain; the caller's default (true) must apply")
	}
}

func TestBindingsAndGroups(t *testing.T) {
	cfg, err := Parse("b.conf", []byte(`
Binding "mydomain" { }
Binding_Group "outbound" {
  Binding "out1" { }
  Binding "out2" { }
}
Binding_Group "empty" { }
`))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"mydomain": true, "out2": true, "default": true, "outbound": false, "MyDomain": false, "": false} {
		if got := cfg.HasBinding(name); got != want {
			t.Errorf("HasBinding(%q) = %v, want %v", name, got, want)
		}
	}
	if bs, ok := cfg.BindingGroup("outbound"); !ok || len(bs) != 2 || bs[0] != "out1" || bs[1] != "out2" {
		t.Errorf("BindingGroup(outbound) = %v, %v", bs, ok)
	}
	if bs, ok := cfg.BindingGroup("empty"); !ok || len(bs) != 0 {
		t.Errorf("BindingGroup(empty) = %v, %v", bs, ok)
	}
	if _, ok := cfg.BindingGroup("mydomain"); ok {
		t.Error("a binding read as a group")
	}
}
