package smppclient_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"msyshost/lib/smpp"
	"msyshost/lib/smppclient"
	"msyshost/lib/smsc"
)

// selfSigned returns a server certificate for 127.0.0.1 and a pool that
// trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smsc"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func TestBindOverTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	sim := smsc.New(smsc.Options{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}}, nil)
	if err := sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer sim.Stop(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c := smppclient.New(smppclient.Settings{Name: "tls", Addr: sim.Addr(), SystemID: "esme",
		TLS: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}}, nil, nil)
	c.Start(ctx)
	defer c.Stop(context.Background())
	if err := c.WaitBound(ctx, 1); err != nil {
		t.Fatal(err)
	}
	id, err := c.Submit(ctx, &smpp.SM{ID: smpp.SubmitSM, DestinationAddr: "15551234", ShortMessage: []byte("over TLS")})
	if err != nil || id == "" {
		t.Fatalf("Submit = %q, %v", id, err)
	}
	// A client that does not trust the certificate never binds.
	bad := smppclient.New(smppclient.Settings{Name: "untrusted", Addr: sim.Addr(), TLS: &tls.Config{ServerName: "127.0.0.1"}}, nil, nil)
	bad.Start(ctx)
	defer bad.Stop(context.Background())
	short, cancel2 := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel2()
	if err := bad.WaitBound(short, 1); err == nil {
		t.Fatal("bound to an untrusted SMSC")
	}
	waitFor(t, func() bool { return strings.Contains(bad.Statuses()[0].LastError, "TLS handshake") })
}
