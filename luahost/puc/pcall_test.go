package puc_test

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc"
)

// TestPCall calls Lua hooks the way a host does, through puc.PCall.
func TestPCall(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	puc.Open(L)
	if err := L.DoString(`
		local count = 0
		function bump(n) count = count + n return count end
		function hook(msg, n)
			local cfg = nil
			if n > 1 then return cfg.limit end
			return msg:upper(), n + 1, bump(n)
		end
		function failing() error("plain", 0) end
		function counted() return count end
	`); err != nil {
		t.Fatal(err)
	}
	call := func(name string, nret int, args ...lua.LValue) error {
		L.Push(L.GetGlobal(name))
		for _, a := range args {
			L.Push(a)
		}
		return puc.PCall(L, len(args), nret)
	}
	if err := call("hook", 2, lua.LString("ok"), lua.LNumber(1)); err != nil {
		t.Fatal(err)
	}
	if L.GetTop() != 2 || L.Get(1).String() != "OK" || L.Get(2).String() != "2" {
		t.Fatalf("results %v %v (top %d), want OK 2", L.Get(1), L.Get(2), L.GetTop())
	}
	L.SetTop(0)
	err := call("hook", lua.MultRet, lua.LString("x"), lua.LNumber(5))
	if err == nil {
		t.Fatal("no error from cfg.limit on nil")
	}
	aerr := err.(*lua.ApiError)
	if want := "<string>:6: attempt to index local 'cfg' (a nil value)"; aerr.Object.String() != want {
		t.Errorf("message %q, want %q", aerr.Object, want)
	}
	if want := "stack traceback:\n\t<string>:6: in function <<string>:4>"; aerr.StackTrace != want {
		t.Errorf("traceback %q, want %q", aerr.StackTrace, want)
	}
	if L.GetTop() != 0 {
		t.Errorf("stack top %d after an error, want 0", L.GetTop())
	}
	if err := call("failing", 0); err == nil || err.(*lua.ApiError).Object.String() != "plain" {
		t.Errorf("error %v, want plain", err)
	}
	// bump's closure still shares count with the chunk's variable.
	if err := call("bump", 1, lua.LNumber(10)); err != nil || L.Get(-1).String() != "11" {
		t.Errorf("bump after errors: %v %v, want 11", L.Get(-1), err)
	}
	if !strings.HasPrefix(aerr.Error(), "<string>:6:") {
		t.Errorf("Error() = %q", aerr.Error())
	}
}
