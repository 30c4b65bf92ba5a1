package luahost_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/hook"
	"msyshost/luahost"
)

type printed struct {
	mu    sync.Mutex
	lines []string
}

func (p *printed) add(script, line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lines = append(p.lines, script+": "+line)
}

func (p *printed) all() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// writeScripts writes name→source files into a temp dir and returns scripts
// in the given order.
func writeScripts(t testing.TB, files ...string) (string, []luahost.Script) {
	t.Helper()
	dir := t.TempDir()
	var scripts []luahost.Script
	for i := 0; i < len(files); i += 2 {
		p := filepath.Join(dir, files[i])
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(files[i+1]), 0o644); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(files[i], "lib/") {
			continue
		}
		scripts = append(scripts, luahost.Script{Name: strings.TrimSuffix(files[i], ".lua"), Path: p})
	}
	return dir, scripts
}

func newHost(t *testing.T, opts luahost.Options, files ...string) (*luahost.Host, *printed) {
	t.Helper()
	dir, scripts := writeScripts(t, files...)
	p := &printed{}
	opts.SearchPath = append(opts.SearchPath, dir, filepath.Join(dir, "lib"))
	h := luahost.New(opts, &luahost.Services{Print: p.add})
	t.Cleanup(h.Close)
	if err := h.Load(context.Background(), scripts); err != nil {
		t.Fatal(err)
	}
	return h, p
}

func TestDispatchOrderAndFirstDecisionWins(t *testing.T) {
	h, p := newHost(t, luahost.Options{},
		"a.lua", `local m = {}
function m:smpp_handle_DR_negative(bucket, msgid) print("a", bucket, msgid) return 0 end
msys.registerModule("a", m)`,
		"b.lua", `local m = {}
function m:smpp_handle_DR_negative(bucket, msgid) print("b") return 3 end
msys.registerModule("b", m)`,
		"c.lua", `local m = {}
function m:smpp_handle_DR_negative(bucket, msgid) print("c") return 0 end
msys.registerModule("c", m)`)
	res := h.Call(context.Background(), "smpp_handle_DR_negative", "MADR-1", "x")
	if res.Code != 3 {
		t.Fatalf("code = %d, want 3 (module b decides)", res.Code)
	}
	if len(res.Calls) != 2 || res.Calls[0].Module != "a" || res.Calls[1].Module != "b" {
		t.Fatalf("calls = %+v, want a then b and c never called", res.Calls)
	}
	if got, want := p.all(), "a: a\tMADR-1\tx\nb: b"; got != want {
		t.Fatalf("printed %q, want %q", got, want)
	}
}

func TestBrokenHooksCountAsContinue(t *testing.T) {
	h, _ := newHost(t, luahost.Options{CallTimeout: 200 * time.Millisecond},
		"err.lua", `local m = {}
function m:smpp_store_submit(msg, b, id) error("boom") end
msys.registerModule("err", m)`,
		"nilret.lua", `local m = {}
function m:smpp_store_submit(msg, b, id) end
msys.registerModule("nilret", m)`,
		"loop.lua", `local m = {}
function m:smpp_store_submit(msg, b, id) while true do end end
msys.registerModule("loop", m)`)
	start := time.Now()
	res := h.Call(context.Background(), "smpp_store_submit", nil, "MADR-1", "x")
	if time.Since(start) > 3*time.Second {
		t.Fatalf("infinite loop held the call for %s", time.Since(start))
	}
	if res.Code != hook.Continue || len(res.Calls) != 3 {
		t.Fatalf("res = %+v, want three calls all continuing", res)
	}
	for i, want := range []string{"err.lua:2: boom", "returned nil, not a number (", "deadline of 200ms exceeded"} {
		if !strings.Contains(res.Calls[i].Err, want) {
			t.Errorf("call %d error %q, want it to contain %q", i, res.Calls[i].Err, want)
		}
	}
	if !strings.Contains(res.Calls[1].Err, "nilret.lua:2") || !strings.Contains(res.Calls[2].Err, "loop.lua:2") {
		t.Errorf("errors must name file:line: %q, %q", res.Calls[1].Err, res.Calls[2].Err)
	}
	// The state that timed out was replaced; the host still serves.
	res = h.Call(context.Background(), "smpp_store_submit", nil, "MADR-1", "y")
	if len(res.Calls) != 3 {
		t.Fatalf("after a timeout the host must keep serving: %+v", res)
	}
}

