// Package smpp is the Lua module msys.smpp: the return values of the SMPP
// hooks (receipts, PDU evaluation, conversion), the text blobs of a
// converted message, and the functions that read an SMPP PDU a hook
// receives. The SMPP channel passes *smpp.PDU values as hook arguments;
// PDUClass makes them Lua userdata.
package smpp

import (
	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/hook"
	"msyshost/lib/msys/core"
	"msyshost/lib/smpp"
	"msyshost/luahost"
)

// Blob keys: the message context keys of the text blobs (the mobile guide's
// SMS_Text and MO_Email_Text context variables).
const (
	BlobSMSText     = "SMS_Text"
	BlobMOEmailText = "MO_Email_Text"
)

// Conversion hook results (msys.smpp.SMPP_CONVERT_*).
const (
	ConvertCont     = hook.Continue
	ConvertSuppress = 1
	ConvertCancel   = 2
)

// Outcomes a hook may force on a message (msys.smpp.SMPP_*). Momentum
// documents CONTINUE 0 and DELIVERED 3; TEMPFAILED and PERMFAILED take the
// numbers MM7's documented TEMP_FAIL 1 and PERM_FAIL 2 have.
const (
	TempFailed = 1
	PermFailed = 2
)

// PDUClass is the class of an SMPP PDU a hook receives.
var PDUClass = luahost.NewClass[smpp.PDU]("msys.smpp:_smpp_pdu", "SMPP_PDU")

func init() {
	luahost.Register(luahost.Binding{Name: "msys.smpp", Open: Open})
}

// Open builds the module table (msys.mobility, its old name, builds one too).
func Open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	for k, v := range map[string]int{
		"SMPP_CONTINUE": hook.SMPPContinue, "SMPP_DELIVERED": hook.SMPPDelivered,
		"SMPP_TEMPFAILED": TempFailed, "SMPP_PERMFAILED": PermFailed,
		"SMPP_CONVERT_CONT": ConvertCont, "SMPP_CONVERT_SUPPRESS": ConvertSuppress, "SMPP_CONVERT_CANCEL": ConvertCancel,
	} {
		t.RawSetString(k, lua.LNumber(v))
	}
	t.RawSetString("BLOB_KEY_SMS_TEXT", lua.LString(BlobSMSText))
	t.RawSetString("BLOB_KEY_MO_EMAIL_TEXT", lua.LString(BlobMOEmailText))
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{
		"smpp_read_msg_text_blob":      luahost.Func("smpp_read_msg_text_blob", readBlob),
		"smpp_write_msg_text_blob":     luahost.Func("smpp_write_msg_text_blob", writeBlob),
		"smpp_get_deliver_mo_msg":      luahost.Func("smpp_get_deliver_mo_msg", deliverMOMsg),
		"smpp_get_message_id_from_pdu": luahost.Func("smpp_get_message_id_from_pdu", messageID),
	})
	luahost.SetFuncs(L, PDUClass.Meta(L), map[string]lua.LGFunction{
		"__tostring": luahost.Func("tostring", func(a luahost.Args) int {
			return a.Push(lua.LString("SMPP_PDU: " + PDUClass.Check(a, 1).ID.String()))
		}),
	})
	return t
}

func blobKey(a luahost.Args, n int) string {
	k := a.String(n)
	if k != BlobSMSText && k != BlobMOEmailText {
		a.Error(n, "msys.smpp.BLOB_KEY_SMS_TEXT or BLOB_KEY_MO_EMAIL_TEXT expected")
	}
	return k
}

// msys.smpp.smpp_read_msg_text_blob(msg, key) → an ec_string of the text
// blob (its .buffer is the text), nil when the message has none (as
// Momentum 3.5.4 and later).
func readBlob(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	v, ok := core.ReadBlob(m, blobKey(a, 2))
	if !ok {
		return a.Push(lua.LNil)
	}
	return a.Push(core.NewString(a.L, v))
}

// msys.smpp.smpp_write_msg_text_blob(msg, text, len, key): stores the
// first len bytes of text as the blob under key.
func writeBlob(a luahost.Args) int {
	m := core.MessageClass.Check(a, 1)
	text := a.String(2)
	n := a.OptInt(3, len(text))
	key := blobKey(a, 4)
	if n < 0 || n > len(text) {
		a.Error(3, "length out of range")
	}
	m.Context[key] = text[:n]
	return 0
}

// msys.smpp.smpp_get_deliver_mo_msg(pdu) → the text of a deliver_sm or
// submit_sm (message_payload, else short_message), decoded from its data
// coding to UTF-8; a delivery receipt's text is its "id:... stat:..."
// line.
func deliverMOMsg(a luahost.Args) int {
	p := PDUClass.Check(a, 1)
	sm, ok := p.Body.(*smpp.SM)
	if !ok {
		a.Error(1, "deliver_sm or submit_sm expected, got "+p.ID.String())
	}
	text, err := smpp.DecodeText(sm.Payload(), sm.DataCoding)
	if err != nil {
		return a.Push(lua.LString(sm.Payload()))
	}
	return a.Push(lua.LString(text))
}

// msys.smpp.smpp_get_message_id_from_pdu(pdu) → the SMSC's message id: a
// submit_sm_resp's message_id, or a receipt's receipted_message_id (its
// trailing NUL dropped), else the id: field of its text; nil when the PDU
// carries none.
func messageID(a luahost.Args) int {
	p := PDUClass.Check(a, 1)
	switch b := p.Body.(type) {
	case *smpp.SMResp:
		return a.Push(lua.LString(b.MessageID))
	case *smpp.SM:
		if v, ok := b.TLVs.String(smpp.TagReceiptedMessageID); ok {
			return a.Push(lua.LString(v))
		}
		if r, err := smpp.ParseReceipt(b); err == nil && r.ID != "" {
			return a.Push(lua.LString(r.ID))
		}
	}
	return a.Push(lua.LNil)
}
