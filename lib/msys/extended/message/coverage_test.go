package message_test

import (
	"context"
	"os"
	"regexp"
	"sort"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/msys/core"
	"msyshost/luahost"
)

// TestEveryFunctionHasALuaTest fails when a function or method of
// msys.core, msys.extended.message or msys.extended.message_routing is
// called by none of their api_test.lua files.
func TestEveryFunctionHasALuaTest(t *testing.T) {
	var src []byte
	for _, f := range []string{"api_test.lua", "../../core/api_test.lua", "../message_routing/api_test.lua"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src = append(src, b...)
	}
	h := luahost.New(luahost.Options{PoolSize: 1}, nil)
	defer h.Close()
	var names []string
	err := h.WithState(context.Background(), func(L *lua.LState) error {
		add := func(t *lua.LTable) {
			t.ForEach(func(k, v lua.LValue) {
				if _, ok := v.(*lua.LFunction); ok {
					names = append(names, k.String())
				}
			})
		}
		add(L.GetField(L.GetGlobal("msys"), "core").(*lua.LTable))
		for _, methods := range []*lua.LTable{core.MessageClass.Methods(L), core.StringClass.Methods(L), core.PartClass.Methods(L), core.IOClass.Methods(L), core.VctxClass.Methods(L)} {
			add(methods)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	for _, n := range names {
		if !regexp.MustCompile(`[:.]` + regexp.QuoteMeta(n) + `\(`).Match(src) {
			t.Errorf("%s is not called by any api_test.lua", n)
		}
	}
	t.Logf("%d functions checked", len(names))
	if len(names) < 60 {
		t.Errorf("only %d functions found; the bindings did not open", len(names))
	}
}
