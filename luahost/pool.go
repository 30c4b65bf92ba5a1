package luahost

import "sync"

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
