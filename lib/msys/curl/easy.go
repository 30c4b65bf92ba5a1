package curl

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Easy is one transfer handle, libcurl's "easy" handle over net/http: the
// options a script set, the connections it keeps between transfers, and
// what the last transfer reported (Info). It speaks HTTP/1.1 and HTTPS
// only, as Momentum's scripts use it. An Easy belongs to one Lua state.
type Easy struct {
	URL            string
	Port           int
	CustomRequest  string
	Headers        []string
	PostFields     *string
	PostFieldSize  int64 // -1: the length of PostFields
	InfileSize     int64 // -1: unknown
	req            request
	FollowLocation bool
	MaxRedirs      int // -1: no limit of its own (maxRedirects applies)
	AutoReferer    bool
	UnrestrictAuth bool
	Timeout        time.Duration
	ConnectTimeout time.Duration
	LowSpeedLimit  int64
	LowSpeedTime   time.Duration
	MaxFileSize    int64
	UserAgent      string
	Referer        string
	Cookie         string
	CookieEngine   bool
	UserPwd        string
	HTTPAuth       int
	Proxy          string
	ProxyPort      int
	ProxyUserPwd   string
	ProxyType      int
	ProxyTunnel    bool
	Range          string
	ResumeFrom     int64
	Encoding       *string
	FailOnError    bool
	IncludeHeader  bool
	TimeCondition  int
	TimeValue      int64
	IPResolve      int
	Interface      string
	ForbidReuse    bool
	BufferSize     int
	NoProgress     bool
	TLS            TLSOptions

	client *client
	info   Info
}

// request is the request kind the last of POST, PUT/UPLOAD, NOBODY and
// HTTPGET chose, as in libcurl where each of them replaces the others.
type request int

const (
	reqGet request = iota
	reqPost
	reqPut
	reqHead
)

// TLSOptions are the SSL_* and CA* options.
type TLSOptions struct {
	VerifyPeer bool
	VerifyHost int // 0: any name; 2: the URL's host must match
	CAInfo     string
	CAPath     string
	Cert       string
	Key        string
	KeyPasswd  string
	Version    int
	Ciphers    string
}

// maxRedirects bounds FOLLOWLOCATION when MAXREDIRS is -1 (libcurl's
// unlimited), so a redirect loop ends.
const maxRedirects = 50

// NewEasy returns a handle with libcurl's defaults.
func NewEasy() *Easy {
	return &Easy{
		PostFieldSize:  -1,
		InfileSize:     -1,
		MaxRedirs:      -1,
		HTTPAuth:       AuthBasic,
		ConnectTimeout: 300 * time.Second,
		NoProgress:     true,
		TLS:            TLSOptions{VerifyPeer: true, VerifyHost: 2},
	}
}

// SetBool, SetNumber, SetString and SetList apply one option; they return
// an error naming what is wrong with the value.

// SetBool applies a boolean option.
func (e *Easy) SetBool(name string, v bool) error {
	switch name {
	case "POST":
		e.req = pick(v, reqPost, e.req)
	case "PUT", "UPLOAD":
		e.req = pick(v, reqPut, e.req)
	case "NOBODY":
		e.req = pick(v, reqHead, e.req)
	case "HTTPGET":
		if v {
			e.req = reqGet
		}
	case "FOLLOWLOCATION":
		e.FollowLocation = v
	case "AUTOREFERER":
		e.AutoReferer = v
	case "UNRESTRICTED_AUTH":
		e.UnrestrictAuth = v
	case "FAILONERROR":
		e.FailOnError = v
	case "HEADER":
		e.IncludeHeader = v
	case "NOPROGRESS":
		e.NoProgress = v
	case "SSL_VERIFYPEER":
		e.TLS.VerifyPeer = v
		e.client = nil
	case "FORBID_REUSE", "FRESH_CONNECT":
		e.ForbidReuse = v
		e.client = nil
	case "HTTPPROXYTUNNEL":
		e.ProxyTunnel = v
	case "COOKIESESSION":
		// Session cookies are all the engine keeps; nothing to drop.
	}
	// VERBOSE, NOSIGNAL, TCP_NODELAY, DNS_USE_GLOBAL_CACHE, CRLF,
	// TRANSFERTEXT, FILETIME and SSLENGINE_DEFAULT change nothing a
	// script can observe over HTTP here.
	return nil
}

