package luahost

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"msyshost/luahost/puc"
)

// Thread pools for msys.runInPool: `threadpool "NAME" { concurrency = N }`
// in the config, over Momentum's standard pools and their default sizes.
// A closure belongs to the Lua state that made it, so it runs in that state;
// the pool bounds how many jobs of that pool run at once across the host,
// which is what a pool's concurrency does in Momentum.

// DefaultThreadPools are Momentum's standard pools and their concurrency.
var DefaultThreadPools = map[string]int{
	"SwapOut": 5, "SwapIn": 5, "Unlink": 6, "Batch_Unlink": 4, "Close": 0,
	"CPU": 4, "IO": 50, "SpoolIn": 1,
}

type threadPool struct {
	name  string
	id    int
	slots chan struct{}

	invocations atomic.Int64
	queued      atomic.Int64 // waiting for a slot
	running     atomic.Int64
	busyNanos   atomic.Int64 // total time jobs ran
}

type threadPools struct {
	mu     sync.Mutex
	byName map[string]*threadPool
	byID   []*threadPool
}

// SetThreadPools sets the pools' concurrency (name → N) over the defaults;
// a pool whose concurrency is unchanged is kept as it is (its jobs and
// figures), a resized one starts afresh while the jobs already waiting
// keep the pool they asked for. A concurrency below 1 is 1: a pool always
// runs its jobs.
func (h *Host) SetThreadPools(sizes map[string]int) {
	all := map[string]int{}
	for n, c := range DefaultThreadPools {
		all[n] = c
	}
	for n, c := range sizes {
		all[n] = c
	}
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	p := &h.pools
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.byName
	p.byName = map[string]*threadPool{}
	p.byID = nil
	for i, n := range names {
		size := max(all[n], 1)
		tp := old[n]
		if tp == nil || cap(tp.slots) != size {
			tp = &threadPool{name: n, slots: make(chan struct{}, size)}
		}
		tp.id = i + 1
		p.byName[n] = tp
		p.byID = append(p.byID, tp)
	}
}

func (p *threadPools) find(a Args) *threadPool {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch v := a.Get(1).(type) {
	case lua.LNumber:
		if id := int(v); id >= 1 && id <= len(p.byID) {
			return p.byID[id-1]
		}
		a.Error(1, fmt.Sprintf("no thread pool with id %d", int(v)))
	case lua.LString:
		if tp := p.byName[string(v)]; tp != nil {
			return tp
		}
		a.Error(1, "no thread pool named '"+string(v)+"' (declare it with threadpool \""+string(v)+"\" { concurrency = N })")
	default:
		a.TypeError(1, "thread pool name or id")
	}
	return nil
}

// enter waits for a slot of the pool; leave frees it, given what enter
// returned.
func (tp *threadPool) enter(ctx context.Context) (time.Time, error) {
	tp.queued.Add(1)
	defer tp.queued.Add(-1)
	select {
	case tp.slots <- struct{}{}:
		tp.invocations.Add(1)
		tp.running.Add(1)
		return time.Now(), nil
	case <-ctx.Done():
		return time.Time{}, ctx.Err()
	}
}

func (tp *threadPool) leave(start time.Time) {
	tp.busyNanos.Add(int64(time.Since(start)))
	tp.running.Add(-1)
	<-tp.slots
}

// PoolStat is what msys.threadpool.stat reports of a pool.
type PoolStat struct {
	Name        string
	ID          int
	Concurrency int
	Invocations int64
	Queued      int64
	Running     int64
	AvgWall     time.Duration // per job
}

// ThreadPools returns the host's pools, by id.
func ThreadPools(L *lua.LState) []PoolStat {
	p := &stateOf(L).host.pools
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]PoolStat, len(p.byID))
	for i, tp := range p.byID {
		st := PoolStat{Name: tp.name, ID: tp.id, Concurrency: cap(tp.slots), Invocations: tp.invocations.Load(),
			Queued: tp.queued.Load(), Running: tp.running.Load()}
		if st.Invocations > 0 {
			st.AvgWall = time.Duration(tp.busyNanos.Load() / st.Invocations)
		}
		out[i] = st
	}
	return out
}

