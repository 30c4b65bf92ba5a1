package smpp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func roundTrip(t *testing.T, p *PDU) *PDU {
	t.Helper()
	b, err := Encode(p)
	if err != nil {
		t.Fatalf("Encode %s: %v", p.ID, err)
	}
	q, err := Decode(b)
	if err != nil {
		t.Fatalf("Decode %s: %v", p.ID, err)
	}
	if !reflect.DeepEqual(p, q) {
		t.Fatalf("round trip of %s:\n got %+v\nwant %+v", p.ID, q.Body, p.Body)
	}
	return q
}

func TestRoundTrips(t *testing.T) {
	var tl TLVs
	tl.SetString(TagReceiptedMessageID, "1a2b")
	tl.SetUint8(TagMessageState, 2)
	tl.Set(TagNetworkErrorCode, []byte{3, 0, 1})
	tl.Set(Tag(0x1401), []byte("vendor")) // unknown: carried through
	for _, p := range []*PDU{
		{Header: Header{ID: BindTransceiver, Seq: 1}, Body: &Bind{ID: BindTransceiver, SystemID: "esme", Password: "secret", SystemType: "VMA", InterfaceVersion: Version34, AddrTON: 1, AddrNPI: 1, AddressRange: "^1555"}},
		{Header: Header{ID: BindTransceiverResp, Seq: 1}, Body: &BindResp{ID: BindTransceiverResp, SystemID: "smsc", TLVs: TLVs{{TagSCInterfaceVersion, []byte{0x34}}}}},
		{Header: Header{ID: SubmitSM, Seq: 2}, Body: &SM{ID: SubmitSM, SourceAddr: "12345", DestinationAddr: "15551234", DestAddrTON: 1, DestAddrNPI: 1, RegisteredDelivery: RegDlvSMSC, ValidityPeriod: "000001000000000R", ShortMessage: []byte("hi"), TLVs: TLVs{{TagSarMsgRefNum, []byte{0, 7}}}}},
		{Header: Header{ID: SubmitSMResp, Seq: 2}, Body: &SMResp{ID: SubmitSMResp, MessageID: "0A1B"}},
		{Header: Header{ID: DeliverSM, Seq: 9}, Body: &SM{ID: DeliverSM, SourceAddr: "15551234", DestinationAddr: "12345", EsmClass: EsmDeliveryRcpt, ShortMessage: []byte("id:1a2b stat:DELIVRD"), TLVs: tl}},
		{Header: Header{ID: DeliverSMResp, Seq: 9}, Body: &SMResp{ID: DeliverSMResp}},
		{Header: Header{ID: EnquireLink, Seq: 3}, Body: &Empty{ID: EnquireLink}},
		{Header: Header{ID: Unbind, Seq: 4}, Body: &Empty{ID: Unbind}},
		{Header: Header{ID: GenericNack, Status: RInvCmdID, Seq: 5}, Body: &Empty{ID: GenericNack}},
		{Header: Header{ID: Outbind, Seq: 6}, Body: &OutbindBody{SystemID: "smsc", Password: "pw"}},
		{Header: Header{ID: DataSM, Seq: 8}, Body: &Data{SourceAddr: "15551234", DestinationAddr: "12345", EsmClass: EsmDeliveryRcpt, TLVs: tl}},
		{Header: Header{ID: DataSMResp, Seq: 8}, Body: &SMResp{ID: DataSMResp, MessageID: "x", TLVs: TLVs{{TagAdditionalStatusInfoText, []byte("ok\x00")}}}},
		{Header: Header{ID: AlertNotification, Seq: 7}, Body: &Alert{SourceAddr: "15551234", ESMEAddr: "12345", TLVs: TLVs{{TagMsAvailabilityStatus, []byte{0}}}}},
	} {
		roundTrip(t, p)
	}
}

// A submit_sm as the specification lays it out, octet by octet (4.4.1).
func TestSubmitSMWireLayout(t *testing.T) {
	p := &PDU{Header: Header{ID: SubmitSM, Seq: 1}, Body: &SM{ID: SubmitSM, SourceAddrTON: 5, SourceAddr: "AB", DestAddrTON: 1, DestAddrNPI: 1, DestinationAddr: "1", RegisteredDelivery: 1, ShortMessage: []byte("x")}}
	b, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	want := "00000025" + "00000004" + "00000000" + "00000001" + // header
		"00" + "05" + "00" + "414200" + "01" + "01" + "3100" + // service_type .. destination_addr
		"00" + "00" + "00" + "00" + "00" + // esm_class protocol_id priority schedule validity
		"01" + "00" + "00" + "00" + "01" + "78" // registered_delivery .. short_message
	if got := hex.EncodeToString(b); got != want {
		t.Fatalf("wire form\n got %s\nwant %s", got, want)
	}
}

