// Package gauge_cache is the Lua module msys.gauge_cache: named caches of
// counters by string key (connections per IP, messages per sender), each
// bounded in entries, whose entries expire ttl seconds after their last
// change. The caches are the host's, shared by every Lua state.
package gauge_cache

import (
	"container/list"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

func init() {
	luahost.Register(luahost.Binding{Name: "msys.gauge_cache", Open: open, Notes: map[string]string{
		"msys.gauge_cache.define": "replicated is accepted; msyshost has no cluster to replicate to",
	}})
}

// Cache is one gauge cache.
type Cache struct {
	mu      sync.Mutex
	max     int
	ttl     time.Duration
	entries map[string]*list.Element // of *entry, least recently changed first
	order   *list.List
}

type entry struct {
	key     string
	value   int64
	changed time.Time
}

// Set returns the value of key at now (0 when absent or expired).
func (c *Cache) get(key string, now time.Time) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.live(key, now); e != nil {
		return e.value
	}
	return 0
}

// live returns key's entry unless it expired (then it is dropped).
func (c *Cache) live(key string, now time.Time) *entry {
	el := c.entries[key]
	if el == nil {
		return nil
	}
	e := el.Value.(*entry)
	if c.ttl > 0 && now.Sub(e.changed) >= c.ttl {
		c.order.Remove(el)
		delete(c.entries, key)
		return nil
	}
	return e
}

// add changes key by n and returns the new value. A new key past max
// pushes out the entry changed longest ago.
func (c *Cache) add(key string, n int64, now time.Time) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.live(key, now)
	if e == nil {
		for len(c.entries) >= c.max && c.order.Len() > 0 {
			old := c.order.Front()
			c.order.Remove(old)
			delete(c.entries, old.Value.(*entry).key)
		}
		e = &entry{key: key}
		c.entries[key] = c.order.PushBack(e)
	} else {
		c.order.MoveToBack(c.entries[key])
	}
	e.value += n
	e.changed = now
	return e.value
}

func (c *Cache) remove(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	el := c.entries[key]
	if el == nil {
		return false
	}
	c.order.Remove(el)
	delete(c.entries, key)
	return true
}

type caches struct {
	mu     sync.RWMutex
	byName map[string]*Cache
}

type cachesKey struct{}

func cachesOf(L *lua.LState) *caches {
	return luahost.HostShared(L, cachesKey{}, func() *caches { return &caches{byName: map[string]*Cache{}} })
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{
		"define":      luahost.Func("define", define),
		"inc":         luahost.Func("inc", func(a luahost.Args) int { return change(a, 1) }),
		"dec":         luahost.Func("dec", func(a luahost.Args) int { return change(a, -1) }),
		"get":         luahost.Func("get", get),
		"remove_item": luahost.Func("remove_item", removeItem),
	})
	return t
}

// msys.gauge_cache.define(name, maxelems, ttl[, replicated]): creates the
// cache, or changes the size and ttl of an existing one (a reload defines
// its caches again and keeps their entries).
func define(a luahost.Args) int {
	name := a.String(1)
	max := a.Int(2)
	ttl := a.Number(3)
	if max < 1 {
		a.Error(2, "at least one element expected")
	}
	if ttl < 0 {
		a.Error(3, "ttl must not be negative")
	}
	cs := cachesOf(a.L)
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c := cs.byName[name]
	set := func() {
		c.mu.Lock()
		c.max, c.ttl = max, time.Duration(ttl*float64(time.Second))
		c.mu.Unlock()
	}
	switch {
	case c == nil:
		c = &Cache{entries: map[string]*list.Element{}, order: list.New()}
		cs.byName[name] = c
		set()
	case luahost.Building(a.L):
		// A cache the serving generation uses takes the new size and
		// ttl when this generation serves: a refused reload leaves it.
		luahost.OnServe(a.L, set)
	default:
		set()
	}
	return 0
}

func cache(a luahost.Args) *Cache {
	name := a.String(1)
	cs := cachesOf(a.L)
	cs.mu.RLock()
	c := cs.byName[name]
	cs.mu.RUnlock()
	if c == nil {
		a.Raise("msys.gauge_cache: no cache named '%s' (define it in init)", name)
	}
	return c
}

// msys.gauge_cache.inc(name, key) / dec(name, key) → the new value.
func change(a luahost.Args, n int64) int {
	c := cache(a)
	key := a.String(2)
	now := luahost.Now(a.L)
	if luahost.Quiet(a.L) {
		return a.Push(lua.LNumber(c.get(key, now)))
	}
	return a.Push(lua.LNumber(c.add(key, n, now)))
}

// msys.gauge_cache.get(name, key) → the value; 0 for a key that is not in
// the cache or expired.
func get(a luahost.Args) int {
	c := cache(a)
	return a.Push(lua.LNumber(c.get(a.String(2), luahost.Now(a.L))))
}

// msys.gauge_cache.remove_item(name, key) → true when the key was there.
func removeItem(a luahost.Args) int {
	c := cache(a)
	key := a.String(2)
	if luahost.Quiet(a.L) {
		return a.Push(lua.LFalse)
	}
	return a.Push(lua.LBool(c.remove(key)))
}
