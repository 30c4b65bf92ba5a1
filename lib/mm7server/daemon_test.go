package mm7server_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"msyshost/lib/mm7"
	"msyshost/lib/mm7server"
	"msyshost/lib/mmsc"
	"msyshost/lib/mstore"
	"msyshost/lib/process"
	"msyshost/lib/smsc"
	"msyshost/lib/smtpclient/smtpsink"
	"msyshost/luahost"

	// The daemon's components, as cmd/msyshost imports them.
	_ "msyshost/lib/mm7client"
	_ "msyshost/lib/route"
	_ "msyshost/lib/smppclient"
	_ "msyshost/lib/smtpclient"
	_ "msyshost/lib/smtpserver"
)

// The receiver is what a simulator in the same process reports to.
var _ mmsc.Receiver = (*mm7server.Server)(nil)

// syncBuffer collects the daemon's log lines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// daemon is msyshost built as `msyshost run` builds it, from a config
// like examples/msyshost.conf on free loopback ports: SMTP in, the spool,
// the MM7 channel to the MMSC simulator the config starts, the MM7
// receiver it reports to, the SMPP channel to an SMSC simulator, and SMTP
// out to a receiving server for example.com (where bounces go).
type daemon struct {
	p     *process.Process
	smtp  string
	mmsc  *mmsc.MMSC
	smsc  *smsc.Server
	sink  *smtpsink.Sink
	logs  *syncBuffer
	mu    sync.Mutex
	hooks []string
}

// freePort returns a loopback address nothing listens on: the simulator's
// port must be in the config before the daemon starts, since the MM7
// domain's routes name it.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// script is one module of the daemon's scriptlet stanza.
type script struct{ name, source string }

// exampleScripts are the example config's modules.
func exampleScripts(t *testing.T) []script {
	var out []script
	for _, name := range []string{"smpp_hooks", "mm7_hooks"} {
		src, err := os.ReadFile(filepath.Join("..", "..", "examples", name+".lua"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, script{name, string(src)})
	}
	return out
}

// startDaemon starts the daemon with scripts as its modules, in order.
func startDaemon(t *testing.T, scripts ...script) *daemon {
	t.Helper()
	dir := t.TempDir()
	d := &daemon{logs: &syncBuffer{}}
	var err error
	if d.sink, err = smtpsink.Start(smtpsink.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.sink.Close)
	d.smsc = smsc.New(smsc.Options{Addr: "127.0.0.1:0", ReceiptDelay: 20 * time.Millisecond}, nil)
	if err := d.smsc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.smsc.Stop(context.Background()) })
	smscHost, smscPort, _ := net.SplitHostPort(d.smsc.Addr())
	simAddr := freePort(t)
	_, simPort, _ := net.SplitHostPort(simAddr)
	var stanzas string
	for _, sc := range scripts {
		if err := os.WriteFile(filepath.Join(dir, sc.name+".lua"), []byte(sc.source), 0o600); err != nil {
			t.Fatal(err)
		}
		stanzas += ` script "` + sc.name + `" { source = "` + sc.name + `" }`
	}
	conf := `
Data_Directory = "` + filepath.Join(dir, "data") + `"
Hostname = "mta.msyshost.test"
Control_Listener { Listen "` + filepath.Join(dir, "data", "c.sock") + `" { } }
ESMTP_Listener { Listen "127.0.0.1:0" { } }
scriptlet "scriptlet" {` + stanzas + ` }
Domain "mm7.example.com" {
  delivery_method = "mm7"
  routes = ( "mm7://127.0.0.1/mm7?port=` + simPort + `" )
  mm7_vaspid = "msyshost"
  mm7_sender_address = "4321"
  mm7_delivery_report = true
}
Domain "smpp.example.com" {
  delivery_method = "smpp"
  smpp_smsc_server = "` + smscHost + `"
  smpp_smsc_port = ` + smscPort + `
  smpp_registered_delivery = "SMSC_Delivery"
  smpp_esme_address = "12345"
}
Domain "example.com" { Gateway = "` + d.sink.Addr + `" }
mm7_serv { mm7_vasp_uri_paths = ( "/mm7/" ) }
HTTP_Listener { Listen "127.0.0.1:0" { } }
MMSC_Simulator {
  listen = "` + simAddr + `"
  delay = 20ms
  status = [ "1555000" = "Expired" "1555111" = "Rejected" ]
}
`
	cfgFile := filepath.Join(dir, "msyshost.conf")
	if err := os.WriteFile(cfgFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d.p, err = process.Build(ctx, process.Options{
		Mode: process.Daemon, ConfigFile: cfgFile,
		// A report for a message not (yet) stored waits this long for its
		// save; the daemon's 5 s would only slow the unknown-id test.
		ParkTimeout: 300 * time.Millisecond,
		Logger:      slog.New(slog.NewTextHandler(d.logs, nil)),
		OnHook: func(hook string, _ []any, res luahost.Result) {
			d.mu.Lock()
			defer d.mu.Unlock()
			for _, c := range res.Calls {
				d.hooks = append(d.hooks, c.Hook+" -> "+strconv.Itoa(c.Code))
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := d.p.Stop(ctx); err != nil {
			t.Errorf("stopping the daemon: %v", err)
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", d.logs.String())
		}
	})
	for _, c := range d.p.Components() {
		if s, ok := c.(*mmsc.MMSC); ok {
			d.mmsc = s
		}
	}
	for _, l := range d.p.Listeners() {
		if strings.HasPrefix(l, "127.0.0.1:") {
			d.smtp = l
		}
	}
	if d.mmsc == nil || d.smtp == "" {
		t.Fatalf("the config's MMSC simulator or SMTP in did not start: listeners %v", d.p.Listeners())
	}
	return d
}

// send submits a mail by SMTP, as a client of the daemon would.
func (d *daemon) send(t *testing.T, from, to, body string) {
	t.Helper()
	c, err := smtp.Dial(d.smtp)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendMail(from, []string{to}, strings.NewReader(body)); err != nil {
		t.Fatalf("SMTP in refused: %v", err)
	}
	c.Quit()
}

// receiver is the URL of the daemon's MM7 receiver.
func (d *daemon) receiver(t *testing.T) string {
	for _, l := range d.p.Listeners() {
		if strings.HasSuffix(l, "/mm7/") {
			return l
		}
	}
	t.Fatalf("no MM7 receiver among %v", d.p.Listeners())
	return ""
}

func (d *daemon) hookCalls() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.hooks...)
}

