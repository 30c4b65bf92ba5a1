package timer_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"msyshost/luahost"

	_ "msyshost/lib/msys"
)

type lines struct {
	mu sync.Mutex
	l  []string
}

func (p *lines) add(_, s string) {
	p.mu.Lock()
	p.l = append(p.l, s)
	p.mu.Unlock()
}

func (p *lines) count(s string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, l := range p.l {
		if l == s {
			n++
		}
	}
	return n
}

func load(t *testing.T, pool int, src string) (*luahost.Host, *lines) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "t.lua")
	os.WriteFile(p, []byte(src), 0o644)
	out := &lines{}
	h := luahost.New(luahost.Options{PoolSize: pool}, &luahost.Services{Print: out.add})
	t.Cleanup(h.Close)
	if err := h.Load(context.Background(), []luahost.Script{{Name: "t", Path: p}}); err != nil {
		t.Fatal(err)
	}
	return h, out
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 300; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s: not within 3s", what)
}

// A timer made at load time runs once per firing however many states the
// generation has, in a state that sees init's values; every repeats; stop
// stops; retiring the generation stops its timers.
func TestTimersMadeWhileLoading(t *testing.T) {
	h, out := load(t, 3, `local m = {}
local greeting
function m:init() greeting = "hello" return true end
once = msys.timer.after(0.02, function() print("once " .. greeting) end, "one-shot")
rep = msys.timer.every(0.03, function() print("tick") end)
function m:smpp_handle_DR_positive()
  if once:name() ~= "one-shot" or rep:name() ~= nil then return 9 end
  rep:stop()
  return 0
end
msys.registerModule("t", m)`)
	eventually(t, "one-shot and three ticks", func() bool { return out.count("once hello") == 1 && out.count("tick") >= 3 })
	time.Sleep(50 * time.Millisecond)
	if n := out.count("once hello"); n != 1 {
		t.Fatalf("the one-shot ran %d times (once per state?)", n)
	}
	if c := h.Call(context.Background(), "smpp_handle_DR_positive", "B", "I").Code; c != 0 {
		t.Fatalf("name() wrong: %d", c)
	}
	n := out.count("tick")
	time.Sleep(100 * time.Millisecond)
	if out.count("tick") > n+1 {
		t.Fatalf("ticks went on after stop: %d then %d", n, out.count("tick"))
	}
}

// A timer made in a hook runs in that hook's state after it returns;
// start() schedules a stopped timer again.
func TestTimerMadeInAHook(t *testing.T) {
	h, out := load(t, 1, `local m = {}
local timers = {}
function m:smpp_handle_DR_positive(b, id)
  local state = "during"
  timers[id] = msys.timer.after(0.01, function() print("fired " .. id .. " " .. state) end)
  state = "after"
  return 0
end
function m:smpp_handle_DR_negative(b, id)
  timers[id]:stop()
  return 0
end
function m:mm7_handle_DR_positive(trx, b, id)
  timers[id]:start()
  return 0
end
msys.registerModule("t", m)`)
	h.Call(context.Background(), "smpp_handle_DR_positive", "B", "a")
	eventually(t, "the hook's timer", func() bool { return out.count("fired a after") == 1 })
	h.Call(context.Background(), "smpp_handle_DR_positive", "B", "b")
	h.Call(context.Background(), "smpp_handle_DR_negative", "B", "b")
	time.Sleep(50 * time.Millisecond)
	if out.count("fired b after") != 0 {
		t.Fatal("a stopped timer fired")
	}
	h.Call(context.Background(), "mm7_handle_DR_positive", nil, "B", "b")
	eventually(t, "a restarted timer", func() bool { return out.count("fired b after") == 1 })
}

func TestTimerArguments(t *testing.T) {
	h, _ := load(t, 1, `local m = {}
function m:smpp_handle_DR_positive()
  local ok, err = pcall(msys.timer.every, 0, function() end)
  if ok or not string.find(err, "bad argument #1 to '?' (interval above 0 expected)", 1, true) then return 1 end
  ok, err = pcall(msys.timer.after, 1)
  if ok or not string.find(err, "bad argument #2 to '?' (function expected, got no value)", 1, true) then return 2 end
  local at = msys.timer.at(os.time() + 3600, function() end, "later")
  -- Called with a dot, self is argument #1, as PUC counts it.
  ok, err = pcall(function() return at.stop(nil) end)
  if ok or not string.find(err, "bad argument #1 to 'stop' (timer expected, got nil)", 1, true) then return 4 end
  at:stop()
  return msys.type(at) == "msys.timer:_timer" and 0 or 3
end
msys.registerModule("t", m)`)
	if res := h.Call(context.Background(), "smpp_handle_DR_positive", "B", "I"); res.Code != 0 {
		t.Fatalf("%+v", res)
	}
}

// TestHookTimersLetTheirFunctionsGo: a one-shot timer made in a hook
// forgets its function once it has fired, and a stopped timer once
// stopped: what only their functions reached leaves a weak table at the
// next collection (review item 10: the host kept every such function, a
// root of its collections, for the generation's life).
func TestHookTimersLetTheirFunctionsGo(t *testing.T) {
	h, out := load(t, 1, `local m = {}
local alive = setmetatable({}, {__mode = "k"})
local fired = 0
function m:smpp_handle_DR_positive(b, id)
  local obj = {}
  alive[obj] = true
  if b == "fire" then
    msys.timer.after(0.001, function() fired = fired + 1 return obj end)
  else
    msys.timer.after(3600, function() return obj end):stop()
  end
  return 0
end
function m:smpp_handle_DR_negative()
  collectgarbage()
  local n = 0
  for _ in pairs(alive) do n = n + 1 end
  print("fired " .. fired .. " alive " .. n)
  return 0
end
msys.registerModule("t", m)`)
	ctx := context.Background()
	for i := 0; i < 100; i++ {
		h.Call(ctx, "smpp_handle_DR_positive", "fire", "I")
		h.Call(ctx, "smpp_handle_DR_positive", "stop", "I")
	}
	eventually(t, "the timers fire and let their functions go", func() bool {
		h.Call(ctx, "smpp_handle_DR_negative", "B", "I")
		return out.count("fired 100 alive 0") > 0
	})
}

// TestHookTimerOfAReplacedStateStopsWithAWarning: a timer made in a hook
// runs in the state that made it; when that state is replaced (a call in
// it broke), the timer stops and says so (review item 23: it stopped
// silently).
func TestHookTimerOfAReplacedStateStopsWithAWarning(t *testing.T) {
	p := filepath.Join(t.TempDir(), "t.lua")
	os.WriteFile(p, []byte(`local m = {}
function m:smpp_handle_DR_positive(b)
  if b == "spin" then while true do end end
  msys.timer.every(0.01, function() end, "ticker")
  return 0
end
msys.registerModule("t", m)`), 0o644)
	logged := &syncBuffer{}
	h := luahost.New(luahost.Options{PoolSize: 1, CallTimeout: 100 * time.Millisecond},
		&luahost.Services{Logger: slog.New(slog.NewTextHandler(logged, nil))})
	t.Cleanup(h.Close)
	if err := h.Load(context.Background(), []luahost.Script{{Name: "t", Path: p}}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	h.Call(ctx, "smpp_handle_DR_positive", "B", "I")
	h.Call(ctx, "smpp_handle_DR_positive", "spin", "I") // breaks the state
	eventually(t, "a warning names the stopped timer", func() bool {
		s := logged.String()
		return strings.Contains(s, "timer stopped: the Lua state that made it is gone") && strings.Contains(s, "timer=ticker")
	})
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
