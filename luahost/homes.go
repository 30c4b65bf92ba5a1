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
	if g.retired.Load() {
		g.inflight.RUnlock()
		return false
	}
	return true
}

func (g *Generation) isRetired() bool { return g.retired.Load() }

// track records a state built for the generation; forget drops a closed
// one (also one whose build failed, which was never tracked). Both wake
// the sessions waiting for a home (placeSession).
func (g *Generation) track(st *state) {
	g.homeMu.Lock()
	g.built = append(g.built, st)
	g.homesChanged()
	g.homeMu.Unlock()
}

func (g *Generation) forget(st *state) {
	g.homeMu.Lock()
	defer g.homeMu.Unlock()
	g.homesChanged()
	for i, s := range g.built {
		if s == st {
			g.built = append(g.built[:i], g.built[i+1:]...)
			return
		}
	}
}

// homesChanged wakes the sessions waiting in placeSession; homeMu held.
func (g *Generation) homesChanged() {
	if g.homesCh != nil {
		close(g.homesCh)
		g.homesCh = nil
	}
}

func (g *Generation) wakeHomes() {
	g.homeMu.Lock()
	g.homesChanged()
	g.homeMu.Unlock()
}

// homesWait returns a channel closed at the next change of the built
// states; homeMu held.
func (g *Generation) homesWait() <-chan struct{} {
	if g.homesCh == nil {
		g.homesCh = make(chan struct{})
	}
	return g.homesCh
}

func (g *Generation) addHomed(st *state, n int) {
	g.homeMu.Lock()
	st.homed += n
	g.homeMu.Unlock()
}

// unhomed reports whether a state built and not closed has no session.
func (g *Generation) unhomed() bool {
	g.homeMu.Lock()
	defer g.homeMu.Unlock()
	for _, st := range g.built {
		if st.homed < sessionsPerState && !st.closed.Load() {
			return true
		}
	}
	return false
}

// short reports whether the pool should grow: no state is idle, or every
// state is some session's home (a new session would have to share one).
func (g *Generation) short() bool { return g.pool.idle() == 0 || !g.unhomed() }

// mayGrow reports whether a state is on its way or may be built now.
func (g *Generation) mayGrow() bool {
	return g.growing.Load() || g.missing.Load() > 0 && time.Now().UnixNano() >= g.retryAt.Load()
}

// placeSession finds a new session its home, held, with the caller holding
// the generation in flight: a state without sessions, else a new one while
// the pool may grow, else the state with the fewest sessions. States are
// built in the background (grow), never on the session's call: the session
// waits for one at most CallTimeout, then shares, and waits for the state
// it shares at most CallTimeout too. Once placed, a spare is prebuilt when
// no state is left without a session. The state counts the session.
func (g *Generation) placeSession(ctx context.Context) (*state, error) {
	growCtx, cancel := context.WithTimeout(ctx, g.host.opts.CallTimeout)
	defer cancel()
	for {
		g.homeMu.Lock()
		var best *state
		for _, st := range g.built {
			if st.closed.Load() {
				continue
			}
			if best == nil || st.homed < best.homed {
				best = st
			}
		}
		crowded := best == nil || best.homed >= sessionsPerState
		// Without any state, wait while one is being built or replaced
		// (live counts those too).
		wait := best == nil && (g.mayGrow() || g.live.Load() > 0) ||
			crowded && g.mayGrow() && growCtx.Err() == nil
		var changed <-chan struct{}
		switch {
		case wait:
			changed = g.homesWait()
		case best != nil:
			best.homed++
		}
		g.homeMu.Unlock()
		if best == nil && !wait {
			if err := g.buildErr.Load(); err != nil {
				return nil, fmt.Errorf("generation %d has no usable Lua state: %w", g.id, *err)
			}
			return nil, fmt.Errorf("generation %d has no usable Lua state", g.id)
		}
		if wait {
			g.grow()
			select {
			case <-changed:
			case <-growCtx.Done():
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				if best == nil {
					return nil, fmt.Errorf("no Lua state was built for the session in %s: %w", g.host.opts.CallTimeout, growCtx.Err())
				}
				// Past the bound, the session shares the state with the
				// fewest sessions.
			}
			continue
		}
		wctx, cancel := context.WithTimeout(ctx, g.host.opts.CallTimeout)
		st, err := g.takeState(wctx, best)
		cancel()
		if err == nil {
			g.grow()
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
