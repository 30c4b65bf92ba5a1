package luahost

import (
	"context"
	"errors"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/hook"
)

// Session is one inbound session (an SMTP connection) as Momentum's
// validation callouts see it. Each module gets its own `self` for the
// session: a fresh table whose metatable's __index is the module table, so
// self.x holds session state and self:helper() still finds the module's
// functions (Momentum documents self as per-session storage; what it falls
// back to is msyshost's choice). Close runs validate_dealloc, with the same
// self, for the modules that ran.
//
// Momentum runs every session in one interpreter, so a value a hook leaves
// in self (a table, a closure, an ec_message) works in the next phase. A
// msyshost session therefore keeps to one Lua state of the pool, its home:
// each call waits for that state to be idle rather than take another. A
// session does not hold its state between calls, so an idle client costs
// no Lua state. When the home is lost (a call ran past its deadline and the
// state was replaced) or a reload brings a new generation, the session
// moves to another state with fresh selves, and validate_dealloc of the
// modules that ran before does not run.
//
// A Session is used by one goroutine at a time (the connection's).
type Session struct {
	h     *Host
	gen   *Generation
	home  *state
	selfs map[int]*lua.LTable // module index → self, in home
	ran   map[int]bool        // modules called in this generation
}

// SessionResult is the outcome of one Session.Call.
type SessionResult struct {
	Result
	// Pos is the chain position of the module whose call ended the
	// dispatch (a return other than hook.Continue, or a failure): Call
	// with that from calls it again. -1 when every module continued.
	Pos int
	// Failed is the call that raised an error, ran past its deadline or
	// returned something other than a number; the chain stops there. nil
	// when none failed.
	Failed *HookCall
	// Err says why no module could be called (no usable Lua state, the
	// context ended); nil otherwise, also when no scripts are loaded.
	Err error
}

// NewSession starts a session; it takes no Lua state until its first call.
func (h *Host) NewSession() *Session { return &Session{h: h} }

// Call dispatches hook to the modules that define it, in config order,
// starting at chain position from (0 for the whole chain), each as a method
// call on the session's self. The first return other than hook.Continue
// decides and stops the chain, as does the first failure. When a reload
// brought a new generation since the last call, the chain starts over at 0.
func (s *Session) Call(ctx context.Context, name string, from int, args ...any) SessionResult {
	res := SessionResult{Result: Result{Code: hook.Continue}, Pos: -1}
	if g := s.h.gen.Load(); g == nil || len(g.chains[name]) == 0 {
		return res // no module has the hook: no state needed
	}
	g, st, moved, err := s.acquire(ctx)
	if err != nil {
		if err != errNoScripts {
			res.Err = err
		}
		return res
	}
	defer func() { g.release(st) }()
	if moved {
		from = 0
	}
	returns := hook.ReturnsCode
	if spec, ok := hook.Lookup(name); ok {
		returns = spec.Returns
	}
	chain := g.chains[name]
	for pos := max(from, 0); pos < len(chain); pos++ {
		i := chain[pos]
		mod := st.modules[i]
		fn, ok := mod.tbl.RawGetString(name).(*lua.LFunction)
		if !ok {
			continue
		}
		s.ran[i] = true
		call := st.callHook(ctx, name, mod, s.self(st, i), fn, args, returns)
		res.Calls = append(res.Calls, call)
		if call.Err != "" && returns != hook.ReturnsNone {
			res.Pos, res.Failed = pos, &res.Calls[len(res.Calls)-1]
			s.checkHome(st)
			return res
		}
		if call.Code != hook.Continue && returns != hook.ReturnsNone {
			res.Code, res.Pos = call.Code, pos
			s.checkHome(st)
			return res
		}
		if st.broken {
			// The rest of the chain runs in a fresh state of the same
			// generation, with fresh selves.
			st = g.replace(st)
			s.home, s.selfs = st, map[int]*lua.LTable{}
			if st == nil {
				res.Err = errors.New("no Lua state to run the remaining modules")
				return res
			}
		}
	}
	return res
}

// checkHome forgets a home that broke during the call: release replaces
// it, and the next call finds a new one.
func (s *Session) checkHome(st *state) {
	if st.broken {
		s.home, s.selfs = nil, nil
	}
}

