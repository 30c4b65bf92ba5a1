package core_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/msys/core"
	"msyshost/luahost"
	"msyshost/luahost/luatest"
)

// A binding whose function panics, to show that core.Func contains it.
func init() {
	luahost.Register(luahost.Binding{Name: "msys.core_test", Open: func(L *lua.LState) lua.LValue {
		t := L.NewTable()
		core.SetFuncs(L, t, map[string]lua.LGFunction{
			"boom": core.Func("boom", func(a core.Args) int { panic("kaboom") }),
		})
		return t
	}})
}

func TestAPI(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	t.Setenv("MSYSHOST_TEST_DIR", dir)
	luatest.Run(t, "api_test.lua", &luahost.Services{Now: func() time.Time { return now }})

	fi, err := os.Stat(filepath.Join(dir, "log.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode 0640 given as decimal 640 created %v", fi.Mode().Perm())
	}
}
