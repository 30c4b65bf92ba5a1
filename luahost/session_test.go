package luahost_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

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

// A reload between two calls: the session goes on with the new scripts.
func TestSessionFollowsAReload(t *testing.T) {
	dir, scripts := writeScripts(t, "m.lua", `local m = {}
function m:validate_ehlo(str, ac, vctx) print("old", self.x) self.x = 1 return 0 end
msys.registerModule("m", m)`)
	p := &printed{}
	h := luahost.New(luahost.Options{SearchPath: []string{dir}}, &luahost.Services{Print: p.add})
	t.Cleanup(h.Close)
	ctx := context.Background()
	if err := h.Load(ctx, scripts); err != nil {
		t.Fatal(err)
	}
	s := h.NewSession()
	s.Call(ctx, "validate_ehlo", 0, "a", "ac", "vctx")
	_, scripts2 := writeScripts(t, "m.lua", `local m = {}
function m:validate_ehlo(str, ac, vctx) print("new", self.x) return 0 end
msys.registerModule("m", m)`)
	if err := h.Load(ctx, scripts2); err != nil {
		t.Fatal(err)
	}
	s.Call(ctx, "validate_ehlo", 5, "a", "ac", "vctx")
	if got := p.all(); got != "m: old\tnil\nm: new\tnil" {
		t.Fatalf("printed:\n%s", got)
	}
}
