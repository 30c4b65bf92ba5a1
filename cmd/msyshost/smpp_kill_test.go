package main_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"msyshost/lib/smsc"
)

// TestSIGKILLBetweenSubmitAndReceipt kills the daemon with SIGKILL after
// the SMSC accepted an SMS and the daemon stored it, before the receipt
// came. The SMSC holds the receipt (a handset out of coverage) until the
// daemon runs again: the restarted daemon binds, the SMSC sends the
// receipts, the hooks run once each: the positive one deletes the stored
// copy, the negative one loads it and re-routes it to e-mail (which only
// works when the message was found), and no SMS is submitted twice.
func TestSIGKILLBetweenSubmitAndReceipt(t *testing.T) {
	ctx := context.Background()
	sim := smsc.New(smsc.Options{Hold: true, ReceiptDelay: time.Millisecond, Redeliver: 300 * time.Millisecond,
		OutcomeFor: map[string]string{"1666": "UNDELIV"}}, nil)
	if err := sim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer sim.Stop(ctx)
	host, port := splitAddr(t, sim.Addr())
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "..", "examples", "smpp_hooks.lua"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, dir, "smpp_hooks.lua", string(src))
	write(t, dir, "msyshost.conf", `Data_Directory = "data"
ESMTP_Listener { Listen "127.0.0.1:0" { } }
scriptlet "scriptlet" { script "smpp_hooks" { source = "smpp_hooks" } }
Domain "smpp.example.com" {
  delivery_method = smpp
  smpp_smsc_server = "`+host+`"  smpp_smsc_port = `+port+`
  smpp_registered_delivery = "SMSC_Delivery"
  smpp_esme_address = "12345"
}
`)
	d := startDaemon(t, dir)
	for _, rcpt := range []string{"15551234@smpp.example.com", "16661234@smpp.example.com"} {
		if err := sendOne(smtpAddr(t, d), rcpt); err != nil {
			t.Fatalf("SMTP in refused %s: %v\n%s", rcpt, err, d.logText())
		}
	}
	// Stored (the store hook ran and the copy is durable) and taken off
	// the spool: nothing but the store remembers them now.
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(d.logText(), "spool: delivered") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the SMS never left the spool; log:\n%s", d.logText())
		}
		time.Sleep(10 * time.Millisecond)
	}
	subs := sim.Submissions()
	if len(subs) != 2 {
		t.Fatalf("%d submissions at the SMSC, want 2", len(subs))
	}
	ids := map[string]string{} // destination → message id
	for _, s := range subs {
		ids[s.Dest] = s.ID
		d.until("mstore display MADR-12345 "+s.ID, "Rcpt-To: "+s.Dest+"@smpp.example.com", 5*time.Second)
	}
	d.cmd.Process.Kill()
	<-d.exited
	if sim.Pending() != 2 {
		t.Fatalf("the SMSC holds %d receipts, want 2", sim.Pending())
	}

	d = startDaemon(t, dir)
	if !d.waitLog("SMPP bound", 10*time.Second) {
		t.Fatalf("the restarted daemon did not bind; log:\n%s", d.logText())
	}
	sim.Release()
	for deadline := time.Now().Add(10 * time.Second); sim.Pending() > 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the receipts were never acknowledged; log:\n%s", d.logText())
		}
	}
	count := func(what, id string) int {
		re := regexp.MustCompile(`msg="QA: ` + what + `; [a-z]+ +` + regexp.QuoteMeta(id) + ` [^"]*" script=smpp_hooks source=print`)
		return len(re.FindAllString(d.logText(), -1))
	}
	pos, neg := ids["15551234"], ids["16661234"]
	if n := count("positive SMPP receipt", pos); n != 1 {
		t.Fatalf("the positive hook ran %d times for %s, want once; log:\n%s", n, pos, d.logText())
	}
	if n := count("negative SMPP receipt", neg); n != 1 {
		t.Fatalf("the negative hook ran %d times for %s, want once; log:\n%s", n, neg, d.logText())
	}
	if strings.Contains(d.logText(), "Failed to load message") {
		t.Fatalf("the negative hook did not find the stored message; log:\n%s", d.logText())
	}
	// The re-routed copy waits in the spool for a route to its domain.
	d.until("showqueue all", "john@example.messagesystems.com", 5*time.Second)
	for _, id := range []string{pos, neg} {
		if out, err := d.console("mstore display MADR-12345 " + id); err == nil || !strings.Contains(err.Error(), "no such message") {
			t.Fatalf("the hook did not delete the stored copy %s: %q, %v", id, out, err)
		}
	}
	if n := len(sim.Submissions()); n != 2 {
		t.Fatalf("%d submissions, want 2: an SMS went twice", n)
	}
}

