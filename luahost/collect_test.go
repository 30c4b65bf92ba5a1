package luahost_test

import (
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	_ "msyshost/lib/msys/timer"
	"msyshost/luahost"
)

// Regression tests for the host's collection of weak tables and
// finalizers (review-luahost.md items 1 and 2).

// TestConcatenationInAHookDoesNotCollect: after Go's collector ran, a
// concatenation in a hook no longer runs a whole collection on the
// caller's path: an unreachable weak entry is still there in the same
// call; it goes between calls.
func TestConcatenationInAHookDoesNotCollect(t *testing.T) {
	h, p := newHost(t, luahost.Options{PoolSize: 1},
		"m.lua", `local m = {}
local cache = setmetatable({}, {__mode = "v"})
function m:validate_data(msg)
  cache[1] = {}
  return 0
end
function m:validate_ehlo(a, b)
  local s = a .. b .. tostring(a)
  print("in the call", cache[1] ~= nil)
  return 0
end
msys.registerModule("m", m)`)
	ctx := context.Background()
	h.Dispatch(ctx, "validate_data", "x")
	runtime.GC()
	h.Dispatch(ctx, "validate_ehlo", "a", "b")
	if got := p.all(); got != "m: in the call\ttrue" {
		t.Fatalf("printed %q: the concatenation collected the weak table inside the hook", got)
	}
}

// TestCollectionRunsAfterTheCallerHasItsResult: the host's collection,
// with its finalizers, runs after the call that made it due has returned.
func TestCollectionRunsAfterTheCallerHasItsResult(t *testing.T) {
	h, p := newHost(t, luahost.Options{PoolSize: 2, CallTimeout: 5 * time.Second},
		"m.lua", `local m = {}
local made = false
function m:validate_data(msg)
  if not made then
    made = true
    local u = newproxy(true)
    getmetatable(u).__gc = function()
      local t0 = os.clock() while os.clock() - t0 < 0.3 do end
      print("finalized")
    end
  end
  return 0
end
msys.registerModule("m", m)`)
	ctx := context.Background()
	for i := 0; i < collectEvery+1; i++ {
		h.Dispatch(ctx, "validate_data", "x")
		if strings.Contains(p.all(), "finalized") {
			t.Fatalf("call %d returned after a finalizer ran on its path", i)
		}
	}
	waitFor(t, func() bool { return strings.Contains(p.all(), "finalized") })
}

// TestSessionSelfKeepsItsFile: a file a session keeps in self stays open
// across the host's collections until the session ends.
func TestSessionSelfKeepsItsFile(t *testing.T) {
	name := filepath.Join(t.TempDir(), "out.txt")
	h, p := newHost(t, luahost.Options{PoolSize: 1},
		"m.lua", `local m = {}
function m:validate_connect(ac, vctx)
  self.f = assert(io.open("`+name+`", "w"))
  return 0
end
function m:validate_data(msg) return 0 end
function m:validate_ehlo(str, ac, vctx)
  print("write", pcall(function() return self.f:write("hello\n") end))
  return 0
end
msys.registerModule("m", m)`)
	ctx := context.Background()
	s := h.NewSession()
	s.Call(ctx, "validate_connect", 0, "ac", "vctx")
	for i := 0; i < 3*collectEvery; i++ {
		h.Dispatch(ctx, "validate_data", "m")
	}
	s.Call(ctx, "validate_ehlo", 0, "x", "ac", "vctx")
	s.Close(ctx)
	if got := p.all(); got != "m: write\ttrue\ttrue" {
		t.Fatalf("printed %q: the collection closed the session's file", got)
	}
}

// TestTimerKeepsTheFileItCaptures: a file only a timer's function reaches
// stays open across the host's collections.
func TestTimerKeepsTheFileItCaptures(t *testing.T) {
	name := filepath.Join(t.TempDir(), "out.txt")
	h, p := newHost(t, luahost.Options{PoolSize: 1},
		"m.lua", `local m = {}
do
  local f = assert(io.open("`+name+`", "w"))
  msys.timer.every(0.02, function()
    print("tick", (pcall(function() return f:write("tick\n") end)))
  end)
end
function m:validate_data(msg) return 0 end
msys.registerModule("m", m)`)
	ctx := context.Background()
	for round := 0; round < 3; round++ {
		for i := 0; i < collectEvery+1; i++ {
			h.Dispatch(ctx, "validate_data", "m")
		}
		n := strings.Count(p.all(), "tick")
		waitFor(t, func() bool { return strings.Count(p.all(), "tick") > n })
	}
	if got := p.all(); strings.Contains(got, "false") {
		t.Fatalf("printed %q: the collection closed the timer's file", got)
	}
}

// TestSessionSelfIsLetGoAtClose: a session's self is a root of the
// collection while the session is open, and no longer once it closed (its
// home lets the self go with the session): of two sessions on one state,
// the closed one's self leaves a weak table while the open one's stays.
func TestSessionSelfIsLetGoAtClose(t *testing.T) {
	h, p := newHost(t, luahost.Options{PoolSize: 1}, "m.lua", `local m = {}
local selves = setmetatable({}, {__mode = "k"})
function m:validate_connect(ac, vctx) selves[self] = true return 0 end
function m:validate_data(msg)
  local n = 0
  for _ in pairs(selves) do n = n + 1 end
  print("selves", n)
  return 0
end
msys.registerModule("m", m)`)
	ctx := context.Background()
	// Collections run between calls, paced by time as well as by calls.
	collectUntil := func(want string) string {
		var got string
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
			for i := 0; i < collectEvery; i++ {
				h.Dispatch(ctx, "validate_data", "m")
			}
			lines := strings.Split(p.all(), "\n")
			if got = lines[len(lines)-1]; got == want {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		return got
	}
	closed, open := h.NewSession(), h.NewSession()
	closed.Call(ctx, "validate_connect", 0, "ac", "vctx")
	open.Call(ctx, "validate_connect", 0, "ac", "vctx")
	closed.Close(ctx)
	if got := collectUntil("m: selves\t1"); got != "m: selves\t1" {
		t.Fatalf("one session closed, one open: %q", got)
	}
	open.Close(ctx)
	if got := collectUntil("m: selves\t0"); got != "m: selves\t0" {
		t.Fatalf("after both sessions closed: %q (a self is still a root)", got)
	}
}
