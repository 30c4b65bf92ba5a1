// Package core is the Lua module msys.core: Momentum's constants, the
// clock, ec_string and ec_message constructors, and the msg and
// msgpart methods that Momentum makes available without a require
// (msg:context_*, get_message_size, get_delivery_method, is_mcmt,
// msgpart:unlink). It owns the Lua types the other msys.* bindings share:
// ec_message (MessageClass), ec_string, msgpart, vctx and io_object, and
// the spool service msg:inject and msys.mstore.inject hand messages to.
package core

import (
	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/config"
	"msyshost/lib/hook"
	"msyshost/lib/message"
	"msyshost/lib/spool"
	"msyshost/luahost"
)

// MessageClass is the class of ec_message.
var MessageClass = luahost.NewClass[message.Message]("msys.core:_ec_message", "ec_message")

// Injector is the spool that msg:inject and msys.mstore.inject hand
// messages to.
var Injector = luahost.NewService[spool.Injector]("spool")

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
	// Validation results.
	"VALIDATE_CONT":  hook.ValidateCont,
	"VALIDATE_DONE":  hook.ValidateDone,
	"VALIDATE_AGAIN": hook.ValidateAgain,
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
	"EC_AUTH_OK":    hook.AuthOK,
	"EC_AUTH_FAIL":  hook.AuthFail,
	"EC_AUTH_ERROR": hook.AuthError,
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
	"P_SMTP":  PSMTP,
	"P_ESMTP": PESMTP,
	"P_SMPP":  PSMPP,
	"P_MM7":   PMM7,
	// msys.log levels: the syslog priorities.
	"LOG_EMERG":   LogEmerg,
	"LOG_ALERT":   LogAlert,
	"LOG_CRIT":    LogCrit,
	"LOG_ERR":     LogErr,
	"LOG_WARNING": LogWarning,
	"LOG_NOTICE":  LogNotice,
	"LOG_INFO":    LogInfo,
	"LOG_DEBUG":   LogDebug,
	// Generic C hook results.
	"EC_HOOK_CONT":  hook.HookCont,
	"EC_HOOK_DONE":  hook.HookDone,
	"EC_HOOK_RETRY": hook.HookRetry,
	// runInPool completion modes.
	"ECTP_COMPLETE_CALLBACK":       0,
	"ECTP_COMPLETE_CALLBACK_SCHED": 1,
}

// Syslog priorities, as msys.core.LOG_* (msys.log's levels).
const (
	LogEmerg = iota
	LogAlert
	LogCrit
	LogErr
	LogWarning
	LogNotice
	LogInfo
	LogDebug
)

// Protocols of an accept construct (msys.core.P_*).
const (
	PSMTP = iota + 1
	PESMTP
	PSMPP
	PMM7
)

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
	luahost.Register(luahost.Binding{Name: "msys.core", Open: open,
		Notes: map[string]string{
			"msys.core.ec_message_context_firstkey": "keys in byte order (Momentum's follow its hash table)",
			"msys.core.ec_message_context_nextkey":  "keys in byte order (Momentum's follow its hash table)",
		},
		Missing: map[string]string{
			"msys.core.dns_get_domain":                         "needs the MTA's domain records and queues",
			"msys.core.mail_queue_delay_domain":                "needs the MTA's delayed queue",
			"msys.core.scheduler_for_domain":                   "needs the MTA's schedulers",
			"msys.core.accept_construct_get_message_construct": "needs the MTA's inbound session state",
		}})
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	for k, v := range constants {
		t.RawSetString(k, lua.LNumber(v))
	}
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{
		"get_now_ts":     luahost.Func("get_now_ts", getNowTS),
		"string_new":     luahost.Func("string_new", stringNew),
		"ec_message_new": luahost.Func("ec_message_new", ecMessageNew),
	})
	openIO(L, t)
	openContext(L, t)
	openDict(L, t)
	openAccept(L, t)
	openString(L)
	openMessage(L)
	openPart(L)
	openVctx(L)
	return t
}

// msys.core.get_now_ts() → epoch seconds (UTC) of the host
// clock, which the scenario runner moves.
func getNowTS(a luahost.Args) int {
	return a.Push(lua.LNumber(luahost.Now(a.L).Unix()))
}

// msys.core.ec_message_new(nil) → an empty message with a
// fresh id, for msg:build.
func ecMessageNew(a luahost.Args) int {
	return a.Push(MessageClass.Push(a.L, message.New()))
}

// Config is the configuration in force, a function so that a reload is
// seen: msys.config reads it, msg:binding and msg:binding_group choose
// from its Binding scopes. One service for every module (msys.Config and
// the extended message module's Config are this one).
var Config = luahost.NewService[func() *config.Config]("configuration")
