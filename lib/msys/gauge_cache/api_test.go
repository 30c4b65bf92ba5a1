package gauge_cache_test

import (
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
	"msyshost/luahost/luatest"

	_ "msyshost/lib/msys"
)

var now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func init() {
	luahost.Register(luahost.Binding{Name: "test.clock", Open: func(L *lua.LState) lua.LValue {
		t := L.NewTable()
		L.SetField(t, "advance", L.NewFunction(luahost.Func("advance", func(a luahost.Args) int {
			now = now.Add(time.Duration(a.Number(1) * float64(time.Second)))
			return 0
		})))
		return t
	}})
}

func TestLua(t *testing.T) {
	luatest.Run(t, "api_test.lua", &luahost.Services{Now: func() time.Time { return now }})
}
