package gauge_cache_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"

	"msyshost/luahost"
)

const benchHooks = `local m = {}
function m:init() msys.gauge_cache.define("conns", 10000, 300) return true end
function m:smpp_handle_DR_positive(b, key)
  msys.gauge_cache.inc("conns", key)
  return 0
end
function m:smpp_handle_DR_negative(b, key)
  return msys.gauge_cache.get("conns", key) >= 0 and 0 or 1
end
function m:mm7_handle_DR_negative(trx, b, key)
  return 0
end
msys.registerModule("bench", m)`

// BenchmarkGaugeCacheUnderConcurrentHooks dispatches hooks that increment
// or read a gauge cache entry (1,000 keys, like client addresses) from
// GOMAXPROCS goroutines at once, beside the same hook without the cache.
func BenchmarkGaugeCacheUnderConcurrentHooks(b *testing.B) {
	p := filepath.Join(b.TempDir(), "bench.lua")
	os.WriteFile(p, []byte(benchHooks), 0o644)
	h := luahost.New(luahost.Options{PoolSize: runtime.GOMAXPROCS(0)}, nil)
	defer h.Close()
	if err := h.Load(context.Background(), []luahost.Script{{Name: "bench", Path: p}}); err != nil {
		b.Fatal(err)
	}
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = "10.0." + strconv.Itoa(i/250) + "." + strconv.Itoa(i%250)
	}
	for _, c := range []struct{ name, hook string }{
		{"baseline", "mm7_handle_DR_negative"},
		{"inc", "smpp_handle_DR_positive"},
		{"get", "smpp_handle_DR_negative"},
	} {
		b.Run(c.name, func(b *testing.B) {
			var n atomic.Int64
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					k := keys[n.Add(1)%int64(len(keys))]
					if c.name == "baseline" {
						h.Dispatch(ctx, c.hook, nil, "B", k)
					} else {
						h.Dispatch(ctx, c.hook, "B", k)
					}
				}
			})
		})
	}
}
