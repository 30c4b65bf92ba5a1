// Package threadpool is the Lua module msys.threadpool: the thread pools
// msys.runInPool runs jobs in, and their statistics.
package threadpool

import (
	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost"
)

func init() {
	luahost.Register(luahost.Binding{Name: "msys.threadpool", Open: open, Notes: map[string]string{
		"msys.threadpool.stat": "num_threads is the pool's concurrency; saturation is running jobs over concurrency now",
	}})
}

func open(L *lua.LState) lua.LValue {
	t := L.NewTable()
	luahost.SetFuncs(L, t, map[string]lua.LGFunction{
		"count": luahost.Func("count", func(a luahost.Args) int { return a.Push(lua.LNumber(len(luahost.ThreadPools(a.L)))) }),
		"find":  luahost.Func("find", find),
		"stat":  luahost.Func("stat", stat),
	})
	return t
}

func lookup(a luahost.Args) (luahost.PoolStat, bool) {
	for _, p := range luahost.ThreadPools(a.L) {
		switch v := a.Get(1).(type) {
		case lua.LNumber:
			if int(v) == p.ID {
				return p, true
			}
		case lua.LString:
			if string(v) == p.Name {
				return p, true
			}
		default:
			a.TypeError(1, "thread pool name or id")
		}
	}
	return luahost.PoolStat{}, false
}

// msys.threadpool.find(name_or_id) → the id of the named pool, or the name
// of the pool with that id; nil when there is none.
func find(a luahost.Args) int {
	p, ok := lookup(a)
	switch {
	case !ok:
		return a.Push(lua.LNil)
	case a.Get(1).Type() == lua.LTNumber:
		return a.Push(lua.LString(p.Name))
	}
	return a.Push(lua.LNumber(p.ID))
}

// msys.threadpool.stat(name_or_id) → a table of the pool's name,
// invocations, avg_concurrency, saturation, avg_wallclock_time_per_op
// (seconds), queue_sz, num_threads, num_active_threads,
// num_inactive_threads, job_num_queued and job_num_running; nil for no
// such pool.
func stat(a luahost.Args) int {
	p, ok := lookup(a)
	if !ok {
		return a.Push(lua.LNil)
	}
	t := a.L.NewTable()
	set := func(k string, v float64) { t.RawSetString(k, lua.LNumber(v)) }
	t.RawSetString("name", lua.LString(p.Name))
	set("invocations", float64(p.Invocations))
	set("avg_concurrency", float64(p.Running))
	set("saturation", float64(p.Running)/float64(p.Concurrency))
	set("avg_wallclock_time_per_op", p.AvgWall.Seconds())
	set("queue_sz", float64(p.Queued))
	set("num_threads", float64(p.Concurrency))
	set("num_active_threads", float64(p.Running))
	set("num_inactive_threads", float64(int64(p.Concurrency)-p.Running))
	set("job_num_queued", float64(p.Queued))
	set("job_num_running", float64(p.Running))
	return a.Push(t)
}
