package smpp

import (
	"fmt"
	"math/big"
	"strings"
)

// Receipt is what a delivery receipt says (appendix B, 5.3.2.12,
// 5.3.2.35, 5.3.2.31). The two ids are kept apart: SMSCs commonly write
// receipted_message_id as their submit_sm_resp did and the text's id: in
// another format (decimal), so each is read in its own.
type Receipt struct {
	// ID is the id to correlate when the formats do not matter: TLVID
	// when present, else TextID.
	ID string
	// TLVID is receipted_message_id up to its first NUL, white space
	// trimmed; "" when absent.
	TLVID string
	// TextID is the receipt text's id: field; "" when absent.
	TextID string
	// Stat is DELIVRD, UNDELIV, ... upper-cased: from message_state when
	// present, else the text's stat:.
	Stat string
	// TextStat is the text's stat: upper-cased, "" when absent.
	TextStat string
	// Err is the network error: network_error_code's code as three
	// decimal digits, as the text's err: field writes it, else that field
	// as written.
	Err string
}

// messageStates names the message_state values (5.2.28) with the stat
// words of appendix B.
var messageStates = map[uint32]string{
	1: "ENROUTE", 2: "DELIVRD", 3: "EXPIRED", 4: "DELETED", 5: "UNDELIV", 6: "ACCEPTD", 7: "UNKNOWN", 8: "REJECTD",
}

// StateName returns the stat word of a message_state value.
func StateName(state uint32) string {
	if n, ok := messageStates[state]; ok {
		return n
	}
	return fmt.Sprint(state)
}

// StateOf returns the message_state value of a stat word.
func StateOf(stat string) (uint8, bool) {
	for v, n := range messageStates {
		if strings.EqualFold(n, stat) {
			return uint8(v), true
		}
	}
	return 0, false
}

// IsReceipt reports whether a deliver_sm carries a delivery receipt rather
// than a mobile-originated message: esm_class says so (5.2.12), or, for
// SMSCs that leave esm_class at 0, receipted_message_id is present or the
// text reads as a receipt with an id and a stat.
func IsReceipt(d *SM) bool {
	switch d.EsmClass & EsmTypeMask {
	case EsmDeliveryRcpt, EsmIntermediate:
		return true
	}
	if _, ok := d.TLVs.Get(TagReceiptedMessageID); ok {
		return true
	}
	f := receiptFields(ReceiptText(d))
	return f["id"] != "" && f["stat"] != ""
}

// ParseReceipt reads a delivery receipt: the TLVs receipted_message_id,
// message_state and network_error_code first, then the text of appendix
// B in short_message or message_payload for whatever they lack. The text
// is read tolerantly: keys in any case, fields missing or in another
// order, NULs and padding trimmed. It fails only when no message id or no
// state can be found.
func ParseReceipt(d *SM) (Receipt, error) {
	var rc Receipt
	if id, ok := d.TLVs.String(TagReceiptedMessageID); ok {
		rc.TLVID = strings.TrimSpace(id)
	}
	if st, ok := d.TLVs.Uint(TagMessageState); ok {
		rc.Stat = StateName(st)
	}
	if ne, ok := d.TLVs.NetworkErrorCode(); ok {
		rc.Err = fmt.Sprintf("%03d", ne.Code)
	}
	f := receiptFields(ReceiptText(d))
	rc.TextID = f["id"]
	rc.ID = rc.TLVID
	if rc.ID == "" {
		rc.ID = rc.TextID
	}
	rc.TextStat = strings.ToUpper(f["stat"])
	if rc.Stat == "" {
		rc.Stat = rc.TextStat
	}
	if rc.Err == "" {
		rc.Err = f["err"]
	}
	switch {
	case rc.ID == "":
		return rc, fmt.Errorf("smpp: delivery receipt without a message id (no receipted_message_id, no id: in %q)", clip(ReceiptText(d)))
	case rc.Stat == "":
		return rc, fmt.Errorf("smpp: delivery receipt for %s without a state (no message_state, no stat: in %q)", rc.ID, clip(ReceiptText(d)))
	}
	return rc, nil
}

// ReceiptText is a receipt's text: message_payload when present, else
// short_message, its user data header skipped, decoded when data_coding
// says UCS-2 (SMSCs that write every deliver_sm in UCS-2 write receipts
// so too). The other codings write appendix B's ASCII fields as ASCII and
// are read as they are.
func ReceiptText(d *SM) string {
	text := d.ShortMessage
	if v, ok := d.TLVs.Get(TagMessagePayload); ok && len(v) > 0 {
		text = v
	}
	if d.EsmClass&EsmUDHI != 0 {
		if _, t, _, err := SplitUDH(text); err == nil {
			text = t
		}
	}
	if d.DataCoding == CodingUCS2 {
		s, _ := DecodeText(text, CodingUCS2)
		return s
	}
	return string(text)
}

// receiptKeys are the fields of appendix B's receipt text, longest first
// so "submit date" is not read as "sub".
var receiptKeys = []string{"submit date", "done date", "dlvrd", "stat", "text", "sub", "err", "id"}

