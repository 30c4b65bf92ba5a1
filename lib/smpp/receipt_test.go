package smpp

import (
	"testing"
	"unicode/utf16"
)

func ucs2(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return b
}

func TestParseReceipt(t *testing.T) {
	var tlvNul TLVs
	tlvNul.Set(TagReceiptedMessageID, []byte("1a2b3c01\x00\x00"))
	tlvNul.SetUint8(TagMessageState, 5)
	tlvNul.Set(TagNetworkErrorCode, []byte{3, 0, 0x22})
	var payload TLVs
	payload.Set(TagMessagePayload, []byte("id:77 sub:001 dlvrd:000 submit date:2601011200 done date:2601011201 stat:EXPIRED err:005 text:"))
	cases := []struct {
		name string
		sm   SM
		want Receipt
	}{
		{"standard text", SM{EsmClass: EsmDeliveryRcpt, ShortMessage: []byte("id:0123456789 sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 stat:DELIVRD err:000 text:hello world")},
			Receipt{ID: "0123456789", TextID: "0123456789", Stat: "DELIVRD", TextStat: "DELIVRD", Err: "000"}},
		{"lower case, missing fields, other order", SM{ShortMessage: []byte("Stat:undeliv ID:abc Err:1")},
			Receipt{ID: "abc", TextID: "abc", Stat: "UNDELIV", TextStat: "UNDELIV", Err: "1"}},
		{"TLVs win over text, NULs trimmed", SM{EsmClass: EsmDeliveryRcpt, ShortMessage: []byte("id:ffff stat:DELIVRD"), TLVs: tlvNul},
			Receipt{ID: "1a2b3c01", TLVID: "1a2b3c01", TextID: "ffff", Stat: "UNDELIV", TextStat: "DELIVRD", Err: "034"}},
		{"text in message_payload", SM{EsmClass: EsmDeliveryRcpt, TLVs: payload},
			Receipt{ID: "77", TextID: "77", Stat: "EXPIRED", TextStat: "EXPIRED", Err: "005"}},
		{"trailing NULs and padding in the text", SM{ShortMessage: []byte("id:5 stat:ENROUTE\x00\x00")},
			Receipt{ID: "5", TextID: "5", Stat: "ENROUTE", TextStat: "ENROUTE"}},
		{"text: holding key-like words", SM{ShortMessage: []byte("id:9 stat:REJECTD text:id:1 stat:DELIVRD")},
			Receipt{ID: "9", TextID: "9", Stat: "REJECTD", TextStat: "REJECTD"}},
		{"NUL inside the TLV id: cut there (3.1)", SM{EsmClass: EsmDeliveryRcpt, ShortMessage: []byte("id:abc stat:DELIVRD"), TLVs: TLVs{{TagReceiptedMessageID, []byte("abc\x00xyz")}}},
			Receipt{ID: "abc", TLVID: "abc", TextID: "abc", Stat: "DELIVRD", TextStat: "DELIVRD"}},
		{"NUL inside the text id", SM{ShortMessage: []byte("id:abc\x00def stat:DELIVRD")},
			Receipt{ID: "abc", TextID: "abc", Stat: "DELIVRD", TextStat: "DELIVRD"}},
		{"UCS-2 text", SM{EsmClass: EsmDeliveryRcpt, DataCoding: CodingUCS2, ShortMessage: ucs2("id:4711 sub:001 dlvrd:000 submit date:2601011200 done date:2601011201 stat:UNDELIV err:001 text:")},
			Receipt{ID: "4711", TextID: "4711", Stat: "UNDELIV", TextStat: "UNDELIV", Err: "001"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !IsReceipt(&c.sm) {
				t.Fatal("not recognised as a receipt")
			}
			got, err := ParseReceipt(&c.sm)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
	for _, sm := range []SM{{ShortMessage: []byte("stat:DELIVRD")}, {ShortMessage: []byte("id:1 sub:001")}, {ShortMessage: []byte("hello, an MO message")}} {
		if _, err := ParseReceipt(&sm); err == nil {
			t.Errorf("%q must not parse as a receipt", sm.ShortMessage)
		}
	}
	if IsReceipt(&SM{ShortMessage: []byte("hello id: there")}) {
		t.Error("an MO text is not a receipt")
	}
}

func TestIDKey(t *testing.T) {
	cases := []struct {
		id        string
		from, key IDFormat
		want      string
		bad       bool
	}{
		{"Ab12\x00", IDString, IDString, "Ab12", false},
		{"0A1B", IDHex, IDHex, "a1b", false},
		{"0a1b", IDHex, IDHex, "a1b", false},
		{"2587", IDDecimal, IDHex, "a1b", false},
		{"002587", IDDecimal, IDDecimal, "2587", false},
		{"0x0A1B", IDHex, IDDecimal, "2587", false},
		{"a1b", IDString, IDHex, "a1b", false},
		{"18446744073709551617", IDDecimal, IDHex, "10000000000000001", false},
		{"0", IDDecimal, IDDecimal, "0", false},
		{"12g", IDHex, IDHex, "", true},
		{"-5", IDDecimal, IDDecimal, "", true},
		{"", IDDecimal, IDDecimal, "", true},
	}
	for _, c := range cases {
		got, err := IDKey(c.id, c.from, c.key)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("IDKey(%q, %s, %s) = %q, %v; want %q", c.id, c.from, c.key, got, err, c.want)
		}
	}
	for _, s := range []string{"String", "DECIMAL", "Hexadecimal"} {
		if _, err := ParseIDFormat(s); err != nil {
			t.Error(err)
		}
	}
	if _, err := ParseIDFormat("octal"); err == nil {
		t.Error("octal is not a format")
	}
}
