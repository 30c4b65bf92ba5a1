package mm7server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/mm7"
	"msyshost/lib/mm7server"
	"msyshost/lib/mstore"
	"msyshost/lib/mstore/embedded"
	"msyshost/lib/retry"
	"msyshost/lib/spool"
)

// hooks records calls; the receipt hooks return code and may run do.
type hooks struct {
	mu    sync.Mutex
	calls []call
	code  int
	do    func(hook, bucket, id string)
}

type call struct {
	hook, bucket, id string
	trx              map[string]string
}

func (h *hooks) Dispatch(_ context.Context, hook string, args ...any) int {
	c := call{hook: hook, bucket: args[1].(string), id: args[2].(string)}
	if trx, ok := args[0].(map[string]string); ok {
		c.trx = trx
	}
	h.mu.Lock()
	h.calls = append(h.calls, c)
	do := h.do
	h.mu.Unlock()
	if do != nil {
		do(hook, c.bucket, c.id)
	}
	if strings.HasPrefix(hook, "mm7_handle") {
		return h.code
	}
	return 0
}

func (h *hooks) taken() []call {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]call(nil), h.calls...)
}

// logBuf collects log lines.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type fixture struct {
	srv   *mm7server.Server
	core  *retry.Core
	store *embedded.Store
	hooks *hooks
	rec   *spool.Recorder
	log   *logBuf
}

func setup(t *testing.T, opts mm7server.Options) *fixture {
	t.Helper()
	st, err := embedded.Open(filepath.Join(t.TempDir(), "m.db"), embedded.Options{SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{store: st, hooks: &hooks{}, rec: &spool.Recorder{}, log: &logBuf{}}
	logger := slog.New(slog.NewTextHandler(f.log, nil))
	f.core = &retry.Core{Store: st, Hooks: f.hooks, Bouncer: f.rec, Log: logger, ParkTimeout: 300 * time.Millisecond}
	opts.Addr, opts.Core, opts.Log = "127.0.0.1:0", f.core, logger
	if opts.Injector == nil {
		opts.Injector = f.rec
	}
	f.srv = mm7server.New(opts)
	if err := f.srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.srv.Stop(context.Background()) })
	return f
}

// submitted stores a message as the MM7 channel would have.
func (f *fixture) submitted(t *testing.T, id, shortcode string) {
	t.Helper()
	p := retry.MM7Policy{DeliveryReport: true, SaveMessage: true, UseShortcode: true}
	m := message.FromRaw("promo@example.com", "15557654321@mm7.example.com", []byte("Subject: s\r\n\r\nbody\r\n"))
	if _, err := f.core.Submitted(context.Background(), p.Submission(m, id, shortcode, "", "mm7.example.com")); err != nil {
		t.Fatal(err)
	}
	f.hooks.mu.Lock()
	f.hooks.calls = nil
	f.hooks.mu.Unlock()
}

func report(id, status string, sender mm7.Address) *mm7.Envelope {
	return &mm7.Envelope{TransactionID: "tx-" + id, Namespace: mm7.NamespaceBase + "REL-5-MM7-1-2", Body: &mm7.DeliveryReportReq{
		MM7Version: "5.3.0", MessageID: id, Recipient: mm7.Address{Kind: mm7.Number, Value: "15557654321"},
		Sender: sender, Date: "2026-03-01T10:00:00Z", MMStatus: status, StatusText: "as reported",
	}}
}

var shortcode4321 = mm7.Address{Kind: mm7.ShortCode, Value: "4321"}

