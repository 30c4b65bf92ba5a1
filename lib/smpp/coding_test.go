package smpp

import (
	"bytes"
	"strings"
	"testing"
)

func TestGSMDefaultAlphabet(t *testing.T) {
	// Characters of both tables; the extension ones take two septets.
	text := "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./09:;<=>?¡AZÄÖÑÜ§¿azäöñüà^{}\\[~]|€\f"
	b, err := EncodeText(text, CodingDefault)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte{0x00, 0x01, 0x02, 0x03, 0x04}) {
		t.Fatalf("basic table misplaced: % x", b[:5])
	}
	if !bytes.HasSuffix(b, []byte{0x1B, 0x65, 0x1B, 0x0A}) {
		t.Fatalf("€ and form feed must be ESC 0x65, ESC 0x0A: % x", b[len(b)-4:])
	}
	back, err := DecodeText(b, CodingDefault)
	if err != nil || back != text {
		t.Fatalf("DecodeText = %q, %v", back, err)
	}
	if _, err := EncodeText("naïve", CodingDefault); err == nil || !strings.Contains(err.Error(), "ï") {
		t.Fatalf("ï is not in GSM 03.38, error %v", err)
	}
	// An escape before an undefined septet shows the basic character.
	if s, _ := DecodeText([]byte{0x1B, 0x41}, CodingDefault); s != "A" {
		t.Fatalf("ESC A = %q", s)
	}
}

func TestLatin1AndUCS2(t *testing.T) {
	b, err := EncodeText("café", CodingLatin1)
	if err != nil || !bytes.Equal(b, []byte{'c', 'a', 'f', 0xE9}) {
		t.Fatalf("Latin-1 = % x, %v", b, err)
	}
	if _, err := EncodeText("€", CodingLatin1); err == nil {
		t.Fatal("€ is not Latin-1")
	}
	b, err = EncodeText("a€😀", CodingUCS2)
	want := []byte{0, 'a', 0x20, 0xAC, 0xD8, 0x3D, 0xDE, 0x00}
	if err != nil || !bytes.Equal(b, want) {
		t.Fatalf("UCS-2 = % x, %v; want % x", b, err, want)
	}
	if s, _ := DecodeText(b, CodingUCS2); s != "a€😀" {
		t.Fatalf("UCS-2 back = %q", s)
	}
	if PickCoding("hello {}") != CodingDefault || PickCoding("привет") != CodingUCS2 {
		t.Fatal("PickCoding chose badly")
	}
}

func TestSplitSizes(t *testing.T) {
	cases := []struct {
		name   string
		text   string
		coding uint8
		opt    SplitOptions
		sizes  []int // text units per segment
	}{
		{"GSM fits in one", strings.Repeat("a", 160), CodingDefault, SplitOptions{}, []int{160}},
		{"GSM 8-bit ref", strings.Repeat("a", 161), CodingDefault, SplitOptions{Concat: ConcatUDH, RefLen: 1}, []int{153, 8}},
		{"GSM 16-bit ref", strings.Repeat("a", 161), CodingDefault, SplitOptions{Concat: ConcatUDH, RefLen: 2}, []int{152, 9}},
		{"GSM escape not cut", strings.Repeat("a", 152) + "€" + strings.Repeat("b", 10), CodingDefault, SplitOptions{Concat: ConcatSAR, RefLen: 1}, []int{152, 12}},
		{"Latin-1", strings.Repeat("é", 141), CodingLatin1, SplitOptions{Concat: ConcatUDH, RefLen: 1}, []int{134, 7}},
		{"UCS-2", strings.Repeat("ж", 71), CodingUCS2, SplitOptions{Concat: ConcatUDH, RefLen: 1}, []int{134, 8}},
		{"UCS-2 surrogate not cut", strings.Repeat("ж", 65) + "😀" + strings.Repeat("ж", 4), CodingUCS2, SplitOptions{Concat: ConcatUDH, RefLen: 2}, []int{130, 12}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			segs, err := Split(c.text, c.coding, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			if len(segs) != len(c.sizes) {
				t.Fatalf("%d segments, want %d", len(segs), len(c.sizes))
			}
			var all []byte
			for i, s := range segs {
				body := s.ShortMessage
				if s.EsmClass&EsmUDHI != 0 {
					_, txt, cc, err := SplitUDH(body)
					if err != nil || cc == nil || int(cc.Total) != len(segs) || int(cc.Seq) != i+1 {
						t.Fatalf("segment %d header: %+v, %v", i, cc, err)
					}
					body = txt
				}
				if len(body) != c.sizes[i] {
					t.Fatalf("segment %d has %d units, want %d", i, len(body), c.sizes[i])
				}
				all = append(all, body...)
			}
			if len(segs) > 1 && c.opt.Concat == ConcatSAR {
				if n, _ := segs[1].TLVs.Uint(TagSarSegmentSeqnum); n != 2 {
					t.Fatalf("sar_segment_seqnum = %d", n)
				}
			}
			back, _ := DecodeText(all, c.coding)
			if back != c.text {
				t.Fatalf("segments joined = %q", back)
			}
		})
	}
}

func TestSplitPayloadAndLimits(t *testing.T) {
	segs, err := Split(strings.Repeat("a", 500), CodingDefault, SplitOptions{Concat: ConcatPayload})
	if err != nil || len(segs) != 1 || len(segs[0].ShortMessage) != 0 {
		t.Fatalf("payload: %+v, %v", segs, err)
	}
	if v, _ := segs[0].TLVs.Get(TagMessagePayload); len(v) != 500 {
		t.Fatalf("message_payload of %d octets", len(v))
	}
	if _, err := Split(strings.Repeat("a", 153*3+1), CodingDefault, SplitOptions{RefLen: 1, MaxSegments: 3}); err == nil {
		t.Fatal("4 segments over a limit of 3 must fail")
	}
	// 16-bit reference in the header.
	segs, _ = Split(strings.Repeat("a", 200), CodingDefault, SplitOptions{RefLen: 2, Ref: 0x1234})
	if _, _, c, _ := SplitUDH(segs[0].ShortMessage); c == nil || c.Ref != 0x1234 {
		t.Fatalf("16-bit reference = %+v", c)
	}
}
