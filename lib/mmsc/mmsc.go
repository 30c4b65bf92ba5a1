// Package mmsc is msyshost's MMSC (MMS Relay/Server) simulator: it accepts
// MM7 SubmitReq over HTTP as a relay does, answers SubmitRsp, and posts a
// DeliveryReportReq per recipient back to the VASP after a delay, with a
// configurable mix of statuses. Policy authors try their hooks against it
// without a carrier; tests start it in-process on 127.0.0.1. Every answer
// it gives follows what deployed relays do; the comment beside each says
// which behaviour it models.
package mmsc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"msyshost/lib/mm7"
)

// Options configure a simulator. Zero values take the defaults.
type Options struct {
	// Addr is where it listens; default 127.0.0.1:0 (a free port).
	Addr string
	// Path is the request path VASPs post to; default "/mm7".
	Path string
	// User and Password, when User is set, are the Basic credentials
	// VASPs must present.
	User, Password string
	// VASPID, when set, is the only VASPID accepted.
	VASPID string
	// MaxSize bounds a request body; default 1 MiB, a common relay limit
	// for MMS.
	MaxSize int64

	// ReportURL is where delivery reports go (the VASP's receiver, such as
	// http://127.0.0.1:8089/mm7/); none are sent when it is empty.
	ReportURL string
	// ReportTo, when set, is asked at each post for the report URL and
	// the receiver's credentials instead (ReportUser, when set, still
	// wins): a simulator started with the daemon reports to the daemon's
	// receiver, which listens only after the simulator started.
	ReportTo                   func() (url, user, password string)
	ReportUser, ReportPassword string
	// ReportDelay is how long after the SubmitRsp a report is posted;
	// default 1s.
	ReportDelay time.Duration
	// Mix weighs the final MMStatus of each recipient's report; default
	// all Retrieved.
	Mix map[string]int
	// Statuses fix the MMStatus for recipients starting with a prefix
	// (the longest matching prefix wins), before the mix is drawn.
	Statuses map[string]string
	// Progress are intermediate statuses (Forwarded, Deferred) reported
	// before the final one, each after ReportDelay.
	Progress []string
	// Reject answers the SubmitReq of recipients starting with a prefix
	// with that StatusCode instead of accepting it.
	Reject map[string]int
	// ReportAttempts bounds how often one report is posted when the VASP
	// does not answer 1000; default 3.
	ReportAttempts int
	// Seed makes the mix draw repeatable; 0 seeds from the clock.
	Seed uint64

	// Schema is the schema release the simulated relay implements
	// (canonical or not); default mm7.DefaultNamespace. Its answers and
	// reports are in that release, whatever the VASP wrote; a request in
	// a newer release is refused with 4002.
	Schema string
	// SenderEcho is how reports echo the submission's sender (EchoAsIs
	// when empty; see the Echo constants).
	SenderEcho string
	// DuplicateEvery, when N > 0, posts every Nth report twice.
	DuplicateEvery int
	// Early posts each recipient's first report at once, racing the
	// SubmitRsp, instead of ReportDelay after it.
	Early bool
}

// How a report echoes the sender of its submission. Relays rarely give it
// back as the VASP wrote it: each value models a kind of deployed relay.
const (
	// EchoAsIs: the SenderAddress as submitted (a relay that stores the
	// request's element).
	EchoAsIs = "asis"
	// EchoPlus: a number element with + in front (relays that normalise
	// every address to E.164 form, short codes included).
	EchoPlus = "plus"
	// EchoPLMN: the MM1 form value/TYPE=PLMN (relays that copy the
	// address from the MM1/MM4 side).
	EchoPLMN = "plmn"
	// EchoSwapped: Sender and Recipient exchanged (relays that write the
	// report as a message from the handset to the VASP).
	EchoSwapped = "swapped"
	// EchoBare: the value directly in the element, without Number or
	// ShortCode (older Release 5 relays).
	EchoBare = "bare"
	// EchoRewrite: the short code with the country code 49 in front, as a
	// Number (relays that map short codes to a national service number):
	// no bucket can be read from it.
	EchoRewrite = "rewrite"
)

// Echoes are the SenderEcho values.
var Echoes = []string{EchoAsIs, EchoPlus, EchoPLMN, EchoSwapped, EchoBare, EchoRewrite}

// Submission is a SubmitReq the simulator took.
type Submission struct {
	TransactionID string
	Namespace     string
	Request       *mm7.SubmitReq
	MessageID     string // "" when it was refused
	Status        mm7.Status
}

// Report is one DeliveryReportReq post and how the VASP answered.
type Report struct {
	Request  *mm7.DeliveryReportReq
	Document []byte // the HTTP body as posted
	Attempt  int
	Answer   *mm7.Envelope // nil when there was no readable answer
	Err      error
}

