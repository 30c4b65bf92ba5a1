package smpp_test

import (
	"testing"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/msys/core"
	"msyshost/lib/msys/mms"
	msmpp "msyshost/lib/msys/smpp"
	"msyshost/lib/smpp"
	"msyshost/luahost"
	"msyshost/luahost/luatest"

	_ "msyshost/lib/msys"
)

// The PDUs and transaction a channel would pass to the hooks.
func init() {
	luahost.Register(luahost.Binding{Name: "test.mobile", Open: func(L *lua.LState) lua.LValue {
		t := L.NewTable()
		luahost.SetFuncs(L, t, map[string]lua.LGFunction{
			"receipt": luahost.Func("receipt", func(a luahost.Args) int {
				sm := &smpp.SM{ID: smpp.DeliverSM, EsmClass: 0x04,
					ShortMessage: []byte("id:1a2b sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 stat:DELIVRD err:000 text:hello")}
				if a.Bool(1) {
					sm.TLVs.SetString(smpp.TagReceiptedMessageID, "FF01")
				}
				return a.Push(msmpp.PDUClass.Push(a.L, &smpp.PDU{Header: smpp.Header{ID: smpp.DeliverSM}, Body: sm}))
			}),
			"mo": luahost.Func("mo", func(a luahost.Args) int {
				text, _ := smpp.EncodeText("héllo €", smpp.CodingUCS2)
				sm := &smpp.SM{ID: smpp.DeliverSM, DataCoding: smpp.CodingUCS2, ShortMessage: text}
				return a.Push(msmpp.PDUClass.Push(a.L, &smpp.PDU{Header: smpp.Header{ID: smpp.DeliverSM}, Body: sm}))
			}),
			"submit_resp": luahost.Func("submit_resp", func(a luahost.Args) int {
				return a.Push(msmpp.PDUClass.Push(a.L, &smpp.PDU{Header: smpp.Header{ID: smpp.SubmitSMResp}, Body: &smpp.SMResp{ID: smpp.SubmitSMResp, MessageID: "abc123"}}))
			}),
			"enquire": luahost.Func("enquire", func(a luahost.Args) int {
				return a.Push(msmpp.PDUClass.Push(a.L, &smpp.PDU{Header: smpp.Header{ID: smpp.EnquireLink}, Body: &smpp.Empty{ID: smpp.EnquireLink}}))
			}),
			"trx": luahost.Func("trx", func(a luahost.Args) int {
				tags := core.NewDict()
				tags.Set("RFC2822Address", "sender@example.com")
				tags.Set("Subject", "photo")
				return a.Push(mms.TransactionClass.Push(a.L, &mms.Transaction{
					SOAPEnvelope: "<env/>", SOAPAttachment: "attachment", Tags: tags,
					Recipients: &core.List{Items: []any{&mms.Recipient{Address: "+15551234", Type: 1, Disposition: 0}}},
					StatusCode: 1000, ServiceCode: &core.ECString{}, StatusDetails: &core.ECString{},
				}))
			}),
		})
		return t
	}})
}

func TestLua(t *testing.T) { luatest.Run(t, "api_test.lua", nil) }
