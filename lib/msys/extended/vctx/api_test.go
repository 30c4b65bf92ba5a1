package vctx_test

import (
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/msys/core"
	"msyshost/luahost"
	"msyshost/luahost/luatest"

	_ "msyshost/lib/msys/extended/vctx"
)

// made are the validation contexts the test binding handed out, so the Go
// side can check what the methods left for the SMTP layer.
var made = map[string]*core.Vctx{}

// A test binding that builds vctxs as the SMTP layer does around a phase:
// vctx_test.new(name, phase, {recipients} or nil, final).
func init() {
	luahost.Register(luahost.Binding{Name: "vctx_test", Open: func(L *lua.LState) lua.LValue {
		t := L.NewTable()
		luahost.SetFuncs(L, t, map[string]lua.LGFunction{
			"new": luahost.Func("new", func(a luahost.Args) int {
				v := core.NewVctx(nil)
				v.Phase = a.String(2)
				if rt := a.OptTable(3); rt != nil {
					v.Recipients = []string{}
					rt.ForEach(func(_, x lua.LValue) { v.Recipients = append(v.Recipients, x.String()) })
				}
				v.RecipientsFinal = a.Bool(4)
				made[a.String(1)] = v
				return a.Push(core.VctxClass.Push(a.L, v))
			}),
		})
		return t
	}})
}

func TestAPI(t *testing.T) {
	luatest.Run(t, "api_test.lua", nil)
	if v := made["data"]; v == nil || len(v.Recipients) != 2 || v.Recipients[0] != "a@example.com" || v.Recipients[1] != "c@example.com" {
		t.Errorf("recipients left for the SMTP layer: %+v", v)
	}
	if v := made["tarpit"]; v == nil || v.Tarpit != 1500*time.Millisecond {
		t.Errorf("tarpit left for the SMTP layer: %+v", v)
	}
}
