package luahost

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"

	"msyshost/lib/hook"
)

// A generation's life, as Momentum's: the scripts' top-level code registers
// modules (msys.registerModule); once it has run, the registrations are
// frozen for the generation. init() then runs once, before the generation
// serves, and must return true, or the generation is refused with the
// error and the old one keeps serving; rsrc_setup() follows. deinit() runs
// when the generation retires, after its last call.
//
// Momentum runs every script in one shared interpreter, so what init puts
// in a module's locals is there for every later call. msyshost keeps a pool
// of independent Lua states; the first (primary) state runs the top-level
// code and init for real, and every other state replays them quietly: its
// prints are dropped, and objects made while building (Shared, Keep: mutexes,
// timers, console commands) are the primary's, so each exists once per
// generation. A module's locals therefore hold the same values in every
// state, and init's effects outside Lua happen once.

// modInfo is one registered module, as the generation knows it.
type modInfo struct {
	name, script string
}

// setUp freezes the registrations (primary) or checks that a replaying state
// made the same ones, then runs init and rsrc_setup.
func (g *Generation) setUp(ctx context.Context, st *state, primary bool) error {
	if primary {
		g.mods = make([]modInfo, len(st.modules))
		g.chains = map[string][]int{}
		for i, m := range st.modules {
			g.mods[i] = modInfo{name: m.name, script: m.script}
			m.tbl.ForEach(func(k, v lua.LValue) {
				if ks, ok := k.(lua.LString); ok && v.Type() == lua.LTFunction {
					g.chains[string(ks)] = append(g.chains[string(ks)], i)
				}
			})
		}
		for _, c := range g.chains {
			sort.Ints(c)
		}
	} else if len(st.modules) != len(g.mods) {
		return fmt.Errorf("the scripts registered %d modules in one Lua state and %d in another: registrations must not depend on anything but the scripts", len(g.mods), len(st.modules))
	}
	if err := g.lifecycle(ctx, st, "init"); err != nil {
		return err
	}
	if primary {
		g.initDone = true
	}
	return g.lifecycle(ctx, st, "rsrc_setup")
}

// lifecycle calls a lifecycle method of every module that defines it, in
// registration order. init must return true; rsrc_setup should, and a
// primary state's other answers are logged.
func (g *Generation) lifecycle(ctx context.Context, st *state, name string) error {
	for _, i := range g.chains[name] {
		m := st.modules[i]
		fn, ok := m.tbl.RawGetString(name).(*lua.LFunction)
		if !ok {
			continue
		}
		st.script = m.script
		err := st.pcall(ctx, fn, m.tbl)
		ret := st.L.Get(-1)
		st.L.SetTop(0)
		st.script = ""
		switch {
		case err != nil:
			return fmt.Errorf("%s of module %s (%s) failed: %w", name, m.name, m.script, err)
		case ret == lua.LTrue:
		case name == "init":
			return fmt.Errorf("init of module %s (%s) returned %s, not true (defined at %s)", m.name, m.script, describe(ret), position(fn))
		case !st.replica:
			g.host.log.Warn(name+" did not return true", "module", m.name, "script", m.script, "returned", describe(ret))
		}
	}
	return nil
}

// describe names a returned value for an error message.
func describe(v lua.LValue) string {
	switch v.Type() {
	case lua.LTNil:
		return "nil"
	case lua.LTString:
		return fmt.Sprintf("%q", string(v.(lua.LString)))
	case lua.LTNumber, lua.LTBool:
		return v.String()
	}
	return v.Type().String()
}

// finish ends a generation that is retiring or was refused: deinit runs
// when init ran, then what the generation's objects registered with
// OnRetire, then the states close. It needs every state idle.
func (g *Generation) finish() {
	if g.initDone && len(g.chains["deinit"]) > 0 {
		st := g.primary.Load()
		if st == nil || !g.pool.take(st) {
			st = g.pool.tryGet()
		}
		if st != nil {
			if err := g.lifecycle(context.Background(), st, "deinit"); err != nil {
				g.host.log.Error("deinit failed", "generation", g.id, "error", err)
			}
			if st.broken {
				st.close()
			} else {
				g.pool.put(st)
			}
		}
	}
	g.retireMu.Lock()
	fns := g.onRetire
	g.onRetire = nil
	g.retireMu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
	g.closeStates()
}

