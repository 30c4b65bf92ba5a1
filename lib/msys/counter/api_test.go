package counter_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"msyshost/luahost"
	"msyshost/luahost/luatest"

	_ "msyshost/lib/msys"
)

func TestLua(t *testing.T) { luatest.Run(t, "api_test.lua", nil) }

// Counters are the host's: every Lua state updates the same ones, and
// concurrent updates are not lost.
func TestConcurrentStates(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.lua")
	os.WriteFile(p, []byte(`local m = {}
local strict = msys.counter.open("/site/t/strict")
local relaxed = msys.counter.open("/site/t/relaxed", msys.counter.RELAXED)
function m:smpp_handle_DR_positive()
  for i = 1, 500 do
    msys.counter.inc(strict)
    msys.counter.inc(relaxed)
    msys.counter.inc("/site/t/bypath")
  end
  return 0
end
function m:smpp_handle_DR_negative()
  return msys.counter.read(strict) + msys.counter.read(relaxed) + msys.counter.read("/site/t/bypath")
end
msys.registerModule("c", m)`), 0o644)
	h := luahost.New(luahost.Options{PoolSize: 4}, nil)
	defer h.Close()
	if err := h.Load(context.Background(), []luahost.Script{{Name: "c", Path: p}}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.Call(context.Background(), "smpp_handle_DR_positive", "B", "I")
		}()
	}
	wg.Wait()
	if got := h.Call(context.Background(), "smpp_handle_DR_negative", "B", "I").Code; got != 3*8*500 {
		t.Fatalf("read %d, want %d", got, 3*8*500)
	}
}
