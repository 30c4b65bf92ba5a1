// Package timer is the Lua module msys.timer: functions run after a delay,
// at a time, or at an interval. A timer made while the scripts load or in
// init belongs to the generation, starts when the generation serves and
// runs in its primary state; one made in a hook runs in the state that
// made it, when that state is free, and is forgotten once it has fired
// (after, at) or is stopped, unless started again. A generation's timers
// stop when it retires.
package timer

import (
	"context"
	"log/slog"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

func init() {
	luahost.Register(luahost.Binding{Name: "msys.timer", Open: open, Notes: map[string]string{
		"msys.timer.after": "wall-clock time; a timer runs until stopped or its generation retires (gopher-lua collects no userdata, so dropping the object does not stop it)",
		"msys.timer.at":    "wall-clock time; a timer runs until stopped or its generation retires",
		"msys.timer.every": "wall-clock time; a timer runs until stopped or its generation retires",
	}})
}

type kind int

const (
	after kind = iota
	at
	every
)

// Timer is a scheduled function.
type Timer struct {
	kind  kind
	delta time.Duration // after and every
	when  time.Time     // at
	name  lua.LValue
	log   *slog.Logger
	// fn is the function of a timer made in a hook, kept again when the
	// timer starts after its callback was released.
	fn *lua.LFunction

	mu       sync.Mutex
	cb       *luahost.Callback
	released bool   // a hook's timer that fired or stopped: cb is gone
	unretire func() // cancels the stop at the generation's retirement
	t        *time.Timer
	running  bool
	gen      int // bumped by stop and start, so a stale firing is dropped
}

// TimerClass is the class of a timer.
var TimerClass = luahost.NewClass[Timer]("msys.timer:_timer", "timer")

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{
		"after": luahost.Func("after", func(a luahost.Args) int { return make(a, after) }),
		"at":    luahost.Func("at", func(a luahost.Args) int { return make(a, at) }),
		"every": luahost.Func("every", func(a luahost.Args) int { return make(a, every) }),
	})
	luahost.SetFuncs(L, TimerClass.Methods(L), map[string]lua.LGFunction{
		"stop":  luahost.Method("stop", func(a luahost.Args) int { TimerClass.Check(a, 1).stop(); return 0 }),
		"start": luahost.Method("start", func(a luahost.Args) int { TimerClass.Check(a, 1).restart(a.L); return 0 }),
		"name":  luahost.Method("name", func(a luahost.Args) int { return a.Push(TimerClass.Check(a, 1).name) }),
	})
	return t
}

// msys.timer.after(seconds, fn[, name]), msys.timer.at(epoch, fn[, name]),
// msys.timer.every(seconds, fn[, name]) → a timer, already started (made
// while the scripts load: started when the generation serves). Its
// methods: stop(), start() (schedules it again from now) and name().
func make(a luahost.Args, k kind) int {
	v := a.Number(1)
	fn := a.Function(2)
	var name lua.LValue = lua.LNil
	if !a.IsNone(3) {
		name = lua.LString(a.String(3))
	}
	switch {
	case k == every && !(v > 0):
		a.Error(1, "interval above 0 expected")
	case k == after && v < 0:
		a.Error(1, "delay must not be negative")
	}
	cb, existing := luahost.Keep(a.L, fn)
	if existing {
		// A state replaying the load: the primary's timer, bound now to
		// this state's copy of fn too.
		return a.Push(TimerClass.Push(a.L, cb.Value.(*Timer)))
	}
	t := &Timer{cb: cb, kind: k, name: name, log: luahost.Log(a.L)}
	if k == at {
		t.when = time.Unix(0, int64(v*float64(time.Second)))
	} else {
		t.delta = time.Duration(v * float64(time.Second))
	}
	cb.Value = t
	t.unretire = luahost.OnRetire(a.L, t.stop)
	if luahost.Building(a.L) {
		luahost.OnServe(a.L, t.start)
	} else {
		t.fn = fn
		t.start()
	}
	return a.Push(TimerClass.Push(a.L, t))
}

// restart is timer:start(): a hook's timer whose callback was released
// keeps its function again, in L's state (the one that made it).
func (t *Timer) restart(L *lua.LState) {
	t.mu.Lock()
	if t.released {
		t.cb, _ = luahost.Keep(L, t.fn)
		t.cb.Value = t
		t.released = false
		t.unretire = luahost.OnRetire(L, t.stop)
	}
	t.mu.Unlock()
	t.start()
}

func (t *Timer) start() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.t != nil {
		t.t.Stop()
	}
	t.gen++
	t.running = true
	gen := t.gen
	d := t.delta
	if t.kind == at {
		d = time.Until(t.when)
	}
	t.t = time.AfterFunc(max(d, 0), func() { t.fire(gen) })
}

func (t *Timer) stop() {
	t.mu.Lock()
	t.gen++
	t.running = false
	if t.t != nil {
		t.t.Stop()
	}
	unretire := t.release()
	t.mu.Unlock()
	if unretire != nil {
		unretire()
	}
}

// release forgets a hook's timer's callback, which holds its function in
// the state, and returns the cancel of its stop at retirement; t.mu is
// held. A generation's timer keeps its callback (the generation's timers
// are as many as the scripts' load made).
func (t *Timer) release() (unretire func()) {
	if t.fn == nil || t.released {
		return nil
	}
	t.released = true
	t.cb.Release()
	unretire, t.unretire = t.unretire, nil
	return unretire
}

// fire runs the function, then schedules the next run of an every timer.
// The next interval counts from the end of this run, so a slow function
// does not pile up runs.
func (t *Timer) fire(gen int) {
	defer luahost.LogPanic(t.log, "timer")
	t.mu.Lock()
	live := t.running && t.gen == gen
	cb := t.cb
	t.mu.Unlock()
	if !live {
		return
	}
	err := cb.Run(context.Background(), func(L *lua.LState, fn *lua.LFunction) error {
		return luahost.PCall(context.Background(), L, fn)
	})
	if err == luahost.ErrGone {
		if cb.Orphaned() {
			t.log.Warn("timer stopped: the Lua state that made it is gone (a call in it failed and the state was replaced)", "timer", t.name.String())
		}
		t.stop()
		return
	}
	if err != nil {
		t.log.Warn("timer function failed", "timer", t.name.String(), "error", err)
	}
	t.mu.Lock()
	var unretire func()
	switch {
	case t.kind == every && t.running && t.gen == gen:
		t.t = time.AfterFunc(t.delta, func() { t.fire(gen) })
	case t.gen == gen:
		t.running = false
		unretire = t.release()
	}
	t.mu.Unlock()
	if unretire != nil {
		unretire()
	}
}
