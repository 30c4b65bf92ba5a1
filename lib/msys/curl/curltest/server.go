// Package curltest starts the HTTP and HTTPS servers the curl and
// msys.http.client tests talk to: net/http servers on 127.0.0.1 (a real
// HTTP/1.1 stack, so redirects, chunking, keep-alive, TLS handshakes and
// client certificates behave as with any web server), with handlers that
// echo what they were sent, and TLS material written to files as a script
// would name them in CAINFO, SSLCERT and SSLKEY.
package curltest

import (
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"msyshost/lib/tlstest"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Env holds the servers' addresses and file paths; Setenv exports them to
// Lua tests as MSYSHOST_*.
type Env struct {
	HTTP       string // http://127.0.0.1:port
	HTTPS      string // https://127.0.0.1:port, certificate valid for 127.0.0.1 and example.com
	HTTPSPort  string
	MTLS       string // https server that requires a client certificate
	CAFile     string // PEM of the HTTPS servers' certificates
	CADir      string // a folder holding CAFile, for CAPATH
	ClientCert string // PEM client certificate (CN "msyshost-test-client")
	ClientKey  string
	Dead       string // http URL of a port nothing listens on
}

// Start starts the servers for t.
func Start(t testing.TB) Env {
	t.Helper()
	dir := t.TempDir()
	mux := Handler()
	quiet := log.New(io.Discard, "", 0) // handshake failures are what the TLS tests provoke
	plain := httptest.NewServer(mux)
	t.Cleanup(plain.Close)
	secure := httptest.NewUnstartedServer(mux)
	secure.Config.ErrorLog = quiet
	secure.StartTLS()
	t.Cleanup(secure.Close)

	mtls := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "client=%s\n", r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	mtls.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	mtls.Config.ErrorLog = quiet
	mtls.StartTLS()
	t.Cleanup(mtls.Close)

	var caPEM bytes.Buffer
	for _, c := range []*x509.Certificate{secure.Certificate(), mtls.Certificate()} {
		pem.Encode(&caPEM, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	env := Env{
		HTTP:      plain.URL,
		HTTPS:     secure.URL,
		HTTPSPort: secure.URL[strings.LastIndexByte(secure.URL, ':')+1:],
		MTLS:      mtls.URL,
		CADir:     filepath.Join(dir, "ca"),
	}
	env.CAFile = filepath.Join(env.CADir, "ca.pem")
	if err := os.Mkdir(env.CADir, 0o700); err != nil {
		t.Fatal(err)
	}
	write(t, env.CAFile, caPEM.Bytes())
	env.ClientCert, env.ClientKey = tlstest.New(t, "msyshost-test-client").Files(t, dir, "client")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	env.Dead = "http://" + ln.Addr().String() + "/"
	ln.Close()
	return env
}

// Setenv exports env as MSYSHOST_HTTP, MSYSHOST_HTTPS, ... for Lua tests.
func (env Env) Setenv(t *testing.T) {
	t.Setenv("MSYSHOST_HTTP", env.HTTP)
	t.Setenv("MSYSHOST_HTTPS", env.HTTPS)
	t.Setenv("MSYSHOST_HTTPS_PORT", env.HTTPSPort)
	t.Setenv("MSYSHOST_MTLS", env.MTLS)
	t.Setenv("MSYSHOST_CA", env.CAFile)
	t.Setenv("MSYSHOST_CA_DIR", env.CADir)
	t.Setenv("MSYSHOST_CLIENT_CERT", env.ClientCert)
	t.Setenv("MSYSHOST_CLIENT_KEY", env.ClientKey)
	t.Setenv("MSYSHOST_DEAD", env.Dead)
}

func write(t testing.TB, path string, data []byte) {
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Handler serves the test paths:
//
//	/echo             method, path, request URI (absolute when sent to a proxy), sorted request
//	                  headers and the body as "key=value" lines
//	/status/N         status N with body "status N"
//	/redirect/N       302 to /redirect/N-1; /redirect/0 says "landed"
//	/see-other        303 to /echo
//	/big?n=N          N bytes of a repeating alphabet (Range requests honoured)
//	/gzip             the body "compressed hello" gzip-encoded when the client accepts gzip
//	/cookie/set       sets session=abc; /cookie/get echoes the Cookie header
//	/auth             401 unless basic auth user "alice" password "s3cret"
//	/modified         304 when If-Modified-Since is at or after 2020-01-01, else a body with Last-Modified
//	/slow             sends 10 bytes, then 10 bytes per second for 30 s
//	/hang             answers nothing until the client gives up
//	/close            closes the connection without answering
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Echo", "yes")
		fmt.Fprintf(w, "method=%s\npath=%s\nrequri=%s\n", r.Method, r.URL.RequestURI(), r.RequestURI)
		keys := make([]string, 0, len(r.Header))
		for k := range r.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "h.%s=%s\n", strings.ToLower(k), strings.Join(r.Header[k], ","))
		}
		fmt.Fprintf(w, "host=%s\nlength=%d\nbody=%s\n", r.Host, r.ContentLength, body)
	})
	mux.HandleFunc("/status/", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
		w.WriteHeader(n)
		fmt.Fprintf(w, "status %d", n)
	})
	mux.HandleFunc("/redirect/", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/redirect/"))
		if n <= 0 {
			fmt.Fprint(w, "landed")
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/redirect/%d", n-1), http.StatusFound)
	})
	mux.HandleFunc("/see-other", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/echo", http.StatusSeeOther)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		b := make([]byte, n)
		for i := range b {
			b[i] = 'a' + byte(i%26)
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b)) // honours Range
	})
	mux.HandleFunc("/gzip", func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			fmt.Fprint(w, "plain hello")
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		fmt.Fprint(zw, "compressed hello")
		zw.Close()
	})
	mux.HandleFunc("/cookie/set", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "abc", Path: "/"})
		fmt.Fprint(w, "set")
	})
	mux.HandleFunc("/cookie/get", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "cookie=%s", r.Header.Get("Cookie"))
	})
	mux.HandleFunc("/auth", func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "alice" || p != "s3cret" {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "welcome alice")
	})
	lastMod := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	mux.HandleFunc("/modified", func(w http.ResponseWriter, r *http.Request) {
		if t, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && !t.Before(lastMod) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Last-Modified", lastMod.Format(http.TimeFormat))
		fmt.Fprint(w, "fresh content")
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("0123456789"))
		w.(http.Flusher).Flush()
		for i := 0; i < 30; i++ {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(time.Second):
			}
			w.Write([]byte("0123456789"))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	mux.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	return mux
}