// Bindings are registered once per process (init), so -count=N runs.
func init() {
	luahost.Register(luahost.Binding{Name: "test.panicky", Open: func(L *lua.LState) lua.LValue {
		tb := L.NewTable()
		L.SetField(tb, "explode", L.NewFunction(func(L *lua.LState) int { panic("binding bug") }))
		return tb
	}})
	type gadget struct{}
	class := luahost.NewClass[gadget]("test:_gadget", "gadget")
	luahost.Register(luahost.Binding{Name: "test.gadget", Open: func(L *lua.LState) lua.LValue {
		class.Field(L, "boom", func(L *lua.LState, g *gadget) lua.LValue { panic("getter bug") }, nil)
		tb := L.NewTable()
		tb.RawSetString("new", L.NewFunction(func(L *lua.LState) int { L.Push(class.Push(L, &gadget{})); return 1 }))
		return tb
	}})
}

func TestGoPanicInBindingIsContained(t *testing.T) {
	h, _ := newHost(t, luahost.Options{},
		"p.lua", `local m = {}
function m:smpp_handle_DR_positive(b, id) require("test.panicky").explode() return 3 end
msys.registerModule("p", m)`)
	res := h.Call(context.Background(), "smpp_handle_DR_positive", "B", "I")
	if res.Code != hook.Continue || !strings.Contains(res.Calls[0].Err, "binding bug") {
		t.Fatalf("res = %+v, want the panic reported and CONTINUE", res)
	}
	if res := h.Call(context.Background(), "smpp_handle_DR_positive", "B", "I"); len(res.Calls) != 1 {
		t.Fatalf("host must keep serving after a panic: %+v", res)
	}
}

func TestRequire(t *testing.T) {
	h, p := newHost(t, luahost.Options{},
		"lib/util/strings.lua", `local M = {} M.loads = (M.loads or 0) + 1 function M.up(s) return s:upper() end return M`,
		"main.lua", `local a = require("util.strings")
local b = require("util/strings")
local c = require("util.strings")
print(a == c, a.up("x"), require("msys") == msys, require("msys") == require("msys"))
local ok, err = pcall(require, "no.such.module")
print(ok, (string.find(err, "module 'no.such.module' not found", 1, true)) ~= nil)
msys.registerModule("main", {})`)
	_ = h
	if got := p.all(); !strings.Contains(got, "main: true\tX\ttrue\ttrue\nmain: false\ttrue") {
		t.Fatalf("printed %q", got)
	}
}

func TestLoadErrorKeepsOldGeneration(t *testing.T) {
	h, _ := newHost(t, luahost.Options{},
		"ok.lua", `local m = {} function m:smpp_handle_DR_positive() return 3 end msys.registerModule("ok", m)`)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.lua")
	os.WriteFile(bad, []byte("local x = = 1\n"), 0o644)
	err := h.Load(context.Background(), []luahost.Script{{Name: "bad", Path: bad}})
	if err == nil || !strings.Contains(err.Error(), "bad.lua") {
		t.Fatalf("Load error = %v, want it to name bad.lua", err)
	}
	if res := h.Call(context.Background(), "smpp_handle_DR_positive", "B", "I"); res.Code != 3 {
		t.Fatalf("old generation must keep serving, got %+v", res)
	}
	if h.Generation() != 1 {
		t.Fatalf("generation = %d, want 1", h.Generation())
	}
}

