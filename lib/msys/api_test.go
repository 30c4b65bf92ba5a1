package msys_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/config"
	"msyshost/lib/message"
	"msyshost/lib/msys"
	"msyshost/lib/msys/core"
	"msyshost/luahost"
	"msyshost/luahost/luatest"
)

func TestLua(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "greeting.txt"), []byte("hello\nworld\n"), 0o644)
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A sparse file larger than a hook may allocate (256 MiB by default).
	if f, err := os.Create(filepath.Join(dir, "huge.bin")); err != nil {
		t.Fatal(err)
	} else {
		f.Truncate(1 << 30)
		f.Close()
	}
	t.Setenv("MSYSHOST_TEST_DIR", dir)
	cfg, err := config.Parse("test.conf", []byte(`Max_Outbound_Connections = 20
Domain "yahoo.com" { Max_Outbound_Connections = 5 }
`))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	svc := &luahost.Services{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	msys.Config.Set(svc, func() *config.Config { return cfg })
	luatest.Run(t, "api_test.lua", svc)
	for _, want := range []string{
		`level=WARN msg="disk nearly full" source=msys.log`,
		`level=ERROR msg="cannot reach ldap"`,
		`level=DEBUG msg=details`,
		`level=INFO msg="notice me"`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

func newHost(t *testing.T, opts luahost.Options, src string) *luahost.Host {
	t.Helper()
	return newHostWith(t, opts, nil, src)
}

func newHostWith(t *testing.T, opts luahost.Options, svc *luahost.Services, src string) *luahost.Host {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "s.lua")
	os.WriteFile(p, []byte(src), 0o644)
	h := luahost.New(opts, svc)
	t.Cleanup(h.Close)
	if err := h.Load(context.Background(), []luahost.Script{{Name: "s", Path: p}}); err != nil {
		t.Fatal(err)
	}
	return h
}

// A named lock excludes every other Lua state of the host until it is
// released.
func TestLocksExcludeOtherStates(t *testing.T) {
	h := newHost(t, luahost.Options{PoolSize: 2}, `local m = {}
local inside = 0
function m:smpp_handle_DR_positive(b, id)
  msys.lock("counter")
  msys.shareSet("inside", (msys.shareGet("inside") or 0) + 1)
  local now = msys.shareGet("inside")
  msys.sleep(0.05)
  msys.shareSet("inside", msys.shareGet("inside") - 1)
  msys.unlock("counter")
  return now
end
msys.registerModule("s", m)`)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c := h.Call(context.Background(), "smpp_handle_DR_positive", "B", "I").Code; c != 1 {
				t.Errorf("%d holders at once", c)
			}
		}()
	}
	wg.Wait()
}

// A lock left held by a state that breaks is released with the state.
func TestLockOfABrokenStateIsReleased(t *testing.T) {
	h := newHost(t, luahost.Options{PoolSize: 1, CallTimeout: 100 * time.Millisecond}, `local m = {}
function m:smpp_handle_DR_negative() msys.lock("l") while true do end end
function m:smpp_handle_DR_positive() msys.lock("l") msys.unlock("l") return 7 end
msys.registerModule("s", m)`)
	h.Call(context.Background(), "smpp_handle_DR_negative", "B", "I")
	if c := h.Call(context.Background(), "smpp_handle_DR_positive", "B", "I").Code; c != 7 {
		t.Fatalf("the lock was not released with the broken state: %d", c)
	}
}

// TestLockLeftByAnErrorIsReleased: a hook that raises an error while
// holding a named lock releases it when it ends; later calls, in this
// state and others, take it.
func TestLockLeftByAnErrorIsReleased(t *testing.T) {
	h := newHost(t, luahost.Options{PoolSize: 2, CallTimeout: 300 * time.Millisecond}, `local m = {}
function m:smpp_handle_DR_negative() msys.lock("x") error("boom") end
function m:smpp_handle_DR_positive() msys.lock("x") msys.unlock("x") return 7 end
msys.registerModule("s", m)`)
	ctx := context.Background()
	h.Call(ctx, "smpp_handle_DR_negative", "B", "I")
	for i := 0; i < 3; i++ {
		if r := h.Call(ctx, "smpp_handle_DR_positive", "B", "I"); r.Code != 7 {
			t.Fatalf("call %d after the error: %+v", i, r.Calls)
		}
	}
}

