// Package mm7server is the VASP's MM7 server (3GPP TS 23.140 clause 8):
// the HTTP endpoint where a relay posts delivery reports, read replies and
// mobile-originated MMs. A DeliveryReportReq runs through the retry core
// (the mm7_handle_DR_* hooks, then the default action) and is answered only
// once what it caused is durable; a report the relay must send again is
// answered with a fault, so it does.
package mm7server

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"msyshost/lib/mm7"
	"msyshost/lib/mstore"
	"msyshost/lib/retry"
	"msyshost/lib/spool"
)

// Options configure a server; OptionsFrom reads them from config.
type Options struct {
	Addr           string   // listen address; default DefaultAddr (loopback)
	Paths          []string // request paths served; default DefaultPath
	User, Password string   // Basic credentials relays must present, when User is set
	// AllowUnauthenticated lets a receiver listening beyond loopback
	// serve without credentials; Start refuses that otherwise, since
	// anyone reaching the port could forge reports (bouncing or deleting
	// stored messages) and inject mail.
	AllowUnauthenticated bool
	// CertFile and KeyFile, when set, make the receiver speak HTTPS.
	CertFile, KeyFile string
	// Version is the MM7Version of answers to requests without one;
	// default the version of the request's schema release.
	Version string
	// MaxSize bounds a multipart request (an MO message with its content);
	// default DefaultMaxSize. MaxXMLSize bounds a bare SOAP request (a
	// delivery report, a read reply); default DefaultMaxXMLSize.
	MaxSize, MaxXMLSize int64
	// MaxInFlight bounds the requests handled at once; more are answered
	// 4006 Service unavailable, which relays retry. Default
	// DefaultMaxInFlight.
	MaxInFlight int
	// WorkTimeout bounds the work a request starts (finding the message,
	// the hooks, the bounce, an MO injection), which goes on when the
	// relay hangs up: a hook cut short would count as continuing and
	// bounce a message the hook was re-routing. Default
	// DefaultWorkTimeout; the daemon derives it from the park timeout and
	// the scripts' call_timeout.
	WorkTimeout time.Duration
	// UseShortcode reads mm7_mstore_bucket_use_shortcode in the config in
	// force: reports are looked for in MADR-<shortcode> buckets too. Nil
	// is true, the option's default.
	UseShortcode func() bool

	// Where mobile-originated MMs go as e-mail: a sender that is a number
	// or short code becomes number@FromDomain, or FromAddress when no
	// domain is set; a recipient becomes number@ToDomain (an e-mail
	// recipient local-part@ToDomain), or ToAddress.
	FromAddress, FromDomain, ToAddress, ToDomain string

	Core     *retry.Core
	Injector spool.Injector // receives mobile-originated MMs; nil refuses them
	Log      *slog.Logger
}

// Limits of a receiver whose options leave them unset.
const (
	DefaultMaxXMLSize  = 64 << 10
	DefaultMaxInFlight = 256
	DefaultWorkTimeout = time.Minute
	// readTimeout bounds reading one request, body included: a relay that
	// trickles a body in does not hold a connection for ever.
	readTimeout = time.Minute
	idleTimeout = 2 * time.Minute
)

// Server is a running MM7 server.
type Server struct {
	opts Options
	log  *slog.Logger
	srv  *http.Server
	// addr is the bound address once Start listened: a simulator started
	// before the receiver asks for URL from its own goroutines.
	addr     atomic.Pointer[string]
	fresh    mm7.FreshConns
	inFlight chan struct{}
	mo       *recent
}