// MMSC is a running simulator.
type MMSC struct {
	opts Options
	log  *slog.Logger
	srv  *http.Server
	ln   net.Listener
	// fresh lets Stop close the spare connections VASPs keep open.
	fresh mm7.FreshConns
	hc    *http.Client

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu          sync.Mutex
	rnd         *mrand.Rand
	seq         uint64
	submissions []Submission
	reports     []Report
	notify      chan struct{}
	posted      int // reports posted, for DuplicateEvery
}

// New returns a simulator that Start brings up.
func New(opts Options, log *slog.Logger) *MMSC {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Path == "" {
		opts.Path = "/mm7"
	}
	if opts.MaxSize <= 0 {
		opts.MaxSize = 1 << 20
	}
	if opts.ReportDelay <= 0 {
		opts.ReportDelay = time.Second
	}
	if len(opts.Mix) == 0 {
		opts.Mix = map[string]int{mm7.MMStatusRetrieved: 1}
	}
	if opts.ReportAttempts <= 0 {
		opts.ReportAttempts = 3
	}
	if ns, ok := mm7.CanonicalNamespace(opts.Schema); ok {
		opts.Schema = ns
	} else {
		opts.Schema = mm7.DefaultNamespace
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	seed := opts.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	s := &MMSC{opts: opts, log: log, rnd: mrand.New(mrand.NewPCG(seed, seed>>1)),
		hc: &http.Client{Timeout: 10 * time.Second}, notify: make(chan struct{}, 1)}
	// Reports live until Stop, whoever serves the handler (Start, or a
	// test's own server).
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ConnState: s.fresh.Track}
	return s
}

// Name is the component's name.
func (s *MMSC) Name() string { return "mmsc simulator" }

// Start listens and serves until Stop.
func (s *MMSC) Start(context.Context) error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("mmsc simulator: listening on %s: %w", s.opts.Addr, err)
	}
	s.ln = ln
	go s.srv.Serve(ln)
	reports := s.opts.ReportURL
	if s.opts.ReportTo != nil {
		reports = "msyshost's MM7 receiver"
	}
	s.log.Info("MMSC simulator listening", "url", s.URL(), "reports_to", reports)
	return nil
}

// Stop stops serving and drops the reports not yet posted.
func (s *MMSC) Stop(ctx context.Context) error {
	s.cancel()
	err := s.fresh.Shutdown(ctx, s.srv)
	s.wg.Wait()
	return err
}

// URL is where VASPs post (mm7://host:port/path in Momentum's routes
// syntax is the same place).
func (s *MMSC) URL() string { return "http://" + s.ln.Addr().String() + s.opts.Path }

// Addr is the listening address.
func (s *MMSC) Addr() string { return s.ln.Addr().String() }

// Submissions returns what was submitted so far.
func (s *MMSC) Submissions() []Submission {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Submission(nil), s.submissions...)
}

// Reports returns every report post so far.
func (s *MMSC) Reports() []Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Report(nil), s.reports...)
}

