package msys

import (
	"sync"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

// Named locks (msys.lock, msys.unlock) are the host's, shared by every Lua
// state of every generation. Momentum ties a lock to the OS thread that took
// it; msyshost ties it to the Lua state, which is what a thread is to a
// script here: only the state that locked may unlock, and a state that
// closes (its generation retired, or it broke) releases what it held.
type locks struct {
	mu    sync.Mutex
	held  map[string]*namedLock
	owned map[*lua.LState]map[string]bool
}

type namedLock struct {
	owner *lua.LState
	free  chan struct{} // closed when released
}

type locksKey struct{}

func locksOf(L *lua.LState) *locks {
	return luahost.HostShared(L, locksKey{}, func() *locks {
		return &locks{held: map[string]*namedLock{}, owned: map[*lua.LState]map[string]bool{}}
	})
}

// msys.lock(name): takes the named lock, waiting while another state holds
// it. Taking a lock the state already holds is an error (the thread would
// deadlock in Momentum).
func lock(a luahost.Args) int {
	name := a.String(1)
	ls := locksOf(a.L)
	for {
		ls.mu.Lock()
		l := ls.held[name]
		if l == nil {
			ls.held[name] = &namedLock{owner: a.L, free: make(chan struct{})}
			own := ls.owned[a.L]
			if own == nil {
				own = map[string]bool{}
				ls.owned[a.L] = own
				L := a.L
				luahost.OnClose(L, func() { ls.releaseAll(L) })
			}
			own[name] = true
			ls.mu.Unlock()
			return 0
		}
		if l.owner == a.L {
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
	ls.mu.Lock()
	l := ls.held[name]
	mine := l != nil && l.owner == a.L
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
	delete(ls.owned[l.owner], name)
	close(l.free)
}

func (ls *locks) releaseAll(L *lua.LState) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	for name := range ls.owned[L] {
		if l := ls.held[name]; l != nil && l.owner == L {
			ls.release(name, l)
		}
	}
	delete(ls.owned, L)
}