func TestEncodeRefusesOverLimitFields(t *testing.T) {
	for _, c := range []struct {
		body  Body
		field string
	}{
		{&Bind{ID: BindTransmitter, SystemID: strings.Repeat("s", 16)}, "system_id"},
		{&Bind{ID: BindTransmitter, Password: strings.Repeat("p", 9)}, "password"},
		{&Bind{ID: BindTransmitter, SystemType: strings.Repeat("t", 13)}, "system_type"},
		{&SM{ID: SubmitSM, DestinationAddr: strings.Repeat("1", 21)}, "destination_addr"},
		{&SM{ID: SubmitSM, SourceAddr: "a\x00b"}, "source_addr"},
		{&SM{ID: SubmitSM, ShortMessage: make([]byte, 255)}, "short_message"},
		{&SM{ID: SubmitSM, ValidityPeriod: "1d"}, "validity_period"},
		{&SM{ID: SubmitSM, TLVs: TLVs{{TagMessageState, []byte{1, 2}}}}, "message_state"},
		{&SMResp{ID: SubmitSMResp, MessageID: strings.Repeat("9", 65)}, "message_id"},
	} {
		_, err := Encode(&PDU{Header: Header{ID: c.body.Command()}, Body: c.body})
		if err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: error %v, want one naming %s", c.body.Command(), err, c.field)
		}
	}
}

func mustEncode(t *testing.T, p *PDU) []byte {
	t.Helper()
	b, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// patch rewrites the command_length of b after it was edited.
func patch(b []byte) []byte {
	n := len(b)
	b[0], b[1], b[2], b[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return b
}

func TestDecodeErrorsCarryTheAnsweringStatus(t *testing.T) {
	submit := mustEncode(t, &PDU{Header: Header{ID: SubmitSM, Seq: 42}, Body: &SM{ID: SubmitSM, SourceAddr: "1", DestinationAddr: "2", ShortMessage: []byte("abc")}})
	bind := mustEncode(t, &PDU{Header: Header{ID: BindTransmitter, Seq: 7}, Body: &Bind{ID: BindTransmitter, SystemID: "a", Password: "b"}})
	cases := []struct {
		name   string
		b      []byte
		status Status
		answer CommandID
	}{
		{"unknown command", patch(append(mustEncode(t, &PDU{Header: Header{ID: EnquireLink, Seq: 42}})[:4:4], 0, 0, 0x0F, 0xFF, 0, 0, 0, 0, 0, 0, 0, 42)), RInvCmdID, GenericNack},
		{"truncated body", patch(append([]byte(nil), submit[:30]...)), RInvCmdLen, SubmitSMResp},
		{"sm_length past the end", patch(append(append([]byte(nil), submit[:len(submit)-3]...), 'a')), RInvMsgLen, SubmitSMResp},
		{"sm_length over 254", func() []byte {
			b := append([]byte(nil), submit[:len(submit)-4]...)
			b = append(b, 255)
			return patch(append(b, make([]byte, 255)...))
		}(), RInvMsgLen, SubmitSMResp},
		{"TLV cut short", patch(append(append([]byte(nil), submit...), 0x04, 0x27, 0, 5, 1)), RInvOptParStream, SubmitSMResp},
		{"stray octets", patch(append(append([]byte(nil), submit...), 0x04)), RInvOptParStream, SubmitSMResp},
		{"system_id too long", patch(append(append(append([]byte(nil), bind[:16]...), []byte(strings.Repeat("x", 20)+"\x00")...), bind[18:]...)), RInvSysID, BindTransmitterResp},
		{"source_addr without NUL", patch(append(append([]byte(nil), submit[:19]...), []byte(strings.Repeat("1", 30))...)), RInvSrcAdr, SubmitSMResp},
		{"bad validity period", func() []byte {
			b := mustEncode(t, &PDU{Header: Header{ID: SubmitSM, Seq: 42}, Body: &SM{ID: SubmitSM, ValidityPeriod: "000001000000000R"}})
			i := bytes.Index(b, []byte("000001000000000R"))
			return patch(append(append(append([]byte(nil), b[:i]...), "0001\x00"...), b[i+17:]...))
		}(), RInvExpiry, SubmitSMResp},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Decode(c.b)
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("Decode error %v, want *Error", err)
			}
			if de.Status != c.status {
				t.Fatalf("status %s (%v), want %s", de.Status, err, c.status)
			}
			a := Answer(p, de)
			if a.ID != c.answer || a.Status != c.status || (p != nil && a.Seq != p.Seq) {
				t.Fatalf("answer %s %s seq %d, want %s %s", a.ID, a.Status, a.Seq, c.answer, c.status)
			}
			if _, err := Encode(a); err != nil {
				t.Fatalf("answer does not encode: %v", err)
			}
		})
	}
}

