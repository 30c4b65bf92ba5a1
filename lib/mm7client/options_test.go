package mm7client

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"msyshost/lib/config"
	"msyshost/lib/mm7"
	_ "msyshost/lib/smtpclient" // declares routes, which MM7 domains share with SMTP ones
)

func settings(t *testing.T, conf, domain string) (Settings, error) {
	t.Helper()
	cfg, err := config.Parse("t.conf", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	return SettingsFor(cfg, config.Scope{Domain: domain})
}

func TestSettingsFor(t *testing.T) {
	s, err := settings(t, `
Domain "mm7.example.com" {
  delivery_method = "mm7"
  routes = ( "mm7://mmsc.example.net/mmssend?port=8086" )
  http_basic_auth = "admin:se:cret"
  mm7_xml_schema = "http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-5-MM7-1-0.xsd"
  mm7_version = "5.3.0"
  mm7_vasid = "tides"
  mm7_vaspid = "harbour"
  mm7_message_class = "personal"
  mm7_delivery_report = "true"
  mm7_response_timer = 3
  mm7_soap_env = "soapenv"
  mm7_use_namespace_in_body = true
}`, "mm7.example.com")
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{
		URL: "http://mmsc.example.net:8086/mmssend", User: "admin", Password: "se:cret",
		Namespace: mm7.NamespaceBase + "REL-5-MM7-1-0", Version: "5.3.0",
		Style:  mm7.Style{EnvPrefix: "soapenv", Prefix: "mm7", PrefixBody: true},
		VASPID: "harbour", VASID: "tides", MessageClass: "personal", SimpleMIME: true, SenderAddressType: SenderAuto,
		ResponseTimer: 3 * time.Second, ReplyChargingSize: "0",
	}
	want.Policy.DeliveryReport, want.Policy.SaveMessage, want.Policy.UseShortcode = true, true, true
	if s != want {
		t.Errorf("got  %+v\nwant %+v", s, want)
	}

	// The options older Momentum versions use, and the defaults.
	s, err = settings(t, `
mm7_http_auth_user = "MyID"
mm7_http_auth_password = "mysecret"
Domain "old.example" { MM7_MMSC_Server = "10.0.0.1" MM7_MMSC_Path = "mm7in" }
`, "old.example")
	if err != nil {
		t.Fatal(err)
	}
	if s.URL != "http://10.0.0.1:8080/mm7in" || s.User != "MyID" || s.Password != "mysecret" ||
		s.VASID != "MessageSystems-VASID" || s.Namespace != mm7.DefaultNamespace || s.Version != "6.8.0" ||
		s.ResponseTimer != 10*time.Second || s.Policy.DeliveryReport {
		t.Errorf("defaults %+v", s)
	}

	// Without mm7_version, the version goes with the schema: a Release 5
	// relay that validates refuses 6.8.0 in its namespace.
	s, err = settings(t, `Domain "r5.example" { routes = ("mm7://a") mm7_xml_schema = "REL-5-MM7-1-0" }`, "r5.example")
	if err != nil || s.Version != "5.3.0" || s.Namespace != mm7.NamespaceBase+"REL-5-MM7-1-0" {
		t.Errorf("REL-5 schema without mm7_version: %q %q %v", s.Version, s.Namespace, err)
	}

	s, err = settings(t, `Domain "s.example" { routes = ("https://mmsc.example.net/in") http_uri = "/ignored" }`, "s.example")
	if err != nil || s.URL != "https://mmsc.example.net/in" {
		t.Errorf("https route: %q %v", s.URL, err)
	}
	s, err = settings(t, `Domain "u.example" { routes = ("mm7://mmsc.example.net") http_uri = "/from-uri" }`, "u.example")
	if err != nil || s.URL != "http://mmsc.example.net:8080/from-uri" {
		t.Errorf("http_uri: %q %v", s.URL, err)
	}

	for conf, msg := range map[string]string{
		`Domain "x" { mm7_vaspid = "v" }`:                                 `no MMSC for domain "x": set routes`,
		`Domain "x" { routes = ("smtp://a") }`:                            "scheme smtp is not mm7, http or https",
		`Domain "x" { routes = ("mm7://a?port=0") }`:                      `bad port "0"`,
		`Domain "x" { routes = ("mm7://a") mm7_xml_schema = "urn:x" }`:    `mm7_xml_schema "urn:x" is not an MM7 schema namespace`,
		`Domain "x" { routes = ("mm7://a") http_basic_auth = "nocolon" }`: `http_basic_auth must be "user:password"`,
		`Domain "x" { routes = ("mm7://a") http_basic_auth = ":pw" }`:     `http_basic_auth must be "user:password" with a user`,
		`Domain "x" { routes = ("mm7://a") mm7_response_timer = 0 }`:      "mm7_response_timer 0s is below the minimum of 1s",
		`Domain "x" { routes = ("mm7://a") mm7_read_reply = "perhaps" }`:  "expected a boolean",
		`Domain "x" { routes = ("mm7://a") mm7_response_timer = "soon" }`: "expected a duration",
	} {
		if _, err := settings(t, conf, "x"); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: error %v, want %q", conf, err, msg)
		}
	}
}

