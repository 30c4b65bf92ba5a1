// Package mms is the Lua module msys.mms: the return values of the MM7
// hooks, and the MM7 server transaction (trx) and recipient the
// mm7_request_eval hook receives. The MM7 server passes *Transaction
// values as hook arguments; TransactionClass makes them Lua userdata.
package mms

import (
	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/hook"
	"msyshost/lib/msys/core"
	"msyshost/luahost"
)

// Submit response hook results (the mobile guide's numbers).
const (
	TempFail = 1
	PermFail = 2
)

// Transaction is an MM7 request as mm7_request_eval sees it: the SOAP
// envelope and attachment received, the parsed envelope fields (Tags),
// the recipients, and the response the hook may shape (StatusCode,
// ServiceCode, StatusDetails).
type Transaction struct {
	SOAPEnvelope   string
	SOAPAttachment string
	Tags           *core.Dict
	Recipients     *core.List // of *Recipient
	StatusCode     int
	ServiceCode    *core.ECString
	StatusDetails  *core.ECString
}

// Recipient is one MM7 recipient (mm7_recipient).
type Recipient struct {
	Address     string
	Type        int // To, Cc, Bcc
	Disposition int
}

// Classes of a transaction and a recipient; the recipient's name is the
// one Momentum's example casts to.
var (
	TransactionClass = luahost.NewClass[Transaction]("msys.mms:mm7_transaction", "mm7_transaction")
	RecipientClass   = luahost.NewClass[Recipient]("msys.mms:mm7_recipient", "mm7_recipient")
)

func init() {
	luahost.Register(luahost.Binding{Name: "msys.mms", Open: open})
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	for k, v := range map[string]int{
		"MM7_CONTINUE": hook.MM7Continue, "MM7_TEMP_FAIL": TempFail, "MM7_PERM_FAIL": PermFail, "MM7_DELIVERED": hook.MM7Delivered,
	} {
		t.RawSetString(k, lua.LNumber(v))
	}
	tc := TransactionClass
	str := func(get func(*Transaction) string) func(*lua.LState, *Transaction) lua.LValue {
		return func(_ *lua.LState, x *Transaction) lua.LValue { return lua.LString(get(x)) }
	}
	tc.Field(L, "soap_envelope", str(func(x *Transaction) string { return x.SOAPEnvelope }), nil)
	tc.Field(L, "soap_attachment", str(func(x *Transaction) string { return x.SOAPAttachment }), nil)
	tc.Field(L, "tags", func(L *lua.LState, x *Transaction) lua.LValue { return core.DictClass.Push(L, x.Tags) }, nil)
	tc.Field(L, "recipients", func(L *lua.LState, x *Transaction) lua.LValue { return core.ListClass.Push(L, x.Recipients) }, nil)
	tc.Field(L, "service_code", func(L *lua.LState, x *Transaction) lua.LValue { return core.StringClass.Push(L, x.ServiceCode) }, nil)
	tc.Field(L, "status_details", func(L *lua.LState, x *Transaction) lua.LValue { return core.StringClass.Push(L, x.StatusDetails) }, nil)
	tc.Field(L, "status_code", func(_ *lua.LState, x *Transaction) lua.LValue { return lua.LNumber(x.StatusCode) },
		func(L *lua.LState, x *Transaction, v lua.LValue) {
			n, ok := luahost.ToNumber(v)
			if !ok {
				L.RaiseError("trx.status_code must be a number, got %s", v.Type().String())
			}
			x.StatusCode = int(n)
		})
	rc := RecipientClass
	rc.Field(L, "address", func(_ *lua.LState, r *Recipient) lua.LValue { return lua.LString(r.Address) }, nil)
	rc.Field(L, "type", func(_ *lua.LState, r *Recipient) lua.LValue { return lua.LNumber(r.Type) }, nil)
	rc.Field(L, "disposition", func(_ *lua.LState, r *Recipient) lua.LValue { return lua.LNumber(r.Disposition) }, nil)
	return t
}
