// Package mm7server is the VASP's MM7 server (3GPP TS 23.140 clause 8):
// the HTTP endpoint where a relay posts delivery reports, read replies and
// mobile-originated MMs. A DeliveryReportReq runs through the retry core
// (the mm7_handle_DR_* hooks, then the default action) and is answered only
// once what it caused is durable; a report the relay must send again is
// answered with a fault, so it does.
package mm7server

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
	Version        string   // MM7Version of answers to requests without one
	MaxSize        int64    // request body limit; default DefaultMaxSize
	// UseShortcode is mm7_mstore_bucket_use_shortcode: reports are looked
	// for in MADR-<shortcode> buckets too.
	UseShortcode bool

	// Where mobile-originated MMs go as e-mail: a sender or recipient that
	// is a number or short code becomes number@FromDomain (ToDomain), or
	// FromAddress (ToAddress) when no domain is set.
	FromAddress, FromDomain, ToAddress, ToDomain string

	Core     *retry.Core
	Injector spool.Injector // receives mobile-originated MMs; nil refuses them
	Log      *slog.Logger
}

// Server is a running MM7 server.
type Server struct {
	opts Options
	log  *slog.Logger
	srv  *http.Server
	// addr is the bound address once Start listened: a simulator started
	// before the receiver asks for URL from its own goroutines.
	addr  atomic.Pointer[string]
	fresh FreshConns
}

// New returns a server Start brings up.
func New(opts Options) *Server {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if len(opts.Paths) == 0 {
		opts.Paths = []string{DefaultPath}
	}
	if opts.Version == "" {
		opts.Version = mm7.DefaultVersion
	}
	if opts.MaxSize <= 0 {
		opts.MaxSize = DefaultMaxSize
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, log: opts.Log}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second, ConnState: s.fresh.Track}
	return s
}

// Name is the component's name.
func (s *Server) Name() string { return "mm7 server" }

// Start listens and serves until Stop.
func (s *Server) Start(context.Context) error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("mm7 server: listening on %s: %w", s.opts.Addr, err)
	}
	a := ln.Addr().String()
	s.addr.Store(&a)
	go s.srv.Serve(ln)
	s.log.Info("MM7 server listening", "addr", a, "paths", s.opts.Paths)
	return nil
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
		return "http://" + a + s.opts.Paths[0]
	}
	return ""
}

