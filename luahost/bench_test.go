package luahost_test

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/hook"
	"msyshost/luahost"
	"msyshost/luahost/lua51"
)

const positiveHandler = `
local mod = {}
function mod:smpp_handle_DR_positive(bucket, msgid)
  print("QA: positive SMPP receipt; delete ", msgid, " stored in ", bucket)
  msys.mstore.delete(bucket, msgid)
  return msys.smpp.SMPP_CONTINUE
end
msys.registerModule("smpp_hooks", mod)
`

var registerBenchStubs sync.Once

// BenchmarkPositiveReceiptDispatch measures a Go -> Lua dispatch of the
// documented positive-receipt handler (pool, deadline, method call, return
// check) and runs the same handler under lua5.1 for comparison. The
// handler's msys.mstore.delete is a Go map removal here and a Lua table
// removal there; print goes to a discarding log here and /dev/null there.
func BenchmarkPositiveReceiptDispatch(b *testing.B) {
	registerBenchStubs.Do(func() {
		luahost.Register(luahost.Binding{Name: "bench.stubs", Open: func(L *lua.LState) lua.LValue {
			stored := map[string]bool{}
			mstore := L.NewTable()
			L.SetField(mstore, "delete", L.NewFunction(func(L *lua.LState) int {
				k := L.CheckString(1) + "/" + L.CheckString(2)
				_, ok := stored[k]
				delete(stored, k)
				L.Push(lua.LBool(ok))
				return 1
			}))
			smpp := L.NewTable()
			L.SetField(smpp, "SMPP_CONTINUE", lua.LNumber(0))
			msys := L.GetGlobal("msys").(*lua.LTable)
			L.SetField(msys, "mstore", mstore)
			L.SetField(msys, "smpp", smpp)
			return nil
		}})
	})
	_, scripts := writeScripts(b, "smpp_hooks.lua", positiveHandler)
	h2 := luahost.New(luahost.Options{PoolSize: 1}, nil)
	defer h2.Close()
	if err := h2.Load(context.Background(), scripts); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if code := h2.Dispatch(ctx, "smpp_handle_DR_positive", "MADR-12345", "abc"); code != hook.Continue {
			b.Fatalf("dispatch returned %d", code)
		}
	}
	b.StopTimer()
	goNs := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	// stdout (the handler's prints) goes to /dev/null; the timing comes on
	// stderr.
	var stderr strings.Builder
	cmd := lua51.Command(b, filepath.Join("testdata", "bench", "positive_receipt.lua"), "1000000")
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("lua5.1: %v: %s", err, stderr.String())
	}
	out := stderr.String()
	pucNs, err := strconv.ParseFloat(strings.TrimSpace(out), 64)
	if err != nil {
		b.Fatalf("lua5.1 printed %q", out)
	}
	b.ReportMetric(pucNs, "lua5.1-ns/op")
	b.ReportMetric(goNs/pucNs, "x-lua5.1")
}
