package smsc_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linxGnu/gosmpp"
	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"

	"msyshost/lib/smpp"
	"msyshost/lib/smsc"
)

// linxGnu/gosmpp, an ESME nobody here wrote, binds to the simulator,
// submits a UCS-2 message and gets its receipt: the simulator decodes what
// another encoder wrote, and what it sends reads back in another decoder.
func TestGosmppAgainstTheSimulator(t *testing.T) {
	sim := smsc.New(smsc.Options{ReceiptDelay: 10 * time.Millisecond, TrailingNUL: true}, nil)
	if err := sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer sim.Stop(context.Background())

	var mu sync.Mutex
	var ids []string
	receipts := make(chan *pdu.DeliverSM, 4)
	sess, err := gosmpp.NewSession(
		gosmpp.TRXConnector(gosmpp.NonTLSDialer, gosmpp.Auth{SMSC: sim.Addr(), SystemID: "gosmpp", Password: "pw"}),
		gosmpp.Settings{
			ReadTimeout: 5 * time.Second,
			OnPDU: func(p pdu.PDU, _ bool) {
				switch pd := p.(type) {
				case *pdu.SubmitSMResp:
					mu.Lock()
					ids = append(ids, pd.MessageID)
					mu.Unlock()
				case *pdu.DeliverSM:
					receipts <- pd
				}
			},
		}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()

	text := "Привет, €uro — ünïcödé"
	sm := pdu.NewSubmitSM().(*pdu.SubmitSM)
	src, dst := pdu.NewAddress(), pdu.NewAddress()
	_ = src.SetAddress("12345")
	dst.SetTon(1)
	dst.SetNpi(1)
	_ = dst.SetAddress("15551234")
	sm.SourceAddr, sm.DestAddr = src, dst
	_ = sm.Message.SetMessageWithEncoding(text, data.UCS2)
	sm.RegisteredDelivery = 1
	if err := sess.Transceiver().Submit(sm); err != nil {
		t.Fatal(err)
	}
	var d *pdu.DeliverSM
	select {
	case d = <-receipts:
	case <-time.After(5 * time.Second):
		t.Fatal("no receipt")
	}
	subs := sim.Submissions()
	if len(subs) != 1 || subs[0].Text != text || subs[0].Dest != "15551234" {
		t.Fatalf("simulator read %+v", subs)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ids) != 1 || ids[0] != subs[0].ID {
		t.Fatalf("gosmpp got ids %v, simulator gave %s", ids, subs[0].ID)
	}
	f, ok := d.OptionalParameters[pdu.TagReceiptedMessageID]
	if !ok || strings.TrimRight(string(f.Data), "\x00") != ids[0] || !strings.HasSuffix(string(f.Data), "\x00\x00") {
		t.Fatalf("receipted_message_id %q for id %s", f.Data, ids[0])
	}
	msg, err := d.Message.GetMessage()
	if err != nil || !strings.Contains(msg, "id:"+ids[0]) || !strings.Contains(msg, "stat:DELIVRD") {
		t.Fatalf("receipt text %q, %v", msg, err)
	}
	if d.EsmClass&smpp.EsmTypeMask != smpp.EsmDeliveryRcpt {
		t.Fatalf("esm_class 0x%02X", d.EsmClass)
	}
}
