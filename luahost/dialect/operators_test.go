package dialect

import (
	"os"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// TestOperators runs testdata/operators.lua: every check must hold.
func TestOperators(t *testing.T) {
	src, err := os.ReadFile("testdata/operators.lua")
	if err != nil {
		t.Fatal(err)
	}
	L := lua.NewState()
	defer L.Close()
	checks := 0
	L.SetGlobal("check", L.NewFunction(func(L *lua.LState) int {
		checks++
		label, got, want := L.CheckString(1), L.Get(2), L.Get(3)
		if !L.Equal(got, want) || got.Type() != want.Type() {
			t.Errorf("%s (line %s): got %s %v, want %s %v", label, L.Where(1),
				got.Type(), got, want.Type(), want)
		}
		return 0
	}))
	L.SetGlobal("checkerr", L.NewFunction(func(L *lua.LState) int {
		checks++
		label, fn, want := L.CheckString(1), L.CheckFunction(2), L.CheckString(3)
		L.Push(fn)
		err := L.PCall(0, 0, nil)
		if err == nil {
			t.Errorf("%s: no error, want %q", label, want)
			return 0
		}
		msg := errorMessage(err)
		// the message carries the position of the operation
		if !strings.HasPrefix(msg, "operators.lua:") || !strings.HasSuffix(msg, ": "+want) {
			t.Errorf("%s: got %q, want operators.lua:N: %s", label, msg, want)
		}
		return 0
	}))
	proto, err := Compile(src, "operators.lua")
	if err != nil {
		t.Fatal(err)
	}
	fn, err := Load(L, proto)
	if err != nil {
		t.Fatal(err)
	}
	L.Push(fn)
	if err := L.PCall(0, 0, nil); err != nil {
		t.Fatal(err)
	}
	if checks < 100 {
		t.Errorf("only %d checks ran", checks)
	}
}
