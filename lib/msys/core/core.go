// Package core is the Lua module msys.core: Momentum's constants, the
// clock, ec_string and ec_message constructors, msys.type, and the msg and
// msgpart methods that Momentum makes available without a require
// (msg:context_*, get_message_size, get_delivery_method, is_mcmt,
// msgpart:unlink). It also holds what the other msys.* message bindings
// share: argument checking with PUC's error texts, ECString and the
// msgpart handle.
package core

import (
	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/message"
	"msyshost/luahost"
)

// Constants of msys.core. Momentum publishes no numeric values for them
// (scripts compare by name); these are msyshost's choices, distinct within
// each group. Where a C or POSIX value exists it is used.
var constants = map[string]int{
	// msg:context_* selectors: the values lib/message uses.
	"ECMESS_CTX_MESS": message.CtxMess,
	"ECMESS_CTX_CONN": message.CtxConn,
	// vctx:get/set selectors. Momentum names them apart from ECMESS_CTX_*;
	// msyshost gives them the same numbers so a script that mixes them up
	// still reads the dictionary it meant.
	"VCTX_MESS": VctxMess,
	"VCTX_CONN": VctxConn,
	// Validation results (luahost.Continue is VALIDATE_CONT).
	"VALIDATE_CONT":  luahost.Continue,
	"VALIDATE_DONE":  1,
	"VALIDATE_AGAIN": 2,
	// msg:get_envelope2 flags (bits).
	"EC_MSG_ENV_FROM":     message.EnvFrom,
	"EC_MSG_ENV_TO":       message.EnvTo,
	"EC_MSG_ENV_COMPLETE": message.EnvComplete,
	// msg:makePart transfer encodings.
	"EC_MIME_TE_7BIT":             message.TE7Bit,
	"EC_MIME_TE_8BIT":             message.TE8Bit,
	"EC_MIME_TE_BASE64":           message.TEBase64,
	"EC_MIME_TE_QUOTED_PRINTABLE": message.TEQuotedPrintable,
	// RFC 3464 actions.
	"FAILED":    1,
	"DELAYED":   2,
	"DELIVERED": 3,
	"RELAYED":   4,
	"EXPANDED":  5,
	// ac_auth_perform_auth results.
	"EC_AUTH_OK":    0,
	"EC_AUTH_FAIL":  1,
	"EC_AUTH_ERROR": 2,
	// io_wrapper_open flags: Linux's open(2) values; O_BINARY is a no-op.
	"O_RDONLY": ORdonly,
	"O_WRONLY": OWronly,
	"O_RDWR":   ORdwr,
	"O_RDRW":   ORdwr, // sic, as Momentum's docs spell it
	"O_CREAT":  OCreat,
	"O_APPEND": OAppend,
	"O_TRUNC":  OTrunc,
	"O_BINARY": 0,
	// Protocols of an accept construct.
	"P_SMTP":  1,
	"P_ESMTP": 2,
	// runInPool completion modes.
	"ECTP_COMPLETE_CALLBACK":       0,
	"ECTP_COMPLETE_CALLBACK_SCHED": 1,
}

// Values other bindings need.
const (
	VctxMess = message.CtxMess
	VctxConn = message.CtxConn

	ORdonly = 0x0
	OWronly = 0x1
	ORdwr   = 0x2
	OCreat  = 0x40
	OTrunc  = 0x200
	OAppend = 0x400
)

func init() {
	luahost.Register(luahost.Binding{Name: "msys.core", Open: open})
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	for k, v := range constants {
		t.RawSetString(k, lua.LNumber(v))
	}
	SetFuncs(L, t, map[string]lua.LGFunction{
		"get_now_ts":     Func("get_now_ts", getNowTS),
		"string_new":     Func("string_new", stringNew),
		"ec_message_new": Func("ec_message_new", ecMessageNew),
	})
	if msys, ok := L.GetGlobal("msys").(*lua.LTable); ok {
		msys.RawSetString("type", L.NewFunction(Func("type", msysType)))
	}
	openIO(L, t)
	openString(L)
	openMessage(L)
	openPart(L)
	openVctx(L)
	return t
}

// msys.core.get_now_ts() → epoch seconds (UTC) of the host
// clock, which the scenario runner moves.
func getNowTS(a Args) int {
	return a.Push(lua.LNumber(luahost.Now(a.L).Unix()))
}

// msys.core.ec_message_new(nil) → an empty message with a
// fresh id, for msg:build.
func ecMessageNew(a Args) int {
	return a.Push(luahost.PushMessage(a.L, message.New()))
}

// msys.type(x) → the class name of engine userdata
// ("msys.core:_ec_message"), else what type(x) says.
func msysType(a Args) int {
	if a.L.GetTop() < 1 {
		a.Error(1, "value expected")
	}
	v := a.L.Get(1)
	if ud, ok := v.(*lua.LUserData); ok {
		if mt, ok := ud.Metatable.(*lua.LTable); ok {
			if name, ok := mt.RawGetString("__name").(lua.LString); ok {
				return a.Push(name)
			}
		}
	}
	return a.Push(lua.LString(v.Type().String()))
}
