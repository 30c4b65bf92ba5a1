package counter_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"msyshost/luahost"
)

const benchHooks = `local m = {}
local strict = msys.counter.open("/site/bench/strict")
local relaxed = msys.counter.open("/site/bench/relaxed", msys.counter.RELAXED)
function m:smpp_handle_DR_positive(b, id)
  msys.counter.inc(strict)
  return 0
end
function m:smpp_handle_DR_negative(b, id)
  msys.counter.inc(relaxed)
  return 0
end
function m:mm7_handle_DR_positive(trx, b, id)
  msys.counter.inc("/site/bench/bypath")
  return 0
end
function m:mm7_handle_DR_negative(trx, b, id)
  return 0
end
msys.registerModule("bench", m)`

// BenchmarkCounterUnderConcurrentHooks dispatches a hook that increments a
// counter from GOMAXPROCS goroutines at once, one Lua state each: a STRICT
// handle (one shared value), a RELAXED handle (a cell per handle, summed on
// read), a counter named by path, and the same hook without the counter as
// the baseline.
func BenchmarkCounterUnderConcurrentHooks(b *testing.B) {
	p := filepath.Join(b.TempDir(), "bench.lua")
	os.WriteFile(p, []byte(benchHooks), 0o644)
	h := luahost.New(luahost.Options{PoolSize: runtime.GOMAXPROCS(0)}, nil)
	defer h.Close()
	if err := h.Load(context.Background(), []luahost.Script{{Name: "bench", Path: p}}); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, hook string }{
		{"baseline", "mm7_handle_DR_negative"},
		{"strict", "smpp_handle_DR_positive"},
		{"relaxed", "smpp_handle_DR_negative"},
		{"path", "mm7_handle_DR_positive"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					if c.hook[:3] == "mm7" {
						h.Dispatch(ctx, c.hook, nil, "B", "I")
					} else {
						h.Dispatch(ctx, c.hook, "B", "I")
					}
				}
			})
		})
	}
}
