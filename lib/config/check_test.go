package config

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckAcceptsDeclared(t *testing.T) {
	c, err := Parse("ok.conf", []byte(`
Data_Directory = "var"
mm7_mstore_bucket_use_shortcode = false
alerting { }
scriptlet "scriptlet" { call_timeout = 2 Enabled = true script "a" { source = "a" } }
mstore { servers = ("h:8098" "pb://h:8087") retention = 7d }
Control_Listener { Listen "data/control.sock" { } }
Domain "smpp.example.com" { smpp_registered_delivery = SMSC_Delivery }
Binding_Group "g" { Binding "b" { Domain "/x$/" { SMPP_Delivery_Receipt_Message_ID_Format = HEXADECIMAL } } }
`))
	if err != nil {
		t.Fatal(err)
	}
	warns, err := c.Check(false)
	if err != nil || len(warns) != 0 {
		t.Fatalf("Check = %v, %v", warns, err)
	}
}

func TestCheckErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{"Retry_Intervall = 5\n", `c.conf:1:1: unknown option "Retry_Intervall" in the global scope`},
		{"mstore { servres = (\"h:1\") }\n", `c.conf:1:10: unknown option "servres" in mstore; did you mean servers?`},
		{"Domain \"d\" { mm7_mstore_bucket_use_shortcode = true }\n", `c.conf:1:14: option mm7_mstore_bucket_use_shortcode is not valid in Domain "d" (valid in: global)`},
		{"mm7_mstore_bucket_use_shortcode = maybe\n", `c.conf:1:1: mm7_mstore_bucket_use_shortcode: expected a boolean`},
		{"Domain \"d\" { smpp_submit_response_message_id_format = octal }\n", `expected one of string, decimal, hexadecimal, found "octal"`},
		{"Domian \"d\" { }\n", `c.conf:1:1: unknown scope Domian "d"; did you mean Domain?`},
		{"Domain { }\n", `c.conf:1:1: Domain needs a name`},
		{"mstore \"x\" { }\n", `mstore takes no name, found "x"`},
		{"Domain \"d\" { Binding_Group \"g\" { } }\n", `c.conf:1:14: Binding_Group "g" may not appear in Domain "d" (it belongs in: global)`},
		{"mstore { Enabeld = true }\n", `unknown option "Enabeld" in mstore; did you mean Enabled?`},
		{"mstore { Data_Directory = x }\n", `option Data_Directory is not valid in mstore (valid in: global)`},
	}
	for _, tc := range cases {
		c, err := Parse("c.conf", []byte(tc.src))
		if err != nil {
			t.Fatalf("%q: parse: %v", tc.src, err)
		}
		_, err = c.Check(false)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: Check error %v, want it to contain %q", tc.src, err, tc.want)
		}
	}
}

func TestCheckLenient(t *testing.T) {
	src := `
Message_Expiration_Typo = 1
ec_logger "ec_logger1" { mainlog = /var/log/ecelerity/mainlog.ec }
Domain "d" { Max_Outbound_Connections_X = 5 smpp_registered_delivery = SMSC_Delivery }
`
	c, err := Parse("l.conf", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Check(false); err == nil {
		t.Fatal("strict Check accepted unknown options")
	}
	warns, err := c.Check(true)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range warns {
		got = append(got, w.Error())
	}
	want := []string{
		`l.conf:2:1: unknown option "Message_Expiration_Typo" in the global scope`,
		`l.conf:3:1: unknown scope ec_logger "ec_logger1"`,
		`l.conf:4:14: unknown option "Max_Outbound_Connections_X" in Domain "d"`,
	}
	if len(got) != len(want) {
		t.Fatalf("warnings %q, want %q", got, want)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("warning %d: %q, want prefix %q", i, got[i], want[i])
		}
	}
	// A known option with a bad value is an error even when lenient.
	c, _ = Parse("l.conf", []byte("Domain \"d\" { mm7_delivery_report = sometimes }\n"))
	if _, err := c.Check(true); err == nil {
		t.Error("lenient Check accepted a bad boolean")
	}
}

func TestOptionDefaultsAndFallback(t *testing.T) {
	c, err := Parse("d.conf", []byte(`Domain "mm7.example.com" { mm7_mstore_save_message = false }`))
	if err != nil {
		t.Fatal(err)
	}
	save, _ := lookupOption("MM7_MSTORE_SAVE_MESSAGE", DomainScope)
	if v, err := save.Bool(c, Scope{Domain: "mm7.example.com"}); err != nil || v {
		t.Errorf("domain value: %v %v", v, err)
	}
	if v, err := save.Bool(c, Scope{Domain: "other.example.com"}); err != nil || !v {
		t.Errorf("default: %v %v", v, err)
	}
	ret, _ := lookupOption("retention", "mstore")
	if d, err := ret.Duration(nil, Scope{}); err != nil || d.Hours() != 14*24 {
		t.Errorf("retention default %v %v", d, err)
	}
}

func TestDeclareTwicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a second declaration of retention for mstore did not panic")
		}
	}()
	Declare(OptionSpec{Name: "Retention", Scopes: []string{"mstore"}, Type: DurationType})
}

// Every problem of a file is reported at once, each with its position.
func TestCheckReportsEveryProblem(t *testing.T) {
	c, err := Parse("m.conf", []byte("Max_Retrys = 3\nDomian \"d\" { }\nmstore { retention = soon }\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Check(false)
	var p Problems
	if !errors.As(err, &p) || len(p) != 3 {
		t.Fatalf("Check = %v, want three problems", err)
	}
	for i, want := range []string{"m.conf:1:1: unknown option", "m.conf:2:1: unknown scope Domian", "m.conf:3:10: retention: expected a duration"} {
		if !strings.HasPrefix(p[i].Error(), want) {
			t.Errorf("problem %d: %q, want prefix %q", i, p[i], want)
		}
	}
}

// --lenient forgives options msyshost does not know, not one slip away
// from an option it does, and suggests only what the scope allows.
func TestLenientKeepsNearMissesAsErrors(t *testing.T) {
	c, _ := Parse("l.conf", []byte("Domain \"d\" { smpp_registered_delivry = SMSC_Delivery }\nServer_ID = 7\n"))
	warns, err := c.Check(true)
	if err == nil || !strings.Contains(err.Error(), `l.conf:1:14: unknown option "smpp_registered_delivry" in Domain "d"; did you mean smpp_registered_delivery?`) {
		t.Fatalf("near miss under --lenient: %v", err)
	}
	if len(warns) != 1 || strings.Contains(warns[0].Error(), "did you mean servers") {
		t.Fatalf("warnings %v: Server_ID must be a plain warning, and servers is no option of the global scope", warns)
	}
}
