package luahost_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

// initScript keeps a value that init computes in a module local, and
// answers hooks with it.
const initScript = `local m = {}
local answer
function m:init() print("init") answer = 40 + 2 return true end
function m:deinit() print("deinit") return true end
function m:smpp_handle_DR_positive() return answer end
msys.registerModule("i", m)`

func TestInitRunsOncePerGenerationAndItsStateReachesEveryState(t *testing.T) {
	h, p := newHost(t, luahost.Options{PoolSize: 3}, "i.lua", initScript)
	if got := p.all(); got != "i: init" {
		t.Fatalf("printed %q, want init once for the generation", got)
	}
	// Calls at once take different states; each must see init's value.
	var wg sync.WaitGroup
	codes := make(chan int, 30)
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- h.Call(context.Background(), "smpp_handle_DR_positive", "B", "I").Code
		}()
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != 42 {
			t.Fatalf("a state answered %d: init's local did not reach it", c)
		}
	}
}

func TestDeinitRunsWhenTheGenerationRetires(t *testing.T) {
	h, p := newHost(t, luahost.Options{PoolSize: 2}, "i.lua", initScript)
	dir := t.TempDir()
	v2 := filepath.Join(dir, "i.lua")
	os.WriteFile(v2, []byte(strings.Replace(initScript, `print("init")`, `print("init v2")`, 1)), 0o644)
	if err := h.Load(context.Background(), []luahost.Script{{Name: "i", Path: v2}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return strings.Count(p.all(), "deinit") == 1 })
	h.Close()
	if got, want := p.all(), "i: init\ni: init v2\ni: deinit\ni: deinit"; got != want {
		t.Fatalf("printed %q, want %q", got, want)
	}
}

