package smpp_test

import (
	"bytes"
	"testing"

	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"

	"msyshost/lib/smpp"
)

// Our PDUs read back in linxGnu/gosmpp, an implementation nobody here
// wrote, and its PDUs read back in ours.
func TestCrossCheckWithGosmpp(t *testing.T) {
	var tl smpp.TLVs
	tl.SetString(smpp.TagReceiptedMessageID, "a1b2")
	tl.SetUint8(smpp.TagMessageState, 5)
	ours := &smpp.PDU{Header: smpp.Header{ID: smpp.DeliverSM, Seq: 77}, Body: &smpp.SM{
		ID: smpp.DeliverSM, SourceAddr: "15551234", DestAddrTON: 1, DestinationAddr: "12345", EsmClass: smpp.EsmDeliveryRcpt,
		ShortMessage: []byte("id:a1b2 stat:UNDELIV"), TLVs: tl,
	}}
	b, err := smpp.Encode(ours)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pdu.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("gosmpp cannot parse our deliver_sm: %v", err)
	}
	d, ok := p.(*pdu.DeliverSM)
	if !ok || d.SequenceNumber != 77 || d.SourceAddr.Address() != "15551234" || d.DestAddr.Address() != "12345" {
		t.Fatalf("gosmpp read %#v", p)
	}
	if f := d.OptionalParameters[pdu.TagReceiptedMessageID]; f.String() != "a1b2" {
		t.Fatalf("receipted_message_id %q", f.Data)
	}
	if msg, _ := d.Message.GetMessage(); msg != "id:a1b2 stat:UNDELIV" {
		t.Fatalf("short_message %q", msg)
	}

	sm := pdu.NewSubmitSM().(*pdu.SubmitSM)
	sm.SequenceNumber = 9
	src, dst := pdu.NewAddress(), pdu.NewAddress()
	_ = src.SetAddress("12345")
	_ = dst.SetAddress("15551234")
	sm.SourceAddr, sm.DestAddr = src, dst
	_ = sm.Message.SetMessageWithEncoding("Ωmega €", data.UCS2)
	sm.RegisteredDelivery = 1
	sm.RegisterOptionalParam(pdu.Field{Tag: pdu.TagSarMsgRefNum, Data: []byte{0x12, 0x34}})
	buf := pdu.NewBuffer(nil)
	sm.Marshal(buf)
	q, err := smpp.Decode(buf.Bytes())
	if err != nil {
		t.Fatalf("our decoder refuses gosmpp's submit_sm: %v", err)
	}
	got := q.Body.(*smpp.SM)
	text, _ := smpp.DecodeText(got.ShortMessage, got.DataCoding)
	ref, _ := got.TLVs.Uint(smpp.TagSarMsgRefNum)
	if q.Seq != 9 || got.SourceAddr != "12345" || got.DestinationAddr != "15551234" || text != "Ωmega €" || got.RegisteredDelivery != 1 || ref != 0x1234 {
		t.Fatalf("read %+v text %q ref %x", got, text, ref)
	}
}
