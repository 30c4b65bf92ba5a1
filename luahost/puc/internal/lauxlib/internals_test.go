package lauxlib

import (
	"errors"
	"slices"
	"strings"
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

// Go calls a function that tail-calls into one that raises: the error names
// the raising function's line, as PUC's luaL_where does, and only the
// levels of the tail calls are TailLevels. (The outermost frame is the one
// that made the tail call, which gopher-lua also answers tail levels with.)
func TestTailLevelWhenGoCalledTheTailCaller(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	var tails []bool
	L.SetGlobal("raise", L.NewFunction(func(L *lua.LState) int {
		tails = tails[:0]
		for level := 1; ; level++ {
			if _, ok := L.GetStack(level); !ok {
				break
			}
			tails = append(tails, TailLevel(L, level))
		}
		Raise(L, "boom")
		return 0
	}))
	for _, c := range []struct {
		src, want string
		tails     []bool
	}{
		// hook: the outermost frame tail-calls helper, which raises.
		{"local function helper()\n  raise()\nend\nreturn function() return helper() end", "chunk:2: boom", []bool{false, true}},
		// two tail calls in a row from the outermost frame.
		{"local function helper()\n  raise()\nend\nlocal function mid() return helper() end\nreturn function() return mid() end", "chunk:2: boom", []bool{false, true, true}},
		// no tail call: helper's caller is a level of its own.
		{"local function helper()\n  raise()\nend\nreturn function() local x = helper() return x end", "chunk:2: boom", []bool{false, false}},
		// the outermost frame raises itself after a call returned.
		{"local function id(x) return x end\nreturn function() id(1)\n raise() end", "chunk:3: boom", []bool{false}},
	} {
		top, err := L.Load(strings.NewReader(c.src), "chunk")
		if err != nil {
			t.Fatal(err)
		}
		L.Push(top)
		L.Call(0, 1)
		fn := L.Get(-1)
		L.Pop(1)
		L.Push(fn)
		err = L.PCall(0, 0, nil)
		var apiErr *lua.ApiError
		if !errors.As(err, &apiErr) || apiErr.Object.String() != c.want {
			t.Errorf("%q: error %v, want %q", c.src, err, c.want)
		}
		if !slices.Equal(tails, c.tails) {
			t.Errorf("%q: tail levels %v, want %v", c.src, tails, c.tails)
		}
	}
}
