package core

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/message"
	"msyshost/luahost"
	"msyshost/luahost/puc"
)

// VctxClass is the class of a validation context (the vctx argument of
// the validate_* hooks).
var VctxClass = luahost.NewClass[Vctx]("msys.core:_validate_context", "vctx")

// Vctx is a validation context: the message being validated (whose
// message and connection contexts back VCTX_MESS and VCTX_CONN) and the
// reply the script chose. The SMTP layer that dispatches a validate_* hook
// makes one with NewVctx, passes it as a hook argument and reads
// ReplyCode, ReplyText and Disconnect afterwards.
type Vctx struct {
	Msg *message.Message
	// ReplyCode is the reply set by set_code or disconnect, 0 when none;
	// ReplyText its text: lines joined by "\n", without CR, without the
	// reply code a script may have written at the start of a line.
	ReplyCode  int
	ReplyText  string
	Disconnect bool // disconnect was called
	// Recipients is the session's recipient list, which
	// msys.extended.vctx's add_recipient, remove_recipient and
	// recipient_list edit; RcptListFinal closes it (the
	// validate_rcptto_list_final phase is over).
	Recipients    []string
	RcptListFinal bool
	// Tarpit is how long vctx:tarpit asked the SMTP session to hold.
	Tarpit time.Duration
	// CheckRecipient, when set, refuses an address add_recipient or
	// recipient_list would add to a list of have recipients, as the SMTP
	// session would refuse its RCPT TO.
	CheckRecipient func(addr string, have int) error
}

// String names a vctx in scenario reports.
func (v *Vctx) String() string { return "vctx" }

// NewVctx returns a validation context for m (a fresh empty message when m
// is nil, as in the connect phase).
func NewVctx(m *message.Message) *Vctx {
	if m == nil {
		m = message.New()
	}
	return &Vctx{Msg: m}
}

func openVctx(L *lua.LState) {
	luahost.SetFuncs(L, VctxClass.Methods(L), map[string]lua.LGFunction{
		"get":        luahost.Method("get", vctxGet),
		"set":        luahost.Method("set", vctxSet),
		"set_code":   luahost.Method("set_code", vctxSetCode),
		"disconnect": luahost.Method("disconnect", vctxDisconnect),
	})
}

func vctxDict(a luahost.Args, n int) map[string]string {
	v := VctxClass.Check(a, 1)
	d := v.Msg.Ctx(a.Int(n))
	if d == nil {
		a.Error(n, "msys.core.VCTX_MESS or VCTX_CONN expected")
	}
	return d
}

// vctx:get(type, key) → the value of a context variable of the message
// (VCTX_MESS) or connection (VCTX_CONN), nil when it is not set. The
// dictionaries are the ones msg:context_get reads.
func vctxGet(a luahost.Args) int {
	d := vctxDict(a, 2)
	v, ok := d[a.String(3)]
	if !ok {
		return a.Push(lua.LNil)
	}
	return a.Push(lua.LString(v))
}

// vctx:set(type, key, value): sets a context variable; nil unsets. value
// may be of any type. The context is the message's string dictionary
// (msg:context_get and mstore read it), so the value is kept as its string
// form, which vctx:get returns: a number as PUC prints it, a boolean as
// "true" or "false", a table, function or userdata as tostring shows it.
func vctxSet(a luahost.Args) int {
	d := vctxDict(a, 2)
	key := a.String(3)
	switch v := a.L.Get(4).(type) {
	case *lua.LNilType:
		delete(d, key)
	case lua.LNumber:
		d[key] = puc.FormatNumber(float64(v))
	default:
		d[key] = a.L.ToStringMeta(v).String()
	}
	return 0
}

// vctx:set_code(code, message): sets the inbound reply, which rejects the
// message for a 4xx or 5xx code. code is a number or a numeric string;
// a multi-line message gets the code on every line. A code that is no
// SMTP reply (RFC 5321 4.2: 2yz, 4yz or 5yz with y from 0 to 5) is a bad
// argument, so the script error names the line that set it.
func vctxSetCode(a luahost.Args) int {
	v := VctxClass.Check(a, 1)
	v.ReplyCode, v.ReplyText = replyOf(a)
	return 0
}

// vctx:disconnect(code, message): sets the reply and closes the session
// after sending it.
func vctxDisconnect(a luahost.Args) int {
	v := VctxClass.Check(a, 1)
	v.ReplyCode, v.ReplyText = replyOf(a)
	v.Disconnect = true
	return 0
}

func replyOf(a luahost.Args) (int, string) {
	code := a.Int(2)
	if !ValidReplyCode(code) {
		a.Error(2, fmt.Sprintf("SMTP reply code expected (2yz, 4yz or 5yz, y 0-5), got %d", code))
	}
	return code, ReplyText(code, a.OptString(3, ""))
}

// ReplyText is the text of a reply a script set, as it can go on the
// wire: its lines (CRLF, LF or a bare CR end one; trailing line ends are
// dropped) joined by "\n", each without the reply code a script may have
// written in front of it ("550-", "550 ").
func ReplyText(code int, text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	c := strconv.Itoa(code)
	for i, l := range lines {
		if rest, ok := strings.CutPrefix(l, c); ok && (rest == "" || rest[0] == ' ' || rest[0] == '-') {
			l = strings.TrimLeft(rest, " -")
		}
		lines[i] = l
	}
	return strings.Join(lines, "\n")
}

// ValidReplyCode reports whether code can answer an SMTP command from
// policy: a completion (2yz) or a refusal (4yz, 5yz) whose second digit is
// one RFC 5321 4.2.2 defines (0-5). 3yz asks the client for more and is
// the protocol's own.
func ValidReplyCode(code int) bool {
	first, second := code/100, code/10%10
	return code >= 200 && code <= 599 && first != 3 && second <= 5
}
