package luahost

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// pool holds a generation's idle states: a bounded, explicit pool (never
// sync.Pool, which would drop states at every GC). A mutex-guarded stack is
// cheaper than a channel on the hot path. Callers sleep on wake only when
// every state is busy (Generation.acquire), and pass a wake-up on when they
// leave states behind.
type pool struct {
	mu   sync.Mutex
	free []*state
	wake chan struct{}
}

func newPool(size int) *pool {
	return &pool{free: make([]*state, 0, size), wake: make(chan struct{}, 1)}
}

// tryGet takes an idle state without waiting; nil when all are busy. It
// also returns how many states stay idle.
func (p *pool) tryGet() (*state, int) {
	p.mu.Lock()
	n := len(p.free)
	if n == 0 {
		p.mu.Unlock()
		return nil, 0
	}
	st := p.free[n-1]
	p.free = p.free[:n-1]
	p.mu.Unlock()
	if n > 1 {
		p.signal() // another waiter may take the next one
	}
	return st, n - 1
}

// idle is how many states are idle.
func (p *pool) idle() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.free)
}

// take removes st from the idle states; false when st is busy (or gone).
func (p *pool) take(st *state) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, s := range p.free {
		if s == st {
			p.free = append(p.free[:i], p.free[i+1:]...)
			return true
		}
	}
	return false
}

// put returns a state.
func (p *pool) put(st *state) {
	p.mu.Lock()
	p.free = append(p.free, st)
	p.mu.Unlock()
	p.signal()
	select {
	case st.idle <- struct{}{}:
	default:
	}
}

func (p *pool) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// drain removes and returns every idle state.
func (p *pool) drain() []*state {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.free
	p.free = nil
	return out
}

// acquire takes a state from the pool, holding the generation in flight.
// It returns nil when the generation retired meanwhile. When every built
// state is busy it waits for one, while a missing state is built in the
// background (grow): a caller never runs a state's build (the scripts'
// top-level code and init) on its own call.
func (g *Generation) acquire(ctx context.Context) (*state, error) {
	g.inflight.RLock()
	if g.retired.Load() {
		g.inflight.RUnlock()
		return nil, nil
	}
	for {
		if st, idle := g.pool.tryGet(); st != nil {
			if idle == 0 {
				g.grow() // the pool runs low: prebuild a spare
			}
			return st, nil
		}
		g.grow()
		if err := g.unusable(); err != nil {
			g.inflight.RUnlock()
			return nil, err
		}
		select {
		case <-g.pool.wake:
		case <-ctx.Done():
			g.inflight.RUnlock()
			return nil, ctx.Err()
		}
	}
}

// unusable says why no state can come: none is built or busy, and the
// last build failed.
func (g *Generation) unusable() error {
	if g.live.Load() > 0 {
		return nil
	}
	if err := g.buildErr.Load(); err != nil {
		return fmt.Errorf("generation %d has no usable Lua state: %w", g.id, *err)
	}
	return nil
}

// claimMissing takes one missing state's place, for the caller to rebuild.
func (g *Generation) claimMissing() bool {
	for m := g.missing.Load(); m > 0; m = g.missing.Load() {
		if g.missing.CompareAndSwap(m, m-1) {
			return true
		}
	}
	return false
}

// rebuildPause is how long a failed build keeps grow from trying again.
const rebuildPause = time.Second

// grow builds missing states in the background while none is idle or
// every state is a session's home (short), one at a time, holding the
// generation in flight (retire waits for the build).
func (g *Generation) grow() {
	if g.missing.Load() <= 0 || !g.short() || time.Now().UnixNano() < g.retryAt.Load() {
		return
	}
	if !g.growing.CompareAndSwap(false, true) {
		return
	}
	g.host.goSafe("building a Lua state", func() {
		for {
			g.buildMissing()
			g.growing.Store(false)
			g.wakeHomes() // sessions waiting for this build look again
			// A state may have gone missing after the loop's last look.
			if g.missing.Load() <= 0 || !g.short() || time.Now().UnixNano() < g.retryAt.Load() ||
				!g.growing.CompareAndSwap(false, true) {
				return
			}
		}
	})
}

func (g *Generation) buildMissing() {
	g.inflight.RLock()
	defer g.inflight.RUnlock()
	for !g.retired.Load() && g.short() && g.claimMissing() {
		st, err := g.newState(context.Background(), false)
		if err != nil {
			g.missing.Add(1)
			g.buildErr.Store(&err)
			g.retryAt.Store(time.Now().Add(rebuildPause).UnixNano())
			g.host.log.Error("building a Lua state failed", "generation", g.id, "error", err)
			g.pool.signal() // waiters see the error when no state is left
			return
		}
		g.buildErr.Store(nil)
		if p := g.primary.Load(); p == nil || p.closed.Load() {
			// The primary broke: this state takes its role
			// (callbacks made while building run there).
			g.primary.CompareAndSwap(p, st)
		}
		g.pool.put(st)
	}
}

// substitute gives a caller in the middle of a hook chain a state in place
// of its broken one: an idle state when there is one (the broken one is
// rebuilt in the background), else a fresh one built now.
func (g *Generation) substitute(st *state) *state {
	if idle, _ := g.pool.tryGet(); idle != nil {
		g.discard(st)
		return idle
	}
	return g.replace(st)
}

// replace closes a broken state and builds a fresh one for the same caller,
// in the middle of a hook chain; nil when that fails (the pool then counts
// it missing). A fresh state replaces the primary in its role.
func (g *Generation) replace(st *state) *state {
	st.close()
	fresh, err := g.newState(context.Background(), false)
	if err != nil {
		g.missing.Add(1)
		g.grow()
		g.host.log.Error("rebuilding a Lua state failed", "generation", g.id, "error", err)
		return nil
	}
	g.primary.CompareAndSwap(st, fresh)
	return fresh
}

// release ends a call: what bindings asked to run after each call runs
// (locks still held are released), and the state goes back to the pool. A
// broken state is closed and rebuilt in the background; a state due a
// collection is handed to a collector first, after the caller has its
// result.
func (g *Generation) release(st *state) {
	if st == nil {
		g.inflight.RUnlock()
		return
	}
	st.script = ""
	st.L.SetTop(0)
	st.endCall()
	switch {
	case st.broken:
		g.discard(st)
	case st.collectDue():
		// The collector holds the generation in flight until the state
		// is back in the pool.
		g.host.goSafe("collecting garbage in a Lua state", func() {
			defer g.inflight.RUnlock()
			st.collect()
			if st.broken {
				g.discard(st)
				return
			}
			g.pool.put(st)
		})
		return
	default:
		g.pool.put(st)
	}
	g.inflight.RUnlock()
}

// discard closes a broken state; a fresh one is built in the background.
func (g *Generation) discard(st *state) {
	st.close()
	g.missing.Add(1)
	g.grow()
}

// retire stops a generation once its in-flight calls are done: deinit,
// then what its scripts left running (timers, controls), then its states.
func (g *Generation) retire() {
	g.inflight.Lock()
	g.retired.Store(true)
	g.inflight.Unlock()
	g.finish()
}

func (g *Generation) closeStates() {
	for _, st := range g.pool.drain() {
		st.close()
	}
}