// msys.runInPool(pool, closure[, async | completion[, mode]]):
//   - without a third argument (or false): runs closure under the pool's
//     bound and returns what pcall would: true and its results, or false
//     and the error;
//   - true: runs closure later, after the calling code has returned, and
//     returns nothing;
//   - a function: as true, then calls it with closure's results.
//
// mode (msys.core.ECTP_COMPLETE_CALLBACK_SCHED) is accepted; the
// completion runs in the closure's state either way.
func (st *state) runInPool(L *lua.LState) int {
	a := Args{L: L, Name: "runInPool"}
	tp := st.host.pools.find(a)
	fn := a.Function(2)
	third := a.Get(3)
	if third == lua.LNil || third == lua.LFalse {
		start, err := tp.enter(L.Context())
		if err != nil {
			a.Raise("msys.runInPool: waiting for pool '%s': %v", tp.name, err)
		}
		defer tp.leave(start)
		base := L.GetTop()
		L.Push(fn)
		if err := puc.PCall(L, 0, lua.MultRet); err != nil {
			L.Push(lua.LFalse)
			L.Push(errValue(err))
			return 2
		}
		n := L.GetTop() - base
		L.Insert(lua.LTrue, base+1)
		return n + 1
	}
	var done *lua.LFunction
	switch v := third.(type) {
	case lua.LBool:
	case *lua.LFunction:
		done = v
	default:
		a.TypeError(3, "boolean or function")
	}
	if Quiet(L) {
		// The primary state queued this job while the generation loaded.
		return 0
	}
	h := st.host
	if h.jobsPending.Add(1) > maxPendingJobs {
		h.jobsPending.Add(-1)
		L.Push(lua.LNil)
		L.Push(lua.LString(fmt.Sprintf("msys.runInPool: %d jobs are already waiting or running; job refused", maxPendingJobs)))
		return 2
	}
	job := KeepOnce(L, fn)
	var completion *Callback
	if done != nil {
		completion = KeepOnce(L, done)
	}
	log := Log(L)
	h.jobs.Add(1)
	SafeGo(log, "msys.runInPool job", func() {
		defer h.jobs.Done()
		defer h.jobsPending.Add(-1)
		ctx := h.jobsCtx
		// The job takes its state first, then a slot of the pool: a slot
		// is never held by a job waiting for a state that a hook holds
		// while it waits for the same pool (a synchronous runInPool).
		err := job.Run(ctx, func(L *lua.LState, fn *lua.LFunction) error {
			start, err := tp.enter(ctx)
			if err != nil {
				return fmt.Errorf("waiting for pool '%s': %w", tp.name, err)
			}
			defer tp.leave(start)
			st := stateOf(L)
			base := L.GetTop()
			if err := st.pcallN(ctx, fn); err != nil {
				return err
			}
			results := make([]lua.LValue, L.GetTop()-base)
			for i := range results {
				results[i] = L.Get(base + 1 + i)
			}
			L.SetTop(base)
			if completion == nil {
				return nil
			}
			cfn, ok := st.keptFn(completion, true)
			if !ok {
				return ErrGone
			}
			return st.pcall(ctx, cfn, results...)
		})
		if completion != nil {
			completion.Release() // the job failed before its completion ran
		}
		if err != nil {
			log.Warn("msys.runInPool job failed", "pool", tp.name, "error", err)
		}
	})
	return 0
}

// maxPendingJobs bounds the asynchronous msys.runInPool jobs waiting or
// running across the host: past it a job is refused (nil and a message)
// rather than queued without end.
const maxPendingJobs = 10000

// errValue is the error object a protected call raised.
func errValue(err error) lua.LValue {
	if e, ok := err.(*lua.ApiError); ok {
		return e.Object
	}
	return lua.LString(err.Error())
}
