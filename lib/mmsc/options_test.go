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

// A simulator started with the daemon asks for the receiver's URL when it
// posts, since the receiver listens after it; a report due before that is
// retried like one the VASP did not take.
func TestReportTo(t *testing.T) {
	v := newVASP(t)
	var url atomic.Pointer[string]
	s := start(t, Options{ReportDelay: 5 * time.Millisecond, ReportAttempts: 5,
		ReportTo: func() (string, string, string) {
			if u := url.Load(); u != nil {
				return *u, "", ""
			}
			return "", "", ""
		}})
	submit(t, s, submitReq(rel5, "15550100001"))
	first, err := s.WaitReports(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if first[0].Err == nil || !strings.Contains(first[0].Err.Error(), "no report URL") {
		t.Fatalf("a report with no receiver listening: %+v", first[0])
	}
	u := v.srv.URL
	url.Store(&u)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		rs, err := s.WaitReports(ctx, len(s.Reports())+1)
		if err != nil {
			t.Fatal(err)
		}
		if last := rs[len(rs)-1]; last.Err == nil {
			if last.Attempt < 2 || last.Request.MMStatus != mm7.MMStatusRetrieved {
				t.Errorf("report taken %+v", last)
			}
			break
		}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.got) != 1 {
		t.Errorf("the receiver got %d reports, want 1", len(v.got))
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
	if err != nil || o.Addr != DefaultListen || o.Path != "/mm7" || o.ReportDelay != time.Second || o.ReportAttempts != 3 || o.MaxSize != 1<<20 {
		t.Fatalf("defaults %+v %v", o, err)
	}
	o, err = OptionsFrom(simulatorScope(t, `
  listen = "127.0.0.1:9999"
  path = "/relay"  user = "vasp"  password = "pw"  vaspid = "harbour"
  report_url = "http://127.0.0.1:1/dr"  delay = 250ms  attempts = 5  seed = 9
  mix = [ retrieved = 8 Expired = 2 ]
  progress = ( forwarded )
  status = [ "1555000" = "DeliveryConditionNotMet" ]
  reject = [ "1555999" = 3001 ]
  schema = "REL-5-MM7-1-2"  sender_echo = swapped  duplicate_every = 10  early = true`))
	if err != nil {
		t.Fatal(err)
	}
	if o.Schema != "REL-5-MM7-1-2" || o.SenderEcho != EchoSwapped || o.DuplicateEvery != 10 || !o.Early {
		t.Errorf("relay behaviour %+v", o)
	}
	if o.Addr != "127.0.0.1:9999" || o.Path != "/relay" || o.User != "vasp" || o.VASPID != "harbour" ||
		o.ReportURL != "http://127.0.0.1:1/dr" || o.ReportDelay != 250*time.Millisecond || o.ReportAttempts != 5 || o.Seed != 9 ||
		o.Mix["Retrieved"] != 8 || o.Mix["Expired"] != 2 || len(o.Progress) != 1 || o.Progress[0] != "Forwarded" ||
		o.Statuses["1555000"] != "DeliveryConditionNotMet" || o.Reject["1555999"] != 3001 {
		t.Errorf("read %+v", o)
	}
	for body, want := range map[string]string{
		`mix = [ Retreived = 1 ]`:    `sim.conf:2:3: mix: "Retreived" is not an MMStatus (Deferred, DeliveryConditionNotMet, Expired, Forwarded, Indeterminate, Rejected, Retrieved, Unrecognised); did you mean Retrieved?`,
		`mix = [ Retrieved = many ]`: `sim.conf:2:3: mix: weight of Retrieved must be a whole number, found "many"`,
		`reject = [ "1" = 1000 ]`:    `sim.conf:2:3: reject: 1 = "1000" is not a StatusCode (2000-9999)`,
		`path = "mm7"`:               `sim.conf:2:3: path "mm7" must start with /`,
		`delay = 0`:                  `sim.conf:2:3: delay must be more than 0`,
		`listen = "8090"`:            `sim.conf:2:3: listen "8090" is not host:port`,
		`schema = "REL-7-MM7-1-0"`:   `sim.conf:2:3: schema "REL-7-MM7-1-0" is not an MM7 schema release`,
	} {
		if _, err := OptionsFrom(simulatorScope(t, "  "+body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", body, err, want)
		}
	}
}
