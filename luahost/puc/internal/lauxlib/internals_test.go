package lauxlib

import (
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// TestInternals checks that the unexported gopher-lua fields internals.go
// reads are still there and mean what it assumes.
func TestInternals(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	var gotPC, gotBase int
	var gotUps int
	L.SetGlobal("probe", L.NewFunction(func(L *lua.LState) int {
		dbg, ok := L.GetStack(1)
		if !ok {
			t.Fatal("no caller frame")
		}
		base, pc, ok := FrameInfo(dbg)
		if !ok {
			t.Fatal("frameInfo: gopher-lua's Debug.frame, callFrame.LocalBase or callFrame.Pc changed")
		}
		gotBase, gotPC = base, pc
		ups, regs, ok := OpenUpvalues(L)
		if !ok {
			t.Fatal("openUpvalues: gopher-lua's LState.uvcache, Upvalue.index or Upvalue.next changed")
		}
		for i := range ups {
			if ups[i].IsClosed() || regs[i] < base {
				t.Errorf("open upvalue %d points at register %d below the frame's base %d", i, regs[i], base)
			}
		}
		gotUps = len(ups)
		regs2, ok := Registers(L)
		if !ok {
			t.Fatal("Registers: gopher-lua's LState.reg, registry.array or registry.top changed")
		}
		found := false
		for _, v := range regs2 {
			found = found || v == lua.LString("marker")
		}
		if !found {
			t.Errorf("Registers misses the local holding \"marker\": %v", regs2)
		}
		return 0
	}))
	fn, err := L.LoadString(`local x = 1
		local f = function() return x end
		local m = "marker"
		probe()`)
	if err != nil {
		t.Fatal(err)
	}
	L.Push(fn)
	if err := L.PCall(0, 0, nil); err != nil {
		t.Fatal(err)
	}
	if op := int(fn.Proto.Code[gotPC] >> 26); op != lua.OP_CALL {
		t.Errorf("frameInfo's pc %d is opcode %d, want the OP_CALL of probe()", gotPC, op)
	}
	if gotBase < 0 || gotUps != 1 {
		t.Errorf("base %d, %d open upvalues; want one (x)", gotBase, gotUps)
	}
}
