// Package timer is the Lua module msys.timer: functions run after a delay,
// at a time, or at an interval. A timer made while the scripts load or in
// init belongs to the generation and runs in its primary state; one made
// in a hook runs in the state that made it, when that state is free. A
// generation's timers stop when it retires.
package timer

import (
	"context"
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
	cb    *luahost.Callback
	kind  kind
	delta time.Duration // after and every
	when  time.Time     // at
	name  lua.LValue
	log   interface{ Warn(string, ...any) }

	mu      sync.Mutex
	t       *time.Timer
	running bool
	gen     int // bumped by stop and start, so a stale firing is dropped
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
		"start": luahost.Method("start", func(a luahost.Args) int { TimerClass.Check(a, 1).start(); return 0 }),
		"name":  luahost.Method("name", func(a luahost.Args) int { return a.Push(TimerClass.Check(a, 1).name) }),
	})
	return t
}

// msys.timer.after(seconds, fn[, name]), msys.timer.at(epoch, fn[, name]),
// msys.timer.every(seconds, fn[, name]) → a timer, already started. Its
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
	luahost.OnRetire(a.L, t.stop)
	t.start()
	return a.Push(TimerClass.Push(a.L, t))
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
	defer t.mu.Unlock()
	t.gen++
	t.running = false
	if t.t != nil {
		t.t.Stop()
	}
}

// fire runs the function, then schedules the next run of an every timer.
// The next interval counts from the end of this run, so a slow function
// does not pile up runs.
func (t *Timer) fire(gen int) {
	t.mu.Lock()
	live := t.running && t.gen == gen
	t.mu.Unlock()
	if !live {
		return
	}
	err := t.cb.Run(context.Background(), func(L *lua.LState, fn *lua.LFunction) error {
		return luahost.PCall(context.Background(), L, fn)
	})
	if err == luahost.ErrGone {
		t.stop()
		return
	}
	if err != nil {
		t.log.Warn("timer function failed", "timer", t.name.String(), "error", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.kind == every && t.running && t.gen == gen {
		t.t = time.AfterFunc(t.delta, func() { t.fire(gen) })
	} else if t.gen == gen {
		t.running = false
	}
}
