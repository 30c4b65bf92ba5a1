package luahost_test

import (
	"context"
	"errors"
	"go/build"
	"path/filepath"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
	"msyshost/luahost/luatest"
)

// widget is a Go type with a class, for the toolkit tests.
type widget struct{ name string }

var (
	widgetClass = luahost.NewClass[widget]("test:_widget", "widget")
	widgetName  = luahost.NewService[string]("widget name")
)

// The toolkit binding: each function shows one part of the shared
// argument checking, the class registry, the services or the failure
// convention.
func init() {
	luahost.Register(luahost.Binding{Name: "test.toolkit", Open: func(L *lua.LState) lua.LValue {
		t := L.NewTable()
		luahost.SetFuncs(L, t, map[string]lua.LGFunction{
			"number": luahost.Func("number", func(a luahost.Args) int { return a.Push(lua.LNumber(a.Number(1))) }),
			"int":    luahost.Func("int", func(a luahost.Args) int { return a.Push(lua.LNumber(a.Int(1))) }),
			"str":    luahost.Func("str", func(a luahost.Args) int { return a.Push(lua.LString(a.String(1))) }),
			"opt": luahost.Func("opt", func(a luahost.Args) int {
				return a.Push(lua.LString(a.OptString(1, "dflt")), lua.LNumber(a.OptInt(2, 7)))
			}),
			"option": luahost.Func("option", func(a luahost.Args) int {
				return a.Push(lua.LNumber(a.Option(1, "b", "a", "b", "c")))
			}),
			"fn":    luahost.Func("fn", func(a luahost.Args) int { a.Function(1); return 0 }),
			"any":   luahost.Func("any", func(a luahost.Args) int { return a.Push(a.Any(1)) }),
			"fail":  luahost.Func("fail", func(a luahost.Args) int { return a.Fail(errors.New("disk full")) }),
			"panic": luahost.Func("panic", func(a luahost.Args) int { panic("broken invariant") }),
			"raise": luahost.Func("raise", func(a luahost.Args) int { a.Raise("no %s", "luck"); return 0 }),
			"widget": luahost.Func("widget", func(a luahost.Args) int {
				if a.IsNone(1) {
					return a.Push(widgetClass.Push(a.L, nil))
				}
				return a.Push(widgetClass.Push(a.L, &widget{name: a.String(1)}))
			}),
			"service": luahost.Func("service", func(a luahost.Args) int {
				v, ok := widgetName.Get(a.L)
				if !ok {
					return a.Failf("no widget name service")
				}
				return a.Push(lua.LString(v))
			}),
		})
		luahost.SetFuncs(L, widgetClass.Methods(L), map[string]lua.LGFunction{
			"name": luahost.Method("name", func(a luahost.Args) int {
				return a.Push(lua.LString(widgetClass.Check(a, 1).name))
			}),
			"rename": luahost.Method("rename", func(a luahost.Args) int {
				widgetClass.Check(a, 1).name = a.String(2)
				return 0
			}),
		})
		widgetClass.Field(L, "label", func(L *lua.LState, w *widget) lua.LValue { return lua.LString("<" + w.name + ">") }, nil)
		return t
	}})
}

func TestToolkitFromLua(t *testing.T) {
	svc := widgetName.Set(&luahost.Services{}, "gear")
	luatest.Run(t, "testdata/toolkit_test.lua", svc)
}

// A Go value whose type has a class reaches a hook as that class.
func TestHookArgumentsUseClasses(t *testing.T) {
	h, p := newHost(t, luahost.Options{},
		"w.lua", `local m = {}
function m:smpp_handle_DR_positive(w) print(msys.type(w), w:name(), w.label) return 3 end
msys.registerModule("w", m)`)
	res := h.Call(context.Background(), "smpp_handle_DR_positive", &widget{name: "cog"})
	if res.Code != 3 {
		t.Fatalf("res = %+v", res)
	}
	if got := p.all(); got != "w: test:_widget\tcog\t<cog>" {
		t.Fatalf("printed %q", got)
	}
	res = h.Call(context.Background(), "smpp_handle_DR_positive", struct{}{})
	if len(res.Calls) != 1 || !strings.Contains(res.Calls[0].Err, "cannot pass a struct {} to Lua") {
		t.Fatalf("a type without a class must be refused: %+v", res)
	}
}

func TestClassDeclaredTwicePanics(t *testing.T) {
	for _, declare := range []func(){
		func() { luahost.NewClass[struct{ x int }]("test:_widget", "dup name") },
		func() { luahost.NewClass[widget]("test:_other", "dup type") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("a second declaration must panic")
				}
			}()
			declare()
		}()
	}
}

// luahost owns the VM and nothing of the domain: message, store, spool and
// the like reach Lua through classes and services that lib/msys declares.
func TestLuahostImportsNoDomainPackage(t *testing.T) {
	for _, dir := range []string{".", "dialect", "puc", "luatest"} {
		pkg, err := build.ImportDir(filepath.Join(".", dir), 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range pkg.Imports {
			if strings.HasPrefix(imp, "msyshost/") && !strings.HasPrefix(imp, "msyshost/luahost") && imp != "msyshost/lib/hook" {
				t.Errorf("luahost/%s imports %s", dir, imp)
			}
		}
	}
}
