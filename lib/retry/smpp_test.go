package retry_test

import (
	"strings"
	"testing"

	"msyshost/lib/config"
	"msyshost/lib/retry"
)

func TestSMPPTracking(t *testing.T) {
	cfg, err := config.Parse("t.conf", []byte(`
Domain "a" { smpp_registered_delivery = "SMSC_Delivery" }
Domain "b" { smpp_registered_delivery = ( "smsc_delivery_failure" "Intermediate" ) }
Domain "c" { smpp_registered_delivery = "none" }
Domain "d" { smpp_registered_delivery = ( "SMSC_Delivery" "SMSC_Delivery_Failure" ) }
Domain "e" { smpp_registered_delivery = "sme_delivery" }
Domain "f" { smpp_registered_delivery = "whenever" }
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		domain string
		flags  uint8
		track  bool
		err    string
	}{
		{"a", 0x01, true, ""},
		{"b", 0x12, true, ""},
		{"c", 0, false, ""},
		{"unset", 0, false, ""},
		{"d", 0, false, "cannot both be set"},
		{"e", 0x04, false, ""},
		{"f", 0, false, "whenever"},
	} {
		flags, track, hint, err := retry.SMPPTracking(cfg, config.Scope{Domain: c.domain})
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.domain, err, c.err)
			}
			continue
		}
		if err != nil || flags != c.flags || track != c.track || (!track && !strings.Contains(hint, "SMSC_Delivery")) {
			t.Errorf("%s: flags 0x%02X track %v hint %q err %v; want 0x%02X %v", c.domain, flags, track, hint, err, c.flags, c.track)
		}
	}
}
