// Package luatest runs Lua test files from Go tests: every global function
// named TestXxx in the file becomes a subtest and receives a `t` object with
// t:error(msg), t:fatal(msg), t:log(msg), t:skip(msg) and t:name(), and
// the checks t:eq(got, want, what) (got ~= want is an error) and
// t:raises(f, want, what) (f must raise an error whose text contains
// want).
package luatest

import (
	"context"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

// Run loads file as a script of a fresh host built with svc (nil for no
// services) and runs its TestXxx functions as subtests.
func Run(t *testing.T, file string, svc *luahost.Services) {
	t.Helper()
	h := luahost.New(luahost.Options{PoolSize: 1, SearchPath: []string{filepath.Dir(file)}}, svc)
	defer h.Close()
	ctx := context.Background()
	if err := h.Load(ctx, []luahost.Script{{Name: strings.TrimSuffix(filepath.Base(file), ".lua"), Path: file}}); err != nil {
		t.Fatalf("loading %s: %v", file, err)
	}
	err := h.WithState(ctx, func(L *lua.LState) error {
		var names []string
		L.G.Global.ForEach(func(k, v lua.LValue) {
			if ks, ok := k.(lua.LString); ok && strings.HasPrefix(string(ks), "Test") {
				if _, ok := v.(*lua.LFunction); ok {
					names = append(names, string(ks))
				}
			}
		})
		sort.Strings(names)
		if len(names) == 0 {
			t.Fatalf("%s defines no global TestXxx function", file)
		}
		for _, name := range names {
			fn := L.GetGlobal(name).(*lua.LFunction)
			t.Run(name, func(t *testing.T) { runOne(ctx, t, L, fn) })
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// helpers are the checks written in Lua, so that they compare and catch
// errors as the scripts' own code does (PUC's ~=, pcall and messages).
const helpers = `local t = ...
function t:eq(got, want, what)
  if got ~= want then
    self:error(string.format("%s: got %s, want %s", what or "value", tostring(got), tostring(want)))
  end
end
function t:raises(f, want, what)
  local ok, err = pcall(f)
  if ok then
    self:error((what or "call") .. ": no error")
  elseif not string.find(tostring(err), want, 1, true) then
    self:error((what or "call") .. ": error '" .. tostring(err) .. "' lacks '" .. want .. "'")
  end
end`

// helperSource names the helpers' chunk; where skips its frames.
const helperSource = "luatest"

func runOne(ctx context.Context, t *testing.T, L *lua.LState, fn *lua.LFunction) {
	tobj := L.NewTable()
	fatal := lua.LString("luatest: fatal")
	skip := lua.LString("luatest: skip")
	L.SetFuncs(tobj, map[string]lua.LGFunction{
		"error": func(L *lua.LState) int { t.Error(where(L) + L.CheckString(2)); return 0 },
		"log":   func(L *lua.LState) int { t.Log(where(L) + L.CheckString(2)); return 0 },
		"name":  func(L *lua.LState) int { L.Push(lua.LString(t.Name())); return 1 },
		"fatal": func(L *lua.LState) int {
			t.Error(where(L) + L.CheckString(2))
			L.Error(fatal, 0)
			return 0
		},
		"skip": func(L *lua.LState) int {
			t.Log("skipped: " + L.OptString(2, ""))
			L.Error(skip, 0)
			return 0
		},
	})
	add, err := L.Load(strings.NewReader(helpers), helperSource)
	if err == nil {
		err = luahost.PCall(ctx, L, add, tobj)
	}
	if err != nil {
		t.Fatalf("luatest helpers: %v", err)
	}
	L.SetTop(0)
	err = luahost.PCall(ctx, L, fn, tobj)
	L.SetTop(0)
	if err == nil {
		return
	}
	switch msg := err.Error(); {
	case strings.Contains(msg, string(fatal)):
	case strings.Contains(msg, string(skip)):
		t.SkipNow()
	default:
		t.Error(msg)
	}
}

// where returns "file:line: " of the Lua caller, the test's line when the
// caller is one of the helpers.
func where(L *lua.LState) string {
	for level := 1; ; level++ {
		d, ok := L.GetStack(level)
		if !ok {
			return ""
		}
		if _, err := L.GetInfo("Sl", d, lua.LNil); err != nil {
			return ""
		}
		if d.Source == helperSource {
			continue
		}
		if d.CurrentLine > 0 {
			return d.Source + ":" + strconv.Itoa(d.CurrentLine) + ": "
		}
		return ""
	}
}
