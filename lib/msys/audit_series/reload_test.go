package audit_series_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"msyshost/luahost"
)

// TestRefusedReloadKeepsTheServingSeries: a reload that defines a series
// again with another shape and is refused (its init returns false) leaves
// the serving series and its counts as they were (review item 4's kin: a
// refused generation changed host-wide state).
func TestRefusedReloadKeepsTheServingSeries(t *testing.T) {
	dir := t.TempDir()
	script := func(name, windows, initResult string) string {
		p := filepath.Join(dir, name+".lua")
		os.WriteFile(p, []byte(`local m = {}
function m:init()
  msys.audit_series.define("senders", "string", 60, `+windows+`)
  return `+initResult+`
end
function m:smpp_handle_DR_positive(b)
  if b == "add" then msys.audit_series.add("senders", "alice") end
  return msys.audit_series.count("senders", "alice")
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
	for i := 0; i < 3; i++ {
		h.Call(ctx, "smpp_handle_DR_positive", "add", "I")
	}
	if err := h.Load(ctx, []luahost.Script{{Name: "m", Path: script("bad", "5", "false")}}); err == nil {
		t.Fatal("a load whose init returns false must be refused")
	}
	if c := h.Call(ctx, "smpp_handle_DR_positive", "count", "I").Code; c != 3 {
		t.Fatalf("after a refused reload the series counts %d; want the serving series' 3", c)
	}
}