func pick(on bool, r, cur request) request {
	if on {
		return r
	}
	if cur == r {
		return reqGet
	}
	return cur
}

// SetNumber applies a numeric option.
func (e *Easy) SetNumber(name string, f float64) error {
	n := int64(f)
	switch name {
	case "PORT":
		e.Port = int(n)
	case "TIMEOUT":
		e.Timeout = time.Duration(n) * time.Second
	case "CONNECTTIMEOUT":
		e.ConnectTimeout = time.Duration(n) * time.Second
		e.client = nil
	case "INFILESIZE", "INFILESIZE_LARGE":
		e.InfileSize = n
	case "POSTFIELDSIZE", "POSTFIELDSIZE_LARGE":
		e.PostFieldSize = n
	case "LOW_SPEED_LIMIT":
		e.LowSpeedLimit = n
	case "LOW_SPEED_TIME":
		e.LowSpeedTime = time.Duration(n) * time.Second
	case "RESUME_FROM", "RESUME_FROM_LARGE":
		e.ResumeFrom = n
	case "MAXREDIRS":
		e.MaxRedirs = int(n)
	case "MAXFILESIZE", "MAXFILESIZE_LARGE":
		e.MaxFileSize = n
	case "PROXYPORT":
		e.ProxyPort = int(n)
		e.client = nil
	case "PROXYTYPE":
		if n != ProxyHTTP {
			return errors.New("only HTTP proxies (curl.PROXY_HTTP) are supported")
		}
	case "HTTPAUTH", "PROXYAUTH":
		if n&AuthBasic == 0 && n != AuthNone {
			return errors.New("only basic authentication (curl.AUTH_BASIC) is supported")
		}
		if name == "HTTPAUTH" {
			e.HTTPAuth = int(n)
		}
	case "SSLVERSION":
		if n == SSLVersionSSLv2 || n == SSLVersionSSLv3 {
			return errors.New("SSLv2 and SSLv3 are not supported")
		}
		if n < 0 || n > SSLVersionTLSv13 {
			return fmt.Errorf("unknown SSL version %d", n)
		}
		e.TLS.Version = int(n)
		e.client = nil
	case "SSL_VERIFYHOST":
		e.TLS.VerifyHost = int(n)
		e.client = nil
	case "TIMECONDITION":
		e.TimeCondition = int(n)
	case "TIMEVALUE":
		e.TimeValue = n
	case "IPRESOLVE":
		e.IPResolve = int(n)
		e.client = nil
	case "HTTP_VERSION":
		// HTTP/1.1 is always spoken; 1.0 peers understand it.
	case "BUFFERSIZE":
		e.BufferSize = int(n)
	}
	// MAXCONNECTS, CLOSEPOLICY and DNS_CACHE_TIMEOUT tune libcurl's caches;
	// net/http's pool has its own bounds.
	return nil
}

