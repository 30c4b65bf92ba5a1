package mmsc

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"msyshost/lib/config"
	"msyshost/lib/mm7"
)

// A scenario's simulator: the MessageID it is told, no report until asked,
// then one post per recipient with the status asked for, to the URL
// ReportTo names at that moment.
func TestManualReports(t *testing.T) {
	v := newVASP(t)
	var url atomic.Pointer[string]
	s := start(t, Options{Manual: true, ReportDelay: time.Millisecond,
		ReportTo: func() string {
			if u := url.Load(); u != nil {
				return *u
			}
			return ""
		}})
	s.NextMessageID("scenario-1")
	_, env := submit(t, s, submitReq(rel5, "15550100001", "15550100002"))
	if rsp := env.Body.(*mm7.SubmitRsp); rsp.MessageID != "scenario-1" {
		t.Fatalf("MessageID %q, want the one given", rsp.MessageID)
	}
	_, env = submit(t, s, submitReq(rel5, "15550100003"))
	if id := env.Body.(*mm7.SubmitRsp).MessageID; id == "" || id == "scenario-1" {
		t.Fatalf("second MessageID %q, want a fresh one", id)
	}
	time.Sleep(20 * time.Millisecond)
	if n := len(s.Reports()); n != 0 {
		t.Fatalf("%d reports posted unasked", n)
	}
	if _, err := s.Report(context.Background(), "scenario-1", "expired"); err == nil || !strings.Contains(err.Error(), "no report URL") {
		t.Fatalf("report with no receiver listening: %v", err)
	}
	u := v.srv.URL
	url.Store(&u)
	rs, err := s.Report(context.Background(), "scenario-1", "expired")
	if err != nil || len(rs) != 2 {
		t.Fatalf("%d reports, %v", len(rs), err)
	}
	for i, r := range rs {
		if r.Request.MMStatus != mm7.MMStatusExpired || r.Request.Recipient.Value != "1555010000"+string(rune('1'+i)) ||
			r.Request.Sender.Value != "7788" || r.Answer == nil {
			t.Errorf("report %d: %+v", i, r.Request)
		}
	}
	if _, err := s.Report(context.Background(), "never-given", "Retrieved"); err == nil || !strings.Contains(err.Error(), "accepted no submission") {
		t.Errorf("report on an unknown MessageID: %v", err)
	}
	v.answer.Store(mm7.ServerError)
	if _, err := s.Report(context.Background(), "scenario-1", "Retrieved"); err == nil || !strings.Contains(err.Error(), "3000") {
		t.Errorf("a report the VASP refuses: %v", err)
	}
}

func simulatorScope(t *testing.T, body string) *config.Node {
	t.Helper()
	cfg, err := config.Parse("sim.conf", []byte("MMSC_Simulator {\n"+body+"\n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Check(false); err != nil {
		t.Fatal(err)
	}
	return cfg.Root().Scopes(ScopeKind)[0]
}

func TestOptionsFromConfig(t *testing.T) {
	o, err := OptionsFrom(simulatorScope(t, ""))
	if err != nil || o.Addr != DefaultAddr || o.Path != "/mm7" || o.ReportDelay != time.Second || o.ReportAttempts != 3 || o.MaxSize != 1<<20 {
		t.Fatalf("defaults %+v %v", o, err)
	}
	o, err = OptionsFrom(simulatorScope(t, `
  Listen "127.0.0.1:9999" { }
  path = "/relay"  user = "vasp"  password = "pw"  vaspid = "harbour"
  report_url = "http://127.0.0.1:1/dr"  delay = 250ms  attempts = 5  seed = 9
  mix = [ retrieved = 8 Expired = 2 ]
  progress = ( forwarded )
  status = [ "1555000" = "DeliveryConditionNotMet" ]
  reject = [ "1555999" = 3001 ]`))
	if err != nil {
		t.Fatal(err)
	}
	if o.Addr != "127.0.0.1:9999" || o.Path != "/relay" || o.User != "vasp" || o.VASPID != "harbour" ||
		o.ReportURL != "http://127.0.0.1:1/dr" || o.ReportDelay != 250*time.Millisecond || o.ReportAttempts != 5 || o.Seed != 9 ||
		o.Mix["Retrieved"] != 8 || o.Mix["Expired"] != 2 || len(o.Progress) != 1 || o.Progress[0] != "Forwarded" ||
		o.Statuses["1555000"] != "DeliveryConditionNotMet" || o.Reject["1555999"] != 3001 {
		t.Errorf("read %+v", o)
	}
	for body, want := range map[string]string{
		`mix = [ Retreived = 1 ]`:                `sim.conf:2:3: mix: "Retreived" is not an MMStatus (Deferred, DeliveryConditionNotMet, Expired, Forwarded, Indeterminate, Rejected, Retrieved, Unrecognised); did you mean Retrieved?`,
		`mix = [ Retrieved = many ]`:             `sim.conf:2:3: mix: weight of Retrieved must be a whole number, found "many"`,
		`reject = [ "1" = 1000 ]`:                `sim.conf:2:3: reject: 1 = "1000" is not a StatusCode (2000-9999)`,
		`path = "mm7"`:                           `sim.conf:2:3: path "mm7" must start with /`,
		`delay = 0`:                              `sim.conf:2:3: delay must be more than 0`,
		"Listen \"a:1\" { }\nListen \"b:2\" { }": `sim.conf:3:1: MMSC_Simulator listens on one address`,
	} {
		if _, err := OptionsFrom(simulatorScope(t, "  "+body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", body, err, want)
		}
	}
}
