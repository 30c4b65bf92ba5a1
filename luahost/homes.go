package luahost

import (
	"context"
	"fmt"
	"time"
)

// Where sessions live in a generation (session.go): every state built and
// not closed, with the sessions homed on it; and the sessions pinned to
// the generation, which its retirement waits for.

// sessionsPerState is how many sessions a state takes before the pool
// grows: one, so that up to PoolSize sessions never wait for one another.
// Past PoolSize, states are shared by the fewest sessions.
const sessionsPerState = 1

// enter holds the generation in flight for a call; false once it retired.
func (g *Generation) enter() bool {
	g.inflight.RLock()
	if g.retired {
		g.inflight.RUnlock()
		return false
	}
	return true
}

func (g *Generation) isRetired() bool {
	g.inflight.RLock()
	defer g.inflight.RUnlock()
	return g.retired
}

// track records a state built for the generation; forget drops a closed
// one.
func (g *Generation) track(st *state) {
	g.homeMu.Lock()
	g.live = append(g.live, st)
	g.homeMu.Unlock()
}

func (g *Generation) forget(st *state) {
	g.homeMu.Lock()
	defer g.homeMu.Unlock()
	for i, s := range g.live {
		if s == st {
			g.live = append(g.live[:i], g.live[i+1:]...)
			return
		}
	}
}

func (g *Generation) addHomed(st *state, n int) {
	g.homeMu.Lock()
	st.homed += n
	g.homeMu.Unlock()
}

// placeSession finds a new session its home, held, with the caller holding
// the generation in flight: a state without sessions, a new one while the
// pool may grow, else the state with the fewest sessions, waiting for it at
// most CallTimeout. The state counts the session.
func (g *Generation) placeSession(ctx context.Context) (*state, error) {
	for {
		g.homeMu.Lock()
		var best *state
		for _, st := range g.live {
			if st.closed.Load() || st.broken {
				continue
			}
			if best == nil || st.homed < best.homed {
				best = st
			}
		}
		grow := (best == nil || best.homed >= sessionsPerState) && g.claimMissing()
		if best != nil && !grow {
			best.homed++
		}
		g.homeMu.Unlock()
		if grow {
			st, err := g.newState(ctx, false)
			if err == nil {
				g.addHomed(st, 1)
				return st, nil
			}
			g.missing.Add(1)
			g.pool.signal()
			g.host.log.Error("building a Lua state for a session failed", "generation", g.id, "error", err)
			if best == nil {
				return nil, fmt.Errorf("generation %d has no usable Lua state: %w", g.id, err)
			}
			g.addHomed(best, 1)
		}
		if best == nil {
			// Every state is being replaced: wait for one.
			select {
			case <-g.pool.wake:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		wctx, cancel := context.WithTimeout(ctx, g.host.opts.CallTimeout)
		st, err := g.takeState(wctx, best)
		cancel()
		if err == nil {
			return st, nil
		}
		g.addHomed(best, -1)
		if err != errHomeGone {
			if ctx.Err() == nil {
				return nil, fmt.Errorf("every Lua state stayed busy for %s: %w", g.host.opts.CallTimeout, err)
			}
			return nil, err
		}
	}
}

// takeState takes target from the pool, waiting while it is busy; the
// caller holds the generation in flight. errHomeGone when target was
// closed.
func (g *Generation) takeState(ctx context.Context, target *state) (*state, error) {
	for {
		if target.closed.Load() {
			// close signalled once: pass it on to the next waiter.
			select {
			case target.idle <- struct{}{}:
			default:
			}
			return nil, errHomeGone
		}
		if g.pool.take(target) {
			return target, nil
		}
		select {
		case <-target.idle:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// pinSession counts a session that started in this generation; false once
// the generation began retiring (the session takes the next one).
func (g *Generation) pinSession() bool {
	g.sessMu.Lock()
	defer g.sessMu.Unlock()
	if g.draining {
		return false
	}
	g.sessions++
	return true
}

func (g *Generation) unpinSession() {
	g.sessMu.Lock()
	defer g.sessMu.Unlock()
	g.sessions--
	if g.sessions == 0 && g.drained != nil {
		close(g.drained)
		g.drained = nil
	}
}

// drain refuses new sessions and waits for those pinned to end, at most
// bound or until stop closes. Those left get ErrSessionRetired at their
// next call once the generation retires.
func (g *Generation) drain(bound time.Duration, stop <-chan struct{}) {
	g.sessMu.Lock()
	g.draining = true
	n := g.sessions
	var done chan struct{}
	if n > 0 && bound > 0 {
		done = make(chan struct{})
		g.drained = done
	}
	g.sessMu.Unlock()
	if done == nil {
		return
	}
	t := time.NewTimer(bound)
	defer t.Stop()
	select {
	case <-done:
		return
	case <-t.C:
	case <-stop:
	}
	g.sessMu.Lock()
	n = g.sessions
	g.sessMu.Unlock()
	g.host.log.Warn("sessions still open on retired scripts: their next command gets a temporary failure",
		"generation", g.id, "sessions", n, "waited", bound)
}