// SetString applies a string option; clear is a nil value.
func (e *Easy) SetString(name string, s string, clear bool) error {
	switch name {
	case "URL":
		e.URL = s
	case "CUSTOMREQUEST":
		e.CustomRequest = s
	case "POSTFIELDS":
		if clear {
			e.PostFields = nil
		} else {
			e.PostFields = &s
			e.req = reqPost
		}
	case "USERAGENT":
		e.UserAgent = s
	case "REFERER":
		e.Referer = s
	case "COOKIE":
		e.Cookie = s
	case "COOKIEFILE":
		if !clear && s != "" {
			return errors.New("reading cookies from a file is not supported; COOKIEFILE \"\" turns the cookie engine on")
		}
		e.CookieEngine = !clear
	case "USERPWD":
		e.UserPwd = s
	case "PROXY":
		e.Proxy = s
		e.client = nil
	case "PROXYUSERPWD":
		e.ProxyUserPwd = s
	case "RANGE":
		e.Range = s
	case "ENCODING":
		if clear {
			e.Encoding = nil
		} else {
			e.Encoding = &s
		}
	case "INTERFACE":
		e.Interface = s
		e.client = nil
	case "CAINFO":
		e.TLS.CAInfo = s
		e.client = nil
	case "CAPATH":
		e.TLS.CAPath = s
		e.client = nil
	case "SSLCERT":
		e.TLS.Cert = s
		e.client = nil
	case "SSLKEY":
		e.TLS.Key = s
		e.client = nil
	case "SSLKEYPASSWD":
		e.TLS.KeyPasswd = s
		e.client = nil
	case "SSLCERTTYPE", "SSLKEYTYPE":
		if !clear && !strings.EqualFold(s, "PEM") {
			return fmt.Errorf("%s %q: only PEM is supported", name, s)
		}
	case "SSL_CIPHER_LIST":
		if _, err := cipherSuites(s); err != nil {
			return err
		}
		e.TLS.Ciphers = s
		e.client = nil
	}
	// WRITEINFO is unused by libcurl itself; RANDOM_FILE and EGDSOCKET seed
	// OpenSSL, which Go's crypto/rand does not need.
	return nil
}

// SetList applies a string-list option (HTTPHEADER).
func (e *Easy) SetList(name string, items []string) error {
	if name == "HTTPHEADER" {
		e.Headers = items
	}
	return nil
}

// Close releases the handle's connections.
func (e *Easy) Close() {
	if e.client != nil {
		e.client.close()
		e.client = nil
	}
}

// Info is what CURLINFO_* report about the last transfer.
type Info struct {
	EffectiveURL          string
	ResponseCode          int
	ContentType           string
	TotalTime             time.Duration
	NameLookupTime        time.Duration
	ConnectTime           time.Duration
	PretransferTime       time.Duration
	StartTransferTime     time.Duration
	RedirectTime          time.Duration
	RedirectCount         int
	SizeUpload            int64
	SizeDownload          int64
	HeaderSize            int64
	RequestSize           int64
	ContentLengthDownload float64 // -1 when unknown
	ContentLengthUpload   float64
	Filetime              int64 // -1 unless FILETIME was asked and the server said
	NumConnects           int
	SSLVerifyResult       int
}

// Info returns the last transfer's information.
func (e *Easy) Info() Info { return e.info }

// Error is a failed transfer: the CURLcode and what happened.
type Error struct {
	Code   int
	Detail string
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return Strerror(e.Code)
	}
	return Strerror(e.Code) + " (" + e.Detail + ")"
}

func fail(code int, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// tlsVersions maps SSLVERSION to a minimum TLS version.
func tlsMin(v int) uint16 {
	switch v {
	case SSLVersionTLSv11:
		return tls.VersionTLS11
	case SSLVersionTLSv12:
		return tls.VersionTLS12
	case SSLVersionTLSv13:
		return tls.VersionTLS13
	}
	return tls.VersionTLS10
}

// Callbacks connect a transfer to the script. Each may be nil.
type Callbacks struct {
	// Header receives each header line of each response (status line and
	// the empty line included, CRLF-terminated); it returns how many bytes
	// it took, anything but len(line) aborting the transfer.
	Header func(line []byte) int
	// Write receives the body in pieces; same return rule. Without it the
	// body goes to the handle's default sink (DefaultWrite).
	Write func(p []byte) int
	// Read supplies the upload body: at most max bytes, nil or empty at
	// the end; abort true stops the transfer (READFUNC_ABORT).
	Read func(max int) (p []byte, abort bool)
	// Progress is told the totals; true aborts.
	Progress func(dltotal, dlnow, ultotal, ulnow float64) bool
}

// statusText is the reason phrase of a status line as net/http keeps it.
func statusText(resp *http.Response) string {
	if i := strings.IndexByte(resp.Status, ' '); i >= 0 {
		return resp.Status[i+1:]
	}
	return http.StatusText(resp.StatusCode)
}
