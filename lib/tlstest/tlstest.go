// Package tlstest makes the self-signed certificates the TLS tests of the
// listeners and clients need: one key pair, valid for an hour either side
// of now, for the names given (an IP address literal becomes an IP SAN,
// anything else a DNS name), usable for server and client authentication
// and as its own trust anchor.
package tlstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Cert is a self-signed certificate and its key.
type Cert struct {
	TLS  tls.Certificate   // for tls.Config.Certificates
	Pool *x509.CertPool    // trusts the certificate, for RootCAs/ClientCAs
	der  []byte            // the certificate
	key  *ecdsa.PrivateKey // its key
}

// New makes a certificate for names; the first is also its common name.
func New(t testing.TB, names ...string) *Cert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		// A CA certificate, so that Go's verifier accepts it as its own
		// trust anchor when it is also the leaf.
		IsCA: true, BasicConstraintsValid: true,
	}
	for i, n := range names {
		if i == 0 {
			tmpl.Subject = pkix.Name{CommonName: n}
		}
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return &Cert{TLS: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, Pool: pool, der: der, key: key}
}

// ServerConfig is a server's tls.Config presenting c.
func (c *Cert) ServerConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{c.TLS}, MinVersion: tls.VersionTLS12}
}

// Files writes c as PEM files in dir, as a config's TLS_Certificate and
// TLS_Key name them: the certificate to name+".pem", the key to
// name+".key".
func (c *Cert) Files(t testing.TB, dir, name string) (certFile, keyFile string) {
	t.Helper()
	kder, err := x509.MarshalECPrivateKey(c.key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
	for file, block := range map[string]*pem.Block{
		certFile: {Type: "CERTIFICATE", Bytes: c.der},
		keyFile:  {Type: "EC PRIVATE KEY", Bytes: kder},
	} {
		if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile
}
