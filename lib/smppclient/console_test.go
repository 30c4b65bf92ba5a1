package smppclient_test

import (
	"context"
	"strings"
	"testing"

	"msyshost/lib/console"
	"msyshost/lib/smsc"
)

func TestConsoleBindStatus(t *testing.T) {
	hooks := newRecHooks()
	r := newRig(t, smsc.Options{}, hooks, "max_outbound_connections = 2")
	if err := r.ch.Deliver(context.Background(), sms("15550001@"+domain, "x")); err != nil {
		t.Fatal(err)
	}
	hooks.await(t, "smpp_handle_DR_positive", 1)
	con := console.New()
	r.ch.AddConsole(con)
	out, err := con.Exec(context.Background(), "smpp status "+domain)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "bound") || !strings.Contains(out, "#2") || !strings.Contains(out, "transceiver") {
		t.Fatalf("status output:\n%s", out)
	}
	if !strings.Contains(out, "0/10") {
		t.Fatalf("window column missing:\n%s", out)
	}
	r.smsc.Stop(context.Background())
	waitFor(t, func() bool {
		out, _ = con.Exec(context.Background(), "smpp status")
		return strings.Contains(out, "connecting to") || strings.Contains(out, "waiting to reconnect")
	})
	if _, err := con.Exec(context.Background(), "smpp status nowhere.example"); err == nil {
		t.Fatal("unknown domain must be an error")
	}
}
