package audit_series_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/msys/core"
	"msyshost/luahost"
	"msyshost/luahost/luatest"

	_ "msyshost/lib/msys"
)

var now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func init() {
	luahost.Register(luahost.Binding{Name: "test.session", Open: func(L *lua.LState) lua.LValue {
		t := L.NewTable()
		luahost.SetFuncs(L, t, map[string]lua.LGFunction{
			"advance": luahost.Func("advance", func(a luahost.Args) int {
				now = now.Add(time.Duration(a.Number(1) * float64(time.Second)))
				return 0
			}),
			"accept": luahost.Func("accept", func(a luahost.Args) int {
				return a.Push(core.AcceptClass.Push(a.L, &core.Accept{RemoteAddr: a.String(1), Protocol: 2}))
			}),
		})
		return t
	}})
}

func TestLua(t *testing.T) {
	luatest.Run(t, "api_test.lua", &luahost.Services{Now: func() time.Time { return now }})
}

// Without a key, a CIDR series counts the client of the hook's session.
func TestSessionClient(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.lua")
	os.WriteFile(p, []byte(`local m = {}
function m:init() msys.audit_series.define("clients", "cidr", 60, 1) return true end
function m:validate_connect(ac, vctx)
  msys.audit_series.add("clients")
  return msys.audit_series.count("clients", "/24")
end
msys.registerModule("s", m)`), 0o644)
	h := luahost.New(luahost.Options{PoolSize: 2}, &luahost.Services{Now: func() time.Time { return now }})
	defer h.Close()
	if err := h.Load(context.Background(), []luahost.Script{{Name: "s", Path: p}}); err != nil {
		t.Fatal(err)
	}
	h.Call(context.Background(), "validate_connect", &core.Accept{RemoteAddr: "203.0.113.5:1111"}, core.NewVctx(nil))
	res := h.Call(context.Background(), "validate_connect", &core.Accept{RemoteAddr: "203.0.113.9:2222"}, core.NewVctx(nil))
	if res.Code != 2 || res.Calls[0].Err != "" {
		t.Fatalf("two clients of 203.0.113.0/24: %+v", res)
	}
}
