// Package vctx is the Lua module msys.extended.vctx: the vctx methods that
// reach the inbound session (vctx:add_recipient, remove_recipient,
// recipient_list, tarpit). The module adds methods only; require returns
// true. The SMTP layer fills the vctx's session fields (core.Vctx) around
// each validate_* call and applies what the methods changed.
//
// Where Momentum's documentation is silent, msyshost chooses:
//   - The recipient list can change from validate_rcptto to
//     validate_data_spool, and is final from validate_data_spool_each_rcpt
//     on (Momentum: "after rcptlist final"); before the first RCPT there is
//     no list. Changing it where it cannot change is an error.
//   - recipient_list() returns the list as a table indexed from 0, as
//     Momentum's own example walks it (for i=0,#t); given a table to set,
//     it reads index 0 and then 1..n.
//   - Recipients added by policy go through no further validate_rcptto
//     and no relay check: the script that adds them decides.
package vctx

import (
	"fmt"
	"slices"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/msys/core"
	"msyshost/luahost"
)

// MaxTarpit bounds one session's total tarpit, so a script cannot hold a
// connection forever.
const MaxTarpit = 5 * time.Minute

func init() {
	luahost.Register(luahost.Binding{Name: "msys.extended.vctx", Open: open, Notes: map[string]string{
		"vctx:recipient_list": "returns a table indexed from 0 (as Momentum's example reads it)",
		"vctx:tarpit":         fmt.Sprintf("holds the SMTP reply of the current command; at most %s per session", MaxTarpit),
	}})
}

func open(L *lua.LState) lua.LValue {
	luahost.SetFuncs(L, core.VctxClass.Methods(L), map[string]lua.LGFunction{
		"add_recipient":    luahost.Method("add_recipient", addRecipient),
		"remove_recipient": luahost.Method("remove_recipient", removeRecipient),
		"recipient_list":   luahost.Method("recipient_list", recipientList),
		"tarpit":           luahost.Method("tarpit", tarpit),
	})
	return nil
}

// editable returns the vctx when its recipient list can change now, or
// raises an error naming why not.
func editable(a luahost.Args) *core.Vctx {
	v := core.VctxClass.Check(a, 1)
	switch {
	case v.RecipientsFinal:
		a.Raise("%s: the recipient list is final in %s", a.Name, phase(v))
	case v.Recipients == nil:
		a.Raise("%s: no recipient list in %s (the transaction has no recipient yet)", a.Name, phase(v))
	}
	return v
}

func phase(v *core.Vctx) string {
	if v.Phase == "" {
		return "this context"
	}
	return v.Phase
}

// addresses reads argument n: one address, or a table of them (index 0,
// then 1..n).
func addresses(a luahost.Args, n int) []string {
	var out []string
	add := func(v lua.LValue, where string) {
		s, ok := v.(lua.LString)
		if !ok {
			a.Error(n, fmt.Sprintf("address expected at %s, got %s", where, v.Type()))
		}
		addr := strings.Trim(strings.TrimSpace(string(s)), "<>")
		if addr == "" || strings.ContainsAny(addr, " \t\r\n\x00") || !strings.Contains(addr, "@") {
			a.Error(n, fmt.Sprintf("address expected, got %q", string(s)))
		}
		out = append(out, addr)
	}
	switch v := a.L.Get(n).(type) {
	case lua.LString:
		add(v, "argument")
	case *lua.LTable:
		if first := v.RawGetH(lua.LNumber(0)); first != lua.LNil {
			add(first, "[0]")
		}
		for i := 1; ; i++ {
			x := v.RawGetInt(i)
			if x == lua.LNil {
				break
			}
			add(x, fmt.Sprintf("[%d]", i))
		}
	default:
		a.TypeError(n, "string or table")
	}
	return out
}

// vctx:add_recipient(address | {addresses}): adds recipients to the
// transaction; one already listed is not added twice.
func addRecipient(a luahost.Args) int {
	v := editable(a)
	for _, addr := range addresses(a, 2) {
		if !slices.ContainsFunc(v.Recipients, func(r string) bool { return strings.EqualFold(r, addr) }) {
			v.Recipients = append(v.Recipients, addr)
		}
	}
	return 0
}

// vctx:remove_recipient(address | {addresses}): removes recipients from
// the transaction (compared without regard to case); removing every one
// leaves the message nobody to go to, and it is not queued.
func removeRecipient(a luahost.Args) int {
	v := editable(a)
	for _, addr := range addresses(a, 2) {
		v.Recipients = slices.DeleteFunc(v.Recipients, func(r string) bool { return strings.EqualFold(r, addr) })
	}
	v.Recipients = append([]string{}, v.Recipients...) // empty, not nil: the list still exists
	return 0
}

// vctx:recipient_list([addresses]) → the recipients, indexed from 0;
// with addresses (one, or a table) the list is replaced first. Not in
// validate_rcptto, as Momentum warns.
func recipientList(a luahost.Args) int {
	v := core.VctxClass.Check(a, 1)
	if v.Phase == "validate_rcptto" {
		a.Raise("recipient_list: not available in validate_rcptto")
	}
	if !a.IsNone(2) {
		editable(a)
		v.Recipients = addresses(a, 2)
	}
	t := a.L.CreateTable(len(v.Recipients), 0)
	for i, r := range v.Recipients {
		t.RawSetInt(i, lua.LString(r))
	}
	return a.Push(t)
}

// vctx:tarpit(seconds): holds the session that long before it answers the
// current command (fractions allowed).
func tarpit(a luahost.Args) int {
	v := core.VctxClass.Check(a, 1)
	s := a.Number(2)
	if s < 0 {
		a.Error(2, "seconds must not be negative")
	}
	v.Tarpit = min(v.Tarpit+time.Duration(s*float64(time.Second)), MaxTarpit)
	return 0
}
