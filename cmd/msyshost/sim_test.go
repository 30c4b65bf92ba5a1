package main_test

import (
	"bufio"
	"context"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"msyshost/lib/smpp"
)

// `msyshost sim smsc` answers a bind and a submit over a real socket with
// a hex id, and sends a decimal-id receipt with the configured outcome:
// the mix's, or the one fixed for the destination's prefix.
func TestSimSMSC(t *testing.T) {
	cmd := exec.Command(binary, "sim", "smsc", "--listen", "127.0.0.1:0", "--id-format", "hexadecimal",
		"--receipt-id-format", "decimal", "--outcomes", "REJECTD=1", "--outcome-for", "1666=UNDELIV,15551=EXPIRED", "--delay", "10ms", "--receipt", "text")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.Contains(line, "listening on ") {
		t.Fatalf("first line %q, %v", line, err)
	}
	addr := strings.TrimSpace(line[strings.LastIndex(line, " ")+1:])
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	conn := smpp.NewConn(nc)
	defer conn.Close()
	receipts := make(chan *smpp.SM, 1)
	go conn.Serve(func(p *smpp.PDU) {
		if p.ID == smpp.DeliverSM {
			conn.Respond(p, smpp.ROK, nil)
			receipts <- p.Body.(*smpp.SM)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := conn.Request(ctx, smpp.BindTransceiver, &smpp.Bind{ID: smpp.BindTransceiver, SystemID: "a", InterfaceVersion: smpp.Version34})
	if err != nil || resp.Status != smpp.ROK {
		t.Fatalf("bind: %v, %v", resp, err)
	}
	for _, c := range []struct{ dest, stat string }{{"15551234", "EXPIRED"}, {"15561234", "REJECTD"}} {
		checkSimReceipt(ctx, t, conn, receipts, c.dest, c.stat)
	}
}

func checkSimReceipt(ctx context.Context, t *testing.T, conn *smpp.Conn, receipts chan *smpp.SM, dest, stat string) {
	t.Helper()
	resp, err := conn.Request(ctx, smpp.SubmitSM, &smpp.SM{ID: smpp.SubmitSM, SourceAddr: "12345", DestinationAddr: dest, RegisteredDelivery: 1, ShortMessage: []byte("hi")})
	if err != nil || resp.Status != smpp.ROK {
		t.Fatalf("submit: %v, %v", resp, err)
	}
	id := resp.Body.(*smpp.SMResp).MessageID
	select {
	case sm := <-receipts:
		rc, err := smpp.ParseReceipt(sm)
		if err != nil || rc.Stat != stat || rc.TLVID != "" {
			t.Fatalf("receipt %+v, %v", rc, err)
		}
		a, _ := smpp.IDKey(id, smpp.IDHex, smpp.IDHex)
		b, _ := smpp.IDKey(rc.ID, smpp.IDDecimal, smpp.IDHex)
		if a != b || len(id) != 8 || len(rc.ID) != 10 {
			t.Fatalf("submit id %q and receipt id %q do not meet", id, rc.ID)
		}
	case <-ctx.Done():
		t.Fatal("no receipt")
	}
}
