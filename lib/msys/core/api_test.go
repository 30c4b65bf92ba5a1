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

	_ "msyshost/lib/msys"
)

// vctxs are the validation contexts msys.core_test.vctx made.
var vctxs []*core.Vctx

// A test binding: a function that panics, to show that luahost.Func contains
// it, and a vctx constructor (the SMTP layer makes them in the daemon).
func init() {
	luahost.Register(luahost.Binding{Name: "msys.core_test", Open: func(L *lua.LState) lua.LValue {
		t := L.NewTable()
		luahost.SetFuncs(L, t, map[string]lua.LGFunction{
			"boom": luahost.Func("boom", func(a luahost.Args) int { panic("kaboom") }),
			// A dictionary and a list as the MM7 server hook's trx carries
			// them: tags, and recipients of another class (ec_string here).
			"dict": luahost.Func("dict", func(a luahost.Args) int {
				d := core.NewDict()
				d.Set("RFC2822Address", "a@example.com")
				d.Set("Subject", "hi")
				return a.Push(core.DictClass.Push(a.L, d))
			}),
			"list": luahost.Func("list", func(a luahost.Args) int {
				return a.Push(core.ListClass.Push(a.L, &core.List{Items: []any{&core.ECString{B: []byte("first")}, "second"}}))
			}),
			// An accept construct as SMTP in fills it, from a table.
			"accept": luahost.Func("accept", func(a luahost.Args) int {
				t := a.L.CheckTable(1)
				ac := &core.Accept{
					RemoteAddr: t.RawGetString("remote_addr").String(), LocalAddr: t.RawGetString("local_addr").String(),
					Protocol: int(lua.LVAsNumber(t.RawGetString("protocol"))), Ehlo: t.RawGetString("ehlo").String(),
					AuthUser: t.RawGetString("auth_user").String(), TLS: lua.LVAsBool(t.RawGetString("tls")),
				}
				return a.Push(core.AcceptClass.Push(a.L, ac))
			}),
			"vctx": luahost.Func("vctx", func(a luahost.Args) int {
				v := core.NewVctx(core.MessageClass.To(a.L.Get(1)))
				vctxs = append(vctxs, v)
				return a.Push(core.VctxClass.Push(a.L, v))
			}),
		})
		return t
	}})
}

func TestAPI(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	t.Setenv("MSYSHOST_TEST_DIR", dir)
	luatest.Run(t, "api_test.lua", &luahost.Services{Now: func() time.Time { return now }})

	if len(vctxs) == 0 || vctxs[0].ReplyCode != 421 || vctxs[0].ReplyText != "bye" || !vctxs[0].Disconnect {
		t.Errorf("vctx reply not recorded: %+v", vctxs)
	}

	fi, err := os.Stat(filepath.Join(dir, "log.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode 0640 given as decimal 640 created %v", fi.Mode().Perm())
	}
}