// registerModule is msys.registerModule(name, table).
func (st *state) registerModule(L *lua.LState) int {
	a := Args{L: L, Name: "registerModule"}
	name := a.String(1)
	tbl := a.Table(2)
	if st.frozen {
		a.Raise("msys.registerModule(%q): modules register while the scripts load; this generation's modules are frozen", name)
	}
	st.modules = append(st.modules, &module{name: name, script: st.script, tbl: tbl})
	return 0
}

// checkModules warns about registrations that will never run as the author
// expects; it runs once per generation on its primary state.
func (g *Generation) checkModules(st *state) {
	log := g.host.log
	for _, m := range st.modules {
		var hooks, typos []string
		m.tbl.ForEach(func(k, v lua.LValue) {
			ks, ok := k.(lua.LString)
			if !ok || v.Type() != lua.LTFunction {
				return
			}
			if _, known := hook.Lookup(string(ks)); known {
				hooks = append(hooks, string(ks))
			} else if s := hook.Suggest(string(ks)); s != "" {
				typos = append(typos, string(ks)+" (did you mean "+s+"?)")
			}
		})
		sort.Strings(hooks)
		sort.Strings(typos)
		if len(hooks) == 0 {
			log.Warn("scriptlet: no usable methods found for module "+m.name+" in registerModule call", "script", m.script)
		} else {
			log.Info("module registered", "module", m.name, "script", m.script, "hooks", strings.Join(hooks, ","))
		}
		for _, t := range typos {
			log.Warn("module method is not a known hook: "+t, "module", m.name, "script", m.script)
		}
		if m.script != "" && m.name != m.script && !strings.HasSuffix(m.script, "/"+m.name+".lua") && !strings.HasSuffix(m.script, "/"+m.name) {
			log.Warn("module name differs from its script stanza; it runs anyway", "module", m.name, "script", m.script)
		}
	}
}

// sharedObjects are the objects Shared made while a generation was built,
// by kind, in the order the primary state made them.
type sharedObjects struct {
	byKind map[string][]any
}

// Shared returns the object of kind made at this point of the scripts. While
// a generation is built, the n-th Shared call of a kind in every state gets
// the object the first state made (make runs once per generation), so a
// mutex or timer made at a script's top level or in init exists once, as in
// Momentum's single interpreter. At run time make runs on every call. fresh
// reports that make ran.
func Shared[T any](L *lua.LState, kind string, make func() T) (v T, fresh bool) {
	st := stateOf(L)
	if !st.building {
		return make(), true
	}
	g := st.gen
	n := st.ordinals[kind]
	st.ordinals[kind] = n + 1
	// Building is serial within a generation (one state at a time), and a
	// state rebuilt while serving only reads: only the primary writes.
	if objs := g.shared.byKind[kind]; n < len(objs) {
		if v, ok := objs[n].(T); ok {
			return v, false
		}
	}
	if st.replica {
		// The primary made fewer of these: the scripts' top level or init
		// took another path here. The object is this state's own.
		return make(), true
	}
	v = make()
	if g.shared.byKind == nil {
		g.shared.byKind = map[string][]any{}
	}
	g.shared.byKind[kind] = append(g.shared.byKind[kind], v)
	return v, true
}

// Quiet reports whether L is replaying a generation's build: bindings with
// effects outside Lua (logging, counters, the share space) skip them then,
// since the primary state had them already.
func Quiet(L *lua.LState) bool { return stateOf(L).replica }

// Building reports whether L runs the scripts' top-level code or their
// init or rsrc_setup, rather than a hook or a chunk.
func Building(L *lua.LState) bool { return stateOf(L).building }

// OnRetire runs f when the generation of L retires, after deinit. Objects
// that outlive a call (timers, console commands, pools) stop there.
func OnRetire(L *lua.LState, f func()) {
	g := stateOf(L).gen
	g.retireMu.Lock()
	g.onRetire = append(g.onRetire, f)
	g.retireMu.Unlock()
}