// receiptFields splits receipt text into its fields. A key counts only at
// the start or after white space, and is followed by a colon; a value
// runs to the next key. "text:" takes the rest of the message.
func receiptFields(s string) map[string]string {
	s = strings.Trim(s, "\x00 \t\r\n")
	// ASCII folding keeps offsets into s valid; strings.ToLower would
	// change the length of invalid or non-ASCII UTF-8.
	lower := []byte(s)
	for i, c := range lower {
		if 'A' <= c && c <= 'Z' {
			lower[i] = c + 'a' - 'A'
		}
	}
	type hit struct{ key, at, val int }
	var hits []hit
	for i := 0; i < len(lower); i++ {
		if i > 0 && !isSpace(lower[i-1]) {
			continue
		}
		for k, key := range receiptKeys {
			if strings.HasPrefix(string(lower[i:]), key) {
				j := i + len(key)
				for j < len(lower) && lower[j] == ' ' {
					j++
				}
				if j < len(lower) && lower[j] == ':' {
					hits = append(hits, hit{k, i, j + 1})
					i = j
					break
				}
			}
		}
		if len(hits) > 0 && receiptKeys[hits[len(hits)-1].key] == "text" {
			break
		}
	}
	f := map[string]string{}
	for n, h := range hits {
		end := len(s)
		if n+1 < len(hits) {
			end = hits[n+1].at
		}
		key := receiptKeys[h.key]
		if _, dup := f[key]; dup {
			continue
		}
		v := strings.Trim(s[h.val:end], "\x00 \t\r\n")
		if key != "text" {
			// A NUL ends a field as it ends a C string.
			if z := strings.IndexByte(v, 0); z >= 0 {
				v = v[:z]
			}
			if sp := strings.IndexAny(v, " \t"); sp >= 0 && key != "submit date" && key != "done date" {
				v = v[:sp]
			}
		}
		f[key] = v
	}
	return f
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0 }

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// IDFormat is how an SMSC writes message ids in one direction: Momentum's
// smpp_submit_response_message_id_format and
// smpp_delivery_receipt_message_id_format.
type IDFormat int

const (
	IDString IDFormat = iota
	IDDecimal
	IDHex
)

// ParseIDFormat reads the option value, in any case.
func ParseIDFormat(s string) (IDFormat, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "string":
		return IDString, nil
	case "decimal":
		return IDDecimal, nil
	case "hexadecimal", "hex":
		return IDHex, nil
	}
	return 0, fmt.Errorf("message id format %q: want string, decimal or hexadecimal", s)
}

func (f IDFormat) String() string {
	return [...]string{"string", "decimal", "hexadecimal"}[f]
}

// IDKey returns the key a message id is stored under, so that the id of a
// submit_sm_resp and the id of its receipt meet even when the SMSC writes
// them differently. key is the submit response format, which decides the
// stored form:
//
//   - string: the id as written, NULs and white space trimmed;
//   - decimal: the number in decimal without leading zeros;
//   - hexadecimal: the number in lower-case hex without leading zeros.
//
// from is the format id is written in. An id written as a string while
// the key is numeric is read in the key's base; a numeric id under a
// string key is kept as written. An id that is not a number of its
// declared format is an error.
func IDKey(id string, from, key IDFormat) (string, error) {
	id = strings.Trim(id, "\x00 \t\r\n")
	if key == IDString {
		return id, nil
	}
	if from == IDString {
		from = key
	}
	base := 10
	if from == IDHex {
		base = 16
		id = strings.TrimPrefix(strings.TrimPrefix(id, "0x"), "0X")
	}
	n, ok := new(big.Int).SetString(id, base)
	if !ok || n.Sign() < 0 || id == "" || strings.ContainsAny(id, "+-_") {
		return "", fmt.Errorf("message id %q is not a %s number", id, from)
	}
	if key == IDHex {
		return n.Text(16), nil
	}
	return n.Text(10), nil
}

// registeredDeliveryNames are the values of Momentum's
// smpp_registered_delivery and the registered_delivery bits they set
// (5.2.17).
var registeredDeliveryNames = map[string]uint8{
	"smsc_delivery": RegDlvSMSC, "smsc_delivery_failure": RegDlvSMSCFail,
	"intermediate": RegDlvIntermedia, "sme_delivery": RegDlvSMEAck, "sme_user": RegDlvSMEManual,
}

// ParseRegisteredDelivery reads smpp_registered_delivery: one or more of
// SMSC_Delivery, SMSC_Delivery_Failure, intermediate, SME_Delivery and
// SME_User in any case, or a number; "", "none", "no", "false" and "0"
// ask for nothing. SMSC_Delivery and SMSC_Delivery_Failure exclude each
// other, as the two-bit field can hold only one.
func ParseRegisteredDelivery(values []string) (uint8, error) {
	var flags uint8
	for _, v := range values {
		v = strings.ToLower(strings.TrimSpace(v))
		switch v {
		case "", "none", "no", "false", "0":
			continue
		}
		if f, ok := registeredDeliveryNames[v]; ok {
			if f&0x03 != 0 && flags&0x03 != 0 && flags&0x03 != f {
				return 0, fmt.Errorf("smpp_registered_delivery: SMSC_Delivery and SMSC_Delivery_Failure cannot both be set")
			}
			flags |= f
			continue
		}
		var n uint8
		if _, err := fmt.Sscanf(v, "%d", &n); err == nil && fmt.Sprint(n) == v && n&0x03 != 0x03 {
			flags |= n
			continue
		}
		return 0, fmt.Errorf("smpp_registered_delivery: %q is not SMSC_Delivery, SMSC_Delivery_Failure, intermediate, SME_Delivery, SME_User or a number", v)
	}
	return flags, nil
}

// ReceiptsAsked reports whether registered_delivery asks the SMSC for a
// receipt of the final outcome, always or on failure.
func ReceiptsAsked(flags uint8) bool { return flags&0x03 != 0 }
