package smpp

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Tag is a TLV parameter tag (5.3.2, table 5-3).
type Tag uint16

// Tags with a meaning in SMPP v3.4 (5.3.2).
const (
	TagDestAddrSubunit          Tag = 0x0005
	TagDestNetworkType          Tag = 0x0006
	TagDestBearerType           Tag = 0x0007
	TagDestTelematicsID         Tag = 0x0008
	TagSourceAddrSubunit        Tag = 0x000D
	TagSourceNetworkType        Tag = 0x000E
	TagSourceBearerType         Tag = 0x000F
	TagSourceTelematicsID       Tag = 0x0010
	TagQosTimeToLive            Tag = 0x0017
	TagPayloadType              Tag = 0x0019
	TagAdditionalStatusInfoText Tag = 0x001D
	TagReceiptedMessageID       Tag = 0x001E
	TagMsMsgWaitFacilities      Tag = 0x0030
	TagPrivacyIndicator         Tag = 0x0201
	TagSourceSubaddress         Tag = 0x0202
	TagDestSubaddress           Tag = 0x0203
	TagUserMessageReference     Tag = 0x0204
	TagUserResponseCode         Tag = 0x0205
	TagSourcePort               Tag = 0x020A
	TagDestinationPort          Tag = 0x020B
	TagSarMsgRefNum             Tag = 0x020C
	TagLanguageIndicator        Tag = 0x020D
	TagSarTotalSegments         Tag = 0x020E
	TagSarSegmentSeqnum         Tag = 0x020F
	TagSCInterfaceVersion       Tag = 0x0210
	TagCallbackNumPresInd       Tag = 0x0302
	TagCallbackNumAtag          Tag = 0x0303
	TagNumberOfMessages         Tag = 0x0304
	TagCallbackNum              Tag = 0x0381
	TagDpfResult                Tag = 0x0420
	TagSetDpf                   Tag = 0x0421
	TagMsAvailabilityStatus     Tag = 0x0422
	TagNetworkErrorCode         Tag = 0x0423
	TagMessagePayload           Tag = 0x0424
	TagDeliveryFailureReason    Tag = 0x0425
	TagMoreMessagesToSend       Tag = 0x0426
	TagMessageState             Tag = 0x0427
	TagUssdServiceOp            Tag = 0x0501
	TagDisplayTime              Tag = 0x1201
	TagSmsSignal                Tag = 0x1203
	TagMsValidity               Tag = 0x1204
	TagAlertOnMessageDelivery   Tag = 0x130C
	TagItsReplyType             Tag = 0x1380
	TagItsSessionInfo           Tag = 0x1383
)

// tagLen is the length range of each known TLV's value (5.3.2.x). Encode
// refuses a known TLV outside its range with ESME_RINVPARLEN; a received
// one is set apart (Malformed) rather than read, so one odd TLV does not
// cost the whole PDU: a receipt falls back to its text. Unknown tags,
// vendor ones included (0x1400-0x3FFF), are carried through untouched.
var tagLen = map[Tag][2]int{
	TagDestAddrSubunit: {1, 1}, TagDestNetworkType: {1, 1}, TagDestBearerType: {1, 1},
	TagDestTelematicsID: {2, 2}, TagSourceAddrSubunit: {1, 1}, TagSourceNetworkType: {1, 1},
	TagSourceBearerType: {1, 1}, TagSourceTelematicsID: {1, 1}, TagQosTimeToLive: {4, 4},
	TagPayloadType: {1, 1}, TagAdditionalStatusInfoText: {1, 256}, TagReceiptedMessageID: {1, 65},
	TagMsMsgWaitFacilities: {1, 1}, TagPrivacyIndicator: {1, 1}, TagSourceSubaddress: {2, 23},
	TagDestSubaddress: {2, 23}, TagUserMessageReference: {2, 2}, TagUserResponseCode: {1, 1},
	TagSourcePort: {2, 2}, TagDestinationPort: {2, 2}, TagSarMsgRefNum: {2, 2},
	TagLanguageIndicator: {1, 1}, TagSarTotalSegments: {1, 1}, TagSarSegmentSeqnum: {1, 1},
	TagSCInterfaceVersion: {1, 1}, TagCallbackNumPresInd: {1, 1}, TagCallbackNumAtag: {0, 65},
	TagNumberOfMessages: {1, 1}, TagCallbackNum: {4, 19}, TagDpfResult: {1, 1}, TagSetDpf: {1, 1},
	TagMsAvailabilityStatus: {1, 1}, TagNetworkErrorCode: {3, 3}, TagMessagePayload: {0, 0xFFFF},
	TagDeliveryFailureReason: {1, 1}, TagMoreMessagesToSend: {1, 1}, TagMessageState: {1, 1},
	TagUssdServiceOp: {1, 1}, TagDisplayTime: {1, 1}, TagSmsSignal: {2, 2}, TagMsValidity: {1, 1},
	TagAlertOnMessageDelivery: {0, 0}, TagItsReplyType: {1, 1}, TagItsSessionInfo: {2, 2},
}

// TLV is one optional parameter (5.3.1).
type TLV struct {
	Tag   Tag
	Value []byte
}

// TLVs are a PDU's optional parameters in wire order.
type TLVs []TLV

// Get returns the value of the first TLV with tag t.
func (ts TLVs) Get(t Tag) ([]byte, bool) {
	for _, tv := range ts {
		if tv.Tag == t {
			return tv.Value, true
		}
	}
	return nil, false
}