// TestRunInPoolAsyncThenSync: an asynchronous job and a synchronous one
// on a pool of one, from the same hook, both run: the queued job does not
// hold the pool's slot while it waits for the hook's state.
func TestRunInPoolAsyncThenSync(t *testing.T) {
	h := newHost(t, luahost.Options{PoolSize: 2, CallTimeout: 5 * time.Second}, `local m = {}
function m:smpp_handle_DR_positive()
  msys.runInPool("SpoolIn", function() msys.shareSet("async", "ran") end, true)
  msys.sleep(0.05)
  local ok, v = msys.runInPool("SpoolIn", function() return 7 end)
  if not ok then error(v) end
  return v
end
function m:smpp_handle_DR_negative() return msys.shareGet("async") == "ran" and 1 or 0 end
msys.registerModule("s", m)`)
	ctx := context.Background()
	if r := h.Call(ctx, "smpp_handle_DR_positive", "B", "I"); r.Code != 7 {
		t.Fatalf("the hook did not finish: %+v", r.Calls)
	}
	for i := 0; h.Call(ctx, "smpp_handle_DR_negative", "B", "I").Code != 1; i++ {
		if i == 200 {
			t.Fatal("the asynchronous job never ran")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestUnchangedThreadPoolsAreKept: setting the pools again (a reload)
// keeps a pool whose concurrency did not change, with its figures; a
// resized pool starts afresh.
func TestUnchangedThreadPoolsAreKept(t *testing.T) {
	h := newHost(t, luahost.Options{PoolSize: 1, ThreadPools: map[string]int{"narrow": 1, "wide": 2}}, `require("msys.threadpool")
local m = {}
function m:smpp_handle_DR_positive()
  msys.runInPool("narrow", function() end)
  msys.runInPool("wide", function() end)
  return 0
end
function m:smpp_handle_DR_negative()
  return msys.threadpool.stat("narrow").invocations * 10 + msys.threadpool.stat("wide").invocations
end
msys.registerModule("s", m)`)
	ctx := context.Background()
	h.Call(ctx, "smpp_handle_DR_positive", "B", "I")
	h.SetThreadPools(map[string]int{"narrow": 1, "wide": 3})
	if c := h.Call(ctx, "smpp_handle_DR_negative", "B", "I").Code; c != 10 {
		t.Fatalf("invocations narrow*10+wide = %d; want 10 (narrow kept, wide resized)", c)
	}
}

// runInPool bounds the jobs of a pool across the host.
func TestRunInPoolBoundsConcurrency(t *testing.T) {
	h := newHost(t, luahost.Options{PoolSize: 4, ThreadPools: map[string]int{"narrow": 1}}, `local m = {}
function m:smpp_handle_DR_positive(b, id)
  local ok, n = msys.runInPool("narrow", function()
    msys.shareSet("busy", (msys.shareGet("busy") or 0) + 1)
    local n = msys.shareGet("busy")
    msys.sleep(0.03)
    msys.shareSet("busy", msys.shareGet("busy") - 1)
    return n
  end)
  if not ok then error(n) end
  return n
end
msys.registerModule("s", m)`)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := h.Call(context.Background(), "smpp_handle_DR_positive", "B", "I")
			if res.Code != 1 {
				t.Errorf("%d jobs of a pool of 1 at once (%+v)", res.Code, res)
			}
		}()
	}
	wg.Wait()
}

// An asynchronous job runs after the calling hook returns, in the same
// state, and its completion gets its results.
func TestRunInPoolAsync(t *testing.T) {
	var lines []string
	var mu sync.Mutex
	dir := t.TempDir()
	p := filepath.Join(dir, "s.lua")
	os.WriteFile(p, []byte(`local m = {}
local seen = "unset"
function m:smpp_handle_DR_positive(b, id)
  seen = "hook"
  msys.runInPool("IO", function() print("job sees " .. seen) return 6, 7 end,
    function(x, y) print("completion", x, y) end, msys.core.ECTP_COMPLETE_CALLBACK_SCHED)
  msys.runInPool("CPU", function() print("fire and forget") end, true)
  seen = "after"
  return 0
end
msys.registerModule("s", m)`), 0o644)
	h := luahost.New(luahost.Options{PoolSize: 1}, &luahost.Services{Print: func(_, l string) {
		mu.Lock()
		lines = append(lines, l)
		mu.Unlock()
	}})
	defer h.Close()
	if err := h.Load(context.Background(), []luahost.Script{{Name: "s", Path: p}}); err != nil {
		t.Fatal(err)
	}
	h.Call(context.Background(), "smpp_handle_DR_positive", "B", "I")
	deadline := time.Now().Add(3 * time.Second)
	for {
		mu.Lock()
		got := strings.Join(lines, "|")
		mu.Unlock()
		if strings.Contains(got, "completion\t6\t7") && strings.Contains(got, "fire and forget") {
			if !strings.Contains(got, "job sees after") {
				t.Fatalf("the job must run after the hook returned: %q", got)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs did not run: %q", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// expandMacro reads the context of the hook's vctx.
func TestExpandMacroInAHook(t *testing.T) {
	h := newHost(t, luahost.Options{PoolSize: 1}, `local m = {}
function m:validate_ehlo(str, ac, vctx)
  vctx:set(msys.core.VCTX_MESS, "k", "v1")
  msys.shareSet("expanded", msys.expandMacro("helo=%{vctx_conn:ehlo_string} k=%{vctx_mess:k} none=%{vctx_mess:none}"))
  return msys.core.VALIDATE_CONT
end
function m:smpp_handle_DR_positive() return 0 end
msys.registerModule("s", m)`)
	msg := message.New()
	msg.ConnContext["ehlo_string"] = "client.example"
	res := h.Call(context.Background(), "validate_ehlo", "client.example", nil, core.NewVctx(msg))
	if res.Calls[0].Err != "" {
		t.Fatal(res.Calls[0].Err)
	}
	var got string
	h.WithState(context.Background(), func(L *lua.LState) error {
		if err := L.DoString(`return msys.shareGet("expanded")`); err != nil {
			return err
		}
		got = L.Get(-1).String()
		return nil
	})
	if got != "helo=client.example k=v1 none=" {
		t.Fatalf("expanded %q", got)
	}
}
