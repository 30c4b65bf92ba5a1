package smpp

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzRead feeds arbitrary octets to the PDU reader: it must never panic,
// never allocate past MaxLen for a PDU, and every failure must be an io
// error or an *Error whose answer encodes; what decodes must encode again.
func FuzzRead(f *testing.F) {
	seeds := []*PDU{
		{Header: Header{ID: BindTransceiver, Seq: 1}, Body: &Bind{ID: BindTransceiver, SystemID: "a", Password: "b", InterfaceVersion: Version34}},
		{Header: Header{ID: SubmitSM, Seq: 2}, Body: &SM{ID: SubmitSM, DestinationAddr: "1", ShortMessage: []byte("hi"), TLVs: TLVs{{TagSarMsgRefNum, []byte{0, 1}}}}},
		{Header: Header{ID: DeliverSM, Seq: 3}, Body: &SM{ID: DeliverSM, EsmClass: EsmDeliveryRcpt, ShortMessage: []byte("id:1 stat:DELIVRD"), TLVs: TLVs{{TagReceiptedMessageID, []byte("1\x00")}, {TagMessageState, []byte{2}}}}},
		{Header: Header{ID: SubmitSMResp, Seq: 2}, Body: &SMResp{ID: SubmitSMResp, MessageID: "x"}},
		{Header: Header{ID: AlertNotification, Seq: 4}, Body: &Alert{SourceAddr: "1"}},
		{Header: Header{ID: Outbind, Seq: 5}, Body: &OutbindBody{SystemID: "s"}},
		{Header: Header{ID: EnquireLink, Seq: 6}},
		{Header: Header{ID: DataSM, Seq: 7}, Body: &Data{EsmClass: EsmDeliveryRcpt, TLVs: TLVs{{TagMessagePayload, []byte("id:1 stat:DELIVRD")}}}},
	}
	for _, p := range seeds {
		b, err := Encode(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0xFF, 0xFF, 0xFF, 0xFF})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		for i := 0; i < 8; i++ {
			p, err := Read(r)
			if err != nil {
				var de *Error
				if errors.As(err, &de) {
					if _, aerr := Encode(Answer(p, de)); aerr != nil {
						t.Fatalf("answer to %v does not encode: %v", err, aerr)
					}
					if de.Fatal {
						return
					}
					continue
				}
				if err != io.EOF && err != io.ErrUnexpectedEOF {
					t.Fatalf("unexpected error type %T: %v", err, err)
				}
				return
			}
			if p.Length > MaxLen {
				t.Fatalf("accepted a PDU of %d octets", p.Length)
			}
			if _, err := Encode(p); err != nil {
				t.Fatalf("decoded %s does not encode again: %v", p.ID, err)
			}
			if d, ok := p.Body.(*Data); ok {
				p.Body = d.AsSM()
			}
			if sm, ok := p.Body.(*SM); ok {
				if IsReceipt(sm) {
					ParseReceipt(sm)
				}
				if sm.EsmClass&EsmUDHI != 0 {
					SplitUDH(sm.ShortMessage)
				}
				DecodeText(sm.ShortMessage, sm.DataCoding)
			}
		}
	})
}

// FuzzReceiptText reads arbitrary receipt text, as short_message and as
// message_payload: never a panic, and a receipt that parses has an id and
// a state.
func FuzzReceiptText(f *testing.F) {
	f.Add("id:0123456789 sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 stat:DELIVRD err:000 text:hi")
	f.Add("Stat:undeliv ID:abc Err:1\x00\x00")
	f.Add("text:id:1 stat:x id:2")
	f.Fuzz(func(t *testing.T, s string) {
		for _, sm := range []*SM{{ShortMessage: []byte(s)}, {TLVs: TLVs{{TagMessagePayload, []byte(s)}}}} {
			rc, err := ParseReceipt(sm)
			if err == nil && (rc.ID == "" || rc.Stat == "") {
				t.Fatalf("parsed %q without id or state: %+v", s, rc)
			}
			IsReceipt(sm)
		}
	})
}

// FuzzIDKey converts arbitrary ids between formats: never a panic, and a
// numeric key reads back to itself.
func FuzzIDKey(f *testing.F) {
	f.Add("0A1B", 2, 1)
	f.Add("002587", 1, 2)
	f.Add("x\x00", 0, 0)
	f.Fuzz(func(t *testing.T, id string, from, key int) {
		ff, kf := IDFormat(uint(from)%3), IDFormat(uint(key)%3)
		k, err := IDKey(id, ff, kf)
		if err != nil || kf == IDString {
			return
		}
		again, err := IDKey(k, kf, kf)
		if err != nil || again != k {
			t.Fatalf("key %q of %q does not read back (%q, %v)", k, id, again, err)
		}
	})
}