// Listeners names the receiver in the daemon's start line.
func (s *Server) Listeners() []string {
	if u := s.URL(); u != "" {
		return []string{u}
	}
	return []string{"http://" + s.opts.Addr + s.opts.Paths[0]}
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
	if s.opts.User != "" {
		u, p, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u+"\x00"+p), []byte(s.opts.User+"\x00"+s.opts.Password)) != 1 {
			log.Warn("MM7 request with wrong credentials refused")
			w.Header().Set("WWW-Authenticate", `Basic realm="msyshost MM7"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxSize))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		s.fault(w, &mm7.Envelope{}, mm7.Status{Code: mm7.MultimediaContentRefused, Text: "Multimedia content refused",
			Details: fmt.Sprintf("request larger than %d bytes", s.opts.MaxSize)}, log)
		return
	}
	if err != nil {
		log.Info("MM7 request body not read", "error", err)
		return
	}
	env, err := mm7.Decode(r.Header.Get("Content-Type"), body, mm7.Limits{})
	if err != nil {
		code := mm7.ValidationError
		var me *mm7.Error
		if errors.As(err, &me) {
			code = me.Code
		}
		if env == nil {
			env = &mm7.Envelope{}
		}
		s.fault(w, env, mm7.Status{Code: code, Text: mm7.StatusText(code), Details: err.Error()}, log)
		return
	}
	log = log.With("transaction_id", env.TransactionID)
	switch m := env.Body.(type) {
	case *mm7.DeliveryReportReq:
		s.report(r.Context(), w, env, m, log)
	case *mm7.ReadReplyReq:
		log.Info("read reply", "message_id", m.MessageID, "status", m.MMStatus, "recipient", m.Recipient.Value)
		s.answer(w, env, &mm7.ReadReplyRsp{MM7Version: s.version(m.MM7Version), Status: mm7.NewStatus(mm7.Success)})
	case *mm7.DeliverReq:
		s.deliver(r.Context(), w, r, env, m, log)
	default:
		s.fault(w, env, mm7.Status{Code: mm7.UnsupportedOperation, Text: "Unsupported operation",
			Details: "a VASP takes DeliverReq, DeliveryReportReq and ReadReplyReq, not " + bodyName(env)}, log)
	}
}

func bodyName(env *mm7.Envelope) string {
	if env.Body != nil {
		return env.Body.Name()
	}
	return "a SOAP Fault"
}

func (s *Server) version(v string) string {
	if v == "" {
		return s.opts.Version
	}
	return v
}

// report acts on a delivery report. Intermediate and unrecognised
// statuses are only logged. A final one is matched to its stored message,
// among the buckets its addresses could name; one that names no message
// msyshost knows is logged and acknowledged, so the relay stops sending it.
func (s *Server) report(ctx context.Context, w http.ResponseWriter, env *mm7.Envelope, dr *mm7.DeliveryReportReq, log *slog.Logger) {
	rep := retry.MM7Report{
		MessageID: dr.MessageID, Status: dr.MMStatus, StatusText: firstNonEmpty(dr.StatusText, dr.MMStatusExtension),
		TransactionID: env.TransactionID, Recipient: dr.Recipient.Value, Sender: dr.Sender.Value,
		Date: dr.Date, Version: dr.MM7Version,
	}
	log = log.With("message_id", dr.MessageID, "status", dr.MMStatus)
	ok := &mm7.DeliveryReportRsp{MM7Version: s.version(dr.MM7Version), Status: mm7.NewStatus(mm7.Success)}
	keys := s.candidates(dr)
	if out := retry.MM7Outcome(dr.MMStatus); out != retry.Positive && out != retry.Negative {
		if _, err := s.opts.Core.Receipt(ctx, rep.Receipt(keys[0].Bucket)); err != nil {
			log.Error("delivery report not handled", "error", err)
		}
		s.answer(w, env, ok)
		return
	}
	key, known, err := s.opts.Core.Locate(ctx, keys...)
	if err != nil {
		s.fault(w, env, mm7.Status{Code: mm7.ServerError, Text: "Server Error", Details: "message store unavailable; send the report again"}, log.With("error", err))
		return
	}
	if !known {
		log.Warn("delivery report for a message msyshost does not know (never tracked, expired or another VASP's); acknowledged, no hook run",
			"looked_in", keyList(keys))
		s.answer(w, env, ok)
		return
	}
	res, err := s.opts.Core.Receipt(ctx, rep.Receipt(key.Bucket))
	if err != nil {
		s.fault(w, env, mm7.Status{Code: mm7.ServerError, Text: "Server Error", Details: "report not acted on; send it again"}, log.With("error", err))
		return
	}
	log.Info("delivery report", "key", key.String(), "outcome", res.Outcome.String(), "hook_code", res.Code,
		"bounced", res.Bounced, "duplicate", res.Duplicate)
	s.answer(w, env, ok)
}

// candidates are the keys a report's message may be stored under: the
// bucket of the original sender's short code (the report's Sender; some
// relays swap Sender and Recipient, so the Recipient's too), then MADR-MM7.
func (s *Server) candidates(dr *mm7.DeliveryReportReq) []mstore.Key {
	var keys []mstore.Key
	seen := map[string]bool{}
	add := func(bucket string) {
		if !seen[bucket] {
			seen[bucket] = true
			keys = append(keys, mstore.Key{Bucket: bucket, ID: dr.MessageID})
		}
	}
	if s.opts.UseShortcode {
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

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// answer writes a response in the request's namespace and TransactionID.
func (s *Server) answer(w http.ResponseWriter, req *mm7.Envelope, m mm7.Message) {
	s.write(w, http.StatusOK, &mm7.Envelope{TransactionID: req.TransactionID, Namespace: req.Namespace, Body: m})
}

// fault answers a request the VASP cannot take with a SOAP Fault holding a
// VASPErrorRsp (TS 23.140 clause 8, MM7_VASP_error.RES) and HTTP 500 (SOAP
// 1.1 §6.2). Class 3 codes are the VASP's own trouble (faultcode Server):
// the relay sends the request again.
func (s *Server) fault(w http.ResponseWriter, req *mm7.Envelope, st mm7.Status, log *slog.Logger) {
	code := "Client"
	if st.Code >= 3000 && st.Code < 4000 {
		code = "Server"
	}
	st.Text, st.Details = mm7.CleanText(st.Text), mm7.CleanText(st.Details)
	log.Warn("MM7 request refused", "status", st.Code, "details", st.Details)
	s.write(w, http.StatusInternalServerError, &mm7.Envelope{TransactionID: req.TransactionID, Namespace: req.Namespace,
		Fault: &mm7.Fault{Code: code, String: st.Text, Detail: &mm7.ErrorRsp{VASP: true, MM7Version: s.opts.Version, Status: st}}})
}

func (s *Server) write(w http.ResponseWriter, code int, env *mm7.Envelope) {
	ct, body, err := mm7.Style{}.Encode(env)
	if err != nil {
		s.log.Error("MM7 answer not written", "error", err)
		http.Error(w, "answer not written", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(code)
	w.Write(body)
}
