package smpp

import (
	"encoding/binary"
	"fmt"
)

// Concat is how a message too long for one short_message is sent.
type Concat int

const (
	// ConcatUDH prefixes each segment with a concatenation user data
	// header and sets esm_class UDHI (3GPP TS 23.040 9.2.3.24.1 and
	// 9.2.3.24.8). Momentum: smpp_esme_udh_segment = true.
	ConcatUDH Concat = iota
	// ConcatSAR sends each segment with the sar_msg_ref_num,
	// sar_total_segments and sar_segment_seqnum TLVs and lets the SMSC
	// build the header (5.3.2.22-24). Momentum's default.
	ConcatSAR
	// ConcatPayload sends the whole text in one submit_sm's
	// message_payload TLV (5.3.2.32) and lets the SMSC segment it.
	ConcatPayload
)

// Segment is one submit_sm's share of a message.
type Segment struct {
	ShortMessage []byte
	EsmClass     uint8 // EsmUDHI when ShortMessage starts with a header
	TLVs         TLVs
}

// SplitOptions say how to split.
type SplitOptions struct {
	Concat Concat
	// RefLen is the length of the concatenation reference: 1 (8-bit, IEI
	// 0x00) or 2 (16-bit, IEI 0x08); Momentum's smpp_csms_refnum_length.
	// 0 picks 1 when Ref fits in a byte, as Momentum's 0 does.
	RefLen int
	Ref    uint16
	// MaxSegments refuses longer messages; 0 means 255, the most a
	// one-octet count can say.
	MaxSegments int
}

// single and multi are the capacity of one short message, in units of
// the coding (septets for the default alphabet, octets otherwise), alone
// and beside a concatenation header of 6 or 7 octets. The air interface
// carries 140 octets (23.040 9.2.3.24): 160 septets, or 153/152 after a
// 6/7-octet header rounded up to whole septets.
func capacity(coding uint8, refLen int) (single, multi int) {
	hdr := 6
	if refLen == 2 {
		hdr = 7
	}
	if coding == CodingDefault {
		return 160, (140 - hdr) * 8 / 7
	}
	return 140, 140 - hdr
}

// Split cuts text, in data_coding coding, into the segments to submit.
// A segment never ends inside a GSM escape sequence or a UTF-16
// surrogate pair.
func Split(text string, coding uint8, opt SplitOptions) ([]Segment, error) {
	units, err := encodeUnits(text, coding)
	if err != nil {
		return nil, err
	}
	total := 0
	for _, u := range units {
		total += len(u)
	}
	refLen := opt.RefLen
	if refLen == 0 {
		refLen = 2
		if opt.Ref <= 0xFF {
			refLen = 1
		}
	}
	single, multi := capacity(coding, refLen)
	if coding == CodingUCS2 {
		multi &^= 1 // whole UTF-16 units
	}
	if total <= single {
		return []Segment{{ShortMessage: join(units)}}, nil
	}
	if opt.Concat == ConcatPayload {
		if total > 0xFFFF {
			return nil, fmt.Errorf("smpp: message of %d octets is larger than message_payload allows", total)
		}
		var ts TLVs
		ts.Set(TagMessagePayload, join(units))
		return []Segment{{TLVs: ts}}, nil
	}
	var parts [][]byte
	var cur []byte
	for _, u := range units {
		if len(cur)+len(u) > multi {
			parts = append(parts, cur)
			cur = nil
		}
		cur = append(cur, u...)
	}
	parts = append(parts, cur)
	max := opt.MaxSegments
	if max <= 0 || max > 255 {
		max = 255
	}
	if len(parts) > max {
		return nil, fmt.Errorf("smpp: message needs %d segments, at most %d allowed", len(parts), max)
	}
	segs := make([]Segment, len(parts))
	for i, p := range parts {
		n, seq := uint8(len(parts)), uint8(i+1)
		if opt.Concat == ConcatSAR {
			var ts TLVs
			ts.SetUint16(TagSarMsgRefNum, opt.Ref)
			ts.SetUint8(TagSarTotalSegments, n)
			ts.SetUint8(TagSarSegmentSeqnum, seq)
			segs[i] = Segment{ShortMessage: p, TLVs: ts}
			continue
		}
		var udh []byte
		if refLen == 1 {
			udh = []byte{5, 0x00, 3, byte(opt.Ref), n, seq}
		} else {
			udh = []byte{6, 0x08, 4, byte(opt.Ref >> 8), byte(opt.Ref), n, seq}
		}
		segs[i] = Segment{ShortMessage: append(udh, p...), EsmClass: EsmUDHI}
	}
	return segs, nil
}

// encodeUnits encodes text one character at a time, so segments can be
// cut between characters.
func encodeUnits(text string, coding uint8) ([][]byte, error) {
	var units [][]byte
	for i, r := range text {
		u, ok := encodeRune(nil, r, coding)
		if !ok {
			return nil, fmt.Errorf("smpp: character %q at offset %d cannot be sent in data_coding %d", r, i, coding)
		}
		units = append(units, u)
	}
	return units, nil
}

func join(units [][]byte) []byte {
	var out []byte
	for _, u := range units {
		out = append(out, u...)
	}
	return out
}

// Concatenation is what a segment says about its message: from a UDH
// (IEI 0x00 or 0x08) or the sar_* TLVs.
type Concatenation struct {
	Ref   uint16
	Total uint8
	Seq   uint8
}

// SplitUDH separates a user data header from the text of a short message
// whose esm_class has UDHI set (23.040 9.2.3.24), and returns the
// concatenation element when there is one. A header longer than the
// message is an error.
func SplitUDH(sm []byte) (udh, text []byte, c *Concatenation, err error) {
	if len(sm) == 0 || int(sm[0])+1 > len(sm) {
		return nil, sm, nil, fmt.Errorf("smpp: user data header length runs past the short message")
	}
	udh, text = sm[1:int(sm[0])+1], sm[int(sm[0])+1:]
	for i := 0; i+2 <= len(udh); {
		iei, l := udh[i], int(udh[i+1])
		if i+2+l > len(udh) {
			return nil, sm, nil, fmt.Errorf("smpp: user data header element 0x%02X runs past the header", iei)
		}
		v := udh[i+2 : i+2+l]
		switch {
		case iei == 0x00 && l == 3:
			c = &Concatenation{Ref: uint16(v[0]), Total: v[1], Seq: v[2]}
		case iei == 0x08 && l == 4:
			c = &Concatenation{Ref: binary.BigEndian.Uint16(v), Total: v[2], Seq: v[3]}
		}
		i += 2 + l
	}
	return udh, text, c, nil
}