// New returns a server Start brings up.
func New(opts Options) *Server {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if len(opts.Paths) == 0 {
		opts.Paths = []string{DefaultPath}
	}
	if opts.MaxSize <= 0 {
		opts.MaxSize = DefaultMaxSize
	}
	if opts.MaxXMLSize <= 0 {
		opts.MaxXMLSize = DefaultMaxXMLSize
	}
	opts.MaxXMLSize = min(opts.MaxXMLSize, opts.MaxSize)
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = DefaultMaxInFlight
	}
	if opts.WorkTimeout <= 0 {
		opts.WorkTimeout = DefaultWorkTimeout
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, log: opts.Log, inFlight: make(chan struct{}, opts.MaxInFlight), mo: newRecent(moMemory, moEntries)}
	s.srv = &http.Server{Handler: s, ConnState: s.fresh.Track, ErrorLog: slog.NewLogLogger(opts.Log.Handler(), slog.LevelInfo),
		ReadHeaderTimeout: 30 * time.Second, ReadTimeout: readTimeout, IdleTimeout: idleTimeout,
		// The answer waits for the work; writing it then takes moments.
		WriteTimeout: readTimeout + opts.WorkTimeout + 30*time.Second,
	}
	return s
}

// Name is the component's name.
func (s *Server) Name() string { return "mm7 server" }

