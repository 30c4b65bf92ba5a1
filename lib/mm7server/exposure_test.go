package mm7server_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"strings"
	"testing"

	"msyshost/lib/config"
	"msyshost/lib/mm7"
	"msyshost/lib/mm7server"
	"msyshost/lib/retry"
	"msyshost/lib/tlstest"
)

// mm7_server_basic_auth with an empty user would switch the check off: a
// forged report would then bounce a stored message. It is refused at load.
func TestEmptyUserRefused(t *testing.T) {
	for _, auth := range []string{":s3cret", "nocolon"} {
		cfg, err := config.Parse("t.conf", []byte(`mm7_serv { mm7_server_basic_auth = "`+auth+`" }`))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := mm7server.OptionsFrom(cfg); err == nil || !strings.Contains(err.Error(), `"user:password" with a user`) {
			t.Errorf("%q: %v", auth, err)
		}
	}
}

// A receiver other hosts can reach does not start without credentials,
// unless the operator says the network in front admits only the MMSC.
func TestExposedReceiverNeedsCredentials(t *testing.T) {
	srv := mm7server.New(mm7server.Options{Addr: "0.0.0.0:0", Core: &retry.Core{}})
	err := srv.Start(context.Background())
	if err == nil {
		srv.Stop(context.Background())
		t.Fatal("started beyond loopback without credentials")
	}
	if !strings.Contains(err.Error(), "beyond loopback") || !strings.Contains(err.Error(), "mm7_server_allow_unauthenticated") {
		t.Errorf("error %v", err)
	}
	cfg, err := config.Parse("t.conf", []byte(`
HTTP_Listener { TLS_Certificate = "c.pem" TLS_Key = "k.pem" Listen "0.0.0.0:8089" { } }
mm7_serv { mm7_server_allow_unauthenticated = true }`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Check(false); err != nil {
		t.Fatal(err)
	}
	o, ok, err := mm7server.OptionsFrom(cfg)
	if !ok || err != nil || !o.AllowUnauthenticated || o.CertFile != "c.pem" || o.KeyFile != "k.pem" || o.Addr != "0.0.0.0:8089" {
		t.Errorf("options %+v %v %v", o, ok, err)
	}
	half, _ := config.Parse("t.conf", []byte(`HTTP_Listener { TLS_Certificate = "c.pem" } mm7_serv { }`))
	if _, _, err := mm7server.OptionsFrom(half); err == nil || !strings.Contains(err.Error(), "both TLS_Certificate and TLS_Key") {
		t.Errorf("certificate without key: %v", err)
	}
}

// With TLS_Certificate and TLS_Key the receiver speaks HTTPS.
func TestReceiverOverTLS(t *testing.T) {
	cert := tlstest.New(t, "vasp.msyshost.test", "127.0.0.1")
	certFile, keyFile := cert.Files(t, t.TempDir(), "vasp")
	pool := cert.Pool
	f := setup(t, mm7server.Options{CertFile: certFile, KeyFile: keyFile, User: "relay", Password: "pw"})
	if !strings.HasPrefix(f.srv.URL(), "https://") {
		t.Fatalf("URL %s", f.srv.URL())
	}
	f.submitted(t, "t1", "4321")
	ct, body, _ := mm7.Style{}.Encode(report("t1", "Retrieved", shortcode4321))
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL(), strings.NewReader(string(body)))
	req.Header.Set("Content-Type", ct)
	req.SetBasicAuth("relay", "pw")
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("HTTPS report: HTTP %d", resp.StatusCode)
	}
	// Plain HTTP gets nowhere.
	if resp, err := http.Post("http://"+f.srv.Addr()+"/mm7/", ct, strings.NewReader(string(body))); err == nil && resp.StatusCode == http.StatusOK {
		t.Error("plain HTTP answered 200")
	}
}
