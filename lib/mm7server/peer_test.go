package mm7server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/mmsc"
	"msyshost/lib/process"
	"msyshost/lib/spool"
	"msyshost/luahost"
)

// scenarioConf is what a scenario's config says: an MM7 domain routed to
// the MMSC simulator it describes, on the simulator's usual port.
const scenarioConf = `
mm7_delivery_report = true
Domain "mm7.example.com" {
  delivery_method = "mm7"
  routes = ( "mm7://127.0.0.1/mm7?port=8090" )
  mm7_sender_address = "4321"
}
MMSC_Simulator {
  listen = "127.0.0.1:8090"
  delay = 20ms
  status = [ "1555000" = "Expired" ]
}
`

// buildScenario builds the process as the scenario runner does, asking
// for the mmsc peer (addr "" for the config's simulator).
func buildScenario(t *testing.T, conf, peerAddr string) (*process.Process, *spool.Recorder) {
	t.Helper()
	cfg, err := config.Parse("scenario (config)", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	rec := &spool.Recorder{}
	p, err := process.Build(context.Background(), process.Options{
		Mode: process.Scenario, Config: cfg, DataDir: t.TempDir(), Outbox: rec,
		Scripts:       []luahost.Script{{Name: "mm7_hooks", Path: examplesScript(t)}},
		Peers:         map[string]string{"mmsc": peerAddr},
		SweepInterval: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		p.Stop(ctx)
	})
	return p, rec
}

func deliverMMS(t *testing.T, p *process.Process, to string) {
	t.Helper()
	ch, ok := p.Channel("mm7")
	if !ok {
		t.Fatal("a scenario with the mmsc peer has no mm7 channel")
	}
	m := message.FromRaw("promo@example.com", to, []byte("Subject: Holiday\r\n\r\npicture\r\n"))
	if err := ch.Deliver(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

func waitInjected(t *testing.T, rec *spool.Recorder) []*message.Message {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if injected, _ := rec.Take(); len(injected) > 0 {
			return injected
		}
		if time.Now().After(deadline) {
			t.Fatal("the negative hook injected nothing")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A scenario asking for the mmsc peer gets the simulator its config
// describes on a free loopback port (not the configured 8090, which a
// `make run` may hold), the MM7 channel's connections for 127.0.0.1:8090
// pointed there, and a receiver on a free port where the simulator
// reports: the Expired report runs mm7_hooks.lua, whose re-route lands in
// the scenario's outbox.
func TestScenarioPeerIsTheConfiguredSimulator(t *testing.T) {
	p, rec := buildScenario(t, scenarioConf, "")
	var sim interface{ Submissions() []mmsc.Submission }
	for _, c := range p.Components() {
		if l, ok := c.(process.Listener); ok && strings.Contains(c.Name(), "mmsc") {
			if addr := l.Listeners()[0]; strings.Contains(addr, ":8090/") {
				t.Errorf("the scenario's simulator listens on the configured port: %s", addr)
			}
		}
		if s, ok := c.(interface{ Submissions() []mmsc.Submission }); ok {
			sim = s
		}
	}
	deliverMMS(t, p, "15550001234@mm7.example.com")
	injected := waitInjected(t, rec)
	if injected[0].RcptTo != "12405678910@smpp.example.com" {
		t.Errorf("injected to %s", injected[0].RcptTo)
	}
	if sim == nil || len(sim.Submissions()) != 1 {
		t.Errorf("the scenario's simulator did not take the submission")
	}
	for _, l := range p.Listeners() {
		if strings.HasSuffix(l, "/mm7/") && strings.Contains(l, ":8089/") {
			t.Errorf("the scenario's receiver listens on the daemon's port: %s", l)
		}
	}
}

// Given an MMSC outside the process instead (msyshost test --peer
// mmsc=ADDR), the scenario starts no simulator and submits there; the
// receiver listens on the configured address for that MMSC's reports.
func TestScenarioPeerOutsideTheProcess(t *testing.T) {
	recvAddr := freePort(t)
	outside := mmsc.New(mmsc.Options{ReportURL: "http://" + recvAddr + "/mm7/", ReportDelay: 20 * time.Millisecond,
		Statuses: map[string]string{"1555000": "Expired"}}, nil)
	if err := outside.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { outside.Stop(context.Background()) })
	p, rec := buildScenario(t, scenarioConf+`HTTP_Listener { Listen "`+recvAddr+`" { } }`+"\n", outside.Addr())
	for _, c := range p.Components() {
		if strings.Contains(c.Name(), "mmsc") {
			t.Errorf("a simulator was started beside the outside MMSC: %s", c.Name())
		}
	}
	deliverMMS(t, p, "15550001234@mm7.example.com")
	waitInjected(t, rec)
	if n := len(outside.Submissions()); n != 1 {
		t.Errorf("the outside MMSC took %d submissions", n)
	}
}
