// Package vctx is the Lua module msys.extended.vctx: the session's
// recipient list (vctx:add_recipient, remove_recipient, recipient_list)
// and vctx:tarpit. The module adds methods only; require returns true.
package vctx

import (
	"math"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/msys/core"
	"msyshost/luahost"
)

func init() {
	luahost.Register(luahost.Binding{Name: "msys.extended.vctx", Open: open, Notes: map[string]string{
		"vctx:tarpit": "recorded on the vctx for the SMTP session to apply",
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

// addresses reads argument n: one address or a table of them (an array,
// from index 0 or 1).
func addresses(a luahost.Args, n int) []string {
	if t, ok := a.Get(n).(*lua.LTable); ok {
		var out []string
		if v, ok := luahost.ToString(t.RawGetInt(0)); ok {
			out = append(out, v)
		}
		for i := 1; ; i++ {
			v, ok := luahost.ToString(t.RawGetInt(i))
			if !ok {
				break
			}
			out = append(out, v)
		}
		return out
	}
	return []string{a.String(n)}
}

func openList(a luahost.Args) *core.Vctx {
	v := core.VctxClass.Check(a, 1)
	if v.RcptListFinal {
		a.Raise("vctx:%s: the recipient list is final (after validate_rcptto_list_final)", a.Name)
	}
	return v
}

// vctx:add_recipient(address or table): appends to the session's
// recipients; an error once the list is final. An address the SMTP
// session would refuse at RCPT TO (no domain, relaying denied, too many
// recipients) is an error naming it and why: a recipient reaches the
// queue only past the checks every RCPT passes.
func addRecipient(a luahost.Args) int {
	v := openList(a)
	v.Recipients = append(v.Recipients, checked(a, v, addresses(a, 2), len(v.Recipients))...)
	return 0
}

// checked returns addrs when the session would take each of them on a
// list of have recipients, and raises the error naming the first it would
// refuse otherwise.
func checked(a luahost.Args, v *core.Vctx, addrs []string, have int) []string {
	if v.CheckRecipient == nil {
		return addrs
	}
	for i, addr := range addrs {
		if err := v.CheckRecipient(addr, have+i); err != nil {
			a.Raise("vctx:%s: recipient %q refused: %v", a.Name, addr, err)
		}
	}
	return addrs
}

// vctx:remove_recipient(address or table): removes every occurrence
// (addresses compare without case); an error once the list is final.
func removeRecipient(a luahost.Args) int {
	v := openList(a)
	drop := addresses(a, 2)
	kept := v.Recipients[:0]
	for _, r := range v.Recipients {
		gone := false
		for _, d := range drop {
			if strings.EqualFold(r, d) {
				gone = true
				break
			}
		}
		if !gone {
			kept = append(kept, r)
		}
	}
	v.Recipients = kept
	return 0
}

// vctx:recipient_list([addresses]) → the recipients as an array from index
// 0 (Momentum's example walks it from 0 to #list); with an address or a
// table, replaces the list first.
func recipientList(a luahost.Args) int {
	v := core.VctxClass.Check(a, 1)
	if !a.IsNone(2) {
		v = openList(a)
		v.Recipients = checked(a, v, addresses(a, 2), 0)
	}
	t := a.L.CreateTable(len(v.Recipients), 1)
	for i, r := range v.Recipients {
		t.RawSetInt(i, lua.LString(r))
	}
	return a.Push(t)
}

// vctx:tarpit(seconds): asks the SMTP session to hold for that long (it
// bounds the hold itself). More seconds than a time.Duration holds are
// its largest, not a wrapped-around value; NaN is a bad argument.
func tarpit(a luahost.Args) int {
	v := core.VctxClass.Check(a, 1)
	s := float64(a.Number(2))
	if s < 0 || math.IsNaN(s) {
		a.Error(2, "seconds expected (not negative, not NaN)")
	}
	if d := s * float64(time.Second); d >= math.MaxInt64 {
		v.Tarpit = math.MaxInt64
	} else {
		v.Tarpit = time.Duration(d)
	}
	return 0
}
