package vctx_test

import (
	"testing"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/msys/core"
	"msyshost/luahost"
	"msyshost/luahost/luatest"

	_ "msyshost/lib/msys"
)

var made []*core.Vctx

func init() {
	luahost.Register(luahost.Binding{Name: "test.vctx", Open: func(L *lua.LState) lua.LValue {
		t := L.NewTable()
		luahost.SetFuncs(L, t, map[string]lua.LGFunction{
			"new": luahost.Func("new", func(a luahost.Args) int {
				v := core.NewVctx(nil)
				v.Recipients = []string{"a@example.com", "b@example.com"}
				v.RcptListFinal = a.Bool(1)
				made = append(made, v)
				return a.Push(core.VctxClass.Push(a.L, v))
			}),
			"tarpit_of": luahost.Func("tarpit_of", func(a luahost.Args) int {
				return a.Push(lua.LNumber(core.VctxClass.Check(a, 1).Tarpit.Seconds()))
			}),
		})
		return t
	}})
}

func TestLua(t *testing.T) {
	luatest.Run(t, "api_test.lua", nil)
	for _, v := range made {
		if v.Tarpit.Seconds() == 1.5 {
			return
		}
	}
	t.Errorf("tarpit not recorded on the vctx: %+v", made)
}