// String returns a C-octet string TLV's text (receipted_message_id,
// additional_status_info_text): up to its first NUL, which ends a C-octet
// string (3.1). Some SMSCs send "1a2b3c01\x00\x00", some no NUL at all,
// some a NUL and leftover bytes of a buffer ("1a2b\x00xyz").
func (ts TLVs) String(t Tag) (string, bool) {
	v, ok := ts.Get(t)
	if !ok {
		return "", false
	}
	if i := bytes.IndexByte(v, 0); i >= 0 {
		v = v[:i]
	}
	return string(v), true
}

// Uint returns an integer TLV (1, 2 or 4 octets, big-endian).
func (ts TLVs) Uint(t Tag) (uint32, bool) {
	v, ok := ts.Get(t)
	if !ok {
		return 0, false
	}
	switch len(v) {
	case 1:
		return uint32(v[0]), true
	case 2:
		return uint32(binary.BigEndian.Uint16(v)), true
	case 4:
		return binary.BigEndian.Uint32(v), true
	}
	return 0, false
}

// Set replaces the value of tag t, or appends it.
func (ts *TLVs) Set(t Tag, v []byte) {
	for i := range *ts {
		if (*ts)[i].Tag == t {
			(*ts)[i].Value = v
			return
		}
	}
	*ts = append(*ts, TLV{Tag: t, Value: v})
}

// SetUint8 and SetUint16 set integer TLVs.
func (ts *TLVs) SetUint8(t Tag, v uint8)   { ts.Set(t, []byte{v}) }
func (ts *TLVs) SetUint16(t Tag, v uint16) { ts.Set(t, binary.BigEndian.AppendUint16(nil, v)) }

// SetString sets a C-octet string TLV, its NUL added.
func (ts *TLVs) SetString(t Tag, s string) { ts.Set(t, append([]byte(s), 0)) }

// NetworkError is the network_error_code TLV (5.3.2.31): the network type
// (1 ANSI-136, 2 IS-95, 3 GSM, ...) and its error code.
type NetworkError struct {
	Type uint8
	Code uint16
}

// NetworkErrorCode returns the network_error_code TLV, if present.
func (ts TLVs) NetworkErrorCode() (NetworkError, bool) {
	v, ok := ts.Get(TagNetworkErrorCode)
	if !ok || len(v) != 3 {
		return NetworkError{}, false
	}
	return NetworkError{Type: v[0], Code: binary.BigEndian.Uint16(v[1:])}, true
}

func (ts TLVs) encode(w *writer) {
	for _, tv := range ts {
		w.u16(uint16(tv.Tag))
		w.u16(uint16(len(tv.Value)))
		w.raw(tv.Value)
	}
}

func (ts TLVs) validate() error {
	for _, tv := range ts {
		if len(tv.Value) > 0xFFFF {
			return errorf(RInvParLen, tagName(tv.Tag), "value of %d octets", len(tv.Value))
		}
		if l, ok := tagLen[tv.Tag]; ok && (len(tv.Value) < l[0] || len(tv.Value) > l[1]) {
			return errorf(RInvParLen, tagName(tv.Tag), "value of %d octets, want %d..%d", len(tv.Value), l[0], l[1])
		}
	}
	return nil
}

// decodeTLVs reads optional parameters to the end of the body (3.2.1.2).
// A TLV stream cut short is ESME_RINVOPTPARSTREAM (5.1.3), except in a
// response, whose TLVs end there. A known TLV of the wrong size is
// returned apart, in bad, and not among the TLVs.
func decodeTLVs(r *reader) (ts, bad TLVs, err error) {
	for r.left() > 0 {
		if r.left() < 4 {
			if r.lenient {
				r.off = len(r.b)
				break
			}
			return nil, nil, errorf(RInvOptParStream, "", "%d stray octets where a TLV header belongs", r.left())
		}
		tag := Tag(binary.BigEndian.Uint16(r.b[r.off:]))
		n := int(binary.BigEndian.Uint16(r.b[r.off+2:]))
		if r.left()-4 < n {
			if r.lenient {
				r.off = len(r.b)
				break
			}
			return nil, nil, errorf(RInvOptParStream, tagName(tag), "length %d runs past the PDU", n)
		}
		r.off += 4
		tv := TLV{Tag: tag, Value: append([]byte(nil), r.b[r.off:r.off+n]...)}
		r.off += n
		if l, ok := tagLen[tag]; ok && (n < l[0] || n > l[1]) {
			bad = append(bad, tv)
			continue
		}
		ts = append(ts, tv)
	}
	return ts, bad, nil
}

// Problem says what is wrong with a TLV set apart as malformed, for logs.
func (tv TLV) Problem() string {
	l := tagLen[tv.Tag]
	return fmt.Sprintf("%s of %d octets, want %d..%d", tagName(tv.Tag), len(tv.Value), l[0], l[1])
}

var tagNames = map[Tag]string{
	TagReceiptedMessageID: "receipted_message_id", TagMessageState: "message_state",
	TagNetworkErrorCode: "network_error_code", TagMessagePayload: "message_payload",
	TagSarMsgRefNum: "sar_msg_ref_num", TagSarTotalSegments: "sar_total_segments",
	TagSarSegmentSeqnum: "sar_segment_seqnum", TagSCInterfaceVersion: "sc_interface_version",
	TagAdditionalStatusInfoText: "additional_status_info_text",
}

func tagName(t Tag) string {
	if n, ok := tagNames[t]; ok {
		return n
	}
	return fmt.Sprintf("TLV 0x%04X", uint16(t))
}