func splitAddr(t *testing.T, addr string) (host, port string) {
	t.Helper()
	i := strings.LastIndex(addr, ":")
	if i < 0 {
		t.Fatalf("address %q has no port", addr)
	}
	return addr[:i], addr[i+1:]
}

// smtpAddr is SMTP in's address from the daemon's start line.
func smtpAddr(t *testing.T, d *daemon) string {
	t.Helper()
	text := d.logText()
	start := strings.Index(text, "msyshost started")
	line := text[start:]
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	for _, f := range strings.Fields(strings.Trim(regexp.MustCompile(`listeners="[^"]*"`).FindString(line), `"`)) {
		if m := smtpListen.FindString(f); m != "" && !strings.Contains(f, "://") {
			return m
		}
	}
	t.Fatalf("no SMTP listener in the start line: %s", line)
	return ""
}

// TestExampleConfigSMSFlow runs the shipped examples/msyshost.conf (its
// ports moved to free ones, so a `make run` elsewhere does not collide)
// and drives what README tells a new user to try: mail in by SMTP
// becomes an SMS to the SMSC simulator the daemon started; its receipt
// comes back; the example hooks delete the delivered one and re-route
// the undelivered one to e-mail, which waits in the spool.
func TestExampleConfigSMSFlow(t *testing.T) {
	dir := t.TempDir()
	conf, err := os.ReadFile(filepath.Join("..", "..", "examples", "msyshost.conf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"smpp_hooks.lua", "mm7_hooks.lua"} {
		src, err := os.ReadFile(filepath.Join("..", "..", "examples", f))
		if err != nil {
			t.Fatal(err)
		}
		write(t, dir, f, string(src))
	}
	text := string(conf)
	for _, fixed := range []string{"127.0.0.1:2525", "2775", "8089", "8090"} {
		if !strings.Contains(text, fixed) {
			t.Fatalf("examples/msyshost.conf no longer has %s; update this test", fixed)
		}
	}
	// The MM7 receiver and MMSC simulator's ports too; one pass, so a new
	// port never matches an old one.
	text = strings.NewReplacer("127.0.0.1:2525", "127.0.0.1:0", "2775", freePort(t),
		"8089", freePort(t), "8090", freePort(t)).Replace(text)
	write(t, dir, "msyshost.conf", text)
	d := startDaemon(t, dir)
	if !d.waitLog("SMPP bound", 10*time.Second) {
		t.Fatalf("the SMPP channel did not bind to the simulator; log:\n%s", d.logText())
	}
	for _, rcpt := range []string{"15551234@smpp.example.com", "16661234@smpp.example.com"} {
		if err := sendOne(smtpAddr(t, d), rcpt); err != nil {
			t.Fatalf("SMTP in refused %s: %v", rcpt, err)
		}
	}
	// The simulator's delay is 2 s.
	if !d.waitLog("QA: positive SMPP receipt", 15*time.Second) || !d.waitLog("QA: negative SMPP receipt", 5*time.Second) {
		t.Fatalf("the receipts' hooks did not run; log:\n%s", d.logText())
	}
	d.until("showqueue all", "john@example.messagesystems.com", 5*time.Second)
	// A receipt is counted once its deliver_sm_resp is on its way.
	counts := regexp.MustCompile(`smpp\.example\.com .* bound .*\s2\s+0\s+2\s`)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		out, _ := d.console("smpp status")
		if counts.MatchString(out) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("smpp status does not count 2 submits and 2 receipts:\n%s", out)
		}
	}
}

// freePort returns a loopback port nothing listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port := splitAddr(t, ln.Addr().String())
	return port
}
