package luahost

import (
	"context"
	"errors"
	"fmt"
	"time"

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
// A value a hook leaves in self (a table, a closure, an ec_message) lives
// in one Lua state, so a msyshost session keeps to one state of the pool,
// its home, for its whole life: each call waits for that state to be idle
// rather than take another. A session does not hold its state between
// calls, so an idle client costs no Lua state. Homes are spread: a new
// session goes to the state with the fewest sessions, and the pool grows
// (up to PoolSize, building in the background, never on the session's
// call) rather than give a state a second session (homes.go). A session
// whose home stays busy for CallTimeout gets an error (SMTP answers 421).
// A session's selves are roots of its home's collection while it lives
// there; leaving the home (Close, a broken home) lets them go.
//
// A session is pinned to the generation it started in: a reload serves new
// sessions with the new scripts while the ones open finish with the old,
// whose retirement waits for them (at most SessionDrain). A session still
// open after that, or after the host closed, gets an error at its next
// call. When its home breaks (a call ran past its deadline and the state
// was replaced), the session moves to another state with fresh selves, and
// validate_dealloc of the modules that ran before does not run.
//
// A Session is used by one goroutine at a time (the connection's).
type Session struct {
	h      *Host
	gen    *Generation // pinned at the first call
	home   *state
	selfs  map[int]*lua.LTable // module index → self, in home
	ran    map[int]bool        // modules called in this session
	closed bool
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
	// Err says why no module could be called (the host is closed or has no
	// scripts loaded, the session ended or outlived its generation, no
	// usable Lua state, the context ended); nil otherwise.
	Err error
}

var (
	// ErrSessionClosed: Call after Close.
	ErrSessionClosed = errors.New("the session is closed")
	// ErrSessionRetired: the session's generation retired (the host
	// closed, or a reload's drain ended) while the session was open.
	ErrSessionRetired = errors.New("the scripts this session started with are retired")
	errHomeGone       = errors.New("the session's Lua state is gone")
)

// DefaultSessionDrain is how long a retiring generation waits for its
// sessions when SetSessionDrain was not called: Momentum's default
// Idle_Time.
const DefaultSessionDrain = 5 * time.Minute

// SetSessionDrain bounds how long a reload's old generation waits for the
// sessions pinned to it (SMTP in sets its longest Idle_Time).
func (h *Host) SetSessionDrain(d time.Duration) {
	if d > 0 {
		h.sessionDrain.Store(int64(d))
	}
}

func (h *Host) drainBound() time.Duration {
	if d := h.sessionDrain.Load(); d > 0 {
		return time.Duration(d)
	}
	return DefaultSessionDrain
}

// NewSession starts a session; it takes no Lua state until its first call.
func (h *Host) NewSession() *Session { return &Session{h: h} }

// Call dispatches hook to the modules that define it, in config order,
// starting at chain position from (0 for the whole chain), each as a method
// call on the session's self. The first return other than hook.Continue
// decides and stops the chain, as does the first failure. It fails closed:
// when no script can be asked (see SessionResult.Err) nothing is called
// and Err says why.
func (s *Session) Call(ctx context.Context, name string, from int, args ...any) SessionResult {
	res := SessionResult{Result: Result{Code: hook.Continue}, Pos: -1}
	if err := s.pin(); err != nil {
		res.Err = err
		return res
	}
	g := s.gen
	if len(g.chains[name]) == 0 {
		if g.isRetired() {
			res.Err = ErrSessionRetired
		}
		return res // no module has the hook: no state needed
	}
	st, err := s.acquire(ctx)
	if err != nil {
		res.Err = err
		return res
	}
	defer func() { g.release(st) }()
	returns := hook.ReturnsCode
	if spec, ok := hook.Lookup(name); ok {
		returns = spec.Returns
	}
	chain := g.chains[name]
	for pos := max(from, 0); pos < len(chain); pos++ {
		if st.broken {
			// The state broke in the previous module; the rest of the
			// chain runs in another state of the same generation, an idle
			// one when there is one (after the last module nothing is
			// rebuilt here: release leaves that to the background), with
			// fresh selves.
			s.leaveHome()
			if st = g.substitute(st); st == nil {
				res.Err = errors.New("no Lua state to run the remaining modules")
				return res
			}
			g.addHomed(st, 1)
			s.settle(st)
		}
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
	}
	s.checkHome(st)
	return res
}

// pin ties the session to the serving generation at its first call.
func (s *Session) pin() error {
	if s.closed {
		return ErrSessionClosed
	}
	for s.gen == nil {
		g := s.h.gen.Load()
		if g == nil {
			if s.h.isClosed() {
				return errClosed
			}
			return errNoScripts
		}
		if g.pinSession() {
			s.gen, s.ran = g, map[int]bool{}
		}
		// else it began retiring: the next load sees its successor.
	}
	return nil
}

// checkHome forgets a home that broke during the call: release replaces
// it, and the next call finds a new one.
func (s *Session) checkHome(st *state) {
	if st.broken {
		s.leaveHome()
	}
}

// Close ends the session: validate_dealloc runs, with the session's self,
// in every module that defines it and ran during the session. Its return
// is ignored; failures are logged. The result lists the calls. The session
// lets go of its generation; a Call after Close fails.
func (s *Session) Close(ctx context.Context) SessionResult {
	if s.closed {
		return SessionResult{Pos: -1}
	}
	g := s.gen
	defer func() {
		s.leaveHome()
		s.closed, s.ran = true, nil
		if g != nil {
			g.unpinSession()
		}
	}()
	if g == nil || len(s.ran) == 0 || len(g.chains["validate_dealloc"]) == 0 || g.isRetired() {
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

// callRan calls a hook in the modules that ran, in chain order, on the
// session's home (not on another state: a fresh self would not be theirs).
func (s *Session) callRan(ctx context.Context, name string) SessionResult {
	res := SessionResult{Pos: -1}
	if s.home == nil {
		return res
	}
	st, err := s.acquire(ctx)
	if err != nil {
		return res
	}
	g := s.gen
	defer func() { g.release(st) }()
	if s.selfs == nil {
		return res // the home was lost meanwhile: these selves are gone
	}
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

// acquire returns the session's home state, held (the generation in
// flight), waiting while another call uses it, at most CallTimeout. A
// session without a home (its first call, or its home broke) is given one;
// its selves are then fresh, which is logged when it had a home before.
func (s *Session) acquire(ctx context.Context) (*state, error) {
	g := s.gen
	if !g.enter() {
		return nil, ErrSessionRetired
	}
	for {
		if s.home == nil {
			st, err := g.placeSession(ctx)
			if err != nil {
				g.inflight.RUnlock()
				return nil, err
			}
			s.settle(st)
			return st, nil
		}
		wctx, cancel := context.WithTimeout(ctx, s.h.opts.CallTimeout)
		st, err := g.takeState(wctx, s.home)
		cancel()
		switch {
		case err == errHomeGone:
			s.h.log.Warn("a session's Lua state was replaced (a call overran its deadline): its self starts afresh and validate_dealloc of the modules that ran will not run",
				"generation", g.id)
			s.leaveHome()
			s.ran = map[int]bool{}
			continue
		case err != nil && ctx.Err() == nil:
			g.inflight.RUnlock()
			return nil, fmt.Errorf("the session's Lua state stayed busy for %s (another session's hook held it): %w", s.h.opts.CallTimeout, err)
		case err != nil:
			g.inflight.RUnlock()
			return nil, err
		}
		return st, nil
	}
}

// settle makes st, which counts the session already, its home, with fresh
// selves.
func (s *Session) settle(st *state) { s.home, s.selfs = st, map[int]*lua.LTable{} }

// leaveHome forgets the home and lets go of its selves: they are no
// longer roots of the home's collection.
func (s *Session) leaveHome() {
	if s.home != nil {
		s.home.unrootSelfs(s.selfs)
		s.gen.addHomed(s.home, -1)
	}
	s.home, s.selfs = nil, nil
}
