package gauge_cache_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"msyshost/luahost"
)

// TestRefusedReloadKeepsTheServingCacheSize: a reload that defines a cache
// again with another size and is refused leaves the serving cache's size
// (review item 4's kin: a refused generation changed host-wide state).
func TestRefusedReloadKeepsTheServingCacheSize(t *testing.T) {
	dir := t.TempDir()
	script := func(name, size, initResult string) string {
		p := filepath.Join(dir, name+".lua")
		os.WriteFile(p, []byte(`local m = {}
function m:init()
  msys.gauge_cache.define("conns", `+size+`, 60)
  return `+initResult+`
end
function m:smpp_handle_DR_positive(b, key)
  msys.gauge_cache.inc("conns", key)
  local n = 0
  for _, k in ipairs({ "a", "b", "c" }) do
    if msys.gauge_cache.get("conns", k) > 0 then n = n + 1 end
  end
  return n
end
msys.registerModule("m", m)`), 0o644)
		return p
	}
	h := luahost.New(luahost.Options{PoolSize: 1}, nil)
	defer h.Close()
	ctx := context.Background()
	if err := h.Load(ctx, []luahost.Script{{Name: "m", Path: script("good", "3", "true")}}); err != nil {
		t.Fatal(err)
	}
	if err := h.Load(ctx, []luahost.Script{{Name: "m", Path: script("bad", "1", "false")}}); err == nil {
		t.Fatal("a load whose init returns false must be refused")
	}
	var n int
	for _, k := range []string{"a", "b", "c"} {
		n = h.Call(ctx, "smpp_handle_DR_positive", "B", k).Code
	}
	if n != 3 {
		t.Fatalf("the cache holds %d of 3 keys after a refused reload; want the serving size 3", n)
	}
}
