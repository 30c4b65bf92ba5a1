package curl

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// client is the net/http client a handle's options describe; it is built
// at the first transfer after an option that shapes connections changed,
// and keeps its connections between transfers as a libcurl handle does.
type client struct {
	http *http.Client
	tr   *http.Transport
}

func (c *client) close() { c.tr.CloseIdleConnections() }

func (e *Easy) buildClient() (*client, *Error) {
	dialer := &net.Dialer{Timeout: e.ConnectTimeout}
	if e.Interface != "" {
		ip, err := interfaceAddr(e.Interface)
		if err != nil {
			return nil, fail(EInterfaceFailed, "%v", err)
		}
		dialer.LocalAddr = &net.TCPAddr{IP: ip}
	}
	network := "tcp"
	switch e.IPResolve {
	case IPResolveV4:
		network = "tcp4"
	case IPResolveV6:
		network = "tcp6"
	}
	tlsConf, cerr := e.tlsConfig()
	if cerr != nil {
		return nil, cerr
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		},
		TLSClientConfig:     tlsConf,
		TLSHandshakeTimeout: e.ConnectTimeout,
		// libcurl asks for no compression unless ENCODING says so, and
		// speaks HTTP/1.1.
		DisableCompression:  true,
		TLSNextProto:        map[string]func(string, *tls.Conn) http.RoundTripper{},
		DisableKeepAlives:   e.ForbidReuse,
		IdleConnTimeout:     30 * time.Second,
		MaxIdleConnsPerHost: 4,
	}
	if e.Proxy != "" {
		p := e.Proxy
		if !strings.Contains(p, "://") {
			p = "http://" + p
		}
		pu, err := url.Parse(p)
		if err != nil || pu.Host == "" {
			return nil, fail(ECouldntResolveProxy, "bad proxy %q", e.Proxy)
		}
		if pu.Port() == "" && e.ProxyPort != 0 {
			pu.Host = net.JoinHostPort(pu.Hostname(), fmt.Sprint(e.ProxyPort))
		}
		if e.ProxyUserPwd != "" {
			user, pass, _ := strings.Cut(e.ProxyUserPwd, ":")
			pu.User = url.UserPassword(user, pass)
		}
		tr.Proxy = http.ProxyURL(pu)
	} else {
		// libcurl reads http_proxy/https_proxy/no_proxy too.
		tr.Proxy = http.ProxyFromEnvironment
	}
	return &client{
		tr: tr,
		http: &http.Client{
			Transport: tr,
			// Redirects are followed by Perform, which reports every
			// response's headers as libcurl does.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

// interfaceAddr reads INTERFACE: an IP address, "host!" + address, or an
// interface name (its first address).
func interfaceAddr(s string) (net.IP, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "if!"), "host!")
	if ip := net.ParseIP(s); ip != nil {
		return ip, nil
	}
	ifc, err := net.InterfaceByName(s)
	if err != nil {
		return nil, fmt.Errorf("interface %q: %w", s, err)
	}
	addrs, err := ifc.Addrs()
	if err != nil || len(addrs) == 0 {
		return nil, fmt.Errorf("interface %q has no address", s)
	}
	ipn, ok := addrs[0].(*net.IPNet)
	if !ok {
		return nil, fmt.Errorf("interface %q has no IP address", s)
	}
	return ipn.IP, nil
}

