package mmsc

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"msyshost/lib/mm7"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// vasp is a stand-in VASP receiver that answers every report with
// answer (a StatusCode), or a fault for codes other than 1000.
type vasp struct {
	srv    *httptest.Server
	answer atomic.Int32
	mu     sync.Mutex
	got    []*mm7.DeliveryReportReq
}

func newVASP(t *testing.T) *vasp {
	v := &vasp{}
	v.answer.Store(1000)
	v.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		env, err := mm7.Decode(r.Header.Get("Content-Type"), body, mm7.Limits{})
		if err != nil {
			t.Errorf("simulator posted an unreadable report: %v", err)
			return
		}
		v.mu.Lock()
		v.got = append(v.got, env.Body.(*mm7.DeliveryReportReq))
		v.mu.Unlock()
		st := mm7.NewStatus(int(v.answer.Load()))
		out := &mm7.Envelope{TransactionID: env.TransactionID, Namespace: env.Namespace}
		code := http.StatusOK
		if st.Code == 1000 {
			out.Body = &mm7.DeliveryReportRsp{MM7Version: "6.8.0", Status: st}
		} else {
			code = http.StatusInternalServerError
			out.Fault = &mm7.Fault{Code: "Server", String: st.Text, Detail: &mm7.ErrorRsp{VASP: true, MM7Version: "6.8.0", Status: st}}
		}
		ct, b, _ := mm7.Style{}.Encode(out)
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(code)
		w.Write(b)
	}))
	t.Cleanup(v.srv.Close)
	return v
}

func start(t *testing.T, o Options) *MMSC {
	t.Helper()
	s := New(o, nil)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(context.Background()) })
	return s
}

func submit(t *testing.T, s *MMSC, env *mm7.Envelope, auth ...string) (int, *mm7.Envelope) {
	t.Helper()
	ct, body, err := mm7.Style{}.Encode(env)
	if err != nil {
		t.Fatal(err)
	}
	return postRaw(t, s.URL(), ct, body, auth...)
}