// Close ends the session: validate_dealloc runs, with the session's self,
// in every module that defines it and ran during the session (in this
// generation). Its return is ignored; failures are logged. The result
// lists the calls.
func (s *Session) Close(ctx context.Context) SessionResult {
	defer func() {
		if s.home != nil {
			s.home.unrootSelfs(s.selfs)
		}
		s.home, s.selfs, s.ran = nil, nil, nil
	}()
	g := s.h.gen.Load()
	if len(s.ran) == 0 || g == nil || g != s.gen || len(g.chains["validate_dealloc"]) == 0 {
		return SessionResult{Pos: -1}
	}
	res := s.callRan(ctx, "validate_dealloc")
	for _, c := range res.Calls {
		if c.Err != "" {
			s.h.log.Warn("validate_dealloc failed", "module", c.Module, "script", c.Script, "error", c.Err)
		}
	}
	return res
}

// callRan calls a hook in the modules that ran, in chain order.
func (s *Session) callRan(ctx context.Context, name string) SessionResult {
	res := SessionResult{Pos: -1}
	g, st, moved, err := s.acquire(ctx)
	if err != nil || moved {
		if st != nil {
			g.release(st)
		}
		return res
	}
	defer func() { g.release(st) }()
	for _, i := range g.chains[name] {
		if !s.ran[i] {
			continue
		}
		mod := st.modules[i]
		fn, ok := mod.tbl.RawGetString(name).(*lua.LFunction)
		if !ok {
			continue
		}
		res.Calls = append(res.Calls, st.callHook(ctx, name, mod, s.self(st, i), fn, nil, hook.ReturnsNone))
		if st.broken {
			break
		}
	}
	return res
}

// self returns the session's self for module i in st, made on first use.
func (s *Session) self(st *state, i int) *lua.LTable {
	if t, ok := s.selfs[i]; ok {
		return t
	}
	L := st.L
	meta, ok := st.selfMeta[i]
	if !ok {
		meta = L.NewTable()
		meta.RawSetString("__index", st.modules[i].tbl)
		if st.selfMeta == nil {
			st.selfMeta = map[int]*lua.LTable{}
		}
		st.selfMeta[i] = meta
	}
	t := L.NewTable()
	t.Metatable = meta
	s.selfs[i] = t
	st.rootSelf(t)
	return t
}

// acquire returns the session's home state, held, waiting while another
// call uses it. moved reports that the session had to take a new home
// (first call, a new generation, a home that broke): its selves are fresh.
func (s *Session) acquire(ctx context.Context) (g *Generation, st *state, moved bool, err error) {
	for {
		g = s.h.gen.Load()
		if g == nil {
			return nil, nil, false, errNoScripts
		}
		if g != s.gen {
			s.gen, s.home, s.selfs, s.ran = g, nil, nil, map[int]bool{}
		}
		if s.home == nil {
			st, err := g.acquire(ctx)
			if err != nil {
				return nil, nil, false, err
			}
			if st == nil {
				continue // retired meanwhile
			}
			s.home, s.selfs = st, map[int]*lua.LTable{}
			return g, st, true, nil
		}
		st, err := g.acquireHome(ctx, s.home)
		switch {
		case err == errHomeGone:
			s.home, s.selfs = nil, nil
			continue
		case err != nil:
			return nil, nil, false, err
		case st == nil:
			continue // retired meanwhile: the next generation
		}
		return g, st, false, nil
	}
}

var errHomeGone = errors.New("the session's Lua state is gone")

// acquireHome takes target from the pool, waiting while it is busy, and
// holds the generation in flight as acquire does. It returns nil when the
// generation retired, errHomeGone when target was closed.
func (g *Generation) acquireHome(ctx context.Context, target *state) (*state, error) {
	g.inflight.RLock()
	if g.retired.Load() {
		g.inflight.RUnlock()
		return nil, nil
	}
	for {
		if target.closed.Load() {
			g.inflight.RUnlock()
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
			g.inflight.RUnlock()
			return nil, ctx.Err()
		}
	}
}
