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
	v, err := copyOut(a.Any(2), 0, map[*lua.LTable]bool{})
	if err != "" {
		a.Error(2, err)
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
	return a.Push(copyIn(a.L, v))
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

// sharedTable is a table copied out of a state: its pairs in order.
type sharedTable [][2]any

// copyOut copies a Lua value for another state; err says why it cannot.
func copyOut(v lua.LValue, depth int, seen map[*lua.LTable]bool) (any, string) {
	switch x := v.(type) {
	case *lua.LNilType:
		return nil, ""
	case lua.LBool:
		return bool(x), ""
	case lua.LNumber:
		return float64(x), ""
	case lua.LString:
		return string(x), ""
	case *lua.LTable:
		if seen[x] || depth > 64 {
			return nil, "a table that contains itself cannot be shared"
		}
		seen[x] = true
		defer delete(seen, x)
		var out sharedTable
		var bad string
		x.ForEach(func(k, val lua.LValue) {
			if bad != "" {
				return
			}
			ck, e1 := copyOut(k, depth+1, seen)
			cv, e2 := copyOut(val, depth+1, seen)
			if bad = e1 + e2; bad == "" {
				out = append(out, [2]any{ck, cv})
			}
		})
		return out, bad
	}
	return nil, "a " + v.Type().String() + " cannot be shared between Lua states"
}

// copyIn makes a shared value in L.
func copyIn(L *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case bool:
		return lua.LBool(x)
	case float64:
		return lua.LNumber(x)
	case string:
		return lua.LString(x)
	case sharedTable:
		t := L.NewTable()
		for _, kv := range x {
			t.RawSet(copyIn(L, kv[0]), copyIn(L, kv[1]))
		}
		return t
	}
	return lua.LNil
}