func post(t *testing.T, url, ct string, body []byte, user ...string) (int, *mm7.Envelope) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	if len(user) == 2 {
		req.SetBasicAuth(user[0], user[1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	env, err := mm7.Decode(resp.Header.Get("Content-Type"), raw, mm7.Limits{})
	if err != nil {
		return resp.StatusCode, nil
	}
	return resp.StatusCode, env
}

func postEnv(t *testing.T, url string, env *mm7.Envelope) (int, *mm7.Envelope) {
	t.Helper()
	ct, body, err := mm7.Style{}.Encode(env)
	if err != nil {
		t.Fatal(err)
	}
	return post(t, url, ct, body)
}

func wantRsp(t *testing.T, code int, env *mm7.Envelope, tid string) {
	t.Helper()
	if code != http.StatusOK || env == nil {
		t.Fatalf("HTTP %d, %+v", code, env)
	}
	rsp, ok := env.Body.(*mm7.DeliveryReportRsp)
	if !ok || rsp.Status.Code != 1000 || env.TransactionID != tid || rsp.MM7Version != "5.3.0" ||
		env.Namespace != mm7.NamespaceBase+"REL-5-MM7-1-2" {
		t.Fatalf("answer %+v in %+v", env.Body, env)
	}
}

func wantFault(t *testing.T, code int, env *mm7.Envelope, status int, faultcode string) *mm7.ErrorRsp {
	t.Helper()
	if code != http.StatusInternalServerError || env == nil || env.Fault == nil || env.Fault.Detail == nil {
		t.Fatalf("HTTP %d, %+v", code, env)
	}
	d := env.Fault.Detail
	if !d.VASP || d.Status.Code != status || env.Fault.Code != faultcode {
		t.Fatalf("fault %s %+v", env.Fault.Code, d)
	}
	return d
}

func TestPositiveReport(t *testing.T) {
	f := setup(t, mm7server.Options{})
	f.submitted(t, "m1", "4321")
	f.hooks.do = func(hook, bucket, id string) {
		f.store.Delete(context.Background(), mstore.Key{Bucket: bucket, ID: id})
	}
	code, env := postEnv(t, f.srv.URL(), report("m1", "Retrieved", shortcode4321))
	wantRsp(t, code, env, "tx-m1")
	calls := f.hooks.taken()
	if len(calls) != 1 || calls[0].hook != "mm7_handle_DR_positive" || calls[0].bucket != "MADR-4321" || calls[0].id != "m1" {
		t.Fatalf("hooks %+v", calls)
	}
	want := map[string]string{"message_id": "m1", "status": "Retrieved", "status_text": "as reported", "transaction_id": "tx-m1",
		"recipient": "15557654321", "sender": "4321", "date": "2026-03-01T10:00:00Z", "mm7_version": "5.3.0"}
	for k, v := range want {
		if calls[0].trx[k] != v {
			t.Errorf("trx[%s] = %q, want %q", k, calls[0].trx[k], v)
		}
	}
	// The answer came after the hook's delete was durable.
	if _, err := f.store.Load(context.Background(), mstore.Key{Bucket: "MADR-4321", ID: "m1"}); !errors.Is(err, mstore.ErrNotFound) {
		t.Errorf("copy still there after the answer: %v", err)
	}
}

func TestNegativeReportBouncesOnContinue(t *testing.T) {
	f := setup(t, mm7server.Options{})
	f.submitted(t, "m2", "4321")
	code, env := postEnv(t, f.srv.URL(), report("m2", "Expired", shortcode4321))
	wantRsp(t, code, env, "tx-m2")
	if calls := f.hooks.taken(); len(calls) != 1 || calls[0].hook != "mm7_handle_DR_negative" {
		t.Fatalf("hooks %+v", calls)
	}
	_, bounces := f.rec.Take()
	if len(bounces) != 1 || bounces[0].To != "promo@example.com" || !strings.Contains(bounces[0].Reason, "Expired (as reported)") {
		t.Errorf("bounces %+v", bounces)
	}
	// A repeated report is a duplicate: answered, no second bounce.
	code, env = postEnv(t, f.srv.URL(), report("m2", "Expired", shortcode4321))
	wantRsp(t, code, env, "tx-m2")
	if _, b := f.rec.Take(); len(b) != 0 || len(f.hooks.taken()) != 1 {
		t.Errorf("duplicate report bounced again or ran hooks")
	}
}

// The answer waits for the hook: a relay that gets DeliveryReportRsp may
// forget the report, so it must not come before the outcome is durable.
func TestAnswerWaitsForTheOutcome(t *testing.T) {
	f := setup(t, mm7server.Options{})
	f.submitted(t, "m3", "4321")
	release := make(chan struct{})
	f.hooks.do = func(string, string, string) { <-release }
	done := make(chan int)
	go func() {
		code, _ := postEnv(t, f.srv.URL(), report("m3", "Rejected", shortcode4321))
		done <- code
	}()
	select {
	case <-done:
		t.Fatal("answered while the hook was still running")
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	if code := <-done; code != http.StatusOK {
		t.Errorf("HTTP %d", code)
	}
}

func TestUnknownMessageID(t *testing.T) {
	f := setup(t, mm7server.Options{})
	code, env := postEnv(t, f.srv.URL(), report("never-sent", "Expired", shortcode4321))
	wantRsp(t, code, env, "tx-never-sent")
	if calls := f.hooks.taken(); len(calls) != 0 {
		t.Errorf("hooks ran: %+v", calls)
	}
	if _, b := f.rec.Take(); len(b) != 0 {
		t.Error("bounced")
	}
	log := f.log.String()
	if !strings.Contains(log, "delivery report for a message msyshost does not know") || !strings.Contains(log, "message_id=never-sent") ||
		!strings.Contains(log, "MADR-4321/never-sent MADR-MM7/never-sent") {
		t.Errorf("log:\n%s", log)
	}
}

func TestBucketFromEchoedSender(t *testing.T) {
	f := setup(t, mm7server.Options{})
	f.submitted(t, "a1", "4321")
	f.submitted(t, "a2", "4321")
	f.submitted(t, "a3", "")
	// A relay that writes the short code as a Number with a +, one that
	// swaps Sender and Recipient, and a submission without a short code.
	for id, env := range map[string]*mm7.Envelope{
		"a1": report("a1", "Retrieved", mm7.Address{Kind: mm7.Number, Value: "+4321"}),
		"a2": func() *mm7.Envelope {
			e := report("a2", "Retrieved", mm7.Address{Kind: mm7.Number, Value: "15557654321"})
			e.Body.(*mm7.DeliveryReportReq).Recipient = mm7.Address{Value: "4321", Bare: true}
			return e
		}(),
		"a3": report("a3", "Retrieved", mm7.Address{Kind: mm7.RFC2822Address, Value: "vas@example.com"}),
	} {
		code, rsp := postEnv(t, f.srv.URL(), env)
		wantRsp(t, code, rsp, "tx-"+id)
	}
	got := map[string]string{}
	for _, c := range f.hooks.taken() {
		got[c.id] = c.bucket
	}
	if got["a1"] != "MADR-4321" || got["a2"] != "MADR-4321" || got["a3"] != "MADR-MM7" {
		t.Errorf("buckets %v", got)
	}
}

// A relay that rewrites the sender (a country code in front, the short
// code's alias) names a bucket nothing is stored in; the report alias in
// MADR-MM7 finds the message all the same, also when
// mm7_mstore_bucket_use_shortcode changed since the submission.
func TestReportWithRewrittenSenderFindsItsMessage(t *testing.T) {
	useShortcode := true
	f := setup(t, mm7server.Options{UseShortcode: func() bool { return useShortcode }})
	for _, id := range []string{"r1", "r2", "r3"} {
		f.submitted(t, id, "4321")
	}
	for _, step := range []struct {
		id     string
		sender mm7.Address
		use    bool
	}{
		{"r1", mm7.Address{Kind: mm7.Number, Value: "+4915204321"}, true},
		{"r2", mm7.Address{Kind: mm7.ShortCode, Value: "1234"}, true},
		{"r3", shortcode4321, false},
	} {
		useShortcode = step.use
		code, env := postEnv(t, f.srv.URL(), report(step.id, "Expired", step.sender))
		wantRsp(t, code, env, "tx-"+step.id)
	}
	got := map[string]string{}
	for _, c := range f.hooks.taken() {
		got[c.id] = c.bucket
	}
	if got["r1"] != "MADR-4321" || got["r2"] != "MADR-4321" || got["r3"] != "MADR-4321" {
		t.Errorf("hooks ran for %v", got)
	}
	if _, b := f.rec.Take(); len(b) != 3 {
		t.Errorf("%d bounces, want 3", len(b))
	}
	if log := f.log.String(); strings.Contains(log, "does not know") {
		t.Errorf("a report was taken for unknown:\n%s", log)
	}
}

func TestIntermediateReport(t *testing.T) {
	f := setup(t, mm7server.Options{})
	f.submitted(t, "m4", "4321")
	for _, st := range []string{"Forwarded", "Deferred", "Indeterminate", "Exploded"} {
		code, env := postEnv(t, f.srv.URL(), report("m4", st, shortcode4321))
		wantRsp(t, code, env, "tx-m4")
	}
	if calls := f.hooks.taken(); len(calls) != 0 {
		t.Errorf("hooks ran: %+v", calls)
	}
	if _, err := f.store.Load(context.Background(), mstore.Key{Bucket: "MADR-4321", ID: "m4"}); err != nil {
		t.Errorf("copy gone: %v", err)
	}
}

func TestMalformedRequests(t *testing.T) {
	f := setup(t, mm7server.Options{MaxSize: 64 << 10})
	url := f.srv.URL()
	code, env := post(t, url, "text/xml", []byte("<env:Envelope xmlns:env=\"http://schemas.xmlsoap.org/soap/envelope/\"><env:Body><DeliveryReportReq><MM7Version>"))
	d := wantFault(t, code, env, mm7.ValidationError, "Client")
	if !strings.Contains(d.Status.Details, "XML not well-formed") {
		t.Errorf("details %q", d.Status.Details)
	}
	laughs := `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body><x>&b;</x></env:Body></env:Envelope>`
	code, env = post(t, url, "text/xml", []byte(laughs))
	wantFault(t, code, env, mm7.ValidationError, "Client")
	// A report without its MessageID.
	bad := report("x", "Expired", shortcode4321)
	ct, body, _ := mm7.Style{}.Encode(bad)
	body = bytes.Replace(body, []byte("<MessageID>x</MessageID>"), nil, 1)
	code, env = post(t, url, ct, body)
	d = wantFault(t, code, env, mm7.ValidationError, "Client")
	if env.TransactionID != "tx-x" {
		t.Errorf("fault lost the TransactionID: %q", env.TransactionID)
	}
	// The VASPErrorRsp is in the request's Release 5 namespace, with a
	// Release 5 version.
	if env.Namespace != mm7.NamespaceBase+"REL-5-MM7-1-2" || d.MM7Version != "5.5.0" {
		t.Errorf("fault in %s with MM7Version %s", env.Namespace, d.MM7Version)
	}
	// Huge: refused without reading it all.
	huge := append([]byte(`<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body><x>`), bytes.Repeat([]byte("a"), 1<<20)...)
	code, env = post(t, url, "text/xml", huge)
	wantFault(t, code, env, mm7.MultimediaContentRefused, "Client")
	// A SubmitReq is not for a VASP.
	code, env = postEnv(t, url, &mm7.Envelope{TransactionID: "s", Body: &mm7.SubmitReq{MM7Version: "6.8.0",
		Recipients: mm7.Recipients{To: []mm7.Address{{Kind: mm7.Number, Value: "1"}}}}})
	wantFault(t, code, env, mm7.UnsupportedOperation, "Client")
	if len(f.hooks.taken()) != 0 {
		t.Error("hooks ran for malformed requests")
	}
	// Other paths and methods are not MM7.
	resp, err := http.Get(url)
	if err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %v %v", resp.StatusCode, err)
	}
	resp, _ = http.Post("http://"+f.srv.Addr()+"/other", "text/xml", nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("other path: %d", resp.StatusCode)
	}
}

func TestStoreFailureAsksForTheReportAgain(t *testing.T) {
	f := setup(t, mm7server.Options{})
	f.submitted(t, "m5", "4321")
	f.store.Close()
	code, env := postEnv(t, f.srv.URL(), report("m5", "Retrieved", shortcode4321))
	wantFault(t, code, env, mm7.ServerError, "Server")
}

func TestBasicAuth(t *testing.T) {
	f := setup(t, mm7server.Options{User: "relay", Password: "pw"})
	f.submitted(t, "m6", "4321")
	ct, body, _ := mm7.Style{}.Encode(report("m6", "Retrieved", shortcode4321))
	if code, _ := post(t, f.srv.URL(), ct, body); code != http.StatusUnauthorized {
		t.Errorf("no credentials: HTTP %d", code)
	}
	if code, _ := post(t, f.srv.URL(), ct, body, "relay", "nope"); code != http.StatusUnauthorized {
		t.Errorf("wrong credentials: HTTP %d", code)
	}
	code, env := post(t, f.srv.URL(), ct, body, "relay", "pw")
	wantRsp(t, code, env, "tx-m6")
}

func TestReadReplyAndMO(t *testing.T) {
	f := setup(t, mm7server.Options{FromDomain: "mms.example.com", ToAddress: "inbox@example.com"})
	code, env := postEnv(t, f.srv.URL(), &mm7.Envelope{TransactionID: "rr", Body: &mm7.ReadReplyReq{MM7Version: "6.8.0",
		MessageID: "m", Recipient: mm7.Address{Kind: mm7.Number, Value: "1"}, Sender: shortcode4321, MMStatus: "Read"}})
	if rsp, ok := env.Body.(*mm7.ReadReplyRsp); code != 200 || !ok || rsp.Status.Code != 1000 {
		t.Errorf("read reply: %d %+v", code, env.Body)
	}
	content := &mm7.Entity{Header: []mm7.Field{{Name: "Content-Type", Value: "text/plain; charset=utf-8"}}, Body: []byte("vote B\r\n")}
	code, env = postEnv(t, f.srv.URL(), &mm7.Envelope{TransactionID: "mo", Body: &mm7.DeliverReq{MM7Version: "6.8.0",
		Sender: mm7.Address{Kind: mm7.Number, Value: "+447700900555"}, Recipients: mm7.Recipients{To: []mm7.Address{shortcode4321}},
		Subject: "my\r\nvote", TimeStamp: "2026-03-01T10:00:00Z", Content: content}})
	if rsp, ok := env.Body.(*mm7.DeliverRsp); code != 200 || !ok || rsp.Status.Code != 1000 {
		t.Fatalf("deliver: %d %+v", code, env.Body)
	}
	injected, _ := f.rec.Take()
	if len(injected) != 1 || injected[0].MailFrom != "447700900555@mms.example.com" || injected[0].RcptTo != "inbox@example.com" {
		t.Fatalf("injected %+v", injected)
	}
	raw := string(injected[0].Raw())
	for _, want := range []string{"Subject: my vote\r\n", "Content-Type: text/plain; charset=utf-8\r\n", "\r\n\r\nvote B\r\n",
		"Date: Sun, 01 Mar 2026 10:00:00 +0000"} {
		if !strings.Contains(raw, want) {
			t.Errorf("message lacks %q:\n%s", want, raw)
		}
	}
	if injected[0].Context[mm7server.CtxTransactionID] != "mo" {
		t.Errorf("context %v", injected[0].Context)
	}
}

func TestOptionsFrom(t *testing.T) {
	cfg, err := config.Parse("t.conf", []byte(`
HTTP_Listener { Max_Request_Size = 1048576 Listen "127.0.0.1:8190" { } }
mm7_serv {
  mm7_vasp_uri_paths = ( "/ringtones/" "/reports/" )
  mm7_server_version = "5.3.0"
  mm7_server_default_email_from_domain = "mms.example.com"
  mm7_server_basic_auth = "relay:pw"
}`))
	if err != nil {
		t.Fatal(err)
	}
	o, ok, err := mm7server.OptionsFrom(cfg)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if o.Addr != "127.0.0.1:8190" || fmt.Sprint(o.Paths) != "[/ringtones/ /reports/]" || o.Version != "5.3.0" ||
		o.FromDomain != "mms.example.com" || o.User != "relay" || o.Password != "pw" || o.MaxSize != 1<<20 {
		t.Errorf("options %+v", o)
	}
	none, _ := config.Parse("n.conf", []byte("x = 1\n"))
	if _, ok, _ := mm7server.OptionsFrom(none); ok {
		t.Error("a receiver without mm7_serv")
	}
	bad, _ := config.Parse("b.conf", []byte(`mm7_serv { mm7_vasp_uri_paths = ( "reports/" ) }`))
	if _, _, err := mm7server.OptionsFrom(bad); err == nil || !strings.Contains(err.Error(), "must start with /") {
		t.Errorf("bad path: %v", err)
	}
}

// A relay's spare connection, open with no request on it, does not hold
// the stop: net/http alone would wait until it is 5 s old.
func TestStopClosesIdleFreshConnections(t *testing.T) {
	srv := mm7server.New(mm7server.Options{Addr: "127.0.0.1:0", Core: &retry.Core{}})
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(20 * time.Millisecond) // the server has accepted it
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	if err := srv.Stop(ctx); err != nil {
		t.Fatalf("stop with a fresh connection open: %v after %s", err, time.Since(start))
	}
	c.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("the fresh connection was left open")
	}
}