func TestReadBoundsCommandLength(t *testing.T) {
	for _, n := range []uint32{0, 15, MaxLen + 1, 0xFFFFFFFF} {
		b := []byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n), 0, 0, 0, 4}
		_, err := Read(bytes.NewReader(b))
		var de *Error
		if !errors.As(err, &de) || de.Status != RInvCmdLen || !de.Fatal {
			t.Errorf("command_length %d: %v, want a fatal ESME_RINVCMDLEN", n, err)
		}
	}
	// A sane PDU followed by another: the stream stays in step after a
	// body that could not be decoded.
	bad := mustEncode(t, &PDU{Header: Header{ID: SubmitSM, Seq: 1}, Body: &SM{ID: SubmitSM}})
	bad = patch(append(bad, 0xFF))
	good := mustEncode(t, &PDU{Header: Header{ID: EnquireLink, Seq: 2}})
	r := bytes.NewReader(append(bad, good...))
	if _, err := Read(r); err == nil {
		t.Fatal("a body with a stray octet must not decode")
	}
	p, err := Read(r)
	if err != nil || p.ID != EnquireLink || p.Seq != 2 {
		t.Fatalf("next PDU = %v, %v", p, err)
	}
}

func TestNegativeResponseHasNoBody(t *testing.T) {
	b := mustEncode(t, &PDU{Header: Header{ID: SubmitSMResp, Status: RThrottled, Seq: 3}, Body: &SMResp{ID: SubmitSMResp, MessageID: "ignored"}})
	if len(b) != HeaderLen {
		t.Fatalf("negative submit_sm_resp is %d octets, want a bare header", len(b))
	}
	p, err := Decode(b)
	if err != nil || p.Status != RThrottled || !p.Status.Temporary() {
		t.Fatalf("Decode = %+v, %v", p, err)
	}
}

// One known TLV of a length section 5.3.2 does not allow costs nothing
// else: the PDU decodes, the TLV is set apart (Malformed) and not read,
// and a receipt falls back to its text. Sending one is still refused.
func TestMalformedTLVIsSetApart(t *testing.T) {
	sm := &SM{ID: DeliverSM, EsmClass: EsmDeliveryRcpt, ShortMessage: []byte("id:123 stat:DELIVRD")}
	b := mustEncode(t, &PDU{Header: Header{ID: DeliverSM, Seq: 9}, Body: sm})
	// An empty receipted_message_id (1..65 octets) and a four-octet
	// message_state (one octet), as SMSCs send them.
	b = patch(append(b, 0x00, 0x1E, 0x00, 0x00, 0x04, 0x27, 0x00, 0x04, 0, 0, 0, 5))
	p, err := Decode(b)
	if err != nil {
		t.Fatalf("a deliver_sm with malformed TLVs: %v", err)
	}
	got := p.Body.(*SM)
	if len(got.TLVs) != 0 || len(got.Malformed) != 2 || got.Malformed[1].Problem() != "message_state of 4 octets, want 1..1" {
		t.Fatalf("TLVs %v, malformed %v", got.TLVs, got.Malformed)
	}
	rc, err := ParseReceipt(got)
	if err != nil || rc.ID != "123" || rc.Stat != "DELIVRD" {
		t.Fatalf("receipt %+v, %v: want the text's id and state", rc, err)
	}
	sm.TLVs = TLVs{{TagMessageState, []byte{0, 0, 0, 5}}}
	if _, err := Encode(&PDU{Header: Header{ID: DeliverSM, Seq: 9}, Body: sm}); err == nil {
		t.Fatal("a malformed TLV must not be sent")
	}
}

// A submit_sm_resp is read leniently: its status is what the SMSC
// decided. TLVs appended (as SMPP v5.0 SMSCs do), a message_id without its
// NUL, stray octets after it: the id is read, nothing is refused.
func TestSubmitResponseReadLeniently(t *testing.T) {
	head := func(body ...byte) []byte {
		b := make([]byte, HeaderLen)
		b[7] = 0x04
		b[4] = 0x80
		b[15] = 7
		return patch(append(b, body...))
	}
	for _, c := range []struct {
		name string
		b    []byte
		id   string
		tlvs int
	}{
		{"TLV after the id", head(append([]byte("abc\x00"), 0x00, 0x1D, 0x00, 0x03, 'o', 'k', 0)...), "abc", 1},
		{"no NUL", head([]byte("abc")...), "abc", 0},
		{"stray octets after the id", head(append([]byte("abc\x00"), 0x01, 0x02)...), "abc", 0},
	} {
		p, err := Decode(c.b)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if r := p.Body.(*SMResp); r.MessageID != c.id || len(r.TLVs) != c.tlvs || p.Seq != 7 {
			t.Errorf("%s: %+v", c.name, r)
		}
	}
	// A request is still read strictly.
	b := mustEncode(t, &PDU{Header: Header{ID: SubmitSM, Seq: 1}, Body: &SM{ID: SubmitSM}})
	if _, err := Decode(patch(append(b, 0x01, 0x02))); err == nil {
		t.Error("a submit_sm with stray octets must not decode")
	}
}
