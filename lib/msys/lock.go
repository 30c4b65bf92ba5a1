package msys

import (
	"log/slog"
	"sort"
	"sync"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

// Named locks (msys.lock, msys.unlock) are the host's, shared by every Lua
// state of every generation. Momentum ties a lock to the OS thread that took
// it; msyshost ties it to the Lua state (with its coroutines), which is what
// a thread is to a script here: only the state that locked may unlock. A
// lock does not outlive the call that took it: what a hook, callback or
// chunk still holds when it ends (it raised an error before unlocking) is
// released then, with a warning, so that it cannot wedge every later call.
type locks struct {
	mu   sync.Mutex
	held map[string]*namedLock
}

type namedLock struct {
	owner *heldLocks
	free  chan struct{} // closed when released
}

// heldLocks is what one Lua state holds; ls.mu guards names.
type heldLocks struct {
	names map[string]bool
}

type locksKey struct{}
type heldKey struct{}

func locksOf(L *lua.LState) *locks {
	return luahost.HostShared(L, locksKey{}, func() *locks {
		return &locks{held: map[string]*namedLock{}}
	})
}

// heldOf is L's state's held locks, released when each call into the
// state ends and when the state closes.
func heldOf(L *lua.LState, ls *locks) *heldLocks {
	return luahost.StateLocal(L, heldKey{}, func() *heldLocks {
		h := &heldLocks{names: map[string]bool{}}
		log := luahost.Log(L)
		luahost.OnRelease(L, func() { ls.releaseAll(h, log) })
		luahost.OnClose(L, func() { ls.releaseAll(h, nil) })
		return h
	})
}

// msys.lock(name): takes the named lock, waiting while another state holds
// it. Taking a lock the state already holds is an error (the thread would
// deadlock in Momentum).
func lock(a luahost.Args) int {
	name := a.String(1)
	ls := locksOf(a.L)
	me := heldOf(a.L, ls)
	for {
		ls.mu.Lock()
		l := ls.held[name]
		if l == nil {
			ls.held[name] = &namedLock{owner: me, free: make(chan struct{})}
			me.names[name] = true
			ls.mu.Unlock()
			return 0
		}
		if l.owner == me {
			ls.mu.Unlock()
			a.Raise("msys.lock: this Lua state already holds lock '%s' (taking it again would deadlock)", name)
		}
		free := l.free
		ls.mu.Unlock()
		select {
		case <-free:
		case <-a.L.Context().Done():
			a.Raise("msys.lock('%s') interrupted: %v", name, a.L.Context().Err())
		}
	}
}

// msys.unlock(name): releases a lock this state holds; releasing one it
// does not hold is an error.
func unlock(a luahost.Args) int {
	name := a.String(1)
	ls := locksOf(a.L)
	me := heldOf(a.L, ls)
	ls.mu.Lock()
	l := ls.held[name]
	mine := l != nil && l.owner == me
	if mine {
		ls.release(name, l)
	}
	ls.mu.Unlock()
	if !mine {
		a.Raise("msys.unlock: lock '%s' is not held by this Lua state", name)
	}
	return 0
}

func (ls *locks) release(name string, l *namedLock) {
	delete(ls.held, name)
	delete(l.owner.names, name)
	close(l.free)
}

// releaseAll releases what h still holds, logging each lock when log is
// not nil (a call ended holding it).
func (ls *locks) releaseAll(h *heldLocks, log *slog.Logger) {
	ls.mu.Lock()
	var names []string
	for name := range h.names {
		if l := ls.held[name]; l != nil && l.owner == h {
			ls.release(name, l)
			names = append(names, name)
		}
	}
	ls.mu.Unlock()
	if log == nil {
		return
	}
	sort.Strings(names)
	for _, name := range names {
		log.Warn("msys.lock: lock still held at the end of a hook or callback; released (unlock it on every path, errors included)", "lock", name)
	}
}