// Start listens and serves until Stop.
func (s *Server) Start(context.Context) error {
	if s.opts.Core == nil {
		return errors.New("mm7 server: no retry core to hand delivery reports to")
	}
	if err := s.checkExposure(); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("mm7 server: listening on %s: %w", s.opts.Addr, err)
	}
	if s.opts.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(s.opts.CertFile, s.opts.KeyFile)
		if err != nil {
			ln.Close()
			return fmt.Errorf("mm7 server: loading TLS_Certificate %s and TLS_Key %s: %w", s.opts.CertFile, s.opts.KeyFile, err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	a := ln.Addr().String()
	s.addr.Store(&a)
	go s.srv.Serve(ln)
	s.log.Info("MM7 server listening", "url", s.URL(), "paths", s.opts.Paths, "basic_auth", s.opts.User != "")
	return nil
}

// checkExposure refuses a receiver other hosts can reach that would take
// requests from anyone.
func (s *Server) checkExposure() error {
	if s.opts.User != "" || loopback(s.opts.Addr) {
		return nil
	}
	if !s.opts.AllowUnauthenticated {
		return fmt.Errorf("mm7 server: listening on %s, beyond loopback, without credentials: anyone reaching it could forge delivery reports and inject mail; set mm7_server_basic_auth (and TLS_Certificate, TLS_Key in HTTP_Listener), or mm7_server_allow_unauthenticated = true when the network in front admits only the MMSC", s.opts.Addr)
	}
	s.log.Warn("MM7 server takes requests from anyone who reaches it: mm7_server_allow_unauthenticated is set", "addr", s.opts.Addr)
	return nil
}

// loopback reports a listen address only this host can reach.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Stop stops accepting requests and waits for the ones under way, so every
// report taken is acted on and answered.
func (s *Server) Stop(ctx context.Context) error { return s.fresh.Shutdown(ctx, s.srv) }

// Addr is the listening address; "" before Start.
func (s *Server) Addr() string {
	if a := s.addr.Load(); a != nil {
		return *a
	}
	return ""
}

// URL is the address of the first path, as a relay is told it; "" before
// Start.
func (s *Server) URL() string {
	if a := s.Addr(); a != "" {
		return s.scheme() + a + s.opts.Paths[0]
	}
	return ""
}

func (s *Server) scheme() string {
	if s.opts.CertFile != "" {
		return "https://"
	}
	return "http://"
}

// Credentials are the Basic credentials relays must present ("" when
// none), for a simulator in the same process to present.
func (s *Server) Credentials() (user, password string) { return s.opts.User, s.opts.Password }

// Listeners names the receiver in the daemon's start line.
func (s *Server) Listeners() []string {
	if u := s.URL(); u != "" {
		return []string{u}
	}
	return []string{s.scheme() + s.opts.Addr + s.opts.Paths[0]}
}

// servesPath reports whether p is one of the paths, with or without its
// trailing slash (Momentum's mm7_vasp_uri_paths end in one; relays are
// configured both ways).
func (s *Server) servesPath(p string) bool {
	for _, want := range s.opts.Paths {
		if p == want || p+"/" == want || p == strings.TrimSuffix(want, "/") {
			return true
		}
	}
	return false
}

// ServeHTTP answers one relay request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.servesPath(r.URL.Path) {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "MM7 requests are POSTed", http.StatusMethodNotAllowed)
		return
	}
	log := s.log.With("peer", r.RemoteAddr)
	if s.opts.User != "" && !mm7.CheckBasicAuth(r, s.opts.User, s.opts.Password) {
		log.Warn("MM7 request with wrong credentials refused")
		w.Header().Set("WWW-Authenticate", `Basic realm="msyshost MM7"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	select {
	case s.inFlight <- struct{}{}:
		defer func() { <-s.inFlight }()
	default:
		s.fault(w, nil, mm7.Status{Code: mm7.ServiceUnavailable,
			Details: fmt.Sprintf("%d requests under way; send it again later", s.opts.MaxInFlight)}, "", log)
		return
	}
	env, err := mm7.ReadRequest(w, r, s.maxSize(r), mm7.Limits{})
	var me *mm7.Error
	if err != nil && !errors.As(err, &me) {
		log.Info("MM7 request body not read", "error", err)
		return
	}
	if err != nil {
		st, faultCode := mm7.FaultOf(err)
		s.fault(w, env, st, faultCode, log)
		return
	}
	log = log.With("transaction_id", env.TransactionID)
	// The work goes on if the relay hangs up: its outcome is what the
	// answer reports, and a resent request finds it done.
	work, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), s.opts.WorkTimeout)
	defer cancel()
	switch m := env.Body.(type) {
	case *mm7.DeliveryReportReq:
		s.report(work, w, env, m, log)
	case *mm7.ReadReplyReq:
		log.Info("read reply", "message_id", m.MessageID, "status", m.MMStatus, "recipient", m.Recipient.Value)
		s.answer(w, env, &mm7.ReadReplyRsp{MM7Version: s.version(env, m.MM7Version), Status: mm7.NewStatus(mm7.Success)}, log)
	case *mm7.DeliverReq:
		s.deliver(work, w, r, env, m, log)
	default:
		s.fault(w, env, mm7.Status{Code: mm7.UnsupportedOperation,
			Details: "a VASP takes DeliverReq, DeliveryReportReq and ReadReplyReq, not " + env.BodyName()}, "", log)
	}
}

// maxSize is the body limit of r: MaxSize for a multipart body, which may
// carry an MO message's content, MaxXMLSize for a bare SOAP one.
func (s *Server) maxSize(r *http.Request) int64 {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && strings.HasPrefix(mt, "multipart/") {
		return s.opts.MaxSize
	}
	return s.opts.MaxXMLSize
}

// version is the MM7Version of an answer: the request's, else the
// configured one, else the one of the request's schema release.
func (s *Server) version(req *mm7.Envelope, v string) string {
	switch {
	case v != "":
		return v
	case s.opts.Version != "":
		return s.opts.Version
	}
	return mm7.VersionOf(req.Namespace)
}

func (s *Server) useShortcode() bool {
	return s.opts.UseShortcode == nil || s.opts.UseShortcode()
}

// report acts on a delivery report. Intermediate and unrecognised
// statuses are only logged. A final one is matched to its stored message,
// among the buckets its addresses could name; one that names no message
// msyshost knows is logged and acknowledged, so the relay stops sending it.
func (s *Server) report(ctx context.Context, w http.ResponseWriter, env *mm7.Envelope, dr *mm7.DeliveryReportReq, log *slog.Logger) {
	rep := retry.MM7Report{
		MessageID: dr.MessageID, Status: dr.MMStatus, StatusText: cmp.Or(dr.StatusText, dr.MMStatusExtension),
		TransactionID: env.TransactionID, Recipient: dr.Recipient.Value, Sender: dr.Sender.Value,
		Date: dr.Date, Version: dr.MM7Version,
	}
	log = log.With("message_id", dr.MessageID, "status", dr.MMStatus)
	ok := &mm7.DeliveryReportRsp{MM7Version: s.version(env, dr.MM7Version), Status: mm7.NewStatus(mm7.Success)}
	keys := s.candidates(dr)
	if out := retry.MM7Outcome(dr.MMStatus); out != retry.Positive && out != retry.Negative {
		if _, err := s.opts.Core.Receipt(ctx, rep.Receipt(keys[0].Bucket)); err != nil {
			log.Error("delivery report not handled", "error", err)
		}
		s.answer(w, env, ok, log)
		return
	}
	key, known, err := s.opts.Core.Locate(ctx, keys...)
	if err != nil {
		s.fault(w, env, mm7.Status{Code: mm7.ServerError, Details: "message store unavailable; send the report again"}, "", log.With("error", err))
		return
	}
	if !known {
		log.Warn("delivery report for a message msyshost does not know (never tracked, expired or another VASP's); acknowledged, no hook run",
			"looked_in", keyList(keys))
		s.answer(w, env, ok, log)
		return
	}
	res, err := s.opts.Core.Receipt(ctx, rep.Receipt(key.Bucket))
	if err != nil {
		s.fault(w, env, mm7.Status{Code: mm7.ServerError, Details: "report not acted on; send it again"}, "", log.With("error", err))
		return
	}
	log.Info("delivery report", "key", key.String(), "outcome", res.Outcome.String(), "hook_code", res.Code,
		"bounced", res.Bounced, "duplicate", res.Duplicate)
	s.answer(w, env, ok, log)
}

// candidates are the keys a report's message may be stored under: with
// mm7_mstore_bucket_use_shortcode, the bucket of the original sender's
// short code (the report's Sender; some relays swap Sender and Recipient,
// so the Recipient's too); then always MADR-MM7, which holds the message
// or its report alias, so a report whose sender the relay rewrote, or one
// that arrives after the option changed, still finds it.
func (s *Server) candidates(dr *mm7.DeliveryReportReq) []mstore.Key {
	var keys []mstore.Key
	seen := map[string]bool{}
	add := func(bucket string) {
		if !seen[bucket] {
			seen[bucket] = true
			keys = append(keys, mstore.Key{Bucket: bucket, ID: dr.MessageID})
		}
	}
	if s.useShortcode() {
		for _, a := range []mm7.Address{dr.Sender, dr.Recipient} {
			if sc := shortcode(a); sc != "" {
				add(retry.Bucket(retry.MM7, sc, true))
			}
		}
	}
	add(retry.Bucket(retry.MM7, "", false))
	return keys
}

// shortcode reads an address as the short code a submission's
// SenderAddress was, as relays echo it: in a ShortCode or Number element or
// bare, sometimes with a tel: or + in front or a /TYPE=PLMN suffix.
func shortcode(a mm7.Address) string {
	if a.Kind == mm7.RFC2822Address {
		return ""
	}
	v := strings.TrimSpace(a.Value)
	v = strings.TrimPrefix(strings.TrimPrefix(v, "tel:"), "+")
	if i := strings.Index(v, "/TYPE="); i >= 0 {
		v = v[:i]
	}
	if !mm7.IsShortCode(v) {
		return ""
	}
	return v
}

func keyList(keys []mstore.Key) string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.String()
	}
	return strings.Join(out, " ")
}

// answer writes a response in the request's namespace and TransactionID.
func (s *Server) answer(w http.ResponseWriter, req *mm7.Envelope, m mm7.Message, log *slog.Logger) {
	if err := mm7.WriteEnvelope(w, http.StatusOK, &mm7.Envelope{TransactionID: req.TransactionID, Namespace: req.Namespace, Body: m}); err != nil {
		log.Info("MM7 answer not sent", "error", err)
	}
}

// fault answers a request the VASP cannot take with a SOAP Fault holding
// a VASPErrorRsp (mm7.WriteFault). Class 3 codes are the VASP's own
// trouble: the relay sends the request again.
func (s *Server) fault(w http.ResponseWriter, req *mm7.Envelope, st mm7.Status, faultCode string, log *slog.Logger) {
	log.Warn("MM7 request refused", "status", st.Code, "details", mm7.CleanText(st.Details))
	if err := mm7.WriteFault(w, req, true, st, faultCode); err != nil {
		log.Info("MM7 fault not sent", "error", err)
	}
}
