package smppclient_test

import (
	"strings"
	"testing"
	"time"

	"msyshost/lib/config"
	"msyshost/lib/smpp"
	"msyshost/lib/smppclient"
)

func TestFromConfig(t *testing.T) {
	cfg, err := config.Parse("o.conf", []byte(`
smpp_smsc_port = 2776
smpp_response_timer = 2.5
Domain "a.example" {
  smpp_smsc_server = "10.0.0.1" smpp_smsc_system_id = "id" smpp_smsc_password = "pw"
  smpp_smsc_system_type = "VMA" smpp_bind_type = "Transmitter" max_outbound_connections = 3
  smpp_command_window_size = 7 smpp_enquire_link_timer = 30 smpp_esme_throttled_timeout = 0.5
  smpp_smsc_tls = true
  smpp_submit_response_message_id_format = "Hexadecimal"
  smpp_esme_udh_segment = true smpp_csms_refnum_length = 1
}
Domain "b.example" { smpp_smsc_server = "h" smpp_bind_type = "both" }
Domain "c.example" { smpp_smsc_server = "h" smpp_delivery_receipt_message_id_format = "octal" }
Domain "d.example" { smpp_smsc_server = "h" smpp_response_timer = "soon" }
`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := smppclient.FromConfig(cfg, "a.example")
	if err != nil {
		t.Fatal(err)
	}
	if s.Addr != "10.0.0.1:2776" || s.SystemID != "id" || s.Password != "pw" || s.SystemType != "VMA" ||
		s.BindType != smpp.BindTransmitter || s.Binds != 3 || s.Window != 7 || s.EnquireLink != 30*time.Second ||
		s.SubmitTimeout != 2500*time.Millisecond || s.ThrottleTimeout != 500*time.Millisecond || s.TLS == nil {
		t.Fatalf("settings %+v", s)
	}
	sc, err := smppclient.SubmitConfig(cfg, "a.example")
	if err != nil || sc.SubmitIDs != smpp.IDHex || sc.ReceiptIDs != smpp.IDString || sc.Split.Concat != smpp.ConcatUDH || sc.Split.RefLen != 1 {
		t.Fatalf("submit config %+v, %v", sc, err)
	}
	for domain, want := range map[string]string{
		"b.example": "o.conf:12:45: smpp_bind_type", "c.example": "smpp_delivery_receipt_message_id_format", "d.example": "smpp_response_timer",
	} {
		_, err1 := smppclient.FromConfig(cfg, domain)
		_, err2 := smppclient.SubmitConfig(cfg, domain)
		if (err1 == nil || !strings.Contains(err1.Error(), want)) && (err2 == nil || !strings.Contains(err2.Error(), want)) {
			t.Errorf("%s: errors %v / %v, want one naming %q", domain, err1, err2, want)
		}
	}
	if _, err := smppclient.FromConfig(cfg, "nowhere.example"); err == nil || !strings.Contains(err.Error(), "smpp_smsc_server") {
		t.Errorf("a domain without a server: %v", err)
	}
	if got := smppclient.Domains(cfg); strings.Join(got, ",") != "a.example,b.example,c.example,d.example" {
		t.Errorf("Domains = %v", got)
	}
}

// smpp_esme_validity_period is checked with the config (review item 10):
// a value SMPP cannot carry fails the check naming the option and where,
// rather than every message failing until it expires.
func TestValidityPeriodChecked(t *testing.T) {
	for _, c := range []struct {
		vp string
		ok bool
	}{{"000001000000000R", true}, {"261231235959004+", true}, {"null", true}, {"1d", false}, {"000001000000000X", false}, {"261331235959004+", false}} {
		cfg, err := config.Parse("v.conf", []byte(`Domain "v.example" { smpp_smsc_server = "h" smpp_esme_validity_period = "`+c.vp+`" }`))
		if err != nil {
			t.Fatal(err)
		}
		_, err = smppclient.SubmitConfig(cfg, "v.example")
		if c.ok != (err == nil) || (err != nil && !strings.Contains(err.Error(), "v.conf:1:") || err != nil && !strings.Contains(err.Error(), "smpp_esme_validity_period")) {
			t.Errorf("%q: %v", c.vp, err)
		}
	}
}
