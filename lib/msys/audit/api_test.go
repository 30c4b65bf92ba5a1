package audit_test

import (
	"net/netip"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/msys/audit"
	"msyshost/lib/msys/core"
	"msyshost/luahost"
	"msyshost/luahost/luatest"

	_ "msyshost/lib/msys"
)

var now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func init() {
	luahost.Register(luahost.Binding{Name: "test.audit", Open: func(L *lua.LState) lua.LValue {
		t := L.NewTable()
		luahost.SetFuncs(L, t, map[string]lua.LGFunction{
			"advance": luahost.Func("advance", func(a luahost.Args) int {
				now = now.Add(time.Duration(a.Number(1)) * time.Second)
				return 0
			}),
			"accept": luahost.Func("accept", func(a luahost.Args) int {
				return a.Push(core.AcceptClass.Push(a.L, &core.Accept{RemoteAddr: a.String(1), Protocol: a.OptInt(2, core.PESMTP)}))
			}),
		})
		return t
	}})
}

func TestLua(t *testing.T) {
	clock := func() time.Time { return now }
	au := audit.NewAuditor(clock, audit.Monitor{Window: time.Minute, Windows: 2})
	ip := func(s string) netip.Addr { return netip.MustParseAddr(s) }
	au.Record(audit.Connection, ip("192.0.2.1"))
	au.Record(audit.Connection, ip("192.0.2.2"))
	au.Record(audit.Reception, ip("192.0.2.1"))
	au.Record(audit.Rejection, ip("198.51.100.1"))
	au.SessionOpened("SMTP", ip("192.0.2.1"))
	au.SessionOpened("SMTP", ip("192.0.2.1"))
	au.SessionOpened("Control", ip("127.0.0.1"))
	luatest.Run(t, "api_test.lua", audit.Source.Set(&luahost.Services{Now: clock}, au))
	luatest.Run(t, "none_test.lua", nil)
}

func TestParseMonitor(t *testing.T) {
	if m, err := audit.ParseMonitor(" 300 , 6 "); err != nil || m.String() != "300,6" {
		t.Fatalf("%v %v", m, err)
	}
	for _, bad := range []string{"300", "a,b", "0,6", "300,0", ""} {
		if _, err := audit.ParseMonitor(bad); err == nil {
			t.Errorf("%q must be an error", bad)
		}
	}
}