func postRaw(t *testing.T, url, ct string, body []byte, auth ...string) (int, *mm7.Envelope) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	if len(auth) == 2 {
		req.SetBasicAuth(auth[0], auth[1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	env, _ := mm7.Decode(resp.Header.Get("Content-Type"), raw, mm7.Limits{})
	return resp.StatusCode, env
}

func submitReq(ns string, to ...string) *mm7.Envelope {
	req := &mm7.SubmitReq{MM7Version: "5.3.0", VASPID: "harbour", VASID: "tides",
		SenderAddress: &mm7.Address{Kind: mm7.ShortCode, Value: "7788"}, DeliveryReport: mm7.Bool(true), Subject: "s",
		Content: &mm7.Entity{Header: []mm7.Field{{Name: "Content-Type", Value: "text/plain"}}, Body: []byte("hi")}}
	for _, n := range to {
		req.Recipients.To = append(req.Recipients.To, mm7.Address{Kind: mm7.Number, Value: n})
	}
	return &mm7.Envelope{TransactionID: "t-1", Namespace: ns, Body: req}
}

var rel5 = mm7.NamespaceBase + "REL-5-MM7-1-2"

func TestSubmitAndReports(t *testing.T) {
	v := newVASP(t)
	s := start(t, Options{ReportURL: v.srv.URL, ReportDelay: 10 * time.Millisecond, Progress: []string{"Forwarded"},
		Statuses: map[string]string{"4477": "Expired", "447700": "Rejected"}})
	code, env := submit(t, s, submitReq(rel5, "447700900123", "447799900123", "15550100001"))
	rsp, ok := env.Body.(*mm7.SubmitRsp)
	// The relay answers in its own release (REL-6-MM7-1-4 by default).
	if code != 200 || !ok || rsp.Status.Code != 1000 || rsp.MessageID == "" || env.TransactionID != "t-1" ||
		env.Namespace != mm7.DefaultNamespace || rsp.MM7Version != "6.8.0" {
		t.Fatalf("HTTP %d %+v", code, env)
	}
	reports, err := s.WaitReports(context.Background(), 6)
	if err != nil {
		t.Fatal(err)
	}
	final := map[string]string{}
	for _, r := range reports {
		if r.Err != nil || r.Request.MessageID != rsp.MessageID || r.Request.Sender.Value != "7788" || r.Request.Sender.Kind != mm7.ShortCode {
			t.Errorf("report %+v %v", r.Request, r.Err)
		}
		if r.Request.MMStatus != "Forwarded" {
			final[r.Request.Recipient.Value] = r.Request.MMStatus
		}
	}
	// The longest prefix decides; others draw from the mix (all Retrieved).
	if final["447700900123"] != "Rejected" || final["447799900123"] != "Expired" || final["15550100001"] != "Retrieved" {
		t.Errorf("final statuses %v", final)
	}
}

// TestSimulatorDocuments round-trips what the simulator writes and keeps
// it as a golden file: the report as posted (times and ids fixed), then
// the same document read and written back by lib/mm7.
func TestSimulatorDocuments(t *testing.T) {
	v := newVASP(t)
	s := start(t, Options{ReportURL: v.srv.URL, ReportDelay: time.Millisecond, Mix: map[string]int{"Expired": 1}, Schema: "REL-6-MM7-1-1"})
	submit(t, s, submitReq(mm7.NamespaceBase+"REL-6-MM7-1-1", "15550100001"))
	reports, err := s.WaitReports(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(reports[0].Document)
	doc = regexp.MustCompile(`(<MessageID>|>dr-)[0-9A-F]{14}<`).ReplaceAllString(doc, "${1}ID<")
	doc = regexp.MustCompile(`<Date>[^<]*</Date>`).ReplaceAllString(doc, "<Date>2026-01-01T00:00:00Z</Date>")
	env, err := mm7.Decode("text/xml", []byte(doc), mm7.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	_, back, err := mm7.Style{}.Encode(env)
	if err != nil {
		t.Fatal(err)
	}
	if string(back) != doc {
		t.Errorf("report does not round-trip:\n%s\n---\n%s", doc, back)
	}
	golden := "testdata/deliveryreport.txt"
	got := "Content-Type: text/xml; charset=utf-8\n\n" + doc + "----------\n" + string(back)
	if *update {
		os.WriteFile(golden, []byte(got), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("simulator report changed:\n%s", got)
	}
}

func TestRefusals(t *testing.T) {
	s := start(t, Options{User: "vasp", Password: "pw", VASPID: "harbour", MaxSize: 4096,
		Reject: map[string]int{"1555000": mm7.AddressNotFound, "1555999": mm7.NotPossible}})
	if code, _ := submit(t, s, submitReq(rel5, "1")); code != http.StatusUnauthorized {
		t.Errorf("no credentials: HTTP %d", code)
	}
	auth := []string{"vasp", "pw"}
	for _, c := range []struct {
		env       *mm7.Envelope
		http, sc  int
		faultCode string
	}{
		{submitReq(rel5, "15550001234"), 200, mm7.AddressNotFound, ""},
		{submitReq(rel5, "15559991234"), 200, mm7.NotPossible, ""},
		{submitReq(rel5, "1555-BAD"), 200, mm7.AddressError, ""},
		{submitReq("http://example.com/my-mm7", "1"), 500, mm7.UnsupportedVersion, "Client"},
		{&mm7.Envelope{TransactionID: "x", Namespace: rel5, Body: &mm7.ReadReplyRsp{MM7Version: "5.3.0", Status: mm7.NewStatus(1000)}}, 500, mm7.UnsupportedOperation, "Client"},
		{func() *mm7.Envelope { e := submitReq(rel5, "1"); e.Body.(*mm7.SubmitReq).VASPID = "other"; return e }(), 200, mm7.ImproperIdentification, ""},
		// An MM without content is refused as malformed.
		{func() *mm7.Envelope { e := submitReq(rel5, "1"); e.Body.(*mm7.SubmitReq).Content = nil; return e }(), 200, mm7.MessageFormatCorrupt, ""},
		{func() *mm7.Envelope {
			e := submitReq(rel5, "1")
			e.Body.(*mm7.SubmitReq).Content.Body = bytes.Repeat([]byte("x"), 5000)
			return e
		}(), 500, mm7.MultimediaContentRefused, "Client"},
	} {
		code, env := submit(t, s, c.env, auth...)
		var st mm7.Status
		switch {
		case env == nil:
			t.Fatalf("HTTP %d, no MM7 answer", code)
		case env.Fault != nil:
			st = env.Fault.Detail.Status
			if env.Fault.Code != c.faultCode {
				t.Errorf("faultcode %s, want %s", env.Fault.Code, c.faultCode)
			}
		default:
			st = env.Body.(*mm7.SubmitRsp).Status
		}
		if code != c.http || st.Code != c.sc {
			t.Errorf("HTTP %d %s, want %d %d", code, st, c.http, c.sc)
		}
	}
	// SenderIdentification is mandatory.
	noSI := `<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body><SubmitReq xmlns="` + rel5 +
		`"><MM7Version>5.3.0</MM7Version><Recipients><To><Number>1</Number></To></Recipients></SubmitReq></env:Body></env:Envelope>`
	code, env := postRaw(t, s.URL(), "text/xml", []byte(noSI), auth...)
	if code != 500 || env == nil || env.Fault == nil || env.Fault.Detail.Status.Code != mm7.ValidationError {
		t.Errorf("no SenderIdentification: HTTP %d %+v", code, env)
	}
	code, env = postRaw(t, s.URL(), "text/xml", []byte("<not-soap/>"), auth...)
	if code != 500 || env == nil || env.Fault == nil || env.Fault.Detail.Status.Code != mm7.ValidationError {
		t.Errorf("garbage: HTTP %d %+v", code, env)
	}
}

func TestReportRetried(t *testing.T) {
	v := newVASP(t)
	v.answer.Store(mm7.ServerError)
	s := start(t, Options{ReportURL: v.srv.URL, ReportDelay: time.Millisecond, ReportAttempts: 3})
	submit(t, s, submitReq(rel5, "15550100001"))
	reports, err := s.WaitReports(context.Background(), 3)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range reports {
		if r.Attempt != i+1 || r.Err == nil || !strings.Contains(r.Err.Error(), "3000") {
			t.Errorf("attempt %d: %+v", i+1, r)
		}
	}
	time.Sleep(50 * time.Millisecond)
	if n := len(s.Reports()); n != 3 {
		t.Errorf("%d posts, want 3 and then no more", n)
	}
}

func TestMix(t *testing.T) {
	mix, err := ParseMix("retrieved=8, Expired=1,Rejected=1")
	if err != nil || mix["Retrieved"] != 8 || mix["Expired"] != 1 || mix["Rejected"] != 1 {
		t.Fatalf("%v %v", mix, err)
	}
	if _, err := ParseMix("Retrieved"); err == nil {
		t.Error("an item without a weight was taken")
	}
	s := New(Options{Mix: mix, Seed: 7}, nil)
	n := map[string]int{}
	for i := 0; i < 10000; i++ {
		n[s.draw()]++
	}
	if n["Retrieved"] < 7600 || n["Retrieved"] > 8400 || n["Expired"] < 800 || n["Rejected"] < 800 {
		t.Errorf("draws %v for weights 8:1:1", n)
	}
	a, b := New(Options{Mix: mix, Seed: 7}, nil), New(Options{Mix: mix, Seed: 7}, nil)
	for i := 0; i < 50; i++ {
		if a.draw() != b.draw() {
			t.Fatal("a seeded mix is not repeatable")
		}
	}
}

// A Release 5 relay refuses a Release 6 request (4002) and answers and
// reports in its own release whatever older one the VASP wrote.
func TestOwnRelease(t *testing.T) {
	v := newVASP(t)
	s := start(t, Options{Schema: "REL-5-MM7-1-2", ReportURL: v.srv.URL, ReportDelay: time.Millisecond})
	code, env := submit(t, s, submitReq(mm7.DefaultNamespace, "15550100001"))
	if code != 500 || env == nil || env.Fault == nil || env.Fault.Detail.Status.Code != mm7.UnsupportedVersion || env.Namespace != rel5 {
		t.Fatalf("REL-6 request: HTTP %d %+v", code, env)
	}
	code, env = submit(t, s, submitReq(mm7.NamespaceBase+"REL-5-MM7-1-0", "15550100001"))
	rsp, ok := env.Body.(*mm7.SubmitRsp)
	if code != 200 || !ok || rsp.Status.Code != 1000 || env.Namespace != rel5 || rsp.MM7Version != "5.5.0" {
		t.Fatalf("REL-5-MM7-1-0 request: HTTP %d %+v", code, env)
	}
	reports, err := s.WaitReports(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(reports[0].Document), `xmlns="`+rel5+`"`) || reports[0].Request.MM7Version != "5.5.0" {
		t.Errorf("report not in the relay's release:\n%s", reports[0].Document)
	}
}

// Relays echo the sender in their own ways; sender_echo models each.
func TestSenderEcho(t *testing.T) {
	sc := mm7.Address{Kind: mm7.ShortCode, Value: "7788"}
	rcpt := mm7.Address{Kind: mm7.Number, Value: "15550100001"}
	for mode, want := range map[string][2]mm7.Address{
		EchoAsIs:    {sc, rcpt},
		EchoPlus:    {{Kind: mm7.Number, Value: "+7788"}, rcpt},
		EchoPLMN:    {{Kind: mm7.Number, Value: "7788/TYPE=PLMN"}, rcpt},
		EchoSwapped: {rcpt, sc},
		EchoBare:    {{Kind: mm7.ShortCode, Value: "7788", Bare: true}, rcpt},
		EchoRewrite: {{Kind: mm7.Number, Value: "497788"}, rcpt},
	} {
		v := newVASP(t)
		s := start(t, Options{ReportURL: v.srv.URL, ReportDelay: time.Millisecond, SenderEcho: mode})
		submit(t, s, submitReq(rel5, "15550100001"))
		if _, err := s.WaitReports(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
		v.mu.Lock()
		got := v.got[0]
		v.mu.Unlock()
		// What the VASP read off the wire: a bare value has no kind.
		if want[0].Bare {
			want[0].Kind = mm7.Number
		}
		if got.Sender != want[0] || got.Recipient != want[1] {
			t.Errorf("%s: Sender %+v Recipient %+v, want %+v %+v", mode, got.Sender, got.Recipient, want[0], want[1])
		}
	}
}

// duplicate_every posts a report twice; early posts it before the delay,
// as a relay whose report overtakes its SubmitRsp.
func TestDuplicateAndEarlyReports(t *testing.T) {
	v := newVASP(t)
	s := start(t, Options{ReportURL: v.srv.URL, ReportDelay: time.Hour, DuplicateEvery: 1, Early: true})
	submit(t, s, submitReq(rel5, "15550100001"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reports, err := s.WaitReports(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if reports[0].Request != reports[1].Request || reports[0].Err != nil || reports[1].Err != nil {
		t.Errorf("not the same report twice: %+v", reports)
	}
}

// Relays post a report again only when the VASP's trouble may clear (no
// answer, HTTP 5xx, StatusCode 3xxx or 4006), not after a Client fault
// such as 4004: the same document would fail the same way.
func TestReportNotRetriedAfterClientFault(t *testing.T) {
	for code, want := range map[int]int{mm7.ValidationError: 1, mm7.ServiceUnavailable: 3} {
		v := newVASP(t)
		v.answer.Store(int32(code))
		s := start(t, Options{ReportURL: v.srv.URL, ReportDelay: time.Millisecond, ReportAttempts: 3})
		submit(t, s, submitReq(rel5, "15550100001"))
		if _, err := s.WaitReports(context.Background(), want); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		if n := len(s.Reports()); n != want {
			t.Errorf("answer %d: %d posts, want %d", code, n, want)
		}
	}
}
