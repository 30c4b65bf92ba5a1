// Package idn is the Lua module msys.idn: internationalised domain names
// between UTF-8 and their ASCII form (IDNA 2008, UTS #46 lookup rules, as
// golang.org/x/net/idna implements them).
package idn

import (
	lua "github.com/yuin/gopher-lua"
	"golang.org/x/net/idna"

	"msyshost/luahost"
)

func init() {
	luahost.Register(luahost.Binding{Name: "msys.idn", Open: open})
}

// profile is UTS #46 lookup with DNS's length limits: a domain name that
// cannot be looked up is refused rather than converted.
var profile = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.VerifyDNSLength(true), idna.StrictDomainName(true))

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{
		"to_idn":  luahost.Func("to_idn", toIDN),
		"to_utf8": luahost.Func("to_utf8", toUTF8),
	})
	return t
}

// msys.idn.to_idn(name) → the ASCII form of a UTF-8 domain name
// ("xn--..." labels), or nil and why it cannot be converted.
func toIDN(a luahost.Args) int {
	s, err := profile.ToASCII(a.String(1))
	if err != nil {
		return a.Fail(err)
	}
	return a.Push(lua.LString(s))
}

// msys.idn.to_utf8(name) → the UTF-8 form of an IDN domain name, or nil
// and why it cannot be converted.
func toUTF8(a luahost.Args) int {
	s, err := profile.ToUnicode(a.String(1))
	if err != nil {
		return a.Fail(err)
	}
	return a.Push(lua.LString(s))
}
