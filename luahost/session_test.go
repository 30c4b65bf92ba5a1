package luahost_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/hook"
	"msyshost/luahost"
)

const sessionMod = `local m = {}
m.greeting = "hello"
function m:shout(s) return string.upper(s) end
function m:validate_connect(ac, vctx)
  self.n = 1
  self.keep = function(x) return x .. "!" end   -- a closure kept across phases
  self.t = {ac}
  return 0
end
function m:validate_ehlo(str, ac, vctx)
  self.n = self.n + 1
  print("ehlo", str, self.n, self.keep(self.t[1]), self:shout(self.greeting), rawget(self, "greeting"))
  return 0
end
function m:validate_dealloc()
  print("dealloc", self.n)
end
msys.registerModule("m", m)`

func TestSessionSelfIsPerSessionAndFallsBackToTheModule(t *testing.T) {
	h, p := newHost(t, luahost.Options{PoolSize: 2}, "m.lua", sessionMod)
	ctx := context.Background()
	a, b := h.NewSession(), h.NewSession()
	a.Call(ctx, "validate_connect", 0, "ac-a", "vctx")
	b.Call(ctx, "validate_connect", 0, "ac-b", "vctx")
	b.Call(ctx, "validate_ehlo", 0, "b.example", "ac-b", "vctx")
	a.Call(ctx, "validate_ehlo", 0, "a.example", "ac-a", "vctx")
	a.Call(ctx, "validate_ehlo", 0, "a.example", "ac-a", "vctx")
	a.Close(ctx)
	b.Close(ctx)
	want := []string{
		"m: ehlo\tb.example\t2\tac-b!\tHELLO\tnil",
		"m: ehlo\ta.example\t2\tac-a!\tHELLO\tnil",
		"m: ehlo\ta.example\t3\tac-a!\tHELLO\tnil",
		"m: dealloc\t3",
		"m: dealloc\t2",
	}
	if got := p.all(); got != strings.Join(want, "\n") {
		t.Fatalf("printed:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

func TestSessionChainStopsAtDecisionAndResumesThere(t *testing.T) {
	h, p := newHost(t, luahost.Options{},
		"a.lua", `local m = {}
function m:validate_rcptto(msg, str, ac, vctx) print("a") return 0 end
msys.registerModule("a", m)`,
		"b.lua", `local m = {}
function m:validate_rcptto(msg, str, ac, vctx)
  self.tries = (self.tries or 0) + 1
  print("b", self.tries)
  if self.tries < 3 then return 2 end
  return 0
end
msys.registerModule("b", m)`,
		"c.lua", `local m = {}
function m:validate_rcptto(msg, str, ac, vctx) print("c") return 1 end
msys.registerModule("c", m)`)
	s := h.NewSession()
	ctx := context.Background()
	res := s.Call(ctx, "validate_rcptto", 0, "msg", "x@y", "ac", "vctx")
	if res.Code != hook.ValidateAgain || res.Pos != 1 || len(res.Calls) != 2 {
		t.Fatalf("first call: code %d pos %d calls %d", res.Code, res.Pos, len(res.Calls))
	}
	for res.Code == hook.ValidateAgain {
		res = s.Call(ctx, "validate_rcptto", res.Pos, "msg", "x@y", "ac", "vctx")
	}
	if res.Code != hook.ValidateDone || res.Pos != 2 || res.Calls[len(res.Calls)-1].Module != "c" {
		t.Fatalf("last call: %+v", res)
	}
	if got := p.all(); got != "a: a\nb: b\t1\nb: b\t2\nb: b\t3\nc: c" {
		t.Fatalf("printed:\n%s", got)
	}
}

func TestSessionStopsAtTheFirstFailure(t *testing.T) {
	h, p := newHost(t, luahost.Options{},
		"a.lua", `local m = {}
function m:validate_mailfrom(str, ac, vctx) print("a") end
function m:validate_dealloc() print("a dealloc") end
msys.registerModule("a", m)`,
		"b.lua", `local m = {}
function m:validate_mailfrom(str, ac, vctx) print("b") return 0 end
function m:validate_dealloc() print("b dealloc") end
msys.registerModule("b", m)`)
	s := h.NewSession()
	res := s.Call(context.Background(), "validate_mailfrom", 0, "a@b", "ac", "vctx")
	if res.Failed == nil || res.Failed.Module != "a" || res.Pos != 0 {
		t.Fatalf("result %+v", res)
	}
	if !strings.Contains(res.Failed.Err, "returned nil, not a number") || !strings.Contains(res.Failed.Err, "a.lua:2") {
		t.Fatalf("error does not name the return and the position: %s", res.Failed.Err)
	}
	s.Close(context.Background())
	// b never ran, so only a's dealloc runs.
	if got := p.all(); got != "a: a\na: a dealloc" {
		t.Fatalf("printed:\n%s", got)
	}
}

// Sessions on a pool of two states keep their closures across phases while
// other sessions run at the same time.
func TestSessionsConcurrentKeepTheirState(t *testing.T) {
	h, _ := newHost(t, luahost.Options{PoolSize: 2}, "m.lua", `local m = {}
function m:validate_connect(ac, vctx)
  local n = 0
  self.next = function() n = n + 1 return n end
  self.id = ac
  return 0
end
function m:validate_rcptto(msg, str, ac, vctx)
  if self.id ~= ac then error("self of another session: " .. tostring(self.id)) end
  return self.next()
end
msys.registerModule("m", m)`)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for i := range 16 {
		wg.Go(func() {
			s := h.NewSession()
			defer s.Close(ctx)
			id := fmt.Sprint("ac", i)
			s.Call(ctx, "validate_connect", 0, id, "vctx")
			for want := 1; want <= 20; want++ {
				res := s.Call(ctx, "validate_rcptto", 0, "msg", "x", id, "vctx")
				if res.Failed != nil || res.Code != want {
					errs <- fmt.Sprintf("%s call %d: code %d %v", id, want, res.Code, res.Failed)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// A call past its deadline breaks the session's home: the next call gets a
// fresh state and fresh selves, and the session goes on.
func TestSessionMovesWhenItsStateBreaks(t *testing.T) {
	h, p := newHost(t, luahost.Options{PoolSize: 1, CallTimeout: 50 * time.Millisecond}, "m.lua", `local m = {}
function m:validate_ehlo(str, ac, vctx)
  print("seen", self.seen)
  self.seen = true
  if tostring(str) == "loop" then while true do end end
  return 0
end
msys.registerModule("m", m)`)
	ctx := context.Background()
	s := h.NewSession()
	s.Call(ctx, "validate_ehlo", 0, "a", "ac", "vctx")
	res := s.Call(ctx, "validate_ehlo", 0, "loop", "ac", "vctx")
	if res.Failed == nil || !strings.Contains(res.Failed.Err, "deadline") {
		t.Fatalf("looping call: %+v", res)
	}
	res = s.Call(ctx, "validate_ehlo", 0, "b", "ac", "vctx")
	if res.Failed != nil || res.Err != nil {
		t.Fatalf("call after the deadline: %+v", res)
	}
	if got := p.all(); got != "m: seen\tnil\nm: seen\ttrue\nm: seen\tnil" {
		t.Fatalf("printed:\n%s", got)
	}
}

// A reload between two calls: the session goes on with the scripts and the
// self it started with, resuming a VALIDATE_AGAIN where it stopped; a new
// session gets the new scripts; the old generation retires (deinit) only
// once the session has ended, after its validate_dealloc.
func TestSessionKeepsItsScriptsAcrossAReload(t *testing.T) {
	old := `local m = {}
function m:validate_connect(ac, vctx) self.x = 1 return 0 end
function m:validate_ehlo(str, ac, vctx)
  self.tries = (self.tries or 0) + 1
  print("old", self.x, self.tries)
  if self.tries == 1 then return 2 end
  return 0
end
function m:validate_dealloc() print("old dealloc", self.x) end
function m:deinit() print("old deinit") return true end
msys.registerModule("m", m)`
	first := `local m = {}
function m:validate_ehlo(str, ac, vctx) print("first") return 0 end
msys.registerModule("first", m)`
	dir, scripts := writeScripts(t, "first.lua", first, "m.lua", old)
	p := &printed{}
	h := luahost.New(luahost.Options{SearchPath: []string{dir}}, &luahost.Services{Print: p.add})
	t.Cleanup(h.Close)
	ctx := context.Background()
	if err := h.Load(ctx, scripts); err != nil {
		t.Fatal(err)
	}
	a := h.NewSession()
	a.Call(ctx, "validate_connect", 0, "ac", "vctx")
	res := a.Call(ctx, "validate_ehlo", 0, "a", "ac", "vctx")
	if res.Code != hook.ValidateAgain || res.Pos != 1 {
		t.Fatalf("first ehlo: %+v", res)
	}
	_, scripts2 := writeScripts(t, "m.lua", `local m = {}
function m:validate_ehlo(str, ac, vctx) print("new", self.x) return 0 end
msys.registerModule("m", m)`)
	if err := h.Load(ctx, scripts2); err != nil {
		t.Fatal(err)
	}
	if res = a.Call(ctx, "validate_ehlo", res.Pos, "a", "ac", "vctx"); res.Err != nil || res.Code != hook.Continue {
		t.Fatalf("ehlo again after the reload: %+v", res)
	}
	b := h.NewSession()
	b.Call(ctx, "validate_ehlo", 0, "b", "ac", "vctx")
	b.Close(ctx)
	if got := p.all(); got != "first: first\nm: old\t1\t1\nm: old\t1\t2\nm: new\tnil" {
		t.Fatalf("printed before the session ended:\n%s", got)
	}
	a.Close(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.HasSuffix(p.all(), "old deinit") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := p.all(); !strings.HasSuffix(got, "m: old dealloc\t1\nm: old deinit") {
		t.Fatalf("printed:\n%s", got)
	}
}

// A session still open when the reload's drain ends, or when the host
// closes, is refused at its next call: no hook runs, so nothing it sends
// passes unseen by policy.
func TestSessionFailsClosedOnceItsScriptsRetire(t *testing.T) {
	const deny = `local m = {}
function m:validate_rcptto(msg, str, ac, vctx) print("refused", str) return 1 end
msys.registerModule("m", m)`
	h, p := newHost(t, luahost.Options{}, "m.lua", deny)
	ctx := context.Background()
	h.SetSessionDrain(20 * time.Millisecond)
	a := h.NewSession()
	if res := a.Call(ctx, "validate_rcptto", 0, "msg", "x@y", "ac", "vctx"); res.Code != hook.ValidateDone {
		t.Fatalf("before the reload: %+v", res)
	}
	_, scripts := writeScripts(t, "m.lua", deny)
	if err := h.Load(ctx, scripts); err != nil {
		t.Fatal(err)
	}
	var res luahost.SessionResult
	deadline := time.Now().Add(5 * time.Second)
	for res = a.Call(ctx, "validate_rcptto", 0, "msg", "x@y", "ac", "vctx"); res.Err == nil && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
		res = a.Call(ctx, "validate_rcptto", 0, "msg", "x@y", "ac", "vctx")
	}
	if !errors.Is(res.Err, luahost.ErrSessionRetired) || len(res.Calls) != 0 {
		t.Fatalf("after the drain: %+v", res)
	}
	a.Close(ctx)

	b := h.NewSession()
	b.Call(ctx, "validate_rcptto", 0, "msg", "x@y", "ac", "vctx")
	h.Close()
	before := p.all()
	if res := b.Call(ctx, "validate_rcptto", 0, "msg", "x@y", "ac", "vctx"); res.Err == nil || res.Code != hook.Continue {
		t.Fatalf("after Close: %+v", res)
	}
	if c := h.NewSession(); c.Call(ctx, "validate_connect", 0, "ac", "vctx").Err == nil {
		t.Fatal("a new session after Close: no error")
	}
	if p.all() != before {
		t.Fatalf("a hook ran after Close:\n%s", p.all())
	}
}

// Close ends the session for good: a later call fails and never panics
// (SMTP in may see pipelined commands after a disconnect).
func TestSessionCallAfterClose(t *testing.T) {
	h, _ := newHost(t, luahost.Options{}, "m.lua", sessionMod)
	ctx := context.Background()
	s := h.NewSession()
	s.Call(ctx, "validate_connect", 0, "ac", "vctx")
	s.Close(ctx)
	if res := s.Call(ctx, "validate_ehlo", 0, "x", "ac", "vctx"); !errors.Is(res.Err, luahost.ErrSessionClosed) || len(res.Calls) != 0 {
		t.Fatalf("call after Close: %+v", res)
	}
	if res := s.Close(ctx); len(res.Calls) != 0 {
		t.Fatalf("second Close: %+v", res)
	}
}

// Sessions opened one after the other get states of their own while the
// pool may grow: four sessions whose hooks each wait for the other three
// all get in. (Sessions on one state would run one at a time, and the
// barrier would time out.)
func TestSessionsOpenedInTurnDoNotShareAState(t *testing.T) {
	const n = 4
	var arrived atomic.Int32
	all := make(chan struct{})
	barrier := &lua.LFunction{IsG: true, GFunction: func(L *lua.LState) int {
		if arrived.Add(1) == n {
			close(all)
		}
		select {
		case <-all:
			L.Push(lua.LTrue)
		case <-time.After(5 * time.Second):
			L.Push(lua.LFalse)
		}
		return 1
	}}
	h, _ := newHost(t, luahost.Options{PoolSize: n, CallTimeout: 10 * time.Second}, "m.lua", `local m = {}
function m:validate_connect(ac, vctx) return 0 end
function m:validate_mailfrom(wait, ac, vctx)
  if not wait() then error("another session held this state") end
  return 0
end
msys.registerModule("m", m)`)
	ctx := context.Background()
	var sessions []*luahost.Session
	for range n {
		s := h.NewSession()
		s.Call(ctx, "validate_connect", 0, "ac", "vctx")
		sessions = append(sessions, s)
	}
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for _, s := range sessions {
		wg.Go(func() {
			defer s.Close(ctx)
			if res := s.Call(ctx, "validate_mailfrom", 0, barrier, "ac", "vctx"); res.Err != nil || res.Failed != nil {
				errs <- fmt.Sprintf("%v %v", res.Err, res.Failed)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