func TestAddresses(t *testing.T) {
	a, err := Recipient("15557654321@mm7.example.com", "00")
	if err != nil || a.Kind != mm7.Number || a.Value != "0015557654321" {
		t.Errorf("recipient %+v %v", a, err)
	}
	// A number with its + is international already: no prefix in front.
	a, err = Recipient("+15557654321@mm7.example.com", "00")
	if err != nil || a.Value != "+15557654321" {
		t.Errorf("international recipient %+v %v", a, err)
	}
	if _, err := Recipient("john@mm7.example.com", ""); err == nil {
		t.Error("a name was taken for a number")
	}
	for _, c := range []struct {
		v, kind string
		want    mm7.AddressKind
	}{
		{"4321", SenderAuto, mm7.ShortCode}, {"+447700900123", SenderAuto, mm7.Number},
		{"447700900123", SenderAuto, mm7.Number}, {"promo@example.com", SenderAuto, mm7.RFC2822Address},
		{"SHOP", SenderAuto, mm7.ShortCode},
		// An 8-digit national number (Norway, Denmark, Singapore) is a
		// number, unless the config says it is a short code.
		{"91234567", SenderAuto, mm7.Number}, {"91234567", SenderShortCode, mm7.ShortCode},
		{"4321", SenderNumber, mm7.Number},
	} {
		a, sc := SenderAddress(c.v, c.kind)
		if a.Kind != c.want || (c.want == mm7.ShortCode) != (sc == c.v) {
			t.Errorf("%s as %s: %v shortcode %q", c.v, c.kind, a.Kind, sc)
		}
	}
	if a, sc := SenderAddress("", SenderAuto); a != nil || sc != "" {
		t.Error("an empty sender address was sent")
	}
}

// The client keeps more than Go's two idle connections to a relay, as
// many as mm7_http_max_idle_connections says, and follows no redirect.
func TestClientTransport(t *testing.T) {
	for set, want := range map[int]int{0: DefaultMaxIdlePerHost, 64: 64} {
		c := &Client{MaxIdlePerHost: set}
		hc := c.http()
		if tr := hc.Transport.(*http.Transport); tr.MaxIdleConnsPerHost != want {
			t.Errorf("MaxIdlePerHost %d: transport keeps %d", set, tr.MaxIdleConnsPerHost)
		}
		if hc.CheckRedirect == nil {
			t.Error("redirects followed")
		}
	}
}

// A domain using every MM7 option passes the strict config check.
func TestOptionsDeclared(t *testing.T) {
	cfg, err := config.Parse("all.conf", []byte(`
mm7_mstore_bucket_use_shortcode = false
Domain "mm7.example.com" {
  routes = ( "mm7://mmsc.example.net/mm7?port=8086" )
  http_uri = "/in" http_host = "mmsc" http_basic_auth = "u:p"
  mm7_mmsc_server = "h" mm7_mmsc_port = 1 mm7_mmsc_path = "/" mm7_http_auth_user = "u" mm7_http_auth_password = "p"
  mm7_vaspid = "v" mm7_vasid = "s" mm7_sender_address = "4321" mm7_service_code = "c" mm7_message_class = "personal"
  mm7_read_reply = false mm7_number_prefix = "00" mm7_version = "5.3.0" mm7_xml_schema = "REL-5-MM7-1-2"
  mm7_namespace = "m" mm7_soap_env = "soapenv" mm7_use_namespace_in_body = true mm7_soap_attachment_simple_mime = false
  mm7_response_timer = 5 mm7_reply_charging = true mm7_reply_charging_size = 100 mm7_reply_deadline = "P1D"
  mm7_delivery_report = true mm7_mstore_save_message = true
}
HTTP_Listener { Max_Request_Size = 1048576 Listen "127.0.0.1:8089" { } }
mm7_serv {
  mm7_vasp_uri_paths = ( "/mm7/" ) mm7_server_version = "6.8.0" mm7_server_basic_auth = "r:p"
  mm7_server_default_email_from_address = "a@b" mm7_server_default_email_from_domain = "b"
  mm7_server_default_email_to_address = "c@d" mm7_server_default_email_to_domain = "d"
}
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Check(false); err != nil {
		t.Error(err)
	}
}