func (e *Easy) tlsConfig() (*tls.Config, *Error) {
	o := e.TLS
	conf := &tls.Config{MinVersion: tlsMin(o.Version)}
	if o.CAInfo != "" || o.CAPath != "" {
		pool := x509.NewCertPool()
		if o.CAInfo != "" {
			pem, err := os.ReadFile(o.CAInfo)
			if err != nil {
				return nil, fail(ESSLCACert, "CAINFO: %v", err)
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fail(ESSLCACert, "CAINFO %s holds no PEM certificate", o.CAInfo)
			}
		}
		if o.CAPath != "" {
			files, err := os.ReadDir(o.CAPath)
			if err != nil {
				return nil, fail(ESSLCACert, "CAPATH: %v", err)
			}
			for _, f := range files {
				if data, err := os.ReadFile(filepath.Join(o.CAPath, f.Name())); err == nil {
					pool.AppendCertsFromPEM(data)
				}
			}
		}
		conf.RootCAs = pool
	}
	if o.Ciphers != "" {
		suites, err := cipherSuites(o.Ciphers)
		if err != nil {
			return nil, fail(ESSLCipher, "%v", err)
		}
		conf.CipherSuites = suites
	}
	if o.Cert != "" {
		keyFile := o.Key
		if keyFile == "" {
			keyFile = o.Cert
		}
		if encryptedPEM(keyFile) {
			return nil, fail(ESSLCertProblem, "%s: encrypted private keys (SSLKEYPASSWD) are not supported; give an unencrypted PEM key", keyFile)
		}
		cert, err := tls.LoadX509KeyPair(o.Cert, keyFile)
		if err != nil {
			return nil, fail(ESSLCertProblem, "%v", err)
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	switch {
	case !o.VerifyPeer:
		conf.InsecureSkipVerify = true
	case o.VerifyHost == 0:
		// The chain must verify; the name need not match.
		conf.InsecureSkipVerify = true
		roots := conf.RootCAs
		conf.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("no peer certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
			return err
		}
	}
	return conf, nil
}

// cipherSuites reads an OpenSSL-style cipher list (names separated by ':',
// ',' or spaces) into Go's suites. Names Go does not implement are an
// error, as libcurl fails when OpenSSL rejects the list.
func cipherSuites(list string) ([]uint16, error) {
	byName := map[string]uint16{}
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		byName[s.Name] = s.ID
	}
	var out []uint16
	for _, name := range strings.FieldsFunc(list, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		if id, ok := byName[opensslNames[name]]; ok {
			out = append(out, id)
		} else if id, ok := byName[name]; ok {
			out = append(out, id)
		} else {
			return nil, fmt.Errorf("unknown or unsupported cipher %q", name)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("empty cipher list")
	}
	return out, nil
}

// opensslNames are OpenSSL's names of the TLS 1.0-1.2 suites Go offers.
var opensslNames = map[string]string{
	"ECDHE-ECDSA-AES128-GCM-SHA256": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	"ECDHE-RSA-AES128-GCM-SHA256":   "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	"ECDHE-ECDSA-AES256-GCM-SHA384": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
	"ECDHE-RSA-AES256-GCM-SHA384":   "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	"ECDHE-ECDSA-CHACHA20-POLY1305": "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
	"ECDHE-RSA-CHACHA20-POLY1305":   "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
	"ECDHE-ECDSA-AES128-SHA":        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
	"ECDHE-RSA-AES128-SHA":          "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
	"ECDHE-ECDSA-AES256-SHA":        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
	"ECDHE-RSA-AES256-SHA":          "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
	"AES128-GCM-SHA256":             "TLS_RSA_WITH_AES_128_GCM_SHA256",
	"AES256-GCM-SHA384":             "TLS_RSA_WITH_AES_256_GCM_SHA384",
	"AES128-SHA":                    "TLS_RSA_WITH_AES_128_CBC_SHA",
	"AES256-SHA":                    "TLS_RSA_WITH_AES_256_CBC_SHA",
}

// encryptedPEM reports whether the first PEM block of file is an encrypted
// key (PKCS#8 "ENCRYPTED PRIVATE KEY" or a legacy Proc-Type header).
func encryptedPEM(file string) bool {
	data, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			return false
		}
		if strings.Contains(b.Type, "PRIVATE KEY") {
			return strings.Contains(b.Type, "ENCRYPTED") || b.Headers["Proc-Type"] != ""
		}
	}
}