func TestInFlightCallFinishesOnOldGeneration(t *testing.T) {
	h, p := newHost(t, luahost.Options{PoolSize: 1},
		"v.lua", `local m = {}
function m:smpp_handle_DR_positive() local t = os.clock() while os.clock() - t < 0.3 do end print("old") return 1 end
msys.registerModule("v", m)`)
	done := make(chan luahost.Result)
	go func() { done <- h.Call(context.Background(), "smpp_handle_DR_positive", "B", "I") }()
	time.Sleep(50 * time.Millisecond)
	dir := t.TempDir()
	v2 := filepath.Join(dir, "v.lua")
	os.WriteFile(v2, []byte(`local m = {} function m:smpp_handle_DR_positive() print("new") return 2 end msys.registerModule("v", m)`), 0o644)
	if err := h.Load(context.Background(), []luahost.Script{{Name: "v", Path: v2}}); err != nil {
		t.Fatal(err)
	}
	if res := h.Call(context.Background(), "smpp_handle_DR_positive", "B", "I"); res.Code != 2 {
		t.Fatalf("new calls must run the new generation: %+v", res)
	}
	if res := <-done; res.Code != 1 {
		t.Fatalf("in-flight call must finish on the old code: %+v", res)
	}
	if !strings.Contains(p.all(), "old") {
		t.Fatalf("printed %q", p.all())
	}
}

func TestMemoryHogIsStopped(t *testing.T) {
	h, _ := newHost(t, luahost.Options{MemoryLimit: 32 << 20, CallTimeout: 20 * time.Second},
		"hog.lua", `local m = {}
function m:smpp_handle_DR_positive(b, id)
  local keep = {}
  for i = 1, 1e9 do keep[i] = string.rep("x", 64) .. i end
  return 3
end
msys.registerModule("hog", m)`)
	start := time.Now()
	res := h.Call(context.Background(), "smpp_handle_DR_positive", "B", "I")
	if res.Code != hook.Continue || len(res.Calls) != 1 || !strings.Contains(res.Calls[0].Err, "memory limit of 32 MiB exceeded at ") || !strings.HasSuffix(res.Calls[0].Err, "hog.lua:4") {
		t.Fatalf("res = %+v, want the hog stopped by the memory limit", res)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("stopping took %s", d)
	}
}

