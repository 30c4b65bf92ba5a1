package luahost

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"
)

// Callback is a Lua function kept for calls from outside Lua: a timer, a
// console command, a thread-pool completion. Made while a generation is
// built, it belongs to the generation and runs in its primary state (which
// every state replays, so a replacement primary has it too); made at run
// time, it runs in the state that made it. No callback of a generation
// runs before the generation serves, nor after it is refused or retired.
type Callback struct {
	gen     *Generation
	st      *state // nil: the generation's primary
	once    bool
	dropped atomic.Bool
	mu      sync.Mutex
	states  []*state // where a function is kept for it
	// Value is the binding's object for this callback (a timer), so a
	// replaying state finds the one the primary made.
	Value any
}

// Keep keeps fn and returns its callback. While a generation is built, a
// replaying state gets the primary's callback (existing is true) and binds
// its own copy of fn to it.
func Keep(L *lua.LState, fn *lua.LFunction) (cb *Callback, existing bool) {
	st := stateOf(L)
	cb, fresh := Shared(L, "luahost.callback", func() *Callback { return &Callback{gen: st.gen} })
	if !st.building {
		cb.st = st
	}
	st.keep(cb, fn)
	return cb, !fresh
}

// KeepOnce keeps fn for one Run (a thread-pool job, its completion); the
// function is forgotten after it.
func KeepOnce(L *lua.LState, fn *lua.LFunction) *Callback {
	st := stateOf(L)
	cb := &Callback{gen: st.gen, st: st, once: true}
	st.keep(cb, fn)
	return cb
}

func (st *state) keep(cb *Callback, fn *lua.LFunction) {
	st.rootsMu.Lock()
	st.kept[cb] = fn
	st.rootsMu.Unlock()
	cb.mu.Lock()
	cb.states = append(cb.states, st)
	cb.mu.Unlock()
}

// kept returns the function st keeps for cb, forgetting it when forget.
func (st *state) keptFn(cb *Callback, forget bool) (*lua.LFunction, bool) {
	st.rootsMu.Lock()
	defer st.rootsMu.Unlock()
	fn, ok := st.kept[cb]
	if forget {
		delete(st.kept, cb)
	}
	return fn, ok
}

// Release drops the callback: Run fails from now on, and every state
// forgets its function.
func (cb *Callback) Release() {
	cb.dropped.Store(true)
	cb.mu.Lock()
	states := cb.states
	cb.states = nil
	cb.mu.Unlock()
	for _, st := range states {
		st.keptFn(cb, true)
	}
}

// Orphaned reports whether the state that made a callback at run time was
// closed (a call in it failed) while its generation still serves: the
// function is gone with it.
func (cb *Callback) Orphaned() bool {
	return cb.st != nil && cb.st.closed.Load() && !cb.dropped.Load() && !cb.gen.retired.Load()
}

// ErrGone is returned by Callback.Run when the generation or the state that
// owns the callback is gone.
var ErrGone = errors.New("the Lua state that made this callback is gone")

// Run waits until the callback's generation serves and its state is idle,
// then calls f with it and the kept function, under the host's deadline
// for calls made with PCall.
func (cb *Callback) Run(ctx context.Context, f func(L *lua.LState, fn *lua.LFunction) error) error {
	g := cb.gen
	if g == nil {
		return ErrGone
	}
	select {
	case <-g.ready:
	case <-ctx.Done():
		return ctx.Err()
	}
	if g.refused.Load() {
		return ErrGone
	}
	if !g.enter() {
		return ErrGone
	}
	for {
		target := cb.st
		if target == nil {
			target = g.primary.Load()
		}
		if cb.dropped.Load() || cb.st != nil && target.closed.Load() {
			g.inflight.RUnlock()
			return ErrGone
		}
		var st *state
		if target != nil && !target.closed.Load() {
			var err error
			st, err = g.takeState(ctx, target)
			if err == errHomeGone {
				continue // the primary was replaced: look again
			}
			if err != nil {
				g.inflight.RUnlock()
				return err
			}
		} else if st, _ = g.pool.tryGet(); st == nil {
			// The primary broke and was not rebuilt yet: every state of
			// the generation replayed the build, so any has the function.
			select {
			case <-g.pool.wake:
				continue
			case <-ctx.Done():
				g.inflight.RUnlock()
				return ctx.Err()
			}
		}
		defer g.release(st)
		fn, ok := st.keptFn(cb, cb.once)
		if !ok || cb.dropped.Load() {
			return ErrGone
		}
		return f(st.L, fn)
	}
}

// PublishWhileServing puts cb under key in m (guarded by mu) once the
// generation of L serves, releasing the callback it replaces, and takes
// it out when that generation retires unless a newer one replaced it. A
// reload that is refused, or still loading, so leaves the serving
// generation's entries in place: the registry of auth schemes, HTTP
// endpoints and the like that scripts register while they load.
func PublishWhileServing[K comparable](L *lua.LState, mu sync.Locker, m map[K]*Callback, key K, cb *Callback) {
	OnServe(L, func() {
		mu.Lock()
		old := m[key]
		m[key] = cb
		mu.Unlock()
		if old != nil && old != cb {
			old.Release()
		}
	})
	OnRetire(L, func() {
		mu.Lock()
		defer mu.Unlock()
		if m[key] == cb {
			delete(m, key)
		}
	})
}
