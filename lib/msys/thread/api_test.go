package thread_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"msyshost/luahost"
	"msyshost/luahost/luatest"

	_ "msyshost/lib/msys"
)

func TestLua(t *testing.T) { luatest.Run(t, "api_test.lua", nil) }

// A mutex made at a script's top level is one mutex for every state of the
// generation: the documented counter example keeps a consistent count in
// the share space across states.
func TestTopLevelMutexIsShared(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.lua")
	os.WriteFile(p, []byte(`require("thread")
local m = {}
counter_lock = thread.mutex()
function m:smpp_handle_DR_positive()
  counter_lock:lock()
  local v = (msys.shareGet("n") or 0) + 1
  msys.sleep(0.001)
  msys.shareSet("n", v)
  counter_lock:unlock()
  return 0
end
function m:smpp_handle_DR_negative() return msys.shareGet("n") end
msys.registerModule("m", m)`), 0o644)
	h := luahost.New(luahost.Options{PoolSize: 4}, nil)
	defer h.Close()
	if err := h.Load(context.Background(), []luahost.Script{{Name: "m", Path: p}}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.Call(context.Background(), "smpp_handle_DR_positive", "B", "I")
		}()
	}
	wg.Wait()
	if n := h.Call(context.Background(), "smpp_handle_DR_negative", "B", "I").Code; n != 40 {
		t.Fatalf("count %d, want 40: the states did not share one mutex", n)
	}
}

// TestMutexLeftByAnErrorIsReleased: a hook that raises an error while
// holding a mutex releases it when it ends.
func TestMutexLeftByAnErrorIsReleased(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.lua")
	os.WriteFile(p, []byte(`require("thread")
local m = {}
local mu = thread.mutex()
function m:smpp_handle_DR_negative() mu:lock() error("boom") end
function m:smpp_handle_DR_positive() mu:lock() mu:unlock() return 7 end
msys.registerModule("m", m)`), 0o644)
	h := luahost.New(luahost.Options{PoolSize: 2, CallTimeout: 300 * time.Millisecond}, nil)
	defer h.Close()
	if err := h.Load(context.Background(), []luahost.Script{{Name: "m", Path: p}}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	h.Call(ctx, "smpp_handle_DR_negative", "B", "I")
	for i := 0; i < 3; i++ {
		if r := h.Call(ctx, "smpp_handle_DR_positive", "B", "I"); r.Code != 7 {
			t.Fatalf("call %d after the error: %+v", i, r.Calls)
		}
	}
}
