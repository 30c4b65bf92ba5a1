package compat

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"

	_ "msyshost/lib/msys"
)

func init() {
	luahost.Register(luahost.Binding{Name: "compattest.engine", Unavailable: "the Frobnicator engine"})
	luahost.Register(luahost.Binding{
		Name: "compattest.tools",
		Open: func(L *lua.LState) lua.LValue {
			t := L.NewTable()
			t.RawSetString("LIMIT", lua.LNumber(3))
			L.SetField(t, "exact", L.NewFunction(func(*lua.LState) int { return 0 }))
			L.SetField(t, "rough", L.NewFunction(func(*lua.LState) int { return 0 }))
			return t
		},
		Notes:   map[string]string{"compattest.tools.rough": "rounds to whole seconds"},
		Missing: map[string]string{"compattest.tools.gone": "needs the MTA's queues"},
	})
}

func report(t *testing.T, src string) map[string]Use {
	t.Helper()
	r, err := NewIndex(luahost.BuildCatalog()).Check("t.lua", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Use{}
	for _, u := range r.Uses {
		out[string(u.Kind)+" "+u.Name] = u
	}
	return out
}

func expect(t *testing.T, uses map[string]Use, key string, st Status, detail string) {
	t.Helper()
	u, ok := uses[key]
	if !ok {
		t.Errorf("no use %q in %v", key, uses)
		return
	}
	if u.Status != st || !strings.Contains(u.Detail, detail) {
		t.Errorf("%s: %s %q, want %s %q", key, u.Status, u.Detail, st, detail)
	}
}

func TestUsesThroughAliasesAndRequires(t *testing.T) {
	uses := report(t, `local tools = require("compattest.tools")
local e = require "compattest.engine"
local x = tools.exact(1) + tools.rough(2) + tools.LIMIT
tools.gone()
compattest.tools.nothing()
msys.nowhere.at_all()
local s = ("abc"):upper() -- a string method is the script's business
-- compattest.tools.commented() is not a use
local long = [[ compattest.tools.in_a_string() ]]
`)
	expect(t, uses, "require compattest.tools", Supported, "")
	expect(t, uses, "require compattest.engine", Unsupported, "the Frobnicator engine")
	expect(t, uses, "function compattest.tools.exact", Supported, "")
	expect(t, uses, "function compattest.tools.rough", Partial, "rounds to whole seconds")
	expect(t, uses, "constant compattest.tools.LIMIT", Supported, "")
	expect(t, uses, "function compattest.tools.gone", Unsupported, "needs the MTA's queues")
	expect(t, uses, "function compattest.tools.nothing", Unsupported, "msyshost's compattest.tools has no nothing")
	expect(t, uses, "function msys.nowhere.at_all", Unsupported, "msyshost has no module msys.nowhere")
	if len(uses) != 8 {
		t.Errorf("uses = %v", uses)
	}
	if uses["function compattest.tools.exact"].Line != 3 {
		t.Errorf("line of first use: %+v", uses["function compattest.tools.exact"])
	}
}

func TestHooksOfRegisteredModules(t *testing.T) {
	uses := report(t, `local mod = {}
function mod:init() return true end
function mod:smpp_handle_DR_positive(b, id) return 0 end
function mod:validate_data(msg, ac, vctx) return 0 end
function mod.validate_mailfom(self, s, ac, vctx) return 0 end
function mod:helper() end
local other = {}
function other:validate_ehlo() end
msys.registerModule("m", mod)
`)
	expect(t, uses, "hook init", Supported, "run by the Lua host")
	expect(t, uses, "hook validate_data", Partial, "nothing in msyshost calls it")
	expect(t, uses, "hook validate_mailfom", Unsupported, "did you mean validate_mailfrom?")
	if _, ok := uses["hook helper"]; ok {
		t.Error("a helper method is not a hook")
	}
	if _, ok := uses["hook validate_ehlo"]; ok {
		t.Error("a table never registered defines no hooks")
	}
}

func TestMethodsOfEngineClasses(t *testing.T) {
	uses := report(t, `local function f(msg, vctx)
  local s = msys.core.string_new()
  s:set("x")
  msg:context_get(msys.core.ECMESS_CTX_MESS, "k")
  vctx:set_code(550, "no")
  msg:my_own_thing()
end`)
	expect(t, uses, "method ec_string|vctx:set", Supported, "") // the receiver is unknown; both classes have it
	expect(t, uses, "method ec_message:context_get", Supported, "")
	expect(t, uses, "method vctx:set_code", Supported, "")
	if _, ok := uses["method ec_message:my_own_thing"]; ok {
		t.Error("an unknown method is not claimed for a class")
	}
}

func TestScanErrorsNameTheLine(t *testing.T) {
	if _, err := scan("x = 1\ny = \"open\n"); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("err = %v", err)
	}
	if _, err := scan("--[==[ never closed ]]"); err == nil || !strings.Contains(err.Error(), "line 1: unfinished long") {
		t.Fatalf("err = %v", err)
	}
	toks, err := scan("a != b ^^ c\\d --[[ x\n y ]] e")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tk := range toks {
		got = append(got, tk.text)
	}
	if strings.Join(got, " ") != `a != b ^^ c \ d e ` || toks[len(toks)-2].line != 2 {
		t.Fatalf("tokens %q, last line %d", got, toks[len(toks)-2].line)
	}
}

func FuzzScan(f *testing.F) {
	for _, s := range []string{"local x = require('msys.core')", "--[[ c ]] a:b('x')", "s = [==[\n]==]", "x = \"a\\\"b\"", "#!/bin/lua\nprint(1)"} {
		f.Add(s)
	}
	x := NewIndex(luahost.BuildCatalog())
	f.Fuzz(func(t *testing.T, src string) {
		toks, err := scan(src)
		if err != nil {
			return
		}
		if toks[len(toks)-1].kind != tEOF {
			t.Fatal("no EOF token")
		}
		if _, err := x.Check("f.lua", []byte(src), nil); err != nil {
			t.Fatalf("scan passed but Check failed: %v", err)
		}
	})
}