func TestInitMustReturnTrue(t *testing.T) {
	h, p := newHost(t, luahost.Options{PoolSize: 2}, "i.lua", initScript)
	for _, c := range []struct{ body, want string }{
		{`return 0`, `init of module bad (bad) returned 0, not true (defined at `},
		{``, `init of module bad (bad) returned nil, not true`},
		{`error("no database")`, `init of module bad (bad) failed: `},
	} {
		dir := t.TempDir()
		bad := filepath.Join(dir, "bad.lua")
		os.WriteFile(bad, []byte(`local m = {}
function m:init() print("bad init") `+c.body+` end
function m:deinit() print("bad deinit") return true end
function m:smpp_handle_DR_positive() return 7 end
msys.registerModule("bad", m)`), 0o644)
		err := h.Load(context.Background(), []luahost.Script{{Name: "bad", Path: bad}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("init %q: Load error %v, want %q", c.body, err, c.want)
		}
		if c.body == `error("no database")` && !strings.Contains(err.Error(), "bad.lua:2: no database") {
			t.Errorf("the error must keep the script position: %v", err)
		}
		if res := h.Call(context.Background(), "smpp_handle_DR_positive", "B", "I"); res.Code != 42 {
			t.Fatalf("the old generation must keep serving: %+v", res)
		}
	}
	if strings.Contains(p.all(), "bad deinit") {
		t.Errorf("deinit ran for a generation whose init failed:\n%s", p.all())
	}
}

func TestReplacedStateReplaysInitQuietly(t *testing.T) {
	h, p := newHost(t, luahost.Options{PoolSize: 1, CallTimeout: 100 * time.Millisecond}, "i.lua", `local m = {}
local answer
function m:init() print("init") answer = 42 return true end
function m:smpp_handle_DR_negative() while true do end end
function m:smpp_handle_DR_positive() return answer end
msys.registerModule("i", m)`)
	if res := h.Call(context.Background(), "smpp_handle_DR_negative", "B", "I"); !strings.Contains(res.Calls[0].Err, "deadline") {
		t.Fatalf("res = %+v", res)
	}
	if res := h.Call(context.Background(), "smpp_handle_DR_positive", "B", "I"); res.Code != 42 {
		t.Fatalf("the rebuilt state lacks init's value: %+v", res)
	}
	if got := p.all(); got != "i: init" {
		t.Fatalf("printed %q: the rebuild must replay init without printing again", got)
	}
}

func TestRsrcSetupAndConsoleControls(t *testing.T) {
	h, p := newHost(t, luahost.Options{PoolSize: 2}, "c.lua", `local m = {}
local calls = 0
function m:init() return true end
function m:rsrc_setup()
  msys.registerControl("greet", function(cc)
    calls = calls + 1
    print("hello", cc.argc, cc.argv[0], cc.argv[1], calls)
  end)
  msys.registerControl("bad cmd", function(cc) print("partial") return cc.argv[5] end)
  return true
end
function m:smpp_handle_DR_positive() return 0 end
msys.registerModule("c", m)`)
	if got := strings.Join(h.ControlNames(), ","); got != "bad cmd,greet" {
		t.Fatalf("ControlNames = %q", got)
	}
	ctx := context.Background()
	out, err := h.RunControl(ctx, `greet "example.com"`)
	if err != nil || out != "hello\t2\tgreet\texample.com\t1\n" {
		t.Fatalf("greet: %q, %v", out, err)
	}
	// The command runs in the state that registered it: its locals persist.
	out, _ = h.RunControl(ctx, `greet x`)
	if out != "hello\t2\tgreet\tx\t2\n" {
		t.Fatalf("second greet: %q", out)
	}
	out, err = h.RunControl(ctx, `bad cmd one two`)
	if out != "partial\n" || err == nil || !strings.Contains(err.Error(), "cc.argv[5] is past the arguments: indexes run from 0 to 2 (cc.argc is 3)") {
		t.Fatalf("reading past argc: %q, %v", out, err)
	}
	if _, err := h.RunControl(ctx, "nothing here"); err != luahost.ErrNoControl {
		t.Fatalf("unknown command: %v", err)
	}
	if strings.Contains(p.all(), "hello") {
		t.Fatalf("console output leaked into the log: %q", p.all())
	}
}

func TestRegistrationsAreFrozen(t *testing.T) {
	h, _ := newHost(t, luahost.Options{PoolSize: 1}, "g.lua", `local m = {}
function m:smpp_handle_DR_positive()
  local ok, err = pcall(msys.registerModule, "again", m)
  if ok then return 1 end
  return 0
end
msys.registerModule("g", m)`)
	for i := 0; i < 3; i++ {
		res := h.Call(context.Background(), "smpp_handle_DR_positive", "B", "I")
		if res.Code != 0 || len(res.Calls) != 1 {
			t.Fatalf("call %d: %+v (the chain must not grow)", i, res)
		}
	}
}

func TestHooksWhoseReturnIsIgnoredRunEveryModule(t *testing.T) {
	h, p := newHost(t, luahost.Options{},
		"a.lua", `local m = {} function m:smpp_log_delivery(conn, msg, seg, ids) print("a", seg) end msys.registerModule("a", m)`,
		"b.lua", `local m = {} function m:smpp_log_delivery(conn, msg, seg, ids) print("b", seg) return 5 end msys.registerModule("b", m)`)
	res := h.Call(context.Background(), "smpp_log_delivery", nil, nil, 1, nil)
	if len(res.Calls) != 2 || res.Calls[0].Err != "" || res.Calls[1].Err != "" {
		t.Fatalf("res = %+v", res)
	}
	if p.all() != "a: a\t1\nb: b\t1" {
		t.Fatalf("printed %q", p.all())
	}
}

func TestWarningsNameUnknownMethodsAndTypos(t *testing.T) {
	_, scripts := writeScripts(t,
		"typo.lua", `local m = {}
function m:validate_rcpt_to(msg, str, ac, vctx) return 0 end
function m:helper() end
msys.registerModule("typo", m)`,
		"fine.lua", `local m = {}
function m:validate_data(msg, ac, vctx) return 0 end
function m:smpp_log_permfail(conn, msg, err) end
function m:my_own_helper() end
msys.registerModule("fine", m)`)
	var logs strings.Builder
	h := luahost.New(luahost.Options{}, &luahost.Services{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	defer h.Close()
	if err := h.Load(context.Background(), scripts); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	for _, want := range []string{
		"no usable methods found for module typo in registerModule call",
		`module method is not a known hook: validate_rcpt_to (did you mean validate_rcptto?)`,
		`hooks=smpp_log_permfail,validate_data`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "no usable methods found for module fine") || strings.Contains(out, "my_own_helper (did you mean") {
		t.Errorf("a module with known hooks must not be warned about:\n%s", out)
	}
}

var sharedMakes struct {
	sync.Mutex
	n int
}

func init() {
	luahost.Register(luahost.Binding{Name: "test.shared", Open: func(L *lua.LState) lua.LValue {
		t := L.NewTable()
		L.SetField(t, "make", L.NewFunction(luahost.Func("make", func(a luahost.Args) int {
			v, _ := luahost.Shared(a.L, "test.shared", func() *int {
				sharedMakes.Lock()
				defer sharedMakes.Unlock()
				sharedMakes.n++
				n := sharedMakes.n
				return &n
			})
			return a.Push(lua.LNumber(*v))
		})))
		return t
	}})
}

// An object made while the scripts load is the generation's, made once
// however many states replay the load; made in a hook, it is new.
func TestSharedObjectsAreMadeOncePerGeneration(t *testing.T) {
	sharedMakes.Lock()
	base := sharedMakes.n
	sharedMakes.Unlock()
	h, _ := newHost(t, luahost.Options{PoolSize: 3}, "s.lua", `local m = {}
local id = require("test.shared").make()
function m:smpp_handle_DR_positive() return id end
function m:smpp_handle_DR_negative() return require("test.shared").make() end
msys.registerModule("s", m)`)
	var wg sync.WaitGroup
	for i := 0; i < 9; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c := h.Call(context.Background(), "smpp_handle_DR_positive", "B", "I").Code; c != base+1 {
				t.Errorf("a state sees object %d, want %d", c, base+1)
			}
		}()
	}
	wg.Wait()
	if c := h.Call(context.Background(), "smpp_handle_DR_negative", "B", "I").Code; c != base+2 {
		t.Errorf("in a hook Shared makes a new object: got %d, want %d", c, base+2)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition not reached in 2s")
}

// TestRefusedGenerationRunsNothingAndCloses: a generation whose init
// returns false starts none of its timers, and its states close (their
// finalizers run) even when a timer was made while it was built.
func TestRefusedGenerationRunsNothingAndCloses(t *testing.T) {
	_, scripts := writeScripts(t, "m.lua", `local m = {}
keep = newproxy(true)
getmetatable(keep).__gc = function() print("state closed") end
msys.timer.after(0, function() print("timer ran") end)
function m:init() return false end
msys.registerModule("m", m)`)
	p := &printed{}
	h := luahost.New(luahost.Options{PoolSize: 2}, &luahost.Services{Print: p.add})
	defer h.Close()
	if err := h.Load(context.Background(), scripts); err == nil {
		t.Fatal("a load whose init returns false must be refused")
	}
	waitFor(t, func() bool { return strings.Contains(p.all(), "state closed") })
	time.Sleep(50 * time.Millisecond) // a timer of 0 s would have fired
	if got := p.all(); strings.Contains(got, "timer ran") {
		t.Fatalf("printed %q: a refused generation's timer ran", got)
	}
}

// TestReregisteredControlLetsTheOldFunctionGo: registering a console
// command again from a hook forgets the function it replaces (review
// item 10: every replaced function stayed kept for the generation's life).
func TestReregisteredControlLetsTheOldFunctionGo(t *testing.T) {
	h, p := newHost(t, luahost.Options{PoolSize: 1},
		"m.lua", `local m = {}
local alive = setmetatable({}, {__mode = "k"})
function m:validate_data()
  local obj = {}
  alive[obj] = true
  msys.registerControl("probe", function(cc) return obj end)
  return 0
end
function m:validate_ehlo()
  collectgarbage()
  local n = 0
  for _ in pairs(alive) do n = n + 1 end
  print("alive", n)
  return 0
end
msys.registerModule("m", m)`)
	ctx := context.Background()
	for i := 0; i < 50; i++ {
		h.Dispatch(ctx, "validate_data", "x")
	}
	h.Dispatch(ctx, "validate_ehlo", "x")
	if got := p.all(); got != "m: alive\t1" {
		t.Fatalf("printed %q; want only the registered command's object alive", got)
	}
}

// TestControlOfAReplacedStateIsDroppedWithAWarning: a console command a
// hook registered goes with its state when a call in that state breaks
// it; it is no longer listed, and a warning says why (review item 23: it
// was listed, then failed with ErrGone).
func TestControlOfAReplacedStateIsDroppedWithAWarning(t *testing.T) {
	_, scripts := writeScripts(t, "m.lua", `local m = {}
function m:validate_data(msg)
  if msg == "spin" then while true do end end
  msys.registerControl("probe", function(cc) return "ok" end)
  return 0
end
msys.registerModule("m", m)`)
	var logged strings.Builder
	var mu sync.Mutex
	h := luahost.New(luahost.Options{PoolSize: 1, CallTimeout: 100 * time.Millisecond},
		&luahost.Services{Logger: slog.New(slog.NewTextHandler(writerFunc(func(b []byte) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			return logged.Write(b)
		}), nil))})
	defer h.Close()
	if err := h.Load(context.Background(), scripts); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	h.Dispatch(ctx, "validate_data", "x")
	if got := strings.Join(h.ControlNames(), ","); got != "probe" {
		t.Fatalf("controls %q before the state broke", got)
	}
	h.Dispatch(ctx, "validate_data", "spin")
	if got := h.ControlNames(); len(got) != 0 {
		t.Fatalf("controls %q listed after their state broke", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logged.String(), "console command dropped") {
		t.Fatalf("no warning: %s", logged.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
