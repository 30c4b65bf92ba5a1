package luahost

import (
	"context"
	"sync"
)

// pool holds a generation's idle states: a bounded, explicit pool (never
// sync.Pool, which would drop states at every GC). A mutex-guarded stack is
// cheaper than a channel on the hot path; waiters sleep on a wake-up
// channel only when every state is busy.
type pool struct {
	mu   sync.Mutex
	free []*state
	wake chan struct{}
}

func newPool(size int) *pool {
	return &pool{free: make([]*state, 0, size), wake: make(chan struct{}, 1)}
}

// get takes an idle state, waiting until one is returned or ctx ends.
func (p *pool) get(ctx context.Context) (*state, error) {
	for {
		p.mu.Lock()
		if n := len(p.free); n > 0 {
			st := p.free[n-1]
			p.free = p.free[:n-1]
			more := n > 1
			p.mu.Unlock()
			if more {
				p.signal() // pass a wake-up on to another waiter
			}
			return st, nil
		}
		p.mu.Unlock()
		select {
		case <-p.wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// tryGet takes an idle state without waiting; nil when all are busy.
func (p *pool) tryGet() *state {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.free)
	if n == 0 {
		return nil
	}
	st := p.free[n-1]
	p.free = p.free[:n-1]
	return st
}

// put returns a state.
func (p *pool) put(st *state) {
	p.mu.Lock()
	p.free = append(p.free, st)
	p.mu.Unlock()
	p.signal()
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
