// Package thread is the Lua module thread: mutexes for critical sections
// shared by the Lua states of a generation. A mutex made while the scripts
// load (at a script's top level, or in init) is one mutex for every state
// of the generation, as a global of Momentum's single interpreter is; one
// made in a hook is that state's.
package thread

import (
	"context"
	"sync"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

// Mutex types, as thread.MUTEX_*.
const (
	Normal = iota
	Recursive
	ErrorCheck
)

func init() {
	luahost.Register(luahost.Binding{Name: "thread", Open: open, Notes: map[string]string{
		"thread.mutex": "owned by the Lua state (Momentum: the OS thread); relocking a NORMAL mutex raises an error instead of deadlocking",
	}})
}

// Mutex is a thread.mutex. It is held by a Lua state with its coroutines
// (Momentum: an OS thread), and never beyond the call that locked it: a
// hook that ends holding it (an error before unlock) releases it then,
// with a warning, so that it cannot wedge every later call.
type Mutex struct {
	kind  int
	mu    sync.Mutex
	owner *holder
	depth int
	free  chan struct{} // closed when released, replaced when taken
}

// holder is one Lua state's held mutexes (guarded by mu).
type holder struct {
	mu   sync.Mutex
	held map[*Mutex]bool
}

type holderKey struct{}

// holderOf is L's state's holder, whose mutexes are released when each
// call into the state ends and when the state closes.
func holderOf(L *lua.LState) *holder {
	return luahost.StateLocal(L, holderKey{}, func() *holder {
		h := &holder{held: map[*Mutex]bool{}}
		log := luahost.Log(L)
		luahost.OnRelease(L, func() {
			if n := h.releaseAll(); n > 0 {
				log.Warn("thread.mutex: mutex still held at the end of a hook or callback; released (unlock it on every path, errors included)", "mutexes", n)
			}
		})
		luahost.OnClose(L, func() { h.releaseAll() })
		return h
	})
}

func (h *holder) releaseAll() int {
	h.mu.Lock()
	held := h.held
	h.held = map[*Mutex]bool{}
	h.mu.Unlock()
	n := 0
	for m := range held {
		if m.releaseFor(h) {
			n++
		}
	}
	return n
}

func (h *holder) track(m *Mutex, held bool) {
	h.mu.Lock()
	if held {
		h.held[m] = true
	} else {
		delete(h.held, m)
	}
	h.mu.Unlock()
}

// MutexClass is the class of a mutex.
var MutexClass = luahost.NewClass[Mutex]("thread:_mutex", "mutex")

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	t.RawSetString("MUTEX_NORMAL", lua.LNumber(Normal))
	t.RawSetString("MUTEX_RECURSIVE", lua.LNumber(Recursive))
	t.RawSetString("MUTEX_ERRORCHECK", lua.LNumber(ErrorCheck))
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{"mutex": luahost.Func("mutex", newMutex)})
	luahost.SetFuncs(L, MutexClass.Methods(L), map[string]lua.LGFunction{
		"lock":    luahost.Method("lock", lock),
		"unlock":  luahost.Method("unlock", unlock),
		"trylock": luahost.Method("trylock", trylock),
	})
	return t
}

// thread.mutex([type]) → a mutex; type is MUTEX_NORMAL (the default),
// MUTEX_RECURSIVE or MUTEX_ERRORCHECK.
func newMutex(a luahost.Args) int {
	k := a.OptInt(1, Normal)
	if k < Normal || k > ErrorCheck {
		a.Error(1, "thread.MUTEX_NORMAL, MUTEX_RECURSIVE or MUTEX_ERRORCHECK expected")
	}
	m, _ := luahost.Shared(a.L, "thread.mutex", func() *Mutex { return &Mutex{kind: k} })
	return a.Push(MutexClass.Push(a.L, m))
}

// take takes m for L when it is free or L's; ok false when another state
// holds it (wait is then the channel closed at its release).
func (m *Mutex) take(L *lua.LState) (ok, again bool, wait chan struct{}) {
	h := holderOf(L)
	m.mu.Lock()
	defer m.mu.Unlock()
	switch m.owner {
	case nil:
		m.owner, m.depth, m.free = h, 1, make(chan struct{})
		h.track(m, true)
		return true, false, nil
	case h:
		return false, true, nil
	}
	return false, false, m.free
}

// releaseFor frees m if h still holds it (its call ended or its state is
// closing); it reports whether it did.
func (m *Mutex) releaseFor(h *holder) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.owner != h {
		return false
	}
	m.owner, m.depth = nil, 0
	close(m.free)
	return true
}

// m:lock() → true once held. A recursive mutex counts the holder's
// locks; an error-check mutex the holder locks again returns nil and
// "resource deadlock avoided"; a normal one raises an error.
func lock(a luahost.Args) int {
	m := MutexClass.Check(a, 1)
	for {
		ok, again, wait := m.take(a.L)
		switch {
		case ok:
			return a.Push(lua.LTrue)
		case again:
			switch m.kind {
			case Recursive:
				m.mu.Lock()
				m.depth++
				m.mu.Unlock()
				return a.Push(lua.LTrue)
			case ErrorCheck:
				return a.Failf("resource deadlock avoided")
			}
			a.Raise("mutex:lock: this Lua state already holds the mutex (it would deadlock)")
		}
		select {
		case <-wait:
		case <-a.L.Context().Done():
			a.Raise("mutex:lock interrupted: %v", ctxErr(a.L.Context()))
		}
	}
}

func ctxErr(ctx context.Context) error { return ctx.Err() }

// m:trylock() → true when taken now, false when another state holds it.
func trylock(a luahost.Args) int {
	m := MutexClass.Check(a, 1)
	ok, again, _ := m.take(a.L)
	if again && m.kind == Recursive {
		m.mu.Lock()
		m.depth++
		m.mu.Unlock()
		return a.Push(lua.LTrue)
	}
	return a.Push(lua.LBool(ok))
}

// m:unlock() → true. Unlocking a mutex this state does not hold returns
// nil and "operation not permitted" for an error-check mutex and raises an
// error otherwise.
func unlock(a luahost.Args) int {
	m := MutexClass.Check(a, 1)
	h := holderOf(a.L)
	m.mu.Lock()
	if m.owner != h {
		m.mu.Unlock()
		if m.kind == ErrorCheck {
			return a.Failf("operation not permitted")
		}
		a.Raise("mutex:unlock: this Lua state does not hold the mutex")
	}
	m.depth--
	if m.depth == 0 {
		m.owner = nil
		close(m.free)
		h.track(m, false)
	}
	m.mu.Unlock()
	return a.Push(lua.LTrue)
}