func TestRegistrationWarnings(t *testing.T) {
	_, scripts := writeScripts(t,
		"nohooks.lua", `msys.registerModule("nohooks", { helper = function() end })`,
		"renamed.lua", `local m = {} function m:smpp_handle_DR_positive() return 0 end msys.registerModule("other_name", m)`)
	var logs strings.Builder
	h := luahost.New(luahost.Options{}, &luahost.Services{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	defer h.Close()
	if err := h.Load(context.Background(), scripts); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	for _, want := range []string{
		"no usable methods found for module nohooks in registerModule call",
		`msg="module name differs from its script stanza; it runs anyway" module=other_name script=renamed`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, `msg="module registered" module=other_name script=renamed hooks=smpp_handle_DR_positive`) {
		t.Errorf("log lacks the registration of other_name:\n%s", out)
	}
}

func TestChainGoesOnAfterATimeout(t *testing.T) {
	h, _ := newHost(t, luahost.Options{PoolSize: 1, CallTimeout: 100 * time.Millisecond},
		"a.lua", `local m = {}
function m:smpp_handle_DR_negative(b, id)
  local n = 0
  while true do n = n + 1 end
end
msys.registerModule("a", m)`,
		"b.lua", `local m = {} function m:smpp_handle_DR_negative(b, id) return 3 end msys.registerModule("b", m)`)
	res := h.Call(context.Background(), "smpp_handle_DR_negative", "B", "I")
	if res.Code != 3 || len(res.Calls) != 2 {
		t.Fatalf("res = %+v, want module b to decide after a timed out", res)
	}
	if !strings.Contains(res.Calls[0].Err, "deadline of 100ms exceeded at ") || !strings.HasSuffix(res.Calls[0].Err, "a.lua:4") {
		t.Fatalf("the timeout must name the line that was running: %q", res.Calls[0].Err)
	}
}

func TestCloseStopsRunawayCallsOfRetiredGenerations(t *testing.T) {
	h, _ := newHost(t, luahost.Options{PoolSize: 1, CallTimeout: 200 * time.Millisecond},
		"loop.lua", `local m = {} function m:smpp_handle_DR_positive() while true do end end msys.registerModule("loop", m)`)
	done := make(chan struct{})
	go func() { h.Call(context.Background(), "smpp_handle_DR_positive", "B", "I"); close(done) }()
	time.Sleep(20 * time.Millisecond)
	if err := h.Load(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	h.Close()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("a runaway call on a retired generation outlived Close")
	}
	if err := h.Load(context.Background(), nil); err == nil {
		t.Fatal("Load after Close must fail")
	}
}

func TestRequireAfterAFailedLoad(t *testing.T) {
	_, p := newHost(t, luahost.Options{},
		"lib/broken.lua", `error("cannot load broken")`,
		"main.lua", `local ok1, e1 = pcall(require, "broken")
local ok2, e2 = pcall(require, "broken")
print(ok1, (string.find(e1, "cannot load broken", 1, true)) ~= nil)
print(ok2, e2)
msys.registerModule("main", {})`)
	if got := p.all(); !strings.Contains(got, "main: false\ttrue\nmain: false\tloop or previous error loading module 'broken'") {
		t.Fatalf("printed %q", got)
	}
}

func TestOsExitIsRefusedInHooks(t *testing.T) {
	h, _ := newHost(t, luahost.Options{},
		"x.lua", `local m = {} function m:smpp_handle_DR_positive() os.exit(3) end msys.registerModule("x", m)`)
	res := h.Call(context.Background(), "smpp_handle_DR_positive", "B", "I")
	if len(res.Calls) != 1 || !strings.Contains(res.Calls[0].Err, "os.exit is not available to scriptlets") {
		t.Fatalf("res = %+v", res)
	}
}

func TestHookErrorsInPUCWords(t *testing.T) {
	h, _ := newHost(t, luahost.Options{},
		"cfgerr.lua", `local m = {}
function m:smpp_handle_DR_negative(b, id)
  return settings.retry_domain
end
msys.registerModule("cfgerr", m)`)
	res := h.Call(context.Background(), "smpp_handle_DR_negative", "B", "I")
	if len(res.Calls) != 1 || !strings.HasSuffix(res.Calls[0].Err, "cfgerr.lua:3: attempt to index global 'settings' (a nil value)") {
		t.Fatalf("res = %+v", res)
	}
}

func TestWaitersGetStatesUnderContention(t *testing.T) {
	h, _ := newHost(t, luahost.Options{PoolSize: 2},
		"w.lua", `local m = {} function m:smpp_handle_DR_positive(b, id) local s = 0 for i = 1, 2000 do s = s + i end return 3 end msys.registerModule("w", m)`)
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				if res := h.Call(context.Background(), "smpp_handle_DR_positive", "B", "I"); res.Code != 3 {
					t.Errorf("res = %+v", res)
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("callers starved waiting for a state")
	}
}

func TestCallerCancellationStopsTheHook(t *testing.T) {
	h, _ := newHost(t, luahost.Options{CallTimeout: 20 * time.Second},
		"spin.lua", `local m = {}
function m:smpp_handle_DR_positive(b, id)
  while true do end
end
msys.registerModule("spin", m)`)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	res := h.Call(ctx, "smpp_handle_DR_positive", "B", "I")
	if time.Since(start) > 5*time.Second {
		t.Fatalf("a cancelled caller waited %s", time.Since(start))
	}
	if len(res.Calls) != 1 || !strings.Contains(res.Calls[0].Err, "call cancelled") || !strings.HasSuffix(res.Calls[0].Err, "spin.lua:3") {
		t.Fatalf("res = %+v", res)
	}
}

// io.write and io.stdout in a hook reach the host line by line, as print
// does, never the process's own stdout.
func TestIOWriteGoesWherePrintGoes(t *testing.T) {
	h, p := newHost(t, luahost.Options{},
		"w.lua", `local m = {}
function m:smpp_handle_DR_positive(bucket, msgid)
  io.write("one ", bucket, "\n", "two")
  io.stdout:write(" ", msgid, "\nthree")
  return 0
end
msys.registerModule("w", m)`)
	h.Call(context.Background(), "smpp_handle_DR_positive", "MADR-1", "x")
	if got, want := p.all(), "w: one MADR-1\nw: two x\nw: three"; got != want {
		t.Fatalf("printed %q, want %q", got, want)
	}
}

// TestWeakCacheIsCollectedBetweenCalls: a pooled state's weak cache keeps
// only what Lua still reaches, though the script never calls
// collectgarbage: the host collects between calls.
func TestWeakCacheIsCollectedBetweenCalls(t *testing.T) {
	h, p := newHost(t, luahost.Options{PoolSize: 1},
		"cache.lua", `local cache = setmetatable({}, {__mode = "k"})
local kept = {}
local mod = {}
function mod:validate_data(msg)
  cache[{}] = msg
  kept[#kept + 1] = {}
  cache[kept[#kept]] = msg
  local n = 0
  for _ in pairs(cache) do n = n + 1 end
  mod.size = n
  return 0
end
function mod:validate_ehlo() print(mod.size, #kept) return 0 end
msys.registerModule("cache", mod)`)
	ctx := context.Background()
	for i := 0; i < 1000; i++ {
		h.Dispatch(ctx, "validate_data", "m")
	}
	h.Dispatch(ctx, "validate_ehlo")
	var size, kept int
	if _, err := fmt.Sscanf(strings.TrimPrefix(p.all(), "cache: "), "%d\t%d", &size, &kept); err != nil {
		t.Fatalf("printed %q: %v", p.all(), err)
	}
	if kept != 1000 || size < kept || size > kept+collectEvery {
		t.Fatalf("weak cache holds %d entries for %d reachable keys; want at most %d more", size, kept, collectEvery)
	}
}

// collectEvery is how often, in calls, the host collects a state with weak
// tables (puc's lgc).
const collectEvery = 256

// TestStandaloneHostHasNoMemoryLimit: lua5.1 has no memory limit, so a
// standalone host (msyshost lua) has none unless asked; a serving host
// keeps its default.
func TestStandaloneHostHasNoMemoryLimit(t *testing.T) {
	for _, c := range []struct {
		standalone, limited bool
	}{{true, false}, {false, true}} {
		h := luahost.New(luahost.Options{PoolSize: 1, Standalone: c.standalone}, nil)
		_, scripts := writeScripts(t, "m.lua", `return`)
		if err := h.Load(context.Background(), scripts); err != nil {
			t.Fatal(err)
		}
		h.WithState(context.Background(), func(L *lua.LState) error {
			if _, limited := luahost.Allowance(L); limited != c.limited {
				t.Errorf("standalone %v: limited %v", c.standalone, limited)
			}
			return nil
		})
		h.Close()
	}
}

// TestGoPanicReplacesTheState: a Go panic in a class's field getter
// (outside any Func) becomes an error naming it, and the state, which it
// may have left half changed, is replaced after the call.
func TestGoPanicReplacesTheState(t *testing.T) {
	h, p := newHost(t, luahost.Options{PoolSize: 1},
		"p.lua", `local m = {}
local me = tostring({})
local gadget = require("test.gadget")
function m:smpp_handle_DR_positive(b, id)
  print(me)
  if b == "boom" then print(pcall(function() return gadget.new().boom end)) end
  return 3
end
msys.registerModule("p", m)`)
	ctx := context.Background()
	h.Call(ctx, "smpp_handle_DR_positive", "B", "I")
	h.Call(ctx, "smpp_handle_DR_positive", "boom", "I")
	if r := h.Call(ctx, "smpp_handle_DR_positive", "B", "I"); r.Code != 3 {
		t.Fatalf("the host must keep serving after a panic: %+v", r)
	}
	lines := strings.Split(p.all(), "\n")
	if len(lines) != 4 || lines[0] != lines[1] || lines[1] == lines[3] ||
		!strings.HasPrefix(lines[2], "p: false\t") || !strings.HasSuffix(lines[2], "internal error in '__index': getter bug") {
		t.Fatalf("printed %q; want the panic as an error, the same state until it, a fresh one after", lines)
	}
}

// TestLargeAllocationsAreRefusedUpFront: string.rep, a concatenation and
// table.concat that would build a string larger than the call may still
// allocate fail with PUC's "not enough memory" before allocating it
// (review item 9: a 400 MiB string was built under a 32 MiB limit).
func TestLargeAllocationsAreRefusedUpFront(t *testing.T) {
	h, p := newHost(t, luahost.Options{PoolSize: 1, MemoryLimit: 32 << 20},
		"m.lua", `local m = {}
-- The length of what f built, or its error.
local function try(f, ...)
  local ok, r = pcall(f, ...)
  return ok, ok and #r or r
end
function m:smpp_handle_DR_positive()
  print("rep", try(string.rep, "x", 64 * 2^20))
  local a = string.rep("y", 12 * 2^20)
  print("concat", try(function() return a .. a .. a end))
  print("table.concat", try(table.concat, { a, a, a }))
  print("small", try(string.rep, "z", 2^20))
  return 3
end
msys.registerModule("m", m)`)
	if r := h.Call(context.Background(), "smpp_handle_DR_positive", "B", "I"); r.Code != 3 {
		t.Fatalf("call: %+v", r.Calls)
	}
	want := "m: rep\tfalse\tnot enough memory\nm: concat\tfalse\tnot enough memory\nm: table.concat\tfalse\tnot enough memory\nm: small\ttrue\t1048576"
	if got := p.all(); got != want {
		t.Fatalf("printed %.500q, want %q", got, want)
	}
}

// TestBrokenStateIsRebuiltOffTheCallersPath: when a call breaks its state
// (here, a deadline), the call returns without waiting for the
// replacement's build (the scripts' top-level code and init), and the
// next call runs in another state meanwhile (review item 12: the caller
// waited for the rebuild).
var gateRuns atomic.Int32

func TestBrokenStateIsRebuiltOffTheCallersPath(t *testing.T) {
	var armed atomic.Bool
	gate := make(chan struct{})
	// Bindings are registered for good: a name per run lets -count=N
	// register again.
	name := fmt.Sprintf("test.gate%d", gateRuns.Add(1))
	luahost.Register(luahost.Binding{Name: name, Open: func(L *lua.LState) lua.LValue {
		tb := L.NewTable()
		L.SetField(tb, "wait", L.NewFunction(luahost.Func("wait", func(a luahost.Args) int {
			if armed.Load() {
				<-gate
			}
			return 0
		})))
		return tb
	}})
	h, _ := newHost(t, luahost.Options{PoolSize: 2, CallTimeout: 200 * time.Millisecond},
		"m.lua", fmt.Sprintf(`local m = {}
function m:init() require(%q).wait() return true end
function m:smpp_handle_DR_positive(b)
  if b == "spin" then while true do end end
  return 3
end
msys.registerModule("m", m)`, name))
	armed.Store(true) // states built from now on wait in init
	defer close(gate)
	done := make(chan int, 2)
	go func() {
		done <- h.Call(context.Background(), "smpp_handle_DR_positive", "spin", "I").Code
		done <- h.Call(context.Background(), "smpp_handle_DR_positive", "B", "I").Code
	}()
	for i, want := range []int{0, 3} {
		select {
		case c := <-done:
			if c != want {
				t.Fatalf("call %d: code %d, want %d", i, c, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("call %d waited for the broken state's replacement to be built", i)
		}
	}
}
