package msys

import (
	"sync"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

// The share space (msys.shareSet/Get/Unset, deprecated in Momentum 3.2) is
// one key/value space for every Lua state of the host. Values are copied in
// and out: strings, numbers, booleans and tables of them (nested, without
// cycles); a function, userdata or coroutine cannot leave its state.
type shareSpace struct {
	mu sync.Mutex
	kv map[string]any
}

type shareKey struct{}

func spaceOf(L *lua.LState) *shareSpace {
	return luahost.HostShared(L, shareKey{}, func() *shareSpace { return &shareSpace{kv: map[string]any{}} })
}

// msys.shareSet(key, value): stores a copy of value; nil unsets.
func shareSet(a luahost.Args) int {
	key := a.String(1)
	v, err := luahost.CopyOut(a.Any(2))
	if ce, ok := err.(*luahost.CopyError); ok {
		a.Error(2, ce.What+" cannot be shared between Lua states")
	}
	if luahost.Quiet(a.L) {
		return 0
	}
	s := spaceOf(a.L)
	s.mu.Lock()
	defer s.mu.Unlock()
	if v == nil {
		delete(s.kv, key)
	} else {
		s.kv[key] = v
	}
	return 0
}

// msys.shareGet(key) → a copy of the value, or nil.
func shareGet(a luahost.Args) int {
	key := a.String(1)
	s := spaceOf(a.L)
	s.mu.Lock()
	v := s.kv[key]
	s.mu.Unlock()
	return a.Push(luahost.CopyIn(a.L, v))
}

// msys.shareUnset(key).
func shareUnset(a luahost.Args) int {
	key := a.String(1)
	if luahost.Quiet(a.L) {
		return 0
	}
	s := spaceOf(a.L)
	s.mu.Lock()
	delete(s.kv, key)
	s.mu.Unlock()
	return 0
}