// eventually polls cond until it holds or 15 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// submission waits for the simulator to accept an MMS to rcpt and returns
// its MessageID.
func (d *daemon) submission(t *testing.T, rcpt string) string {
	t.Helper()
	var id string
	eventually(t, "the MMSC accepted an MMS to "+rcpt, func() bool {
		for _, s := range d.mmsc.Submissions() {
			if s.MessageID != "" && len(s.Request.Recipients.To) == 1 && s.Request.Recipients.To[0].Value == rcpt {
				id = s.MessageID
				return true
			}
		}
		return false
	})
	return id
}

// reportTaken waits until the simulator's report of id was answered and
// returns the answer.
func (d *daemon) reportTaken(t *testing.T, id string) mmsc.Report {
	t.Helper()
	var got mmsc.Report
	eventually(t, "the delivery report of "+id+" was answered", func() bool {
		for _, r := range d.mmsc.Reports() {
			if r.Request.MessageID == id {
				got = r
				return true
			}
		}
		return false
	})
	return got
}

func (d *daemon) stored(t *testing.T, bucket, id string) bool {
	t.Helper()
	_, err := d.p.Store.Load(context.Background(), mstore.Key{Bucket: bucket, ID: id})
	if err != nil && !errors.Is(err, mstore.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

const mms = "From: promo@example.com\r\nTo: %s\r\nSubject: Holiday\r\n\r\npicture of the harbour\r\n"

func mail(to string) string { return strings.Replace(mms, "%s", to, 1) }

// TestDaemonNegativeReportReroutesToSMPP runs the MMS flow of `make run`
// with examples/mm7_hooks.lua: mail in by SMTP, out by MM7 to the MMSC
// simulator, stored under MADR-4321 until the simulator's Expired report
// reaches the daemon's receiver; the hook re-routes the message to an SMPP
// domain, and the SMS reaches the SMSC simulator, whose receipt the daemon
// takes. A second MMS is retrieved and its copy deleted.
func TestDaemonNegativeReportReroutesToSMPP(t *testing.T) {
	d := startDaemon(t, exampleScripts(t)...)
	d.send(t, "promo@example.com", "15550001234@mm7.example.com", mail("15550001234@mm7.example.com"))
	d.send(t, "promo@example.com", "15552221234@mm7.example.com", mail("15552221234@mm7.example.com"))

	expired, retrieved := d.submission(t, "15550001234"), d.submission(t, "15552221234")
	for _, id := range []string{expired, retrieved} {
		r := d.reportTaken(t, id)
		if r.Err != nil {
			t.Fatalf("report of %s not taken: %v", id, r.Err)
		}
		rsp, ok := r.Answer.Body.(*mm7.DeliveryReportRsp)
		if !ok || rsp.Status.Code != mm7.Success {
			t.Fatalf("report of %s answered %+v", id, r.Answer)
		}
	}
	var sms smsc.Submission
	eventually(t, "the re-routed message reached the SMSC", func() bool {
		for _, s := range d.smsc.Submissions() {
			sms = s
			return true
		}
		return false
	})
	if sms.Dest != "12405678910" || sms.Source != "12345" || !strings.Contains(sms.Text, "picture of the harbour") {
		t.Errorf("SMS %q from %q to %q", sms.Text, sms.Source, sms.Dest)
	}
	// The SMS is stored under its SMSC id until the SMSC's receipt, which
	// smpp_hooks.lua's positive hook deletes.
	eventually(t, "the SMSC's receipt ran smpp_handle_DR_positive", func() bool {
		return strings.Contains(strings.Join(d.hookCalls(), ", "), "smpp_handle_DR_positive")
	})
	if d.stored(t, "MADR-4321", expired) || d.stored(t, "MADR-4321", retrieved) || d.stored(t, "MADR-12345", sms.ID) {
		t.Error("a stored message survived its final report")
	}
	calls := strings.Join(d.hookCalls(), ", ")
	for _, want := range []string{"mm7_handle_DR_negative -> 3", "mm7_handle_DR_positive -> 0", "smpp_store_submit -> 0"} {
		if !strings.Contains(calls, want) {
			t.Errorf("hook calls %s, want %s among them", calls, want)
		}
	}
	if msgs := d.sink.Messages(); len(msgs) != 0 {
		t.Errorf("a handled report bounced: %+v", msgs)
	}
}

// TestDaemonContinueBounces: a negative report whose hook returns
// MM7_CONTINUE bounces to the original sender, and the bounce leaves the
// daemon by SMTP for the sender's domain.
func TestDaemonContinueBounces(t *testing.T) {
	d := startDaemon(t, script{"hooks", `
local hooks = {}
function hooks:mm7_handle_DR_negative(trx, bucket, msgid)
  print("MM7 " .. trx.status .. " for " .. trx.recipient .. " via " .. trx.sender .. "; bouncing")
  return msys.mms.MM7_CONTINUE
end
msys.registerModule("hooks", hooks)
`})
	d.send(t, "promo@example.com", "15551111234@mm7.example.com", mail("15551111234@mm7.example.com"))
	id := d.submission(t, "15551111234")
	if r := d.reportTaken(t, id); r.Err != nil {
		t.Fatalf("report not taken: %v", r.Err)
	}
	msgs, ok := d.sink.Wait(1, 15*time.Second)
	if !ok {
		t.Fatal("no bounce reached the sender's server")
	}
	b := msgs[0]
	if b.From != "" || len(b.To) != 1 || b.To[0] != "promo@example.com" {
		t.Fatalf("bounce from %q to %v", b.From, b.To)
	}
	if !bytes.Contains(b.Data, []byte("15551111234@mm7.example.com")) || !bytes.Contains(b.Data, []byte("multipart/report")) {
		t.Errorf("bounce does not report the MMS recipient:\n%s", b.Data)
	}
	if d.stored(t, "MADR-4321", id) {
		t.Error("the bounced MMS is still stored")
	}
	if !strings.Contains(d.logs.String(), "MM7 Rejected for 15551111234 via 4321; bouncing") {
		t.Errorf("the hook's trx was not what the report said; log:\n%s", d.logs.String())
	}
}

// TestDaemonReportsUnknownAndMalformed posts to the daemon's receiver as a
// relay would: a report for a MessageID msyshost never stored is
// acknowledged with StatusCode 1000 and logged, and runs no hook; a
// malformed one gets a SOAP Fault with a VASPErrorRsp.
func TestDaemonReportsUnknownAndMalformed(t *testing.T) {
	d := startDaemon(t, exampleScripts(t)...)
	url := d.receiver(t)

	ct, body, err := mm7.Style{}.Encode(report("NEVER-SEEN-1", mm7.MMStatusExpired, shortcode4321))
	if err != nil {
		t.Fatal(err)
	}
	code, env := post(t, url, ct, body)
	rsp, ok := env.Body.(*mm7.DeliveryReportRsp)
	if code != http.StatusOK || !ok || rsp.Status.Code != mm7.Success {
		t.Fatalf("unknown MessageID: HTTP %d %+v", code, env)
	}
	if env.TransactionID != "tx-NEVER-SEEN-1" {
		t.Errorf("answer's TransactionID %q, want the request's", env.TransactionID)
	}
	if !strings.Contains(d.logs.String(), "message_id=NEVER-SEEN-1") || !strings.Contains(d.logs.String(), "does not know") {
		t.Errorf("no log line names the unknown report; log:\n%s", d.logs.String())
	}
	if calls := d.hookCalls(); len(calls) != 0 {
		t.Errorf("hooks ran for an unknown message: %v", calls)
	}

	code, env = post(t, url, "text/xml; charset=utf-8", []byte(`<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body><DeliveryReportReq>`))
	if code != http.StatusInternalServerError || env == nil || env.Fault == nil || env.Fault.Detail == nil || !env.Fault.Detail.VASP {
		t.Fatalf("malformed report: HTTP %d %+v", code, env)
	}
	if c := env.Fault.Detail.Status.Code; c != mm7.ValidationError {
		t.Errorf("malformed report answered StatusCode %d, want %d (validation error)", c, mm7.ValidationError)
	}
	if calls := d.hookCalls(); len(calls) != 0 {
		t.Errorf("hooks ran for a malformed report: %v", calls)
	}
}

// TestDaemonRefusesBadMM7Config: what the MM7 components cannot work with
// stops the start with where it was written, not the first message.
func TestDaemonRefusesBadMM7Config(t *testing.T) {
	for conf, want := range map[string]string{
		"Domain \"mm7.example.com\" {\n  delivery_method = \"mm7\"\n}\n":                                                             `m.conf:2:1: Domain "mm7.example.com" (delivery_method mm7): no MMSC for domain "mm7.example.com": set routes`,
		"Domain \"mm7.example.com\" {\n  delivery_method = \"mm7\"\n  routes = ( \"mm7://h/p\" )\n  mm7_xml_schema = \"REL-9\"\n}\n": `mm7_xml_schema "REL-9" is not an MM7 schema namespace`,
		"MMSC_Simulator { }\n": `m.conf:2:1: MMSC_Simulator posts its delivery reports to the daemon's MM7 receiver, and the config has none: add mm7_serv { } or set report_url`,
	} {
		dir := t.TempDir()
		file := filepath.Join(dir, "m.conf")
		if err := os.WriteFile(file, []byte("Data_Directory = \""+dir+"\"\n"+conf), 0o600); err != nil {
			t.Fatal(err)
		}
		p, err := process.Build(context.Background(), process.Options{Mode: process.Daemon, ConfigFile: file})
		if err == nil {
			p.Stop(context.Background())
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", conf, err, want)
		}
	}
}

// TestExampleConfigMMSFlow runs the shipped examples/msyshost.conf (its
// ports moved to free ones and its simulators' delays shortened) with the
// example scripts, and does what README's "MMS with make run" tells a new
// user to try: an MMS to a 1555000 number expires and comes back as an SMS
// through the SMSC simulator, whose receipt the SMPP hook takes; another
// is retrieved and its copy deleted.
func TestExampleConfigMMSFlow(t *testing.T) {
	dir := t.TempDir()
	conf, err := os.ReadFile(filepath.Join("..", "..", "examples", "msyshost.conf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range exampleScripts(t) {
		if err := os.WriteFile(filepath.Join(dir, s.name+".lua"), []byte(s.source), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	text := string(conf)
	moves := []string{
		`"127.0.0.1:2525"`, `"127.0.0.1:0"`, "2775", port(t), "8089", port(t), "8090", port(t),
		`"data/control.sock"`, `"` + filepath.Join(dir, "control.sock") + `"`,
		"delay = 10s", "delay = 50ms", "delay = 2\n", "delay = 50ms\n",
	}
	for i := 0; i < len(moves); i += 2 {
		if !strings.Contains(text, moves[i]) {
			t.Fatalf("examples/msyshost.conf no longer has %s; update this test", moves[i])
		}
	}
	// One pass, so a new port never matches an old one.
	text = strings.NewReplacer(moves...).Replace(text)
	file := filepath.Join(dir, "msyshost.conf")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	p, err := process.Build(context.Background(), process.Options{Mode: process.Daemon, ConfigFile: file,
		DataDir: filepath.Join(dir, "data"), Logger: slog.New(slog.NewTextHandler(logs, nil))})
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
		if t.Failed() {
			t.Logf("daemon log:\n%s", logs.String())
		}
	})
	d := &daemon{p: p, logs: logs}
	for _, l := range p.Listeners() {
		if strings.HasPrefix(l, "127.0.0.1:") {
			d.smtp = l
		}
	}
	d.send(t, "promo@example.com", "15550001234@mm7.example.com", mail("15550001234@mm7.example.com"))
	d.send(t, "promo@example.com", "15552221234@mm7.example.com", mail("15552221234@mm7.example.com"))
	for _, want := range []string{
		"QA: MM7 Expired for 15550001234; re-route",
		"QA: MM7 Retrieved by 15552221234; delete",
		"delivery_failure@test.com to=12405678910@smpp.example.com",
		"QA: positive SMPP receipt",
	} {
		eventually(t, "the log says "+want, func() bool { return strings.Contains(logs.String(), want) })
	}
}

func port(t *testing.T) string {
	_, p, _ := net.SplitHostPort(freePort(t))
	return p
}