// OnClose runs f when L is closed (a retired generation, or a state that
// broke); locks a state holds are released there.
func OnClose(L *lua.LState, f func()) {
	st := stateOf(L)
	st.onClose = append(st.onClose, f)
}

// CallArgs returns the arguments of the hook call L is running (after
// self), for functions that act on "the current session" without taking it
// as an argument (msys.expandMacro, msys.cidr.query); nil outside a hook.
func CallArgs(L *lua.LState) []lua.LValue { return stateOf(L).callArgs }

// Callback is a Lua function kept for calls from outside Lua: a timer, a
// console command, a thread-pool completion. Made while a generation is
// built, it belongs to the generation and runs in its primary state (which
// every state replays, so a replacement primary has it too); made at run
// time, it runs in the state that made it.
type Callback struct {
	gen     *Generation
	st      *state // nil: the generation's primary
	once    bool
	dropped atomic.Bool
	// Value is the binding's object for this callback (a timer), so a
	// replaying state finds the one the primary made.
	Value any
}

// Keep keeps fn and returns its callback. While a generation is built, a
// replaying state gets the primary's callback (existing is true) and binds
// its own copy of fn to it.
func Keep(L *lua.LState, fn *lua.LFunction) (cb *Callback, existing bool) {
	st := stateOf(L)
	cb, fresh := Shared(L, "luahost.callback", func() *Callback { return &Callback{gen: st.gen} })
	if !st.building {
		cb.st = st
	}
	st.kept[cb] = fn
	return cb, !fresh
}

// KeepOnce keeps fn for one Run (a thread-pool job, its completion); the
// function is forgotten after it.
func KeepOnce(L *lua.LState, fn *lua.LFunction) *Callback {
	st := stateOf(L)
	cb := &Callback{gen: st.gen, st: st, once: true}
	st.kept[cb] = fn
	return cb
}

// Release drops the callback: Run fails from now on, and the state forgets
// the function the next time it is asked for it.
func (cb *Callback) Release() { cb.dropped.Store(true) }

// ErrGone is returned by Callback.Run when the generation or the state that
// owns the callback is gone.
var ErrGone = errors.New("the Lua state that made this callback is gone")

// Run waits until the callback's state is idle, then calls f with it and
// the kept function, under the host's deadline for calls made with PCall.
func (cb *Callback) Run(ctx context.Context, f func(L *lua.LState, fn *lua.LFunction) error) error {
	g := cb.gen
	if g == nil {
		return ErrGone
	}
	if !g.enter() {
		return ErrGone
	}
	for {
		target := cb.st
		if target == nil {
			target = g.primary.Load()
		}
		if cb.dropped.Load() || cb.st != nil && target.closed.Load() {
			g.inflight.RUnlock()
			return ErrGone
		}
		var st *state
		if target != nil && !target.closed.Load() {
			var err error
			st, err = g.takeState(ctx, target)
			if err == errHomeGone {
				continue // the primary was replaced: look again
			}
			if err != nil {
				g.inflight.RUnlock()
				return err
			}
		} else if st = g.pool.tryGet(); st == nil {
			// The primary broke and could not be rebuilt: every state of
			// the generation replayed the build, so any has the function.
			select {
			case <-g.pool.wake:
				continue
			case <-ctx.Done():
				g.inflight.RUnlock()
				return ctx.Err()
			}
		}
		defer g.release(st)
		fn, ok := st.kept[cb]
		if !ok || cb.dropped.Load() {
			delete(st.kept, cb)
			return ErrGone
		}
		if cb.once {
			delete(st.kept, cb)
		}
		return f(st.L, fn)
	}
}

// HostShared returns the host's object under key, made by make on first
// use: state that outlives generations and is shared by every state of a
// host (the share space, named locks, counters, gauge caches).
func HostShared[T any](L *lua.LState, key any, make func() T) T {
	h := stateOf(L).host
	h.sharedMu.Lock()
	defer h.sharedMu.Unlock()
	if v, ok := h.shared[key]; ok {
		return v.(T)
	}
	if h.shared == nil {
		h.shared = map[any]any{}
	}
	v := make()
	h.shared[key] = v
	return v
}