// WaitReports waits until n report posts were made.
func (s *MMSC) WaitReports(ctx context.Context, n int) ([]Report, error) {
	for {
		if r := s.Reports(); len(r) >= n {
			return r, nil
		}
		select {
		case <-ctx.Done():
			return s.Reports(), fmt.Errorf("waiting for %d delivery reports: %w", n, ctx.Err())
		case <-s.notify:
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// messageID returns a relay message id: relays hand out opaque
// alphanumeric ids, unique per relay.
func (s *MMSC) messageID() string {
	s.mu.Lock()
	s.seq++
	n := s.seq
	s.mu.Unlock()
	var b [3]byte
	rand.Read(b[:])
	return fmt.Sprintf("%08X%s", n, strings.ToUpper(hex.EncodeToString(b[:])))
}

// ServeHTTP answers one VASP request.
func (s *MMSC) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != s.opts.Path {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "MM7 requests are POSTed", http.StatusMethodNotAllowed)
		return
	}
	if s.opts.User != "" && !mm7.CheckBasicAuth(r, s.opts.User, s.opts.Password) {
		// Relays behind a web front end challenge at the HTTP level
		// before reading the SOAP body.
		w.Header().Set("WWW-Authenticate", `Basic realm="MM7"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	// A request the relay cannot read (or one over its size limit: relays
	// refuse an MM over their limit as content they will not carry, 2004)
	// gets a SOAP Fault with an RSErrorRsp (TS 23.140 clause 8,
	// MM7_RS_error.RES) and HTTP 500.
	env, err := mm7.ReadRequest(w, r, s.opts.MaxSize, mm7.Limits{})
	var me *mm7.Error
	if err != nil && !errors.As(err, &me) {
		return
	}
	tid := ""
	if env != nil {
		tid = env.TransactionID
	}
	if err != nil {
		st, faultCode := mm7.FaultOf(err)
		s.fault(w, tid, st, faultCode)
		return
	}
	ns, known := mm7.CanonicalNamespace(env.Namespace)
	if !known || newer(ns, s.opts.Schema) {
		// A relay validates against the schema releases it implements:
		// its own and the older ones.
		s.fault(w, tid, mm7.Status{Code: mm7.UnsupportedVersion,
			Details: fmt.Sprintf("namespace %q; this relay implements %s", env.Namespace, s.opts.Schema)}, "")
		return
	}
	req, ok := env.Body.(*mm7.SubmitReq)
	if !ok {
		// The simulator implements submission only; cancel and replace
		// are optional for relays and often refused.
		s.fault(w, tid, mm7.Status{Code: mm7.UnsupportedOperation, Details: env.BodyName()}, "")
		return
	}
	s.submit(w, tid, req)
}

// newer reports whether schema namespace a is a later release than b.
func newer(a, b string) bool {
	return slices.Index(mm7.Namespaces, a) > slices.Index(mm7.Namespaces, b)
}

// submit checks a SubmitReq, answers it and schedules its reports.
func (s *MMSC) submit(w http.ResponseWriter, tid string, req *mm7.SubmitReq) {
	ns := s.opts.Schema
	st := mm7.NewStatus(mm7.Success)
	switch {
	case req.Content == nil:
		// An MM without content: relays refuse it (nothing to deliver,
		// nothing to adapt) as a malformed message.
		st = mm7.Status{Code: mm7.MessageFormatCorrupt, Text: mm7.StatusText(mm7.MessageFormatCorrupt), Details: "no MM content"}
	case s.opts.VASPID != "" && req.VASPID != s.opts.VASPID:
		// Relays identify the VASP by VASPID and answer 4001 for one they
		// do not know.
		st = mm7.Status{Code: mm7.ImproperIdentification, Text: "Improper identification", Details: "VASPID " + req.VASPID}
	}
	rcpts := req.Recipients.All()
	for _, a := range rcpts {
		if st.Code != mm7.Success {
			break
		}
		if a.Kind == mm7.Number && strings.Trim(strings.TrimPrefix(a.Value, "+"), "0123456789") != "" {
			// A number with other characters is an address error.
			st = mm7.Status{Code: mm7.AddressError, Text: "Address Error", Details: a.Value}
		} else if code, ok := longestPrefix(s.opts.Reject, a.Value); ok {
			st = mm7.Status{Code: code, Text: mm7.StatusText(code), Details: a.Value}
		}
	}
	// The answer is in the relay's own release and version.
	rsp := &mm7.SubmitRsp{MM7Version: mm7.VersionOf(ns), Status: st}
	if st.Code == mm7.Success {
		rsp.MessageID = s.messageID()
	}
	s.mu.Lock()
	s.submissions = append(s.submissions, Submission{TransactionID: tid, Namespace: ns, Request: req, MessageID: rsp.MessageID, Status: st})
	s.mu.Unlock()
	reports := st.Code == mm7.Success && req.DeliveryReport != nil && *req.DeliveryReport && (s.opts.ReportURL != "" || s.opts.ReportTo != nil)
	if reports && s.opts.Early {
		// A relay whose report overtakes its own SubmitRsp: the report
		// may reach the VASP before it knows the MessageID.
		for _, a := range rcpts {
			s.schedule(req, rsp.MessageID, a)
		}
	}
	// Refusals of a readable request come as a SubmitRsp with the status,
	// HTTP 200, as relays answer address and policy failures.
	if err := mm7.WriteEnvelope(w, http.StatusOK, &mm7.Envelope{TransactionID: tid, Namespace: ns, Body: rsp}); err != nil {
		s.log.Info("SubmitRsp not sent", "error", err)
	}
	s.log.Info("SubmitReq", "transaction_id", tid, "recipients", len(rcpts), "status", st.Code, "message_id", rsp.MessageID)
	if reports && !s.opts.Early {
		for _, a := range rcpts {
			s.schedule(req, rsp.MessageID, a)
		}
	}
}

// fault answers HTTP 500 with a SOAP Fault carrying an RSErrorRsp, in the
// relay's own release.
func (s *MMSC) fault(w http.ResponseWriter, tid string, st mm7.Status, faultCode string) {
	req := &mm7.Envelope{TransactionID: tid, Namespace: s.opts.Schema}
	if err := mm7.WriteFault(w, req, false, st, faultCode); err != nil {
		s.log.Info("fault not sent", "error", err)
	}
	s.log.Info("request refused", "transaction_id", tid, "status", st.Code, "details", mm7.CleanText(st.Details))
}

func longestPrefix[V any](m map[string]V, s string) (V, bool) {
	var best V
	n, found := -1, false
	for p, v := range m {
		if strings.HasPrefix(s, p) && len(p) > n {
			best, n, found = v, len(p), true
		}
	}
	return best, found
}
