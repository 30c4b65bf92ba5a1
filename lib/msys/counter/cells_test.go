package counter

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

// TestRelaxedCellsAreOnePerStateAndFolded: opening a RELAXED counter in
// every call reuses the state's cell, and a retired generation's cells
// fold into the counter, so cells do not pile up (review item 16: one
// cell per open, kept for the host's life) and no count is lost.
func TestRelaxedCellsAreOnePerStateAndFolded(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.lua")
	os.WriteFile(p, []byte(`local counter = require("msys.counter")
local m = {}
function m:smpp_handle_DR_positive()
  counter.add(counter.open("/site/t/hits", counter.RELAXED), 1)
  return counter.read("/site/t/hits")
end
msys.registerModule("c", m)`), 0o644)
	const pool = 2
	h := luahost.New(luahost.Options{PoolSize: pool}, nil)
	defer h.Close()
	scripts := []luahost.Script{{Name: "c", Path: p}}
	ctx := context.Background()
	var last int
	for round := 0; round < 3; round++ {
		if err := h.Load(ctx, scripts); err != nil { // a reload retires the states
			t.Fatal(err)
		}
		for i := 0; i < 100; i++ {
			last = h.Call(ctx, "smpp_handle_DR_positive", "B", "I").Code
		}
	}
	if last != 300 {
		t.Fatalf("the counter reads %d after 300 adds across reloads", last)
	}
	var c *counter
	h.WithState(ctx, func(L *lua.LState) error { c = namespaceOf(L).get("/site/t/hits"); return nil })
	h.Close() // the last generation's cells fold too
	c.mu.Lock()
	n := len(c.cells)
	c.mu.Unlock()
	if n != 0 || c.read() != 300 {
		t.Fatalf("after the host closed: %d cells, value %d; want 0 cells and 300", n, c.read())
	}
}
